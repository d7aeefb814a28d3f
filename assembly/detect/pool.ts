// Fixed-size records for detection state, from slabs that are kept for the whole run. A pool is
// POOL_HEADER bytes of static memory: free stack, slab head, record size, records per slab, free
// count, stack capacity, records in all slabs. The free records' addresses live on a stack apart
// from the records, so taking or returning one reads nothing from it: a record freed long ago is
// out of the cache, and loading a link threaded through it was most of poolAlloc's time.
import { LINE, lineStart } from "../cacheline";

export const POOL_HEADER: i32 = 32;

/** Bytes of records handed out and not returned, over every pool: the connection table
 *  ends connections early when they pass its budget (flow/table.ts), so that a flood of
 *  connections that each hold buffers cannot take the whole of wasm's memory. */
export let poolBytesInUse: u64 = 0;
const STACK: usize = 0;
const SLABS: usize = 4;
const SIZE: usize = 8;
const PER_SLAB: usize = 12;
const COUNT: usize = 16;
const CAP: usize = 20;
const TOTAL: usize = 24;

export function poolInit(pool: usize, size: u32, perSlab: u32): void {
  store<u32>(pool + STACK, <u32>heap.alloc(<usize>perSlab << 2));
  store<u32>(pool + SLABS, 0);
  store<u32>(pool + SIZE, size);
  store<u32>(pool + PER_SLAB, perSlab);
  store<u32>(pool + COUNT, 0);
  store<u32>(pool + CAP, perSlab);
  store<u32>(pool + TOTAL, 0);
}

/** A slab's first record: after its u32 link to the next slab, on a cache line (a 64-byte record is
 *  then one line, not two). heap.alloc gives LINE + size * n bytes for it. */
// @ts-ignore: decorator
@inline function firstRecord(slab: usize): usize { return lineStart(slab + 4); }

/** The slab's records onto the free stack, the first on top. */
function pushSlab(pool: usize, slab: usize): void {
  const size = <usize>load<u32>(pool + SIZE);
  const n = load<u32>(pool + PER_SLAB);
  const stack = <usize>load<u32>(pool + STACK);
  let count = load<u32>(pool + COUNT);
  const first = firstRecord(slab);
  for (let i = n; i > 0; i--) {
    store<u32>(stack + (<usize>count << 2), <u32>(first + <usize>(i - 1) * size));
    count++;
  }
  store<u32>(pool + COUNT, count);
}

function addSlab(pool: usize): void {
  const size = <usize>load<u32>(pool + SIZE);
  const n = load<u32>(pool + PER_SLAB);
  const slab = heap.alloc(LINE + size * <usize>n);
  store<u32>(slab, load<u32>(pool + SLABS));
  store<u32>(pool + SLABS, <u32>slab);
  // the stack holds every record at once when all are free; doubling, since a realloc per slab
  // would copy it over and over
  const cap = load<u32>(pool + CAP);
  const total = load<u32>(pool + TOTAL) + n;
  store<u32>(pool + TOTAL, total);
  if (total > cap) {
    const bigger = cap * 2 > total ? cap * 2 : total;
    store<u32>(pool + STACK, <u32>heap.realloc(<usize>load<u32>(pool + STACK), <usize>bigger << 2));
    store<u32>(pool + CAP, bigger);
  }
  pushSlab(pool, slab);
}

export function poolAlloc(pool: usize): usize {
  let count = load<u32>(pool + COUNT);
  if (count == 0) {
    addSlab(pool);
    count = load<u32>(pool + COUNT);
  }
  count--;
  store<u32>(pool + COUNT, count);
  poolBytesInUse += <u64>load<u32>(pool + SIZE);
  return <usize>load<u32>(<usize>load<u32>(pool + STACK) + (<usize>count << 2));
}

/** The record the k-th poolAlloc from now returns if nothing is freed meanwhile, or 0 when the
 *  free stack holds fewer (a new slab's): for the warming, which loads it ahead (as flow/pool.ts
 *  nextFree does for connection records). */
export function poolNext(pool: usize, k: u32): usize {
  const count = load<u32>(pool + COUNT);
  return k < count ? <usize>load<u32>(<usize>load<u32>(pool + STACK) + (<usize>(count - 1 - k) << 2)) : 0;
}

export function poolFree(pool: usize, rec: usize): void {
  const count = load<u32>(pool + COUNT);
  // a record freed twice, or into another size's pool, would write past the stack (debug builds check)
  if (!ASC_NO_ASSERT) assert(count < load<u32>(pool + CAP));
  store<u32>(<usize>load<u32>(pool + STACK) + (<usize>count << 2), <u32>rec);
  store<u32>(pool + COUNT, count + 1);
  poolBytesInUse -= <u64>load<u32>(pool + SIZE);
}

/** Records handed out and not returned; below 0 if some were returned twice; 0 for a pool never
 *  initialised (its header is still zero). */
export function poolInUse(pool: usize): i32 {
  return <i32>load<u32>(pool + TOTAL) - <i32>load<u32>(pool + COUNT);
}

/** Every record back to the free stack (a new run). Slabs are kept. */
export function poolReset(pool: usize): void {
  poolBytesInUse -= <u64>poolInUse(pool) * <u64>load<u32>(pool + SIZE);
  store<u32>(pool + COUNT, 0);
  for (let slab = <usize>load<u32>(pool + SLABS); slab != 0; slab = <usize>load<u32>(slab)) pushSlab(pool, slab);
}
