// IMAP (Zeek: src/analyzer/protocol/imap, binpac imap-protocol.pac / imap-analyzer.pac).
// Each line is a token: TAG ([[:alnum:][:punct:]]+), spaces, COMMAND (same class), then any text
// up to CR/LF; anything else is a binpac exception (violation). Confirms on a server "* OK", a
// client "capability" or "starttls", or any "authenticate", "login", "examine", "create", "list",
// "fetch" (compared as binpac does: starttls and ok case-insensitively, the others as sent) -- the
// latter also end parsing once the segment they came in is parsed. A tagged "OK" to the client's
// STARTTLS hands the stream to SSL. Zeek's parser is a binpac datagram: each delivery (a TCP
// segment, in order) is parsed on its own, so a token it cuts is a violation, and the next
// delivery starts a token afresh.
import { aConfirm, aViolate, aHandOver, aDone, aPartial } from "./ctx";
import { lower } from "./lines";
import { A_SSL } from "./analyzers";

// per direction (orig 0, resp 40)
const D_PHASE: usize = 0;   // 0 tag, 1 spacing, 2 command, 3 content, 4 newlines
const D_TLEN: usize = 1;    // u8 tag length (saturating)
const D_CLEN: usize = 2;    // u8 command length (saturating)
const D_TAG: usize = 3;     // 12 bytes
const D_CMD: usize = 15;    // 13 bytes, as sent
const D_SIZE: usize = 40;
const STARTTLS_TAG: usize = 80;  // 12 bytes
const STARTTLS_LEN: usize = 92;  // u8, 0: none

function isTagChar(c: u32): bool { return c > 32 && c < 127; } // [:alnum:] and [:punct:]

export function imapInit(st: usize): void {}
export function imapGap(st: usize, isOrig: bool): void { aDone(); }
export function imapEof(st: usize, isOrig: bool): void {}

export function imapStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  newToken(d);
  let skip = false;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    let phase = load<u8>(d + D_PHASE);
    if (phase == 4) {
      if (c == 13 || c == 10) continue;
      phase = 0;
      newToken(d);
    }
    if (phase == 0) {
      if (isTagChar(c)) { add(d, D_TAG, D_TLEN, 12, c); continue; }
      if (c == 32 && load<u8>(d + D_TLEN) > 0) { store<u8>(d + D_PHASE, 1); continue; }
      aViolate();
      return;
    }
    if (phase == 1) {
      if (c == 32) continue;
      if (isTagChar(c)) { store<u8>(d + D_PHASE, 2); add(d, D_CMD, D_CLEN, 13, c); continue; }
      aViolate();
      return;
    }
    if (phase == 2) {
      if (isTagChar(c)) { add(d, D_CMD, D_CLEN, 13, c); continue; }
      if (c == 13 || c == 10) {
        store<u8>(d + D_PHASE, 4);
        const t = token(st, d, isOrig, p + i, n - i);
        if (t == TOKEN_HANDED_OVER) return;
        if (t == TOKEN_SKIP) skip = true;
        continue;
      }
      store<u8>(d + D_PHASE, 3);
      continue;
    }
    // content
    if (c == 13 || c == 10) {
      store<u8>(d + D_PHASE, 4);
      const t = token(st, d, isOrig, p + i, n - i);
      if (t == TOKEN_HANDED_OVER) return;
      if (t == TOKEN_SKIP) skip = true;
    }
  }
  // the delivery ended inside a token (before its newline): binpac runs out of input
  if (load<u8>(d + D_PHASE) != 4) aViolate();
  if (skip) aDone();
}

function newToken(d: usize): void {
  store<u8>(d + D_PHASE, 0);
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

const TOKEN_ON: u32 = 0;
// SetSkip: later deliveries are skipped, but binpac parses the rest of this one (a violation there counts)
const TOKEN_SKIP: u32 = 1;
const TOKEN_HANDED_OVER: u32 = 2; // the rest of the stream is SSL's

/** A complete token (its newline reached). */
function token(st: usize, d: usize, isOrig: bool, rest: usize, restLen: u32): u32 {
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
    // the rest after this line's newline(s) goes to SSL
    let k: u32 = 0;
    while (k < restLen && (load<u8>(rest + k) == 13 || load<u8>(rest + k) == 10)) k++;
    aHandOver(A_SSL, false, rest + k, restLen - k);
    return TOKEN_HANDED_OVER;
  }
  return TOKEN_ON;
}
