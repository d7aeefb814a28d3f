// RDPEUDP (Zeek: src/analyzer/protocol/rdp, binpac rdpeudp). The client's SYN datagram, then the
// server's SYN+ACK (uFlags & 0x05 in the RDPUDP_FEC_HEADER) confirms.
import { aConfirm, aDone } from "./ctx";
import { be16 } from "./lines";

export function rdpeudpInit(st: usize): void {}

export function rdpeudpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n < 8) return;
  const flags = be16(p + 6);
  if (isOrig) {
    if (flags & 0x0001) store<u8>(st, 1); // SYN seen
    return;
  }
  if (load<u8>(st) == 1 && (flags & 0x05) != 0) { aConfirm(); aDone(); }
}
