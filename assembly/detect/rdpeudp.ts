// RDPEUDP (Zeek: src/analyzer/protocol/rdp, binpac rdpeudp-protocol.pac / rdpeudp-analyzer.pac).
// Until the handshake completes each datagram (either side) is parsed as a SYN, then as a SYN+ACK:
// the FEC header (snSourceAck, window, uFlags), the SYNDATA payload, a correlation id (uFlags 0x800)
// and a SYNEX payload (uFlags 0x1000, with a cookie hash for version 0x101). A datagram too short
// for these is a violation; so is one without SYNEX, since Zeek's handler reads the SYNEX version
// (binpac throws on an absent case field). The client's SYN (uFlags & 1, snSourceAck 0xffffffff)
// moves on to the SYN+ACK; the server's SYN+ACK (uFlags & 5) confirms. Later datagrams are ACKs:
// version 2 (both sides' SYNEX version 0x101) needs three bytes, version 1 an FEC header, an ACK
// vector (padded to 4), an ack-of-acks (uFlags 0x100) and a source payload header (uFlags 8).
import { aConfirm, aViolate } from "./ctx";
import { be16, be32 } from "./lines";

// state: u8 phase (0 need SYN, 1 need SYN+ACK, 2 established) at 0, u16 orig and resp SYNEX
// versions at 2 and 4
export function rdpeudpInit(st: usize): void {
  store<u16>(st + 2, 1);
  store<u16>(st + 4, 1);
}

/** The SYNEX version of a whole SYN / SYN+ACK record; -1 if it does not parse. */
function synRecord(p: usize, n: u32): i32 {
  if (n < 16) return -1;
  const flags = be16(p + 6);
  let need: u32 = 16;
  if (flags & 0x0800) need += 32;
  if ((flags & 0x1000) == 0) return -1;
  if (n < need + 4) return -1;
  const ver = be16(p + need + 2);
  need += ver == 0x0101 ? 36 : 4;
  return n >= need ? <i32>ver : -1;
}

function ackRecord(st: usize, p: usize, n: u32): bool {
  if (load<u16>(st + 2) == 0x0101 && load<u16>(st + 4) == 0x0101) return n >= 3;
  if (n < 10) return false;
  const flags = be16(p + 6);
  let need: u32 = 8 + ((2 + be16(p + 8) + 3) & ~3);
  if (flags & 0x0100) need += 4;
  if (flags & 0x0008) need += 8;
  return n >= need;
}

export function rdpeudpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  const phase = load<u8>(st);
  if (phase == 2) {
    if (!ackRecord(st, p, n)) aViolate();
    return;
  }
  const ver = synRecord(p, n);
  if (ver < 0) { aViolate(); return; }
  const flags = be16(p + 6);
  if (phase == 0) {
    if (isOrig && (flags & 0x0001) != 0 && be32(p) == 0xffffffff) { // the SYN
      store<u16>(st + 2, <u16>ver);
      store<u8>(st, 1);
    }
    return;
  }
  if (!isOrig && (flags & 0x05) != 0) {
    store<u16>(st + 4, <u16>ver);
    store<u8>(st, 2);
    aConfirm();
  }
}
