// SOCKS (Zeek: src/analyzer/protocol/socks, binpac). SOCKS4: request (4, command, port, address,
// user) and a reply (0, status 0x5a-0x5d) that confirms; SOCKS5: method negotiation (5, n, methods
// / 5, method), then request and reply (5, status, ...): the reply confirms. A first byte that is
// not a SOCKS version is a violation. Once the client's request and the server's reply are done,
// Zeek hands the rest of the stream to a new PIA (SOCKS_Analyzer::DeliverStream): detection
// starts again on the tunnelled stream, as after an HTTP CONNECT (`socks,http`).
import { aConfirm, aViolate, aDone, aRestartDpd } from "./ctx";

// 0: version (0 unknown, 4, 5); 1: server messages seen; 2: client messages seen
export function socksInit(st: usize): void {}
// Zeek's binpac flow buffer keeps a partial frame across a content gap (FlowBuffer::NewGap): the
// bytes after one continue the frame, as if nothing were missing
export function socksGap(st: usize, isOrig: bool): void {}
export function socksEof(st: usize, isOrig: bool): void {}

export function socksStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n == 0) return;
  const b0 = <u32>load<u8>(p);
  if (isOrig) {
    if (load<u8>(st) == 0) {
      if (b0 != 4 && b0 != 5) { aViolate(); return; }
      store<u8>(st, <u8>b0);
    }
    const c = load<u8>(st + 2);
    if (c < 255) store<u8>(st + 2, c + 1);
    return;
  }
  const v = load<u8>(st);
  const k = load<u8>(st + 1);
  store<u8>(st + 1, k + 1);
  if (v == 4) {
    if (b0 != 0) { aViolate(); return; }
    if (n >= 2 && load<u8>(p + 1) >= 0x5a && load<u8>(p + 1) <= 0x5d) replied(st, 1);
    else aViolate();
    return;
  }
  if (v == 5) {
    if (b0 != 5) { aViolate(); return; }
    // the method choice first, then the reply to the request
    if (k >= 1 || (n >= 4 && k == 0 && n > 2)) replied(st, 2);
  }
}

/** The server's reply confirms; with the client's request done (its `requests`-th message: the
 *  request, after SOCKS5's method negotiation), what follows is the tunnelled stream. */
function replied(st: usize, requests: u8): void {
  aConfirm();
  if (load<u8>(st + 2) >= requests) aRestartDpd(false, 0, 0);
  else aDone();
}
