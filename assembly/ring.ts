// A growing byte buffer of fixed-size entries that JS drains after every feed(): the event ring
// (events.ts) and the conn record ring (records.ts). A ring is 12 bytes of static memory: buffer,
// capacity and bytes used. It grows by doubling, so it holds at most one chunk's entries.

export function ringInit(ring: usize, capacity: u32): void {
  if (load<u32>(ring) == 0) {
    store<u32>(ring, <u32>heap.alloc(capacity));
    store<u32>(ring, capacity, 4);
  }
  store<u32>(ring, 0, 8);
}

/** Space for one entry of `size` bytes at the end. */
export function ringSlot(ring: usize, size: u32): usize {
  const used = load<u32>(ring, 8);
  let buf = <usize>load<u32>(ring);
  const cap = load<u32>(ring, 4);
  if (used + size > cap) {
    const bigger = heap.alloc(<usize>cap * 2);
    memory.copy(bigger, buf, used);
    heap.free(buf);
    buf = bigger;
    store<u32>(ring, <u32>buf);
    store<u32>(ring, cap * 2, 4);
  }
  store<u32>(ring, used + size, 8);
  return buf + used;
}

export function ringStart(ring: usize): usize { return <usize>load<u32>(ring); }
export function ringLength(ring: usize): u32 { return load<u32>(ring, 8); }
export function ringClear(ring: usize): void { store<u32>(ring, 0, 8); }
