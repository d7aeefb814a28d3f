// Out-of-order data a TCP endpoint sent above a hole, as the ranges Zeek's reassembler keeps as
// blocks until an ack or the missing bytes arrive: content gaps (missed_bytes, history 'G') are
// the holes between them. Most connections never have one, so the ranges live in a block from a
// pool, allocated at the first out-of-order segment and freed with the connection.
//
// Block (one per connection, BLOCK_SIZE bytes): per endpoint slot k, at k * SIDE_SIZE, a u32 count
// then up to MAX_RANGES ranges [lo, hi) of relative sequence numbers, sorted, disjoint and not
// touching. When a side has more, the highest range is dropped: its bytes count as missed if an
// ack passes them (Zeek would keep them all).

import { POOL_HEADER, poolInit, poolAlloc, poolFree, poolReset, poolInUse } from "../detect/pool";

const SIDE_SIZE: usize = 64;
const BLOCK_SIZE: u32 = 128;
const MAX_RANGES: u32 = 7;
const RANGES: usize = 8; // first range within a side

const POOL: usize = memory.data(POOL_HEADER);
let ready = false;

@inline function delta(a: u32, b: u32): i32 { return <i32>(a - b); }
@inline function lo(side: usize, i: u32): u32 { return load<u32>(side + RANGES + (<usize>i << 3)); }
@inline function hi(side: usize, i: u32): u32 { return load<u32>(side + RANGES + (<usize>i << 3), 4); }

/** Every block back to the pool (a new run). */
export function holesReset(): void {
  if (!ready) { poolInit(POOL, BLOCK_SIZE, 64); ready = true; }
  else poolReset(POOL);
}

/** A zeroed block for a connection's two sides. */
export function holesAlloc(): usize {
  if (!ready) holesReset();
  const b = poolAlloc(POOL);
  memory.fill(b, 0, <usize>BLOCK_SIZE);
  return b;
}

export function holesFree(block: usize): void { poolFree(POOL, block); }

export function holesInUse(): i32 { return poolInUse(POOL); }

/** Side k (endpoint slot 0 or 1) of a block. */
export function holesSide(block: usize, k: u32): usize { return block + <usize>k * SIDE_SIZE; }

export function holesCount(side: usize): u32 { return load<u32>(side); }

function removeFirst(side: usize, n: u32): void {
  const count = load<u32>(side);
  memory.copy(side + RANGES, side + RANGES + (<usize>n << 3), <usize>(count - n) << 3);
  store<u32>(side, count - n);
}

/** Add [l, h) above the delivered point, merging with ranges it overlaps or touches. */
export function holesInsert(side: usize, l: u32, h: u32): void {
  let count = load<u32>(side);
  // first range ending at or after l
  let i: u32 = 0;
  while (i < count && delta(hi(side, i), l) < 0) i++;
  // ranges i..j-1 overlap or touch [l, h)
  let j = i;
  let nl = l, nh = h;
  while (j < count && delta(lo(side, j), h) <= 0) {
    if (delta(lo(side, j), nl) < 0) nl = lo(side, j);
    if (delta(hi(side, j), nh) > 0) nh = hi(side, j);
    j++;
  }
  const at = side + RANGES + (<usize>i << 3);
  if (j == i) {
    // a new range at i
    if (count == MAX_RANGES) {
      if (i == count) return; // the highest: dropped
      count--;                // the highest makes room
    }
    memory.copy(at + 8, at, <usize>(count - i) << 3);
    count++;
  } else if (j > i + 1) {
    memory.copy(at + 8, side + RANGES + (<usize>j << 3), <usize>(count - j) << 3);
    count -= j - i - 1;
  }
  store<u32>(at, nl);
  store<u32>(at, nh, 4);
  store<u32>(side, count);
}

/** Data delivered up to `upTo`: ranges starting at or below it join the delivered stream.
 *  Returns the new delivered point. */
export function holesAbsorb(side: usize, upTo: u32): u32 {
  const count = load<u32>(side);
  let point = upTo;
  let n: u32 = 0;
  while (n < count && delta(lo(side, n), point) <= 0) {
    if (delta(hi(side, n), point) > 0) point = hi(side, n);
    n++;
  }
  if (n != 0) removeFirst(side, n);
  return point;
}

/** The lowest range starting below `upTo`: its lo, hi via holesFirstHi; removed by holesDropFirst.
 *  Returns false when there is none. */
export function holesFirstBelow(side: usize, upTo: u32): bool {
  return load<u32>(side) != 0 && delta(lo(side, 0), upTo) < 0;
}
export function holesFirstLo(side: usize): u32 { return lo(side, 0); }
export function holesFirstHi(side: usize): u32 { return hi(side, 0); }
export function holesDropFirst(side: usize): void { removeFirst(side, 1); }
