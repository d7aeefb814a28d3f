// The ticks of Zeek's DNS analyzer timer on UDP (DNS_Analyzer::ExpireTimer), in the order they
// come due. Zeek schedules the first at network time + dns_session_timeout when the connection
// starts, and each later one at the time the tick before it was dispatched + that timeout; its
// timer manager dispatches a tick at the first record whose time reaches it (any record, of any
// connection or none), with that record's time. So where a tick falls depends on the traffic
// around the connection, and it is kept here rather than computed from the connection's own
// packets. Every tick is scheduled at network time + the same timeout, and network time never
// goes back: they are added in the order they come due, and a ring of them suffices.
//
// An entry is a record index and the connection's serial (its low 32 bits): a connection that
// ended otherwise (timed out, evicted, replaced) leaves its entry behind, which table.ts skips
// when it comes due, and a full ring drops.

const ENTRY: usize = 16; // i64 due time, u32 record index, u32 serial (low bits)
const INITIAL: u32 = 1024; // entries; a power of two

let ring: usize = 0;
let capacity: u32 = 0;
let head: u32 = 0;  // the first entry (the next due), counted from 0 without wrapping
let tail: u32 = 0;  // one past the last
/** When the first entry comes due (ns), i64.MAX_VALUE when there is none. */
export let dnsTickDue: i64 = i64.MAX_VALUE;

export function dnsTicksReset(): void {
  if (ring == 0) { capacity = INITIAL; ring = heap.alloc(<usize>capacity * ENTRY); }
  head = 0;
  tail = 0;
  dnsTickDue = i64.MAX_VALUE;
}

// @ts-ignore: decorator
@inline function at(i: u32): usize { return ring + <usize>(i & (capacity - 1)) * ENTRY; }

/** Is an entry (record index, serial's low bits) still its connection's? For dropping stale ones. */
export type TickLive = (idx: u32, serial: u32) => bool;

/** Schedule a tick of record idx (serial `serial`) at `due`, at or after every tick scheduled before.
 *  A full ring first drops the entries `live` says are stale (evicted connections' under a flood),
 *  and grows only if that leaves it over half full: its size follows the live connections. */
export function dnsTickAdd(due: i64, idx: u32, serial: u64, live: TickLive): void {
  if (tail - head == capacity) {
    dropStale(live);
    if (tail - head > capacity / 2) grow();
  }
  const e = at(tail++);
  store<i64>(e, due);
  store<u32>(e, idx, 8);
  store<u32>(e, <u32>serial, 12);
  if (tail - head == 1) dnsTickDue = due;
}

/** Take the first entry (dnsTickDue has come): its record index, and its serial's low bits << 32. */
export function dnsTickTake(): u64 {
  const e = at(head++);
  const taken = <u64>load<u32>(e, 8) | (<u64>load<u32>(e, 12) << 32);
  dnsTickDue = head == tail ? i64.MAX_VALUE : load<i64>(at(head));
  return taken;
}

/** Keep the entries whose connection is live, in order. */
function dropStale(live: TickLive): void {
  let kept = head;
  for (let i = head; i != tail; i++) {
    const e = at(i);
    if (!live(load<u32>(e, 8), load<u32>(e, 12))) continue;
    if (kept != i) memory.copy(at(kept), e, ENTRY);
    kept++;
  }
  tail = kept;
  dnsTickDue = head == tail ? i64.MAX_VALUE : load<i64>(at(head));
}

/** Twice the room, the entries in order from the start. */
function grow(): void {
  const bigger = heap.alloc(<usize>capacity * 2 * ENTRY);
  const n = tail - head;
  for (let i: u32 = 0; i < n; i++) memory.copy(bigger + <usize>i * ENTRY, at(head + i), ENTRY);
  heap.free(ring);
  ring = bigger;
  capacity *= 2;
  head = 0;
  tail = n;
}
