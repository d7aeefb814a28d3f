// LDAP (Zeek: src/analyzer/protocol/ldap, Spicy), over TCP and UDP. A message is SEQUENCE {
// messageID INTEGER, protocolOp [APPLICATION n] ... }; the first that parses confirms, anything
// else is a violation.
import { aConfirm, aViolate, aDone } from "./ctx";
import { berAt, berFits, berTag, berLen, berHdr } from "./asn1";

export function ldapInit(st: usize): void {}

function messageStart(p: usize, n: u32): i32 {
  // 1: an LDAP message starts here; 0: cannot tell yet; -1: not LDAP
  if (n < 2) return 0;
  if (load<u8>(p) != 0x30) return -1;
  if (!berAt(p, n, 0)) return n < 6 ? 0 : -1;
  const h = berHdr;
  if (!berAt(p, n, h)) return n < h + 2 ? 0 : -1;
  if (berTag != 0x02 || berLen == 0 || berLen > 4) return -1;
  const o = h + berHdr + berLen;
  if (o >= n) return 0;
  const op = <u32>load<u8>(p + o);
  return (op & 0xc0) == 0x40 ? 1 : -1;
}

export function ldapDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (messageStart(p, n) == 1) aConfirm(); else aViolate();
}

export function ldapStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  // the first message's start in each direction (gathered in 16 bytes per direction)
  const d = st + (isOrig ? 0 : 20);
  if (load<u8>(d + 17) != 0) return;
  let have = <u32>load<u8>(d + 16);
  const k = <u32>16 - have < n ? <u32>16 - have : n;
  memory.copy(d + have, p, k);
  have += k;
  store<u8>(d + 16, <u8>have);
  const r = messageStart(d, have);
  if (r == 0 && have < 16) return;
  store<u8>(d + 17, 1);
  if (r == 1) aConfirm(); else aViolate();
}
