// RADIUS (Zeek: src/analyzer/protocol/radius, binpac). code, identifier, length, 16-byte
// authenticator, then attributes (type, length >= 2, value) up to the end of the datagram: as in
// Zeek's grammar the message's length field bounds nothing. A datagram that parses confirms; an
// attribute that does not fit is a violation.
import { aConfirm, aViolate } from "./ctx";

export function radiusInit(st: usize): void {}

export function radiusDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n < 20) { aViolate(); return; }
  const len = n;
  let off: u32 = 20;
  while (off < len) {
    if (off + 2 > len) { aViolate(); return; }
    const al = <u32>load<u8>(p + off + 1);
    if (al < 2 || off + al > len) { aViolate(); return; }
    off += al;
  }
  aConfirm();
}
