// The slot arrays of the open-addressing tables (flow/table.ts: connections, top/counters.ts: rows):
// u64 slots holding (fingerprint << 32) | (entry index + 1), 0 for an empty slot, probed linearly
// from the entry's home. The fingerprint is the upper half of the entry's 64-bit hash and its home
// is the fingerprint's low bits, so the slot alone says where the entry belongs: deleting and
// doubling move slots without reading the entries (a cache miss each in a large table).

/** The fingerprint a slot keeps for hash h. */
// @ts-ignore: decorator
@inline export function slotFingerprint(h: u64): u32 {
  return <u32>(h >> 32);
}

/** Where an entry with hash h (or a slot holding it) starts its probe, in a table of mask + 1 slots. */
// @ts-ignore: decorator
@inline export function slotHome(h: u64, mask: u32): u32 {
  return <u32>(h >> 32) & mask;
}

/** The slot value for an entry with hash h at index i. */
// @ts-ignore: decorator
@inline export function slotValue(h: u64, i: u32): u64 {
  return (h & 0xffffffff00000000) | <u64>(i + 1);
}

/** Cache warming: the slot where hash h starts its probe, in the table of mask + 1 slots at ptr. */
// @ts-ignore: decorator
@inline export function slotAtHome(ptr: usize, mask: u32, h: u64): u64 {
  return load<u64>(ptr + (<usize>slotHome(h, mask) << 3));
}

/** Cache warming: the entry index + 1 of the first slot holding h's fingerprint within `probes`
 *  slots of its home (0: none). Reads only slots; a match may be another entry with that
 *  fingerprint. */
export function slotProbe(ptr: usize, mask: u32, h: u64, probes: u32): u32 {
  const fp = slotFingerprint(h);
  let i = slotHome(h, mask);
  for (let k: u32 = 0; k < probes; k++) {
    const slot = load<u64>(ptr + (<usize>i << 3));
    if (slot == 0) return 0;
    if (<u32>(slot >> 32) == fp) return <u32>slot;
    i = (i + 1) & mask;
  }
  return 0;
}

/** A zeroed slot array of `count` slots (a power of two). */
export function slotsAlloc(count: u32): usize {
  const p = heap.alloc(<usize>count << 3);
  memory.fill(p, 0, <usize>count << 3);
  return p;
}

/** Twice as many slots: every slot of the `oldCount` at `oldPtr` moves to its place in the new
 *  array, and the old array is freed. Returns the new array. */
export function slotsDouble(oldPtr: usize, oldCount: u32): usize {
  const mask = oldCount * 2 - 1;
  const p = slotsAlloc(oldCount * 2);
  for (let j: u32 = 0; j < oldCount; j++) {
    const s = load<u64>(oldPtr + (<usize>j << 3));
    if (s == 0) continue;
    let i = slotHome(s, mask);
    while (load<u64>(p + (<usize>i << 3)) != 0) i = (i + 1) & mask;
    store<u64>(p + (<usize>i << 3), s);
  }
  heap.free(oldPtr);
  return p;
}

/** Remove the slot holding entry `index` (whose fingerprint is fp) from a table of mask + 1 slots. */
export function slotsRemove(ptr: usize, mask: u32, fp: u32, index: u32): void {
  let i = slotHome(<u64>fp << 32, mask);
  while (<u32>load<u64>(ptr + (<usize>i << 3)) != index + 1) i = (i + 1) & mask;
  slotsDelete(ptr, mask, i);
}

/** Empty slot i of a table of mask + 1 slots by backward shift, so that every probe chain stays
 *  unbroken. */
function slotsDelete(ptr: usize, mask: u32, i: u32): void {
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const s = load<u64>(ptr + (<usize>j << 3));
    if (s == 0) break;
    const home = slotHome(s, mask);
    // move s into hole i if its home is not in (i, j]
    const inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!inRange) {
      store<u64>(ptr + (<usize>i << 3), s);
      i = j;
    }
  }
  store<u64>(ptr + (<usize>i << 3), 0);
}
