// RFB/VNC (Zeek: src/analyzer/protocol/rfb, binpac). Both sides open with "RFB xxx.yyy\n"; the
// client's version after the server's confirms; a side that does not start with "RFB " is a
// violation.
import { aConfirm, aViolate, aDone } from "./ctx";

// per direction: u8 bytes of the version line seen (orig at 0, resp at 1); 2: server version seen
export function rfbInit(st: usize): void {}
export function rfbGap(st: usize, isOrig: bool): void { aDone(); }
export function rfbEof(st: usize, isOrig: bool): void {}

const RFB: StaticArray<u8> = [82, 70, 66, 32];

export function rfbStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const at = st + (isOrig ? 0 : 1);
  let have = <u32>load<u8>(at);
  if (have >= 12) return;
  for (let i: u32 = 0; i < n && have < 12; i++, have++) {
    const c = load<u8>(p + i);
    if (have < 4 && c != RFB[have]) { aViolate(); return; }
  }
  store<u8>(at, <u8>have);
  if (have < 12) return;
  if (!isOrig) store<u8>(st + 2, 1);
  else if (load<u8>(st + 2) != 0) { aConfirm(); aDone(); }
}
