// NTP (Zeek: src/analyzer/protocol/ntp, binpac ntp-protocol.pac / ntp-mode7.pac). Each datagram is
// one message after a first byte (leap, version, mode). Modes 1-5: the 48-byte standard message;
// over 24 bytes after it are extension fields (18-byte header, value, signature, padded to the
// field's length) up to a MAC of 24 bytes or less. Mode 6: the 12-byte control header and its
// data. Mode 7: a 4-byte header (12-bit data length), the data and a 20-byte MAC when the auth bit
// is set. Mode 0: any bytes. A message that parses confirms; one that does not is a violation. (As
// in Zeek, datagrams of mode 0 and 48-72-byte ones of modes 1-5 always parse.)
import { aConfirm, aViolate } from "./ctx";
import { be16, be32 } from "./lines";

export function ntpInit(st: usize): void {}

function parses(p: usize, n: u32): bool {
  if (n == 0) return false;
  const mode = <u32>load<u8>(p) & 7;
  if (mode == 0) return true;
  if (mode == 6) {
    if (n < 12) return false;
    return <u64>12 + <u64>be16(p + 10) <= <u64>n;
  }
  if (mode == 7) {
    if (n < 6) return false;
    const len = be16(p + 4) & 0x0fff;
    const mac: u32 = (load<u8>(p + 1) & 0x80) != 0 ? 20 : 0;
    return <u32>6 + len + mac <= n;
  }
  if (n < 48) return false;
  let off: u64 = 48;
  if (<u64>n - off <= 24) return true; // no extensions; a MAC of 20 or 24 bytes fits
  // extension fields until at most 24 bytes are left
  while (<u64>n - off > 24) {
    if (off + 18 > <u64>n) return false;
    const flen = <u64>be16(p + <usize>off + 2);
    const vlen = <u64>be32(p + <usize>off + 14);
    const s = off + 18 + vlen;
    if (s + 4 > <u64>n) return false;
    const end = s + 4 + <u64>be32(p + <usize>s);
    if (end > <u64>n || off + flen < end || off + flen > <u64>n) return false;
    off += flen;
  }
  return true;
}

export function ntpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (parses(p, n)) aConfirm(); else aViolate();
}
