// Connection records (conn.ts layout) in fixed segments that never move, with a stack of free
// indices. Growing adds a segment: nothing is copied and no second copy of the table exists while
// it grows, so peak memory follows the live connections. The free indices live apart from the
// records so that taking one touches no record, and the next ones to be taken are known (warm.ts
// loads them ahead).
//
// Two sizes of record, each with its own segments and free stack: a TCP connection's record holds
// the TCP endpoint state (CONN_SIZE, 7 cache lines); UDP, ICMP and other transports need only the
// first part and a small state (SHORT_SIZE, 4 lines). A record index carries its size class in
// bit SHORT_CLASS, so rec() finds either without looking anything up.
import { CONN_SIZE, SHORT_SIZE } from "./conn";
import { LINE, lineStart } from "../cacheline";

const SEG_SHIFT: u32 = 11;                 // 2048 records per segment (896 KiB or 512 KiB)
const SEG_RECORDS: u32 = 1 << SEG_SHIFT;
const MAX_SEGMENTS: u32 = 1024;            // 2^21 records per class, above table.ts's POOL_LIMIT
/** The short records' class bit: their segments follow the TCP ones in `segments`. */
export const SHORT_CLASS: u32 = MAX_SEGMENTS << SEG_SHIFT;
export const TCP_RECORDS: u32 = 0;
export const SHORT_RECORDS: u32 = 1;
const segments: usize = memory.data(<i32>MAX_SEGMENTS * 8); // 64-byte aligned record bases
const blocks: usize = memory.data(<i32>MAX_SEGMENTS * 8);   // what heap.alloc returned
// per class (at class * 4): segments in use, records ever handed out, free stack, its capacity and
// its depth
const segmentCount: usize = memory.data(8);
const used: usize = memory.data(8);
const freeStack: usize = memory.data(8);
const freeCap: usize = memory.data(8);
const freeCount: usize = memory.data(8);

// @ts-ignore: decorator
@inline function get(field: usize, cls: u32): u32 { return load<u32>(field + (<usize>cls << 2)); }
// @ts-ignore: decorator
@inline function set(field: usize, cls: u32, v: u32): void { store<u32>(field + (<usize>cls << 2), v); }
// @ts-ignore: decorator
@inline function sizeOf(cls: u32): usize { return cls == SHORT_RECORDS ? SHORT_SIZE : CONN_SIZE; }

export function poolReset(): void {
  for (let cls: u32 = 0; cls < 2; cls++) {
    const first = cls * MAX_SEGMENTS;
    for (let s: u32 = 0; s < get(segmentCount, cls); s++) heap.free(<usize>load<u32>(blocks + (<usize>(first + s) << 2)));
    set(segmentCount, cls, 0);
    const stack = <usize>get(freeStack, cls);
    if (stack != 0) heap.free(stack);
    set(freeCap, cls, SEG_RECORDS);
    set(freeStack, cls, <u32>heap.alloc(<usize>SEG_RECORDS << 2));
    set(used, cls, 0);
    set(freeCount, cls, 0);
  }
}

/** Records ever handed out in a class (a high-water mark): its indices below it are live or free. */
export function poolUsed(cls: u32): u32 { return get(used, cls); }

/** The index of the k-th record of a class. */
export function recordIndex(cls: u32, k: u32): u32 { return cls == SHORT_RECORDS ? SHORT_CLASS | k : k; }

// @ts-ignore: decorator
@inline export function rec(i: u32): usize {
  const size = (i & SHORT_CLASS) != 0 ? SHORT_SIZE : CONN_SIZE;
  return <usize>load<u32>(segments + (<usize>(i >> SEG_SHIFT) << 2)) + <usize>(i & (SEG_RECORDS - 1)) * size;
}

function addSegment(cls: u32): void {
  const n = get(segmentCount, cls);
  assert(n < MAX_SEGMENTS); // table.ts's POOL_LIMIT keeps each class below 2^21 records
  const at = <usize>(cls * MAX_SEGMENTS + n) << 2;
  const block = heap.alloc(<usize>SEG_RECORDS * sizeOf(cls) + LINE);
  store<u32>(blocks + at, <u32>block);
  store<u32>(segments + at, <u32>lineStart(block));
  set(segmentCount, cls, n + 1);
  const cap = get(freeCap, cls);
  if ((n + 1) * SEG_RECORDS > cap) {
    // doubling: a realloc per segment would copy the stack over and over
    set(freeCap, cls, cap * 2);
    set(freeStack, cls, <u32>heap.realloc(<usize>get(freeStack, cls), <usize>cap << 3));
  }
}

/** A record of class cls (TCP_RECORDS or SHORT_RECORDS): its index. */
export function allocRecord(cls: u32): u32 {
  const free = get(freeCount, cls);
  if (free != 0) {
    set(freeCount, cls, free - 1);
    return load<u32>(<usize>get(freeStack, cls) + (<usize>(free - 1) << 2));
  }
  const k = get(used, cls);
  if (k == get(segmentCount, cls) * SEG_RECORDS) addSegment(cls);
  set(used, cls, k + 1);
  return recordIndex(cls, k);
}

export function freeRecord(i: u32): void {
  const cls = (i & SHORT_CLASS) != 0 ? SHORT_RECORDS : TCP_RECORDS;
  const free = get(freeCount, cls);
  store<u32>(<usize>get(freeStack, cls) + (<usize>free << 2), i);
  set(freeCount, cls, free + 1);
}

/** The record the k-th next allocation of class cls returns, or -1 if it is a fresh one (warm.ts). */
export function nextFree(cls: u32, k: u32): i32 {
  const free = get(freeCount, cls);
  return k < free ? <i32>load<u32>(<usize>get(freeStack, cls) + (<usize>(free - 1 - k) << 2)) : -1;
}
