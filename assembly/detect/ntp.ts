// NTP (Zeek: src/analyzer/protocol/ntp, binpac). Modes 1-5 are the 48-byte standard message (plus
// extensions), 6 the control message (12-byte header), 7 the private one (8 bytes); a message that
// parses confirms, a too-short one is a violation.
import { aConfirm, aViolate } from "./ctx";

export function ntpInit(st: usize): void {}

export function ntpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n == 0) return;
  const mode = <u32>load<u8>(p) & 7;
  const need: u32 = mode == 6 ? 12 : mode == 7 ? 8 : 48;
  if (n < need) { aViolate(); return; }
  aConfirm();
}
