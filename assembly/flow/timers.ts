// Zeek removes a connection when one of its timers fires. Each live connection has exactly one
// valid entry in this min-heap, at the time in its C_QUEUED field; when the entry is due, the
// connection is removed if its real deadline has passed, or queued again at that deadline
// (Zeek reschedules its inactivity timer the same way). Entries of removed records are stale
// (generation mismatch) and dropped when popped.

const ENTRY: usize = 16; // i64 time, u32 record index, u32 generation
let heapPtr: usize = 0;
let heapCap: u32 = 0;
export let heapLen: u32 = 0;

export function timersReset(): void {
  if (heapPtr == 0) {
    heapCap = 1024;
    heapPtr = heap.alloc(<usize>heapCap * ENTRY);
  }
  heapLen = 0;
}

@inline function timeAt(i: u32): i64 { return load<i64>(heapPtr + <usize>i * ENTRY); }

function swap(i: u32, j: u32): void {
  const a = heapPtr + <usize>i * ENTRY, b = heapPtr + <usize>j * ENTRY;
  const t0 = load<i64>(a), t1 = load<u64>(a, 8);
  store<i64>(a, load<i64>(b)); store<u64>(a, load<u64>(b, 8), 8);
  store<i64>(b, t0); store<u64>(b, t1, 8);
}

export function timerPush(time: i64, index: u32, gen: u32): void {
  if (heapLen == heapCap) {
    const bigger = heap.alloc(<usize>heapCap * 2 * ENTRY);
    memory.copy(bigger, heapPtr, <usize>heapLen * ENTRY);
    heap.free(heapPtr);
    heapPtr = bigger;
    heapCap *= 2;
  }
  let i = heapLen++;
  const p = heapPtr + <usize>i * ENTRY;
  store<i64>(p, time); store<u32>(p, index, 8); store<u32>(p, gen, 12);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (timeAt(parent) <= timeAt(i)) break;
    swap(parent, i);
    i = parent;
  }
}

/** Earliest entry time, or i64.MAX_VALUE when empty. */
export function timerPeek(): i64 {
  return heapLen == 0 ? i64.MAX_VALUE : timeAt(0);
}
export function timerTopIndex(): u32 { return load<u32>(heapPtr, 8); }
export function timerTopGen(): u32 { return load<u32>(heapPtr, 12); }

export function timerPop(): void {
  heapLen--;
  if (heapLen == 0) return;
  swap(0, heapLen);
  let i: u32 = 0;
  while (true) {
    const l: u32 = 2 * i + 1, r: u32 = l + 1;
    let m: u32 = i;
    if (l < heapLen && timeAt(l) < timeAt(m)) m = l;
    if (r < heapLen && timeAt(r) < timeAt(m)) m = r;
    if (m == i) break;
    swap(i, m);
    i = m;
  }
}
