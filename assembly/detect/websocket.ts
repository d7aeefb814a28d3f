// WebSocket (Zeek: src/analyzer/protocol/websocket, binpac websocket-protocol.pac), attached by
// HTTP after a 101 reply upgrading to "websocket". Each direction is a sequence of messages: a
// first frame with a non-zero opcode, then (until a frame with FIN) continuation frames with
// opcode 0 -- anything else is a violation (&enforce). A frame is a 2-byte header, a 16- or 64-bit
// extended length, a 4-byte masking key when masked, then its payload. A whole message confirms.
import { aConfirm, aViolate, aDone } from "./ctx";

// per direction (orig 0, resp 32)
const D_HAVE: usize = 0;    // u8 header bytes collected
const D_INMSG: usize = 1;   // u8 inside a message (a frame without FIN was seen)
const D_FIN: usize = 2;     // u8 the current frame ends the message
const D_HDR: usize = 4;     // 14 bytes
const D_REMAIN: usize = 24; // u64 payload bytes left in the current frame

export function websocketInit(st: usize): void {}
export function websocketGap(st: usize, isOrig: bool): void { aDone(); }
export function websocketEof(st: usize, isOrig: bool): void {}

function headerLen(b0: u32, b1: u32): u32 {
  const l = b1 & 0x7f;
  return 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
}

export function websocketStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : 32);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u64>(d + D_REMAIN);
    if (remain > 0) {
      const take = remain < <u64>(n - i) ? <u32>remain : n - i;
      i += take;
      store<u64>(d + D_REMAIN, remain - <u64>take);
      if (remain - <u64>take == 0) frameDone(d);
      continue;
    }
    const have = <u32>load<u8>(d + D_HAVE);
    store<u8>(d + D_HDR + have, load<u8>(p + i));
    i++;
    if (have + 1 < 2 || have + 1 < headerLen(load<u8>(d + D_HDR), load<u8>(d + D_HDR + 1))) {
      store<u8>(d + D_HAVE, <u8>(have + 1));
      continue;
    }
    store<u8>(d + D_HAVE, 0);
    const b0 = <u32>load<u8>(d + D_HDR), b1 = <u32>load<u8>(d + D_HDR + 1);
    const opcode = b0 & 0x0f;
    const first = load<u8>(d + D_INMSG) == 0;
    if (first ? opcode == 0 : opcode != 0) { aViolate(); return; }
    const l = b1 & 0x7f;
    let len: u64 = <u64>l;
    if (l == 126) len = <u64>((<u32>load<u8>(d + D_HDR + 2) << 8) | <u32>load<u8>(d + D_HDR + 3));
    else if (l == 127) len = bswap<u64>(load<u64>(d + D_HDR + 2));
    store<u8>(d + D_FIN, (b0 & 0x80) != 0 ? 1 : 0);
    store<u8>(d + D_INMSG, 1);
    store<u64>(d + D_REMAIN, len);
    if (len == 0) frameDone(d);
  }
}

function frameDone(d: usize): void {
  if (load<u8>(d + D_FIN) == 0) return; // continuation frames follow
  store<u8>(d + D_INMSG, 0);
  aConfirm();
}
