// MySQL (Zeek: src/analyzer/protocol/mysql, binpac mysql-protocol.pac / mysql-analyzer.pac).
// Packets: 3-byte little-endian length, sequence number, payload. The server's first packet is
// the initial handshake, whose first byte is the protocol version; the client's first packet is
// the handshake response: with protocol version 9 or 10 it confirms. A v10 response asking for
// SSL (capability CLIENT_SSL) hands the rest of the connection to SSL (mysql,ssl).
import { aConfirm, aHandOver, aDone } from "./ctx";
import { A_SSL } from "./analyzers";

const CLIENT_SSL: u32 = 0x0800;

// per direction (orig 0, resp 16)
const D_HAVE: usize = 0;    // u8 header/prefix bytes collected
const D_HDR: usize = 1;     // 6 bytes: length (3), seq, first two payload bytes
const D_REMAIN: usize = 8;  // u32 payload bytes left after the collected prefix
const D_COUNT: usize = 12;  // u8 packets seen
const D_INBODY: usize = 13; // u8 skipping the rest of a payload
const D_SIZE: usize = 16;
const VERSION: usize = 32;  // u8 server protocol version, 0 unknown

export function mysqlInit(st: usize): void {}
export function mysqlGap(st: usize, isOrig: bool): void { aDone(); }
export function mysqlEof(st: usize, isOrig: bool): void {}

export function mysqlStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    if (load<u8>(d + D_INBODY) != 0) {
      const remain = load<u32>(d + D_REMAIN);
      const take = remain < n - i ? remain : n - i;
      i += take;
      store<u32>(d + D_REMAIN, remain - take);
      if (remain - take == 0) {
        store<u8>(d + D_INBODY, 0);
        if (packetDone(st, d, isOrig, p + i, n - i)) return;
      }
      continue;
    }
    // the 4-byte header and up to two payload bytes
    const have = <u32>load<u8>(d + D_HAVE);
    store<u8>(d + D_HDR + have, load<u8>(p + i));
    i++;
    const h = have + 1;
    store<u8>(d + D_HAVE, <u8>h);
    if (h < 4) continue;
    const len = <u32>load<u8>(d + D_HDR) | (<u32>load<u8>(d + D_HDR + 1) << 8) | (<u32>load<u8>(d + D_HDR + 2) << 16);
    const want: u32 = 4 + (len < 2 ? len : 2);
    if (h < want) continue;
    store<u8>(d + D_HAVE, 0);
    const rest = len - (h - 4);
    if (rest == 0) {
      if (packetDone(st, d, isOrig, p + i, n - i)) return;
    } else {
      store<u8>(d + D_INBODY, 1);
      store<u32>(d + D_REMAIN, rest);
    }
  }
}

/** A whole packet went by; returns true when parsing stops. */
function packetDone(st: usize, d: usize, isOrig: bool, rest: usize, restLen: u32): bool {
  const c = load<u8>(d + D_COUNT);
  if (c != 255) store<u8>(d + D_COUNT, c + 1);
  if (!isOrig) {
    if (c == 0) store<u8>(st + VERSION, load<u8>(d + D_HDR + 4));
    return false;
  }
  if (c != 0) return false;
  const v = load<u8>(st + VERSION);
  if (v != 9 && v != 10) { aDone(); return true; }
  aConfirm();
  const caps = <u32>load<u8>(d + D_HDR + 4) | (<u32>load<u8>(d + D_HDR + 5) << 8);
  if (v == 10 && (caps & CLIENT_SSL) != 0) aHandOver(A_SSL, true, rest, restLen);
  else aDone();
  return true;
}
