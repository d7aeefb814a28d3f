// Kerberos (Zeek: src/analyzer/protocol/krb, binpac with ASN.1), over UDP and TCP (KRB_TCP: a
// 4-byte record length first). A message is an APPLICATION-tagged element (AS-REQ 10 ... KRB-ERROR
// 30) holding a SEQUENCE; one that parses confirms, anything else is a violation.
import { aConfirm, aViolate } from "./ctx";
import { berAt, berTag, berHdr } from "./asn1";
import { be32 } from "./lines";

export function krbInit(st: usize): void {}

function message(p: usize, n: u32): bool {
  if (!berAt(p, n, 0)) return false;
  const t = berTag;
  // [APPLICATION n] constructed: 0x60 | n, n in 10..15, 20..22, 30
  if ((t & 0xe0) != 0x60) return false;
  const app = t & 0x1f;
  if (!((app >= 10 && app <= 15) || (app >= 20 && app <= 22) || app == 30)) return false;
  const h = berHdr;
  if (!berAt(p, n, h) || berTag != 0x30) return false;
  return true;
}

export function krbDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (message(p, n)) aConfirm(); else aViolate();
}

// TCP: per direction (orig 0, resp 16): u8 prefix bytes, 10 bytes kept (length + message start),
// u32 bytes left of the record
export function krbTcpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : 16);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u32>(d + 12);
    if (remain > 0) {
      const take = remain < n - i ? remain : n - i;
      i += take;
      store<u32>(d + 12, remain - take);
      continue;
    }
    const have = <u32>load<u8>(d);
    store<u8>(d + 1 + have, load<u8>(p + i));
    i++;
    if (have + 1 < 10) { store<u8>(d, <u8>(have + 1)); continue; }
    store<u8>(d, 0);
    const len = be32(d + 1);
    if (len < 6 || !message(d + 5, 6)) { aViolate(); return; }
    aConfirm();
    store<u32>(d + 12, len - 6);
  }
}
