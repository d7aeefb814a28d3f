// MQTT (Zeek: src/analyzer/protocol/mqtt, binpac). Zeek's flow is a *datagram* flow: each chunk of
// stream data is parsed on its own as one control packet (a type/flags byte, a "remaining length"
// of 7-bit groups, then the command within that length); a field that does not fit is a binpac
// exception (violation), bytes after the packet are ignored. A CONNECT or PUBLISH that parses
// whole confirms. As in Zeek's calc_header_length, a remaining length of four bytes or more is a
// violation too.
import { aConfirm, aViolate } from "./ctx";
import { be16 } from "./lines";

export function mqttInit(st: usize): void {}
// Zeek's binpac flow buffer keeps a partial frame across a content gap (FlowBuffer::NewGap): the
// bytes after one continue the frame, as if nothing were missing
export function mqttGap(st: usize, isOrig: bool): void {}
export function mqttEof(st: usize, isOrig: bool): void {}

/** An MQTT string (u16 length, bytes) at off within end; the offset after it, or -1. */
function str(p: usize, off: i32, end: i32): i32 {
  if (off + 2 > end) return -1;
  const l = <i32>be16(p + off);
  return off + 2 + l > end ? -1 : off + 2 + l;
}

export function mqttStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n == 0) return;
  const fh = <u32>load<u8>(p);
  let off: i32 = 1;
  let len: u32 = 0, mult: u32 = 1, k: u32 = 0;
  while (true) {
    if (<u32>off >= n) { aViolate(); return; }
    const c = <u32>load<u8>(p + off);
    off++;
    k++;
    len += (c & 0x7f) * mult;
    mult *= 128;
    if ((c & 0x80) == 0) break;
  }
  if (k > 3) { aViolate(); return; } // Zeek: "too many bytes" / "too large" (length 0 after that)
  if (<u64>off + <u64>len > <u64>n) { aViolate(); return; }
  const end = off + <i32>len;
  const type = fh >> 4;
  switch (type) {
    case 1: { // CONNECT
      off = str(p, off, end);
      if (off < 0 || off + 4 > end) { aViolate(); return; }
      const flags = <u32>load<u8>(p + off + 1);
      off = str(p, off + 4, end); // client id
      if (off >= 0 && (flags & 0x04) != 0) { off = str(p, off, end); if (off >= 0) off = str(p, off, end); }
      if (off >= 0 && (flags & 0x80) != 0) off = str(p, off, end);
      if (off >= 0 && (flags & 0x40) != 0) off = str(p, off, end);
      if (off < 0) { aViolate(); return; }
      aConfirm();
      return;
    }
    case 3: { // PUBLISH
      off = str(p, off, end);
      if (off < 0 || (((fh >> 1) & 3) != 0 && off + 2 > end)) { aViolate(); return; }
      aConfirm();
      return;
    }
    case 2: case 9: // CONNACK: two bytes; SUBACK: msg id, QoS
      if (off + (type == 2 ? 2 : 3) > end) aViolate();
      return;
    case 4: case 5: case 6: case 7: case 11: // a message id
      if (off + 2 > end) aViolate();
      return;
    case 8: { // SUBSCRIBE: msg id, then (topic, QoS) to the end
      if (off + 2 > end) { aViolate(); return; }
      off += 2;
      while (off < end) {
        off = str(p, off, end);
        if (off < 0 || off + 1 > end) { aViolate(); return; }
        off++;
      }
      return;
    }
    case 10: { // UNSUBSCRIBE: msg id, then topics to the end
      if (off + 2 > end) { aViolate(); return; }
      off += 2;
      while (off < end) {
        off = str(p, off, end);
        if (off < 0) { aViolate(); return; }
      }
      return;
    }
  }
  // 0, 12, 13, 14, 15: nothing to parse
}
