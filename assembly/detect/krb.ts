// Kerberos (Zeek: src/analyzer/protocol/krb, binpac with ASN.1), over UDP and TCP (KRB_TCP: a
// 4-byte record length first). A message is an APPLICATION-tagged element (AS-REQ 10 ... KRB-ERROR
// 30) holding a SEQUENCE; one that parses confirms, anything else is a violation.
import { aConfirm, aViolate, aPartial } from "./ctx";
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

// TCP: per direction (orig at 0, resp at 24): u8 bytes kept, 16 bytes kept at 1 (the record length
// and the message's first 12 bytes: application and SEQUENCE headers with long-form lengths), u32 bytes
// left of the record at 20
const KEEP: u32 = 16;

export function krbTcpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return; // as Zeek's KRB_TCP: connections seen without their SYN are not parsed
  const d = st + (isOrig ? 0 : 24);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u32>(d + 20);
    if (remain > 0) {
      const take = remain < n - i ? remain : n - i;
      i += take;
      store<u32>(d + 20, remain - take);
      continue;
    }
    const have = <u32>load<u8>(d);
    store<u8>(d + 1 + have, load<u8>(p + i));
    i++;
    const len = have + 1 >= 4 ? be32(d + 1) : 0;
    // a short record is judged once it is complete
    const want = have + 1 >= 4 && len < KEEP - 4 ? len + 4 : KEEP;
    if (have + 1 < want) { store<u8>(d, <u8>(have + 1)); continue; }
    store<u8>(d, 0);
    if (len < 2 || !message(d + 5, want - 4)) { aViolate(); return; }
    aConfirm();
    store<u32>(d + 20, len - (want - 4));
  }
}
