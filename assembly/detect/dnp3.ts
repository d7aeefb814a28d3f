// DNP3 over TCP (Zeek: src/analyzer/protocol/dnp3/DNP3.cc). Each frame starts with the link header:
// 0x05 0x64, length, control, destination, source, and a CRC over those 8 bytes. A good header
// confirms; a frame without the magic or with a bad header CRC makes Zeek skip the rest of the
// connection (a weird, not a violation).
import { aConfirm, aDone } from "./ctx";

// per direction (orig 0, resp 16): u8 bytes collected, 10 header bytes, u32 remaining frame bytes
export function dnp3Init(st: usize): void {}
// Zeek's DNP3 analyzer keeps its header buffer across a content gap (only binpac's NewGap runs):
// the bytes after one continue the frame, as if nothing were missing
export function dnp3Gap(st: usize, isOrig: bool): void {}
export function dnp3Eof(st: usize, isOrig: bool): void {}

function crcDnp(p: usize, n: u32): u32 {
  let crc: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    crc ^= <u32>load<u8>(p + i);
    for (let b = 0; b < 8; b++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xa6bc : crc >> 1;
  }
  return ~crc & 0xffff;
}

export function dnp3Stream(st: usize, isOrig: bool, p: usize, n: u32): void {
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
    if (have + 1 < 10) {
      if (have + 1 == 2 && (load<u8>(d + 1) != 0x05 || load<u8>(d + 2) != 0x64)) { aDone(); return; }
      store<u8>(d, <u8>(have + 1));
      continue;
    }
    store<u8>(d, 0);
    const crc = <u32>load<u8>(d + 9) | (<u32>load<u8>(d + 10) << 8);
    if (crcDnp(d + 1, 8) != crc) { aDone(); return; }
    aConfirm();
    // user data after the header: length counts control..data (5 + data); 16-byte blocks carry a CRC each
    const len = <u32>load<u8>(d + 3);
    const data = len > 5 ? len - 5 : 0;
    store<u32>(d + 12, data + ((data + 15) / 16) * 2);
  }
}
