// RADIUS (Zeek: src/analyzer/protocol/radius, binpac). code, identifier, length, 16-byte
// authenticator, then attributes (type, length >= 2, value) within the message length. A message
// that parses confirms; a length or attribute that does not fit is a violation.
import { aConfirm, aViolate } from "./ctx";
import { be16 } from "./lines";

export function radiusInit(st: usize): void {}

export function radiusDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n < 20) { aViolate(); return; }
  const len = be16(p + 2);
  if (len < 20 || len > n) { aViolate(); return; }
  let off: u32 = 20;
  while (off < len) {
    if (off + 2 > len) { aViolate(); return; }
    const al = <u32>load<u8>(p + off + 1);
    if (al < 2 || off + al > len) { aViolate(); return; }
    off += al;
  }
  aConfirm();
}
