// DHCP (Zeek: src/analyzer/protocol/dhcp, binpac). A message: the 236-byte BOOTP header, the magic
// cookie, then options (code, length, data) up to END. A wrong cookie or options running past the
// datagram is a violation; any message that parses confirms ("a single message is enough").
import { aConfirm, aViolate } from "./ctx";
import { be32 } from "./lines";

export function dhcpInit(st: usize): void {}

export function dhcpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n < 240) { aViolate(); return; }
  if (be32(p + 236) != 0x63825363) { aViolate(); return; }
  let off: u32 = 240;
  while (off < n) {
    const code = <u32>load<u8>(p + off);
    if (code == 255) break;
    if (code == 0) { off++; continue; }
    if (off + 2 > n) { aViolate(); return; }
    const len = <u32>load<u8>(p + off + 1);
    if (off + 2 + len > n) { aViolate(); return; }
    off += 2 + len;
  }
  aConfirm();
}
