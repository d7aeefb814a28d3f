// The event ring: what happened, in packet order, for JS to read in batches after each feed().
// Nothing is written unless JS asked for that kind of event (eventsEnable).
// Each event is EVENT_SIZE bytes:
//   0 u8 kind   1 u8 ip version   2 u8 IP protocol   3 u8 flags (bit 0: roles flipped)
//   4 u16 orig port   6 u16 resp port   8 i64 ts (ns)   16 u64 connection serial
//   24 orig address (16)   40 resp address (16)   56 u32 detail (analyzer id)   60 u32 reserved

import { ringInit, ringSlot, ringStart, ringLength, ringClear } from "./ring";

export const EV_NEW_CONNECTION: u8 = 1;
export const EV_CONNECTION_END: u8 = 2;
export const EV_CONFIRMATION: u8 = 3;
export const EVENT_SIZE: u32 = 64;

let mask: u32 = 0;
const ring: usize = memory.data(12);

export function eventsReset(kinds: u32): void {
  mask = kinds;
  if (mask != 0) ringInit(ring, 64 * 1024);
  else ringClear(ring);
}

@inline export function wants(kind: u8): bool {
  return (mask & (<u32>1 << kind)) != 0;
}

/** Space for one event; JS drains after every feed(), so the ring only grows with one chunk's events. */
export function eventSlot(): usize { return ringSlot(ring, EVENT_SIZE); }

export function eventsPtr(): usize { return ringStart(ring); }
export function eventsLength(): u32 { return ringLength(ring); }
export function eventsClear(): void { ringClear(ring); }
