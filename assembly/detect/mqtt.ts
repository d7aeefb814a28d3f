// MQTT (Zeek: src/analyzer/protocol/mqtt). Packets: a type/flags byte, a variable-length
// "remaining length", then the rest. CONNECT or PUBLISH confirms; a reserved type (0, 15 in v3.1)
// or a malformed remaining length is a violation.
import { aConfirm, aViolate, aDone } from "./ctx";

// per direction (orig 0, resp 16): u8 phase (0 type, 1 length), u8 length bytes, u32 multiplier,
// u32 length, u32 remaining
export function mqttInit(st: usize): void {}
export function mqttGap(st: usize, isOrig: bool): void { aDone(); }
export function mqttEof(st: usize, isOrig: bool): void {}

export function mqttStream(st: usize, isOrig: bool, p: usize, n: u32): void {
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
    const c = <u32>load<u8>(p + i);
    i++;
    const phase = load<u8>(d);
    if (phase == 0) {
      const type = c >> 4;
      if (type == 0 || type == 15) { aViolate(); return; }
      if (type == 1 || type == 3) aConfirm();
      store<u8>(d, 1);
      store<u8>(d + 1, 0);
      store<u32>(d + 4, 1);
      store<u32>(d + 8, 0);
      continue;
    }
    // remaining length: 7 bits per byte, at most 4 bytes
    const k = load<u8>(d + 1);
    const mult = load<u32>(d + 4);
    const len = load<u32>(d + 8) + (c & 0x7f) * mult;
    store<u32>(d + 8, len);
    if (c & 0x80) {
      if (k >= 3) { aViolate(); return; }
      store<u8>(d + 1, k + 1);
      store<u32>(d + 4, mult << 7);
      continue;
    }
    store<u8>(d, 0);
    store<u32>(d + 12, len);
  }
}
