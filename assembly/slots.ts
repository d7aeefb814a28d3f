// The slot arrays of the open-addressing tables (flow/table.ts: connections, top/counters.ts: rows):
// u64 slots holding (fingerprint << 32) | (entry index + 1), 0 for an empty slot, probed linearly
// from the entry's home (hash & mask).

/** A zeroed slot array of `count` slots (a power of two). */
export function slotsAlloc(count: u32): usize {
  const p = heap.alloc(<usize>count << 3);
  memory.fill(p, 0, <usize>count << 3);
  return p;
}

/** Twice as many slots: every entry of the `oldCount` at `oldPtr` moves to its place in the new
 *  array (home from `hashOf(entry index)`), and the old array is freed. Returns the new array. */
export function slotsDouble(oldPtr: usize, oldCount: u32, hashOf: (index: u32) => u32): usize {
  const mask = oldCount * 2 - 1;
  const p = slotsAlloc(oldCount * 2);
  for (let j: u32 = 0; j < oldCount; j++) {
    const s = load<u64>(oldPtr + (<usize>j << 3));
    if (s == 0) continue;
    let i = hashOf(<u32>s - 1) & mask;
    while (load<u64>(p + (<usize>i << 3)) != 0) i = (i + 1) & mask;
    store<u64>(p + (<usize>i << 3), s);
  }
  heap.free(oldPtr);
  return p;
}
