// IMAP (Zeek: src/analyzer/protocol/imap, binpac imap-protocol.pac / imap-analyzer.pac).
// Each line is a token: TAG ([[:alnum:][:punct:]]+), spaces, COMMAND (same class), then any text
// up to CR/LF; anything else is a binpac exception (violation). Confirms on a server "* OK", a
// client "capability" or "starttls", or any "authenticate", "login", "examine", "create", "list",
// "fetch" (compared as binpac does: starttls and ok case-insensitively, the others as sent) -- the
// latter also end parsing once the segment they came in is parsed. A tagged "OK" to the client's
// STARTTLS hands later deliveries to SSL. Zeek's parser is a binpac datagram: each delivery (a TCP
// segment, in order) is parsed on its own, so a token it cuts is a violation, and the next
// delivery starts a token afresh.
import { aConfirm, aViolate, aDone, aPartial, aSegmentParsed, TOKEN_ON, TOKEN_SKIP, TOKEN_STARTTLS } from "./ctx";
import { lower } from "./lines";
import { A_SSL } from "./analyzers";

// per direction (orig 0, resp 40)
const D_PHASE: usize = 0;   // P_*
const D_TLEN: usize = 1;    // u8 tag length (saturating)
const D_CLEN: usize = 2;    // u8 command length (saturating)
const D_TAG: usize = 3;     // 12 bytes
const D_CMD: usize = 15;    // 13 bytes, as sent
const D_SIZE: usize = 40;
const STARTTLS_TAG: usize = 80;  // 12 bytes
const STARTTLS_LEN: usize = 92;  // u8, 0: none

// A token: TAG, spacing, COMMAND, then content up to its newline(s); or, for a server's
// "* CAPABILITY", spaces, then capabilities separated by spaces, up to a newline.
const P_TAG: u8 = 0;
const P_SPACING: u8 = 1;
const P_COMMAND: u8 = 2;
const P_CONTENT: u8 = 3;
const P_NEWLINES: u8 = 4;     // the token is complete
const P_CAPS_SPACING: u8 = 5; // before the first capability
const P_CAP: u8 = 6;
const P_CAP_SPACING: u8 = 7;  // after a capability

function isTagChar(c: u32): bool { return c > 32 && c < 127; } // [:alnum:] and [:punct:]

export function imapInit(st: usize): void {}
export function imapGap(st: usize, isOrig: bool): void { aDone(); }
export function imapEof(st: usize, isOrig: bool): void {}

export function imapStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  newToken(d);
  let asked: u32 = 0; // the tokens' requests
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    let phase = load<u8>(d + D_PHASE);
    if (phase == P_NEWLINES) {
      if (c == 13 || c == 10) continue;
      phase = P_TAG;
      newToken(d);
    }
    let ended = false; // the token's newline
    if (phase == P_TAG) {
      if (isTagChar(c)) { add(d, D_TAG, D_TLEN, 12, c); continue; }
      if (c != 32 || load<u8>(d + D_TLEN) == 0) { aViolate(); return; }
      store<u8>(d + D_PHASE, P_SPACING);
    } else if (phase == P_SPACING) {
      if (c == 32) continue;
      if (!isTagChar(c)) { aViolate(); return; }
      store<u8>(d + D_PHASE, P_COMMAND);
      add(d, D_CMD, D_CLEN, 13, c);
    } else if (phase == P_COMMAND) {
      if (isTagChar(c)) { add(d, D_CMD, D_CLEN, 13, c); continue; }
      if (serverCapability(d, isOrig)) {
        // its list must start with a capability, after spaces
        if (c != 32) { aViolate(); return; }
        store<u8>(d + D_PHASE, P_CAPS_SPACING);
      } else if (c == 13 || c == 10) {
        ended = true;
      } else {
        store<u8>(d + D_PHASE, P_CONTENT);
      }
    } else if (phase == P_CONTENT) {
      ended = c == 13 || c == 10;
    } else if (isTagChar(c)) { // a capability list
      store<u8>(d + D_PHASE, P_CAP);
    } else if (c == 32 && phase != P_CAPS_SPACING) {
      store<u8>(d + D_PHASE, P_CAP_SPACING);
    } else if (c == 32) {
      continue;
    } else if ((c == 13 || c == 10) && phase != P_CAPS_SPACING) {
      ended = true;
    } else {
      aViolate();
      return;
    }
    if (!ended) continue;
    store<u8>(d + D_PHASE, P_NEWLINES);
    asked |= token(st, d, isOrig);
  }
  // the delivery ended inside a token: binpac runs out of input (a capability list just ends)
  const phase = load<u8>(d + D_PHASE);
  if (phase != P_NEWLINES && phase < P_CAPS_SPACING && !(phase == P_COMMAND && serverCapability(d, isOrig))) {
    aViolate();
    return;
  }
  aSegmentParsed(asked, A_SSL);
}

/** A server's "* CAPABILITY": binpac parses the rest as a list of capabilities (ServerCapability). */
function serverCapability(d: usize, isOrig: bool): bool {
  return !isOrig && load<u8>(d + D_TLEN) == 1 && load<u8>(d + D_TAG) == 42 && cmdIs(d, "capability", true);
}

function newToken(d: usize): void {
  store<u8>(d + D_PHASE, P_TAG);
  store<u8>(d + D_TLEN, 0);
  store<u8>(d + D_CLEN, 0);
}

function add(d: usize, at: usize, lenAt: usize, cap: u8, c: u32): void {
  const l = load<u8>(d + lenAt);
  if (l < cap) store<u8>(d + at + l, <u8>c);
  if (l != 255) store<u8>(d + lenAt, l + 1);
}

function cmdIs(d: usize, w: string, fold: bool): bool {
  const n = <i32>load<u8>(d + D_CLEN);
  if (n != w.length) return false;
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u8>(d + D_CMD + i);
    if (fold) c = lower(c);
    if (<i32>c != w.charCodeAt(i)) return false;
  }
  return true;
}

/** A complete token (its newline reached); what it asks for (ctx.ts TOKEN_*). */
function token(st: usize, d: usize, isOrig: bool): u32 {
  const tlen = load<u8>(d + D_TLEN);
  const star = tlen == 1 && load<u8>(d + D_TAG) == 42;
  if (!isOrig && star && cmdIs(d, "ok", true)) aConfirm();
  if (isOrig && (cmdIs(d, "capability", false) || cmdIs(d, "starttls", true))) aConfirm();
  if (cmdIs(d, "authenticate", false) || cmdIs(d, "login", false) || cmdIs(d, "examine", false) ||
      cmdIs(d, "create", false) || cmdIs(d, "list", false) || cmdIs(d, "fetch", false)) {
    aConfirm();
    return TOKEN_SKIP; // past the point where STARTTLS could come
  }
  if (isOrig && cmdIs(d, "starttls", true) && tlen <= 12) {
    store<u8>(st + STARTTLS_LEN, tlen);
    memory.copy(st + STARTTLS_TAG, d + D_TAG, tlen);
  }
  const sl = load<u8>(st + STARTTLS_LEN);
  if (!isOrig && sl != 0 && sl == tlen && memory.compare(st + STARTTLS_TAG, d + D_TAG, sl) == 0 && cmdIs(d, "ok", true)) {
    return TOKEN_STARTTLS;
  }
  return TOKEN_ON;
}
