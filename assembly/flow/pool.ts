// Connection records (conn.ts layout) in fixed segments that never move, with a stack of free
// indices. Growing adds a segment: nothing is copied and no second copy of the table exists while
// it grows, so peak memory follows the live connections. The free indices live apart from the
// records so that taking one touches no record, and the next ones to be taken are known (warm.ts
// loads them ahead).
import { CONN_SIZE } from "./conn";

const SEG_SHIFT: u32 = 11;                 // 2048 records (896 KiB) per segment
const SEG_RECORDS: u32 = 1 << SEG_SHIFT;
const MAX_SEGMENTS: u32 = 1024;            // 2^21 records, above table.ts's POOL_LIMIT
const segments: usize = memory.data(<i32>MAX_SEGMENTS * 4); // 64-byte aligned record bases
const blocks: usize = memory.data(<i32>MAX_SEGMENTS * 4);   // what heap.alloc returned
let segmentCount: u32 = 0;
/** Records ever handed out (high-water mark): indices below it are live or free. */
export let poolUsed: u32 = 0;
let freeStack: usize = 0;        // u32 indices of free records
let freeCap: u32 = 0;
let freeCount: u32 = 0;

export function poolReset(): void {
  for (let s: u32 = 0; s < segmentCount; s++) heap.free(<usize>load<u32>(blocks + (<usize>s << 2)));
  segmentCount = 0;
  if (freeStack != 0) heap.free(freeStack);
  freeCap = SEG_RECORDS;
  freeStack = heap.alloc(<usize>freeCap << 2);
  poolUsed = 0;
  freeCount = 0;
}

// @ts-ignore: decorator
@inline export function rec(i: u32): usize {
  return <usize>load<u32>(segments + (<usize>(i >> SEG_SHIFT) << 2)) + <usize>(i & (SEG_RECORDS - 1)) * CONN_SIZE;
}

function addSegment(): void {
  const block = heap.alloc(<usize>SEG_RECORDS * CONN_SIZE + 64);
  store<u32>(blocks + (<usize>segmentCount << 2), <u32>block);
  store<u32>(segments + (<usize>segmentCount << 2), <u32>((block + 63) & ~(<usize>63)));
  segmentCount++;
  if (segmentCount * SEG_RECORDS > freeCap) {
    freeCap *= 2; // doubling: a realloc per segment would copy the stack over and over
    freeStack = heap.realloc(freeStack, <usize>freeCap << 2);
  }
}

export function allocRecord(): u32 {
  if (freeCount != 0) {
    freeCount--;
    return load<u32>(freeStack + (<usize>freeCount << 2));
  }
  if (poolUsed == segmentCount * SEG_RECORDS) addSegment();
  return poolUsed++;
}

export function freeRecord(i: u32): void {
  store<u32>(freeStack + (<usize>freeCount << 2), i);
  freeCount++;
}

/** The record the k-th next allocation returns, or -1 if it is a fresh one (warm.ts). */
export function nextFree(k: u32): i32 {
  return k < freeCount ? <i32>load<u32>(freeStack + (<usize>(freeCount - 1 - k) << 2)) : -1;
}
