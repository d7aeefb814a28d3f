// The conn record ring: one CONN_RECORD_SIZE record per connection that leaves the table, in
// Zeek's removal order, for JS to read in batches after each feed() (as the event ring).
// Layout (flow/record.ts writes it):
//   0 u8 ip version   1 u8 IP protocol   2 u8 conn_state (tcp.ts CS_*)   3 u8 history length
//   4 u16 orig port   6 u16 resp port   8 i64 start ts (ns)   16 i64 duration (ns)   24 u64 serial
//   32 orig address (16)   48 resp address (16)   64 u64 orig_bytes   72 u64 resp_bytes
//   80 u64 missed_bytes   88 u64 orig_pkts   96 u64 orig_ip_bytes   104 u64 resp_pkts
//   112 u64 resp_ip_bytes   120 u64 tunnel parent serial + 1   128 u8 x 4 services   132 u32 flags
//   136 history letters (64)   200 u64 second tunnel parent serial + 1   208 u8 x 4 services 5-8

import { ringInit, ringSlot, ringStart, ringLength, ringClear } from "./ring";

export const CONN_RECORD_SIZE: u32 = 256;

let enabled = false;
const ring: usize = memory.data(12);

export function recordsReset(on: bool): void {
  enabled = on;
  if (on) ringInit(ring, 64 * CONN_RECORD_SIZE);
  else ringClear(ring);
}

@inline export function wantsRecords(): bool { return enabled; }

export function recordSlot(): usize { return ringSlot(ring, CONN_RECORD_SIZE); }

export function recordsPtr(): usize { return ringStart(ring); }
export function recordsLength(): u32 { return ringLength(ring); }
export function recordsClear(): void { ringClear(ring); }
