// When Zeek removes connections: a timer wheel of ~1 s slots (2^30 ns) over ~2.4 h, enough for the
// longest timeout (1 h). Each live connection sits in the slot of its deadline, in a doubly linked
// list threaded through its record (C_TPREV/C_TNEXT, indices + 1). When network time leaves a slot,
// its connections are removed if their deadline has passed, or moved to the slot of their new
// deadline (Zeek reschedules its inactivity timer the same way). A packet that finds its connection
// past its deadline before the slot is processed starts a new one all the same (table.ts checks).
import * as C from "./conn";
import { rec } from "./pool";

const SLOT_BITS: i64 = 30;
const WHEEL: u32 = 8192;          // slots; a power of two
let buckets: usize = 0;           // u32 head (index + 1) per slot
let lastSlot: i64 = i64.MIN_VALUE; // every slot before this one has been processed

export function timersReset(): void {
  if (buckets == 0) buckets = heap.alloc(<usize>WHEEL << 2);
  memory.fill(buckets, 0, <usize>WHEEL << 2);
  lastSlot = i64.MIN_VALUE;
}

/** Every slot emptied (its records are all gone: the end of input), network time kept. */
export function timersClear(): void {
  memory.fill(buckets, 0, <usize>WHEEL << 2);
}

// @ts-ignore: decorator
@inline function head(slot: i64): usize { return buckets + (<usize>(<u32>slot & (WHEEL - 1)) << 2); }

/** Put record idx in the slot of its deadline (it must not be in a slot now). */
export function timerInsert(idx: u32, deadline: i64): void {
  let slot = deadline >> SLOT_BITS;
  if (lastSlot != i64.MIN_VALUE) {
    if (slot < lastSlot) slot = lastSlot;                        // already due: next processed slot
    if (slot >= lastSlot + <i64>WHEEL) slot = lastSlot + <i64>WHEEL - 1; // far: re-checked on the way
  }
  const r = rec(idx);
  store<i64>(r + C.C_QUEUED, slot);
  const h = head(slot);
  const first = load<u32>(h);
  store<u32>(r + C.C_TPREV, 0);
  store<u32>(r + C.C_TNEXT, first);
  if (first != 0) store<u32>(rec(first - 1) + C.C_TPREV, idx + 1);
  store<u32>(h, idx + 1);
}

/** Take record idx out of its slot. */
export function timerUnlink(idx: u32): void {
  const r = rec(idx);
  const prev = load<u32>(r + C.C_TPREV), next = load<u32>(r + C.C_TNEXT);
  if (prev != 0) store<u32>(rec(prev - 1) + C.C_TNEXT, next);
  else store<u32>(head(load<i64>(r + C.C_QUEUED)), next);
  if (next != 0) store<u32>(rec(next - 1) + C.C_TPREV, prev);
}

/** The slot of a record's queued entry. */
export function timerSlotOf(idx: u32): i64 { return load<i64>(rec(idx) + C.C_QUEUED); }
export function slotOf(time: i64): i64 { return time >> SLOT_BITS; }

/** Would dueSlots(now) find slots to process (or start the wheel)? */
// @ts-ignore: decorator
@inline export function slotsDue(now: i64): bool { return (now >> SLOT_BITS) > lastSlot; }

/** The earliest network time at which slotsDue holds. */
export function slotsDueFrom(): i64 {
  return lastSlot == i64.MIN_VALUE ? i64.MIN_VALUE : (lastSlot + 1) << SLOT_BITS;
}

let firstDue: i64 = 0;
/**
 * Slots to process now that network time is `now`: every slot wholly in the past. Returns how many
 * (at most one turn of the wheel); takeSlot(i) then detaches each one's list.
 */
export function dueSlots(now: i64): u32 {
  const current = now >> SLOT_BITS;
  if (lastSlot == i64.MIN_VALUE) { lastSlot = current; return 0; }
  if (current <= lastSlot) return 0;
  firstDue = lastSlot;
  const n = current - lastSlot;
  lastSlot = current;
  return n > <i64>WHEEL ? WHEEL : <u32>n;
}

/** Detach the list of the i-th due slot; returns its first record index + 1 (0: empty). */
export function takeSlot(i: u32): u32 {
  const h = head(firstDue + <i64>i);
  const first = load<u32>(h);
  store<u32>(h, 0);
  return first;
}

/**
 * The record whose timer comes first (the earliest non-empty slot from now on), or -1: the
 * connection to give up when memory is at its limit.
 */
export function earliestQueued(): i32 {
  const start = lastSlot == i64.MIN_VALUE ? 0 : lastSlot;
  for (let i: u32 = 0; i < WHEEL; i++) {
    const first = load<u32>(head(start + <i64>i));
    if (first != 0) return <i32>(first - 1);
  }
  return -1;
}
