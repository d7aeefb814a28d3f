// XMPP (Zeek: src/analyzer/protocol/xmpp, binpac xmpp-protocol.pac / xmpp-analyzer.pac).
// The stream is a sequence of tokens: [ \r\n]*, '<', a name (\/?[?:[:alnum:]]+), anything but
// '<' and '>', then '>'; anything else is a binpac exception (violation). A client
// <stream:stream> confirms. The client's <starttls> followed by the server's <proceed> hands later
// deliveries to SSL (xmpp,ssl); <success>, <message>, <presence>, <db:result>, <db:verify> end
// parsing once the segment they came in is parsed (Zeek skips the rest of the connection).
// Zeek's parser is a binpac datagram: each delivery (a TCP segment, in order) is parsed on its
// own, so a token it cuts is a violation, and the next delivery starts a token afresh.
import { aConfirm, aViolate, aDone, aPartial, aSegmentParsed, TOKEN_ON, TOKEN_SKIP, TOKEN_STARTTLS } from "./ctx";
import { A_SSL } from "./analyzers";

// per direction (orig 0, resp 24)
const D_PHASE: usize = 0;  // 0 spacing, 1 name start, 2 name, 3 rest
const D_NLEN: usize = 1;   // u8 name length (with a leading '/', saturating)
const D_NAME: usize = 2;   // 16 bytes
const D_SIZE: usize = 24;
const CLIENT_STARTTLS: usize = 48;

function isNameChar(c: u32): bool {
  return c == 63 || c == 58 || (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
}

export function xmppInit(st: usize): void {}
export function xmppGap(st: usize, isOrig: bool): void { aDone(); }
export function xmppEof(st: usize, isOrig: bool): void {}

export function xmppStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  store<u8>(d + D_PHASE, 0);
  let asked: u32 = 0, tokens = 0; // the tokens' requests, and how many
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    const phase = load<u8>(d + D_PHASE);
    if (phase == 0) {
      if (c == 32 || c == 13 || c == 10) continue;
      if (c == 60) { store<u8>(d + D_PHASE, 1); store<u8>(d + D_NLEN, 0); continue; }
      aViolate();
      return;
    }
    if (phase == 1) {
      if (c == 47 || isNameChar(c)) { add(d, c); store<u8>(d + D_PHASE, 2); continue; }
      aViolate();
      return;
    }
    if (phase == 2) {
      if (isNameChar(c)) { add(d, c); continue; }
      if (load<u8>(d + D_NLEN) == 1 && load<u8>(d + D_NAME) == 47) { aViolate(); return; } // "/" alone
      store<u8>(d + D_PHASE, 3);
    }
    // rest of the tag
    if (c == 60) { aViolate(); return; }
    if (c == 62) {
      store<u8>(d + D_PHASE, 0);
      tokens++;
      asked |= token(st, d, isOrig);
    }
  }
  // the delivery ended inside a token (before its '>'), or held only spacing (a token's leading
  // spacing, then no '<'; spacing after a '>' is that token's): binpac runs out of input
  if (load<u8>(d + D_PHASE) != 0 || tokens == 0) {
    aViolate();
    return;
  }
  aSegmentParsed(asked, A_SSL);
}

function add(d: usize, c: u32): void {
  const l = load<u8>(d + D_NLEN);
  if (l < 16) store<u8>(d + D_NAME + l, <u8>c);
  if (l != 255) store<u8>(d + D_NLEN, l + 1);
}

function nameIs(d: usize, w: string): bool {
  const n = <i32>load<u8>(d + D_NLEN);
  if (n != w.length) return false;
  for (let i = 0; i < n; i++) if (<i32>load<u8>(d + D_NAME + i) != w.charCodeAt(i)) return false;
  return true;
}

/** A complete token; what it asks for (ctx.ts TOKEN_*). */
function token(st: usize, d: usize, isOrig: bool): u32 {
  if (isOrig && nameIs(d, "stream:stream")) aConfirm();
  if (nameIs(d, "success") || nameIs(d, "message") || nameIs(d, "db:result") || nameIs(d, "db:verify") || nameIs(d, "presence")) {
    return TOKEN_SKIP;
  }
  if (isOrig && nameIs(d, "starttls")) store<u8>(st + CLIENT_STARTTLS, 1);
  if (!isOrig && nameIs(d, "proceed") && load<u8>(st + CLIENT_STARTTLS) != 0) return TOKEN_STARTTLS;
  return TOKEN_ON;
}
