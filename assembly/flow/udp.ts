// UDP, ICMP and other transports: Zeek's history (D/d once per direction, C/c at 1, 10, 100, ...
// bad checksums, ^ for a flip) and endpoint activity. Lives in the connection record's transport
// state area (conn.ts C_TCP), in a record of the shorter class (SHORT_SIZE).

import { zeroSmall } from "../small";

const H_FLAGS: usize = 0;     // u8: 1 orig data seen, 2 resp data seen, 4 orig active, 8 resp active
const H_LEN: usize = 1;       // u8 letters so far
const H_TEXT: usize = 2;      // up to 14 letters
const H_MAX: u32 = 14;
const H_BAD_COUNT: usize = 16; // u32 x 2: bad checksums seen per direction
const H_BAD_NEXT: usize = 24;  // u32 x 2: count at which the next C/c is written
/** u32: the UDP tunnel analyzers' state of this connection (decode/tunnels.ts): their violations
 *  by tunnel type and Teredo's valid directions. Zero at creation, like the rest. */
export const U_TUNNEL: usize = 32;
/** i64: the next tick of Zeek's DNS analyzer timer, on a DNS port (flow/dns-ticks.ts). */
export const U_DNS_TICK: usize = 40;

export const UDP_STATE_SIZE: u32 = 48;

export function otherInit(st: usize): void {
  zeroSmall(st, <usize>UDP_STATE_SIZE);
  store<u32>(st + H_BAD_NEXT, 1);
  store<u32>(st + H_BAD_NEXT + 4, 1);
}

function addLetter(st: usize, c: u8): void {
  const n = <u32>load<u8>(st + H_LEN);
  if (n >= H_MAX) return;
  store<u8>(st + H_TEXT + n, c);
  store<u8>(st + H_LEN, <u8>(n + 1));
}

/** A flip adds ^ (Zeek never re-cases earlier letters). */
export function otherFlip(st: usize): void {
  // Connection::FlipRoles adds '^' and nothing else here: the UDP adapter's request/reply sizes
  // (orig_bytes, endpoint activity) and the history's seen-masks stay with the side they were
  // counted for (nothing is seen yet at a flip on creation; a DNS flip later keeps them).
  addLetter(st, 0x5e);
}

/** A packet with a bad transport checksum: C or c at counts 1, 10, 100, ... */
export function otherBadChecksum(st: usize, isOrig: bool): void {
  const o: usize = isOrig ? 0 : 4;
  const count = load<u32>(st + H_BAD_COUNT + o) + 1;
  store<u32>(st + H_BAD_COUNT + o, count);
  const next = load<u32>(st + H_BAD_NEXT + o);
  if (count == next) {
    addLetter(st, isOrig ? 0x43 : 0x63);
    store<u32>(st + H_BAD_NEXT + o, next * 10);
  }
}

/** A good UDP packet: D or d once per direction; the side becomes active. */
export function udpData(st: usize, isOrig: bool): void {
  const f = <u32>load<u8>(st + H_FLAGS);
  const seen: u32 = isOrig ? 1 : 2;
  if ((f & seen) == 0) addLetter(st, isOrig ? 0x44 : 0x64);
  store<u8>(st + H_FLAGS, <u8>(f | seen | (isOrig ? 4 : 8)));
}

/** A good packet of another transport (ICMP, unknown): the side becomes active. */
export function otherActive(st: usize, isOrig: bool): void {
  store<u8>(st + H_FLAGS, load<u8>(st + H_FLAGS) | <u8>(isOrig ? 4 : 8));
}

export function otherHistory(st: usize, out: usize): u32 {
  const n = <u32>load<u8>(st + H_LEN);
  memory.copy(out, st + H_TEXT, n);
  return n;
}

/** conn_state for UDP (Zeek's conn/main.zeek): SF, S0, SHR or OTH; other transports: OTH. */
export function udpOrigActive(st: usize): bool { return (load<u8>(st + H_FLAGS) & 4) != 0; }
export function udpRespActive(st: usize): bool { return (load<u8>(st + H_FLAGS) & 8) != 0; }
