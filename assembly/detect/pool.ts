// Fixed-size records for detection state, from slabs that are kept for the whole run. A pool is 16
// bytes of static memory: free head, slab head, record size, records per slab; free records are
// threaded through their first 4 bytes.
import { LINE, lineStart } from "../cacheline";

export function poolInit(pool: usize, size: u32, perSlab: u32): void {
  store<u32>(pool, 0);
  store<u32>(pool, 0, 4);
  store<u32>(pool, size, 8);
  store<u32>(pool, perSlab, 12);
}

/** A slab's first record: after its u32 link to the next slab, on a cache line (a 64-byte record is
 *  then one line, not two). heap.alloc gives LINE + size * n bytes for it. */
// @ts-ignore: decorator
@inline function firstRecord(slab: usize): usize { return lineStart(slab + 4); }

export function poolAlloc(pool: usize): usize {
  let head = <usize>load<u32>(pool);
  if (head == 0) {
    const size = <usize>load<u32>(pool, 8);
    const n = load<u32>(pool, 12);
    const slab = heap.alloc(LINE + size * <usize>n);
    store<u32>(slab, load<u32>(pool, 4));
    store<u32>(pool, <u32>slab, 4);
    const first = firstRecord(slab);
    for (let i: u32 = 0; i < n; i++) {
      const rec = first + <usize>i * size;
      store<u32>(rec, i + 1 < n ? <u32>(rec + size) : 0);
    }
    head = first;
  }
  store<u32>(pool, load<u32>(head));
  return head;
}

export function poolFree(pool: usize, rec: usize): void {
  store<u32>(rec, load<u32>(pool));
  store<u32>(pool, <u32>rec);
}

/** Every record back to the free list (a new run). Slabs are kept. */
export function poolReset(pool: usize): void {
  const size = <usize>load<u32>(pool, 8);
  const n = load<u32>(pool, 12);
  let slab = <usize>load<u32>(pool, 4);
  let head: u32 = 0;
  while (slab != 0) {
    const first = firstRecord(slab);
    for (let i: u32 = 0; i < n; i++) {
      const rec = first + <usize>i * size;
      store<u32>(rec, head);
      head = <u32>rec;
    }
    slab = <usize>load<u32>(slab);
  }
  store<u32>(pool, head);
}
