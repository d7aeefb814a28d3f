// SIP over UDP (Zeek: src/analyzer/protocol/sip, binpac sip-protocol.pac). A datagram is a request
// ("METHOD URI SIP/x.y") or a reply ("SIP/x.y code reason"); a reply confirms, a first line that is
// neither is a violation.
import { aConfirm, aViolate } from "./ctx";
import { isDigit } from "./lines";

export function sipInit(st: usize): void {}

export function sipDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  // the first line
  let e: u32 = 0;
  while (e < n && load<u8>(p + e) != 13 && load<u8>(p + e) != 10) e++;
  if (e == 0) return; // keep-alive
  if (e >= 12 && load<u8>(p) == 83 && load<u8>(p + 1) == 73 && load<u8>(p + 2) == 80 && load<u8>(p + 3) == 47) {
    // SIP/d.d ddd
    if (isDigit(load<u8>(p + 4)) && load<u8>(p + 5) == 46 && isDigit(load<u8>(p + 6)) && load<u8>(p + 7) == 32 &&
        isDigit(load<u8>(p + 8)) && isDigit(load<u8>(p + 9)) && isDigit(load<u8>(p + 10))) {
      aConfirm();
      return;
    }
    aViolate();
    return;
  }
  // a request: token, space, URI, space, "SIP/"
  let i: u32 = 0;
  while (i < e && load<u8>(p + i) > 32 && load<u8>(p + i) < 127) i++;
  if (i == 0 || i >= e || load<u8>(p + i) != 32) { aViolate(); return; }
  if (e < 8 || load<u8>(p + e - 7) != 83 || load<u8>(p + e - 6) != 73 || load<u8>(p + e - 5) != 80 || load<u8>(p + e - 4) != 47) { aViolate(); return; }
}
