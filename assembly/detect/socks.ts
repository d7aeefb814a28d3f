// SOCKS (Zeek: src/analyzer/protocol/socks, binpac). SOCKS4: request (4, command, port, address,
// user) and a reply (0, status 0x5a-0x5d) that confirms; SOCKS5: method negotiation (5, n, methods
// / 5, method), then request and reply (5, status, ...): the reply confirms. A first byte that is
// not a SOCKS version is a violation.
import { aConfirm, aViolate, aDone } from "./ctx";

// 0: version (0 unknown, 4, 5); 1: server messages seen
export function socksInit(st: usize): void {}
export function socksGap(st: usize, isOrig: bool): void { aDone(); }
export function socksEof(st: usize, isOrig: bool): void {}

export function socksStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n == 0) return;
  const b0 = <u32>load<u8>(p);
  if (isOrig) {
    if (load<u8>(st) == 0) {
      if (b0 != 4 && b0 != 5) { aViolate(); return; }
      store<u8>(st, <u8>b0);
    }
    return;
  }
  const v = load<u8>(st);
  const k = load<u8>(st + 1);
  store<u8>(st + 1, k + 1);
  if (v == 4) {
    if (b0 != 0) { aViolate(); return; }
    if (n >= 2 && load<u8>(p + 1) >= 0x5a && load<u8>(p + 1) <= 0x5d) { aConfirm(); aDone(); }
    else aViolate();
    return;
  }
  if (v == 5) {
    if (b0 != 5) { aViolate(); return; }
    // the method choice first, then the reply to the request
    if (k >= 1 || (n >= 4 && k == 0 && n > 2)) { aConfirm(); aDone(); }
  }
}
