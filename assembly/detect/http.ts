// HTTP (Zeek: src/analyzer/protocol/http/HTTP.cc).
// Confirms on the first request line that parses (HTTP_RequestLine: a token method, whitespace,
// then a URI and "HTTP/x.y" -- or, for HTTP/0.9, a method of 3+ characters and a URI). A line
// that does not parse while a request is expected, or a reply line not starting with "HTTP/" plus
// a status code, is a violation. Messages are framed (Content-Length, chunked, body until close)
// so that later requests and replies are checked too, while a violation can still drop the
// service. Partial connections (no SYN seen) are not parsed. A CONNECT answered with 200 turns the
// rest of the connection into a new stream for signature matching (http,smtp through a proxy).
import { aConfirm, aViolate, aDone, aPartial, aRestartDpd } from "./ctx";
import { A_WEBSOCKET } from "./analyzers";
import { lineStep, lineEnd, indexOfAny, add8, eolTail, handOverAfterLine, LN_CHAR, LN_EOL, LN_SKIP, isBlank, isDigit, lower, upper } from "./lines";

// states of each direction's message parser
const S_LINE: u8 = 0;       // request / status line expected
const S_HEADERS: u8 = 1;
const S_BODY: u8 = 2;       // `remaining` bytes of body
const S_CHUNK_SIZE: u8 = 3;
const S_CHUNK_DATA: u8 = 4;
const S_CHUNK_END: u8 = 5;  // the CRLF after a chunk
const S_TRAILER: u8 = 6;
const S_UNTIL_EOF: u8 = 7;  // body until the connection closes: nothing more to check
const S_NOTHING: u8 = 8;    // stopped (violation, gap, upgrade)

// layout
const RQ: usize = 0;         // u8 request side state
const RP: usize = 1;         // u8 reply side state
const CR: usize = 2;         // u8 line splitter bits (1: orig, 2: resp)
const NREQ: usize = 3;       // u8 requests seen (saturating)
const FLAGS: usize = 4;      // u8 F_*
const QLEN: usize = 5;       // u8 unanswered requests
const HEADQ: usize = 8;      // u32 bit i: i-th unanswered request was HEAD
// request line
const RL_PHASE: usize = 12;  // 0 method, 1 blanks, 2 rest, 3 bad
const RL_MLEN: usize = 13;
const RL_N: usize = 14;      // u16 length after the blanks
const RL_U: usize = 16;      // u16 leading URI characters
const RL_UOPEN: usize = 18;
const RL_K: usize = 19;      // "HTTP/" matcher after the URI
const RL_FOUND: usize = 20;  // 0 not found; 1..: found, counting version characters after it
const RL_STARTK: usize = 21; // "HTTP/" at the start of the rest: matched length, 255 no
const RL_LEN: usize = 22;    // u8 line length (saturating)
const RL_VER: usize = 23;    // u8 version digits: major * 16 + minor, 0xff unknown
const RL_METHOD: usize = 24; // 8 bytes, upper case
// status line
const SL_PHASE: usize = 32;  // 0 "HTTP/", 1 version, 2 blanks, 3 code, 4 rest
const SL_K: usize = 33;
const SL_CODEN: usize = 34;
const SL_LEN: usize = 35;
const SL_CODE: usize = 36;   // u16
const SL_VER: usize = 38;    // u8 like RL_VER
// per direction message state: 40 orig, 72 resp
const MSG_O: usize = 40;
const MSG_R: usize = 72;
const M_LINELEN: usize = 0;  // u8 current line length (saturating)
const M_NAMEMASK: usize = 1; // u8 header names still matching
const M_NAMEPOS: usize = 2;
const M_WHICH: usize = 3;    // header after ':' (H_*)
const M_VPHASE: usize = 4;   // 0 blanks, 1 token, 2 done
const M_TOKLEN: usize = 5;
const M_HASCL: usize = 6;
const M_CHUNKED: usize = 7;
const M_CL: usize = 8;       // u64
const M_REMAIN: usize = 16;  // u64
const M_TOK: usize = 24;     // 8 bytes: start of the value's first token (tokenIs ignores case)

const F_KEEPALIVE: u8 = 1;
const F_CONNECT: u8 = 2;
const F_UPG_CONN: u8 = 4;   // reply said Connection: upgrade
const F_UPG_PROTO: u8 = 8;  // reply named an Upgrade protocol
const F_V09: u8 = 16;
const F_UPG_WS: u8 = 32;    // the Upgrade protocol is websocket (HTTP::upgrade_analyzers)

const H_NONE: u8 = 0xff;
const H_CL: u8 = 0;
const H_TE: u8 = 1;
const H_CONNECTION: u8 = 2;
const H_UPGRADE: u8 = 3;
const NAMES: StaticArray<string> = ["content-length", "transfer-encoding", "connection", "upgrade"];
// Which NAMES have the lower-case character c at position pos (nameBits[pos * 128 + c]), and which
// are pos characters long (nameLengths[pos]): one load per header name character, not a loop over
// the names. The lengths differ, so at most one name matches a whole header name, and a name whose
// ':' is in view is checked against that one only (headerText, headerLine).
const NAME_MAX: u32 = 18;
const nameBits: usize = memory.data(<i32>NAME_MAX * 128);
const nameLengths: usize = memory.data(<i32>NAME_MAX);
// NAMES[i]'s characters at nameChars + i * NAME_MAX: a name known by its length is compared at once
const NAME_COUNT: i32 = 4;
const nameChars: usize = memory.data(<i32>NAME_MAX * NAME_COUNT);
assert(NAMES.length == NAME_COUNT);
for (let i = 0; i < NAMES.length; i++) {
  const name = NAMES[i];
  assert(<u32>name.length < NAME_MAX);
  for (let k = 0; k < name.length; k++) {
    const at = nameBits + <usize>k * 128 + <usize>name.charCodeAt(k);
    store<u8>(at, <u8>(<u32>load<u8>(at) | (1 << i)));
  }
  store<u8>(nameLengths + <usize>name.length, <u8>(<u32>load<u8>(nameLengths + <usize>name.length) | (1 << i)));
  for (let k = 0; k < name.length; k++) store<u8>(nameChars + <usize>i * NAME_MAX + <usize>k, <u8>name.charCodeAt(k));
}

/** Whether the n characters at p are NAMES[h]'s from position pos on, in either case: a character
 *  ORed with 0x20 is the name's (lower case letters and '-') only if it is that character in
 *  either case (or a CR, which a header line has not). */
function nameRest(h: u32, pos: u32, p: usize, n: u32): bool {
  const name = nameChars + <usize>h * NAME_MAX + <usize>pos;
  for (let x: u32 = 0; x < n; x++) if ((<u32>load<u8>(p + x) | 32) != <u32>load<u8>(name + x)) return false;
  return true;
}

/** Which NAMES may have character c at position pos (any case). */
// @ts-ignore: decorator
@inline function nameFits(pos: u32, c: u32): u8 {
  const lc = lower(c);
  return pos < NAME_MAX && lc < 128 ? load<u8>(nameBits + <usize>pos * 128 + <usize>lc) : 0;
}

function isToken(c: u32): bool {
  if (c <= 31 || c >= 127) return false;
  switch (c) {
    case 32: case 9: case 40: case 41: case 60: case 62: case 64: case 44: case 59: case 58: case 92:
    case 34: case 47: case 91: case 93: case 63: case 61: case 123: case 125: return false;
  }
  return true;
}

function isUri(c: u32): bool {
  if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) return true;
  switch (c) {
    case 45: case 46: case 95: case 126: case 37: // - . _ ~ %
    case 58: case 47: case 63: case 35: case 91: case 93: case 64: case 33: case 36: case 38:
    case 39: case 40: case 41: case 42: case 43: case 44: case 59: case 61: return true;
  }
  return false;
}
// isToken and isUri as tables of bits, one load a character (their compares were some 60
// instructions a method character)
const TOKEN: u8 = 1;
const URI: u8 = 2;
const charClass: usize = memory.data(256);
for (let c: u32 = 0; c < 256; c++) store<u8>(charClass + <usize>c, (isToken(c) ? TOKEN : 0) | (isUri(c) ? URI : 0));
// @ts-ignore: decorator
@inline function inClass(c: u32, bit: u8): bool { return (load<u8>(charClass + <usize>c) & bit) != 0; }

// "HTTP/", its k-th character in bits 8k-8k+7 (a StaticArray's element was a call per character)
const HTTP_SLASH: u64 = 0x2f50545448;
// @ts-ignore: decorator
@inline function httpSlash(k: u32): u32 { return <u32>(HTTP_SLASH >> (<u64>k << 3)) & 0xff; }
// " HTT" and "P/" as little-endian loads
const SP_HTT: u32 = 0x54544820;
const P_SLASH: u16 = 0x2f50;
// "HTTP" as a little-endian load
const HTTP: u32 = 0x50545448;

export function httpInit(st: usize): void {
  store<u8>(st + RL_STARTK, 0);
  store<u8>(st + RL_UOPEN, 1);
  store<u8>(st + RL_VER, 0xff);
  store<u8>(st + SL_VER, 0xff);
}

/**
 * Zeek's HTTP_Analyzer::Undelivered: a gap of `len` bytes inside a body of known length or a chunk,
 * once the body has begun, is skipped (HTTP_Entity::Undelivered); any other stops that side for
 * good. A client's gap also interrupts the reply being read, which stops the replies (ReplyMade).
 */
export function httpGap(st: usize, isOrig: bool, len: u32): void {
  const stateAt = st + (isOrig ? RQ : RP);
  const state = load<u8>(stateAt);
  if (state == S_BODY || state == S_CHUNK_DATA) {
    // M_CL - M_REMAIN: the body's bytes so far (a chunked body's M_CL sums its chunks' sizes)
    const m = st + (isOrig ? MSG_O : MSG_R);
    const rem = load<u64>(m + M_REMAIN);
    if (rem < load<u64>(m + M_CL) && <u64>len <= rem) {
      store<u64>(m + M_REMAIN, rem - len);
      if (rem == <u64>len) {
        if (state == S_BODY) messageDone(st, isOrig);
        else store<u8>(stateAt, S_CHUNK_END);
      }
      return;
    }
  }
  store<u8>(stateAt, S_NOTHING);
  if (isOrig && load<u8>(st + RP) != S_LINE) store<u8>(st + RP, S_NOTHING);
  if (load<u8>(st + (isOrig ? RP : RQ)) == S_NOTHING) aDone();
}

export function httpEof(st: usize, isOrig: bool): void {
  // the line splitter delivers a pending partial line at EOF
  const m = st + (isOrig ? MSG_O : MSG_R);
  const state = load<u8>(st + (isOrig ? RQ : RP));
  const pending = state == S_LINE ? load<u8>(st + (isOrig ? RL_LEN : SL_LEN)) : load<u8>(m + M_LINELEN);
  if (pending != 0 && state != S_BODY && state != S_CHUNK_DATA && state != S_UNTIL_EOF && state != S_NOTHING) eol(st, isOrig, 0, 0);
}

export function httpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const stateAt = st + (isOrig ? RQ : RP);
  const bit: u8 = isOrig ? 1 : 2;
  let i: u32 = 0;
  while (i < n) {
    const state = load<u8>(stateAt);
    if (state == S_NOTHING || state == S_UNTIL_EOF) return;
    if (state == S_BODY || state == S_CHUNK_DATA) {
      // plain delivery; an LF completing the CR that ended the previous line comes first
      const crAt = st + CR;
      if ((load<u8>(crAt) & bit) != 0) {
        store<u8>(crAt, load<u8>(crAt) & ~bit);
        if (load<u8>(p + i) == 10) { i++; continue; }
      }
      const m = st + (isOrig ? MSG_O : MSG_R);
      const rem = load<u64>(m + M_REMAIN);
      const take = <u64>(n - i) < rem ? <u64>(n - i) : rem;
      i += <u32>take;
      store<u64>(m + M_REMAIN, rem - take);
      if (rem - take == 0) {
        if (state == S_BODY) messageDone(st, isOrig);
        else store<u8>(stateAt, S_CHUNK_END);
      }
      continue;
    }
    // the characters of a line up to its CR or LF (or the chunk's end) in one go, without the
    // line splitter, which only ends lines (the first character after a CR goes through it, to
    // end the CR); then that CR or LF
    if ((load<u8>(st + CR) & bit) == 0) {
      if (state == S_HEADERS) {
        i = wholeHeaderLines(st, isOrig, p, i, n);
        if (i == n) return;
      }
      const k = lineEnd(p + i, n - i);
      if (k > 0) {
        if (state == S_LINE) lineStart(st, isOrig, p + i, k);
        else lineRest(st + (isOrig ? MSG_O : MSG_R), state, p + i, k);
        i += k;
        if (i == n) return;
      }
    }
    const c = <u32>load<u8>(p + i);
    i++;
    const k = lineStep(st + CR, bit, c);
    if (k == LN_SKIP) continue;
    if (k == LN_EOL) {
      eol(st, isOrig, p + i, n - i);
      if (load<u8>(stateAt) == S_NOTHING && load<u8>(st + (isOrig ? RP : RQ)) == S_NOTHING) { aDone(); return; }
      if (restartedHere) { restartedHere = false; return; }
      continue;
    }
    lineChar(st, isOrig, state, p + i - 1);
  }
}

let restartedHere = false;

/** From i in the n bytes at p, at the start of a header line (direction isOrig; no CR pending):
 *  the whole lines in view, each with its CR, LF or CRLF, taken at once as the parser would end
 *  them: those whose name cannot be one of NAMES passed over, the others read by headerLine.
 *  Stops at a continuation line, at an empty one, at one whose end is not in view, and at a CR
 *  that ends the chunk (the line splitter's to keep); the line state is left as at a line's
 *  start. Returns the index of the first byte not taken. */
function wholeHeaderLines(st: usize, isOrig: bool, p: usize, i: u32, n: u32): u32 {
  const m = st + (isOrig ? MSG_O : MSG_R);
  if (load<u8>(m + M_LINELEN) != 0) return i; // not at a line's start
  while (i < n) {
    const c = <u32>load<u8>(p + i);
    if (c == 13 || c == 10 || isBlank(c)) return i;
    const e = i + lineEnd(p + i, n - i);
    if (e == n) return i;
    let next: u32;
    if (load<u8>(p + e) == 10) next = e + 1;
    else if (e + 1 == n) return i;
    else next = load<u8>(p + e + 1) == 10 ? e + 2 : e + 1;
    if (nameFits(0, c) != 0) headerLine(st, isOrig, m, p + i, e - i);
    i = next;
  }
  return i;
}

/** A whole header line of n bytes at p (no CR or LF; not a continuation), at once: what
 *  headerText, valueToken and headerDone would read from it, without the state they keep for a
 *  line cut between two segments. */
function headerLine(st: usize, isOrig: bool, m: usize, p: usize, n: u32): void {
  const colon = indexOfAny(p, n, 58, 58, 58);
  if (colon == n) return; // a name without ':' reads nothing
  const fits: u32 = colon < NAME_MAX ? load<u8>(nameLengths + <usize>colon) : 0;
  if (fits == 0) return;
  const h = <u8>ctz(fits); // the one name of that length
  if (!nameRest(h, 0, p, colon)) return;
  // the value's first token: after its blanks, up to a blank, ';' or ','
  let a = colon + 1;
  while (a < n && isBlank(<u32>load<u8>(p + a))) a++;
  let b = a;
  let digits = true;
  let length: u64 = 0;
  for (; b < n; b++) {
    const c = <u32>load<u8>(p + b);
    if (isBlank(c) || c == 59 || c == 44) break;
    if (isDigit(c)) length = length * 10 + <u64>(c - 48);
    else digits = false;
  }
  if (h == H_CL) {
    // a value that is not a number gives no usable length
    store<u64>(m + M_CL, digits ? length : 0);
    store<u8>(m + M_HASCL, 1);
    return;
  }
  headerToken(st, isOrig, m, h, p + a, b - a);
}

/** The n characters at p of a request or status line, none of them CR or LF. */
function lineStart(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (isOrig) requestRun(st, p, n);
  else statusRun(st, p, n);
}

/** The n characters at p of a header, trailer, chunk-size or chunk-end line (message state m),
 *  none of them CR or LF: lineChar's work. */
function lineRest(m: usize, state: u8, p: usize, n: u32): void {
  if (state == S_HEADERS || state == S_TRAILER) {
    headerText(m, state, p, n);
    return;
  }
  for (let j: u32 = 0; j < n; j++) messageChar(m, state, p + j);
}

/** The character at `at` of a header, trailer, chunk-size or chunk-end line (message state m),
 *  counted in the line's length (saturating), through the parser of its line. */
function messageChar(m: usize, state: u8, at: usize): void {
  const isHeader = state == S_HEADERS || state == S_TRAILER;
  if (isHeader && load<u8>(m + M_WHICH) != 0 && !headerRestIgnored(m)) {
    valueToken(m, at, 0, 1); // the value's first token
    return;
  }
  const c = <u32>load<u8>(at);
  const len = load<u8>(m + M_LINELEN);
  if (len != 255) store<u8>(m + M_LINELEN, len + 1);
  if (isHeader) headerChar(m, len, c);
  else if (state == S_CHUNK_SIZE) chunkSizeChar(m, len, c);
}

/** headerChar over the n bytes at p of a header or trailer line (none of them CR or LF; message
 *  state m, line state `state`), with the characters it would only count or match against NAMES
 *  taken as runs, and the rest of a line nothing is read from counted, not examined. headerChar
 *  itself takes a line's first character when it is a blank (a continuation line) and the ':'
 *  ending a name that may be one of NAMES; valueToken the value's first token of those. */
function headerText(m: usize, state: u8, p: usize, n: u32): void {
  let j: u32 = 0;
  while (j < n) {
    if (load<u8>(m + M_WHICH) == 0 && load<u8>(m + M_NAMEMASK) != 0xff) {
      let mask = load<u8>(m + M_NAMEMASK);
      let pos = <u32>load<u8>(m + M_LINELEN);
      const first = <u32>load<u8>(p + j);
      if ((pos == 0 && isBlank(first)) || (first == 58 && mask != 0)) {
        messageChar(m, state, p + j);
        j++;
        continue;
      }
      const colon = j + indexOfAny(p + j, n - j, 58, 58, 58);
      if (colon == n) {
        // the name goes on in the next chunk: narrow the candidates a character at a time
        while (j < n && mask != 0) {
          mask &= nameFits(pos, <u32>load<u8>(p + j));
          if (pos < 255) pos++;
          j++;
        }
        store<u8>(m + M_NAMEMASK, mask);
        store<u8>(m + M_LINELEN, <u8>pos);
        // a name that can no longer be one of NAMES counts only its length
        if (mask == 0) add8(m + M_LINELEN, n - j);
        return;
      }
      // the name ends here: at most one of NAMES has its length, and only that one's characters
      // are checked
      const len = pos + (colon - j);
      let keep: u8 = len < NAME_MAX ? mask & load<u8>(nameLengths + <usize>len) : 0;
      if (keep != 0 && !nameRest(ctz(keep), pos, p + j, colon - j)) keep = 0;
      if (keep != 0) {
        // its ':' comes next, through headerChar
        store<u8>(m + M_NAMEMASK, keep);
        store<u8>(m + M_LINELEN, <u8>len);
        j = colon;
        continue;
      }
      // none of NAMES: it counts only its length, and its ':' makes the rest of the line one
      // nothing is read from (what headerChar does for a ':' after such a name)
      add8(m + M_LINELEN, colon - j);
      store<u8>(m + M_WHICH, H_NONE);
      store<u8>(m + M_NAMEMASK, 0xff);
      j = colon;
    } else if (!headerRestIgnored(m)) {
      j = valueToken(m, p, j, n);
      continue;
    }
    // the rest of a line nothing is read from: all of it
    add8(m + M_LINELEN, n - j);
    return;
  }
}

/** The value of a header that is read, from j in the n bytes at p (none of them
 *  CR or LF) up to the end of the value's first token: its blanks before, the token (its first 8
 *  characters kept, a Content-Length's digits summed), and the blank, ';' or ','
 *  that ends it, each counted in the line's length. Returns the index after the last byte taken. */
function valueToken(m: usize, p: usize, j: u32, n: u32): u32 {
  const isLength = load<u8>(m + M_WHICH) - 1 == H_CL;
  let phase = load<u8>(m + M_VPHASE);
  let t = load<u8>(m + M_TOKLEN);
  let length = load<u64>(m + M_CL);
  let k = j;
  while (k < n) {
    const c = <u32>load<u8>(p + k);
    k++;
    if (isBlank(c)) {
      if (phase == 0) continue;
      phase = 2;
      break;
    }
    if (c == 59 || c == 44) { phase = 2; break; }
    phase = 1;
    if (t < 8) store<u8>(m + M_TOK + t, <u8>c);
    if (t != 255) t++;
    if (isLength) {
      if (isDigit(c)) length = length * 10 + <u64>(c - 48);
      else store<u8>(m + M_HASCL, 2); // not a number: no usable length
    }
  }
  store<u8>(m + M_VPHASE, phase);
  store<u8>(m + M_TOKLEN, t);
  if (isLength) store<u64>(m + M_CL, length);
  add8(m + M_LINELEN, k - j);
  return k;
}

/** The character at `at` (not a CR or LF) of the line a direction's parser is in. */
function lineChar(st: usize, isOrig: bool, state: u8, at: usize): void {
  if (state == S_LINE) {
    lineStart(st, isOrig, at, 1);
    return;
  }
  messageChar(st + (isOrig ? MSG_O : MSG_R), state, at);
}

// ---------------------------------------------------------------- request line

/** The n characters at p of a request line (none of them CR or LF), the line's state held in
 *  locals while they are read: the method, the blanks after it, then the rest (ParseRequest):
 *  "HTTP/" and a version at its start, the URI, and "HTTP/" and a version after the URI. Runs of
 *  URI characters once the rest did not start with "HTTP/" only count. */
function requestRun(st: usize, p: usize, n: u32): void {
  let len = <u32>load<u8>(st + RL_LEN);    // these three saturate when stored: nothing reads them here
  let rn = <u32>load<u16>(st + RL_N);
  let u = <u32>load<u16>(st + RL_U);
  let phase = load<u8>(st + RL_PHASE);
  let mlen = <u32>load<u8>(st + RL_MLEN);
  let uOpen = load<u8>(st + RL_UOPEN) != 0;
  let sk = <u32>load<u8>(st + RL_STARTK);
  let found = <u32>load<u8>(st + RL_FOUND);
  let k = <u32>load<u8>(st + RL_K);
  let ver = load<u8>(st + RL_VER);
  let j: u32 = 0;
  while (j < n && phase != 3) { // a bad line's characters only count
    if (phase == 2 && uOpen && sk >= 8) {
      let r = j;
      while (r < n && inClass(<u32>load<u8>(p + r), URI)) r++;
      if (r > j) {
        len += r - j; rn += r - j; u += r - j;
        j = r;
        continue;
      }
      // " HTTP/d.d" right after the URI, whole in view (nearly every request line): the steps the
      // characters below would take, at once
      if (n - j >= 9 && load<u32>(p + j) == SP_HTT && load<u16>(p + j + 4) == P_SLASH) {
        ver = versionDigit(0, <u32>load<u8>(p + j + 6), 0xff);
        ver = versionDigit(1, <u32>load<u8>(p + j + 7), ver);
        ver = versionDigit(2, <u32>load<u8>(p + j + 8), ver);
        uOpen = false;
        found = 4;
        k = 0;
        len += n - j; rn += n - j;
        j = n;
        break;
      }
    }
    const c = <u32>load<u8>(p + j);
    j++;
    len++;
    if (phase == 0) {
      if (inClass(c, TOKEN)) {
        if (mlen < 8) store<u8>(st + RL_METHOD + mlen, <u8>upper(c));
        if (mlen != 255) mlen++;
      } else if (isBlank(c) && mlen > 0) {
        phase = 1;
      } else {
        phase = 3;
      }
      continue;
    }
    if (phase == 1) {
      if (isBlank(c)) continue;
      phase = 2;
    }
    rn++;
    if (sk < 5) sk = c == httpSlash(sk) ? sk + 1 : 255;
    else if (sk < 8 && uOpen) { ver = versionDigit(sk - 5, c, ver); sk++; }
    if (uOpen) {
      if (inClass(c, URI)) { u++; continue; }
      uOpen = false;
      ver = 0xff;
    }
    if (found != 0) {
      if (found < 4) { ver = versionDigit(found - 1, c, ver); found++; }
      continue;
    }
    if (c == httpSlash(k)) k++;
    else k = c == 72 ? 1 : 0;
    if (k == 5) { found = 1; k = 0; ver = 0xff; }
  }
  len += n - j;
  store<u8>(st + RL_LEN, <u8>(len > 0xff ? 0xff : len));
  store<u16>(st + RL_N, <u16>(rn > 0xffff ? 0xffff : rn));
  store<u16>(st + RL_U, <u16>(u > 0xffff ? 0xffff : u));
  store<u8>(st + RL_PHASE, phase);
  store<u8>(st + RL_MLEN, <u8>mlen);
  store<u8>(st + RL_UOPEN, uOpen ? 1 : 0);
  store<u8>(st + RL_STARTK, <u8>sk);
  store<u8>(st + RL_FOUND, <u8>found);
  store<u8>(st + RL_K, <u8>k);
  store<u8>(st + RL_VER, ver);
}

/** The version byte (major * 16 + minor, 0xff unknown) once c is the i-th character (0-2) of the
 *  "d.d" after "HTTP/", v before it. */
// @ts-ignore: decorator
@inline function versionDigit(i: u32, c: u32, v: u8): u8 {
  if (i == 0) return isDigit(c) ? <u8>((c - 48) << 4) | 0x0f : 0xff;
  if (i == 1) return c == 46 ? v : 0xff;
  return v == 0xff ? v : isDigit(c) ? (v & 0xf0) | <u8>(c - 48) : 0xff;
}

function versionKeepsAlive(v: u8): bool {
  if (v == 0xff || (v & 0x0f) == 0x0f) return false;
  const major = v >> 4, minor = v & 0x0f;
  return major > 1 || (major == 1 && minor > 0);
}

function requestLine(st: usize, rest: usize, restLen: u32): void {
  const phase = load<u8>(st + RL_PHASE);
  const lineLen = load<u8>(st + RL_LEN);
  let valid = false;
  let v09 = false;
  if (phase == 2) {
    const n = <u32>load<u16>(st + RL_N), u = <u32>load<u16>(st + RL_U);
    const uOpen = load<u8>(st + RL_UOPEN) != 0;
    // a URI to the end of the line: a version only if the rest started with "HTTP/" (Zeek's
    // missing_HTTP_uri); STARTK 255 says it did not
    const sk = load<u8>(st + RL_STARTK);
    const found = uOpen ? sk >= 5 && sk != 255 : load<u8>(st + RL_FOUND) != 0;
    if (found) valid = true;
    else {
      v09 = true;
      valid = load<u8>(st + RL_MLEN) >= 3 && !(n == 0 || (u == 0 && n == 1));
    }
  }
  const ver = load<u8>(st + RL_VER);
  const head = load<u8>(st + RL_MLEN) == 4 && load<u8>(st + RL_METHOD) == 72 && load<u8>(st + RL_METHOD + 1) == 69 &&
    load<u8>(st + RL_METHOD + 2) == 65 && load<u8>(st + RL_METHOD + 3) == 68;
  const connect = isConnect(st);
  resetRequestLine(st);
  if (valid) {
    const nreq = load<u8>(st + NREQ);
    if (nreq != 255) store<u8>(st + NREQ, nreq + 1);
    if (!v09 && versionKeepsAlive(ver)) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_KEEPALIVE);
    // unanswered_requests.push(method)
    const q = load<u8>(st + QLEN);
    if (q < 32) {
      if (head) store<u32>(st + HEADQ, load<u32>(st + HEADQ) | (1 << q));
      store<u8>(st + QLEN, q + 1);
    }
    aConfirm();
    if (connect) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_CONNECT);
    if (v09) {
      // the reply is raw data until the server closes: nothing more to check
      store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_V09);
      aDone();
      return;
    }
    startMessage(st, true);
  } else {
    const expected = load<u8>(st + NREQ) == 0 || (load<u8>(st + FLAGS) & F_KEEPALIVE) != 0;
    if (expected && lineLen != 0) {
      aViolate();
      store<u8>(st + RQ, S_NOTHING);
    }
  }
  store<u8>(st + RL_METHOD, 0);
}

/** strncasecmp(method, "CONNECT", method_len) == 0 */
function isConnect(st: usize): bool {
  const m = <u32>load<u8>(st + RL_MLEN);
  if (m > 7) return false;
  const word = "CONNECT";
  for (let i: u32 = 0; i < m; i++) if (<i32>load<u8>(st + RL_METHOD + i) != word.charCodeAt(i)) return false;
  return true;
}

function resetRequestLine(st: usize): void {
  store<u8>(st + RL_PHASE, 0);
  store<u8>(st + RL_MLEN, 0);
  store<u16>(st + RL_N, 0);
  store<u16>(st + RL_U, 0);
  store<u8>(st + RL_UOPEN, 1);
  store<u8>(st + RL_K, 0);
  store<u8>(st + RL_FOUND, 0);
  store<u8>(st + RL_STARTK, 0);
  store<u8>(st + RL_LEN, 0);
}

// ---------------------------------------------------------------- status line

/** The n characters at p of a status line (none of them CR or LF), the line's state held in
 *  locals while they are read: "HTTP/", the version, blanks, the code's three digits. The reason
 *  after them only counts. */
function statusRun(st: usize, p: usize, n: u32): void {
  let phase = load<u8>(st + SL_PHASE);
  let k = <u32>load<u8>(st + SL_K);
  let ver = load<u8>(st + SL_VER);
  let cn = <u32>load<u8>(st + SL_CODEN);
  let code = <u32>load<u16>(st + SL_CODE);
  // "HTTP/", three version characters, a blank and three digits, whole in view at the line's
  // start (nearly every status line): the steps the loop below would take, at once
  if (phase == 0 && k == 0 && n >= 12 && load<u32>(p) == HTTP && load<u8>(p, 4) == 47 && isBlank(<u32>load<u8>(p, 8))) {
    const v0 = <u32>load<u8>(p, 5), v1 = <u32>load<u8>(p, 6), v2 = <u32>load<u8>(p, 7);
    const d0 = <u32>load<u8>(p, 9), d1 = <u32>load<u8>(p, 10), d2 = <u32>load<u8>(p, 11);
    if (!isBlank(v0) && !isBlank(v1) && !isBlank(v2) && isDigit(d0) && isDigit(d1) && isDigit(d2)) {
      ver = versionDigit(2, v2, versionDigit(1, v1, versionDigit(0, v0, ver)));
      k = 8;
      cn = 3;
      code = (d0 - 48) * 100 + (d1 - 48) * 10 + (d2 - 48);
      phase = 4;
    }
  }
  for (let j: u32 = 0; j < n && phase < 4; j++) { // phase 4: the reason, 9: not "HTTP/"
    const c = <u32>load<u8>(p + j);
    if (phase == 0) {
      if (c == httpSlash(k)) {
        k++;
        if (k == 5) phase = 1;
      } else {
        phase = 9;
      }
      continue;
    }
    if (phase == 1) {
      if (k - 5 < 3) { ver = versionDigit(k - 5, c, ver); k++; }
      if (isBlank(c)) phase = 2;
      continue;
    }
    if (phase == 2) {
      if (isBlank(c)) continue;
      phase = 3;
    }
    if (cn < 3) {
      // the previous reply's code is kept in SL_CODE for its message: a new code starts from 0
      if (cn == 0) code = 0;
      code = isDigit(c) && (cn == 0 || code != 0xffff) ? code * 10 + (c - 48) : 0xffff;
      cn++;
      if (cn == 3) phase = 4;
    }
  }
  add8(st + SL_LEN, n);
  store<u8>(st + SL_PHASE, phase);
  store<u8>(st + SL_K, <u8>k);
  store<u8>(st + SL_VER, ver);
  store<u8>(st + SL_CODEN, <u8>cn);
  store<u16>(st + SL_CODE, <u16>code);
}

function statusLine(st: usize, rest: usize, restLen: u32): void {
  const len = load<u8>(st + SL_LEN);
  const valid = load<u8>(st + SL_PHASE) == 4;
  let code = <u32>load<u16>(st + SL_CODE);
  if (code == 0xffff) code = 0;
  const ver = load<u8>(st + SL_VER);
  store<u8>(st + SL_PHASE, 0);
  store<u8>(st + SL_K, 0);
  store<u8>(st + SL_CODEN, 0);
  store<u8>(st + SL_LEN, 0);
  store<u16>(st + SL_CODE, 0);
  store<u8>(st + SL_VER, 0xff);
  if (!valid) {
    if (len != 0) {
      aViolate();
      store<u8>(st + RP, S_NOTHING);
    }
    return;
  }
  if (versionKeepsAlive(ver)) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_KEEPALIVE);
  if (load<u8>(st + QLEN) != 0) aConfirm();
  store<u16>(st + SL_CODE, <u16>code); // kept for the message
  let f = load<u8>(st + FLAGS);
  if ((f & F_CONNECT) != 0 && code != 200) f &= ~F_CONNECT;
  f &= ~(F_UPG_CONN | F_UPG_PROTO | F_UPG_WS);
  store<u8>(st + FLAGS, f);
  startMessage(st, false);
}

// ---------------------------------------------------------------- headers and bodies

function startMessage(st: usize, isOrig: bool): void {
  const m = st + (isOrig ? MSG_O : MSG_R);
  memory.fill(m, 0, 32);
  store<u8>(m + M_NAMEMASK, 0x0f);
  store<u8>(st + (isOrig ? RQ : RP), S_HEADERS);
}

/** Would headerChar ignore the rest of the current line? (Past the name of a header it does not
 *  read, or past the first token of the value of one it does.) */
function headerRestIgnored(m: usize): bool {
  const which = load<u8>(m + M_WHICH);
  if (which == 0) return load<u8>(m + M_NAMEMASK) == 0xff;
  return which == H_NONE || load<u8>(m + M_VPHASE) == 2;
}

/** A character of a header's name (pos: its place in the line) or of a line's rest nothing is
 *  read from; the value's first token is valueToken's. */
function headerChar(m: usize, pos: u8, c: u32): void {
  if (load<u8>(m + M_WHICH) != 0 || load<u8>(m + M_NAMEMASK) == 0xff) return; // past the name
  if (c == 58) { // ':'
    const bits = <u32>load<u8>(m + M_NAMEMASK) & (<u32>pos < NAME_MAX ? <u32>load<u8>(nameLengths + <usize>pos) : 0);
    const w: u8 = bits == 0 ? H_NONE : <u8>ctz(bits);
    store<u8>(m + M_WHICH, w == H_NONE ? H_NONE : w + 1);
    store<u8>(m + M_NAMEMASK, 0xff);
    if (w == H_CL) { store<u64>(m + M_CL, 0); store<u8>(m + M_HASCL, 1); }
    return;
  }
  if (pos == 0 && isBlank(c)) { store<u8>(m + M_NAMEMASK, 0xff); store<u8>(m + M_WHICH, H_NONE); return; } // continuation
  store<u8>(m + M_NAMEMASK, load<u8>(m + M_NAMEMASK) & nameFits(<u32>pos, c));
}

/** Whether the token of len characters at tok is `word` (lower case) in either case, its first 8
 *  characters compared (all that M_TOK keeps of a token cut between two segments). */
function tokenIs(tok: usize, len: u32, word: string): bool {
  if (len != <u32>word.length) return false;
  const k = len < 8 ? len : 8;
  for (let i: u32 = 0; i < k; i++) if (lower(<u32>load<u8>(tok + i)) != <u32>word.charCodeAt(i)) return false;
  return true;
}

/** What a read header other than Content-Length (NAMES[h]) sets, from its value's first token of
 *  len characters at tok. */
function headerToken(st: usize, isOrig: bool, m: usize, h: u8, tok: usize, len: u32): void {
  if (h == H_TE) {
    if (tokenIs(tok, len, "chunked")) store<u8>(m + M_CHUNKED, 1);
  } else if (h == H_CONNECTION) {
    if (isOrig && tokenIs(tok, len, "keep-alive")) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_KEEPALIVE);
    if (!isOrig && tokenIs(tok, len, "upgrade")) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_UPG_CONN);
  } else if (h == H_UPGRADE) {
    if (!isOrig && len > 0) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_UPG_PROTO);
    if (!isOrig && tokenIs(tok, len, "websocket")) store<u8>(st + FLAGS, load<u8>(st + FLAGS) | F_UPG_WS);
  }
}

/** A header line ended. */
function headerDone(st: usize, isOrig: bool, m: usize): void {
  const which = load<u8>(m + M_WHICH);
  if (which != 0 && which != H_NONE) {
    const h = which - 1;
    if (h == H_CL) {
      if (load<u8>(m + M_HASCL) == 2) { store<u64>(m + M_CL, 0); store<u8>(m + M_HASCL, 1); }
    } else {
      headerToken(st, isOrig, m, h, m + M_TOK, <u32>load<u8>(m + M_TOKLEN));
    }
  }
  store<u8>(m + M_NAMEMASK, 0x0f);
  store<u8>(m + M_NAMEPOS, 0);
  store<u8>(m + M_WHICH, 0);
  store<u8>(m + M_VPHASE, 0);
  store<u8>(m + M_TOKLEN, 0);
}

/** The empty line after the headers: decide how the body is framed. */
function headersEnd(st: usize, isOrig: bool, m: usize, rest: usize, restLen: u32): void {
  const stateAt = st + (isOrig ? RQ : RP);
  if (!isOrig) {
    const f = load<u8>(st + FLAGS);
    const code = <u32>load<u16>(st + SL_CODE);
    // CONNECT answered with 200: the rest is a tunnel (Zeek attaches a PIA)
    if ((f & F_CONNECT) != 0) {
      store<u8>(st + RQ, S_NOTHING);
      store<u8>(st + RP, S_NOTHING);
      restartedHere = true;
      const skip = eolTail(st + CR, 2, rest, restLen);
      aRestartDpd(false, rest + skip, restLen - skip);
      return;
    }
    // 101 with Upgrade: the connection stops being HTTP; a websocket upgrade hands it to the
    // WebSocket analyzer (HTTP::upgrade_analyzers)
    if (code == 101 && load<u8>(st + QLEN) == 1 && (f & F_UPG_CONN) != 0 && (f & F_UPG_PROTO) != 0) {
      store<u8>(st + RQ, S_NOTHING);
      store<u8>(stateAt, S_NOTHING);
      if ((f & F_UPG_WS) != 0) {
        handOverAfterLine(st + CR, 2, A_WEBSOCKET, false, rest, restLen);
      } else {
        aDone();
      }
      return;
    }
    let expect = !((code >= 100 && code < 200) || code == 204 || code == 304);
    if ((load<u32>(st + HEADQ) & 1) != 0 && load<u8>(st + QLEN) != 0) expect = false; // HEAD
    if (!expect) { messageDone(st, false); return; }
  }
  if (load<u8>(m + M_CHUNKED) != 0) {
    store<u8>(stateAt, S_CHUNK_SIZE);
    store<u8>(m + M_LINELEN, 0);
    store<u64>(m + M_CL, 0); // from here on: the sizes of the chunks begun (httpGap)
    store<u64>(m + M_REMAIN, 0);
    store<u8>(m + M_HASCL, 0);
    store<u8>(m + M_TOKLEN, 0);
    return;
  }
  if (load<u8>(m + M_HASCL) != 0) {
    const cl = load<u64>(m + M_CL);
    if (cl == 0) { messageDone(st, isOrig); return; }
    store<u64>(m + M_REMAIN, cl);
    store<u8>(stateAt, S_BODY);
    return;
  }
  if (isOrig) { messageDone(st, true); return; }
  store<u8>(stateAt, S_UNTIL_EOF);
}

function chunkSizeChar(m: usize, pos: u8, c: u32): void {
  // hex digits, then anything (extensions); M_TOKLEN: 0 digits, 1 after digits, 2 bad
  const s = load<u8>(m + M_TOKLEN);
  if (s == 0) {
    let d: i32 = -1;
    if (isDigit(c)) d = <i32>c - 48;
    else if ((c | 32) >= 97 && (c | 32) <= 102) d = <i32>(c | 32) - 87;
    if (d >= 0) {
      store<u64>(m + M_REMAIN, (load<u64>(m + M_REMAIN) << 4) | <u64>d);
      store<u8>(m + M_HASCL, 1);
      return;
    }
    store<u8>(m + M_TOKLEN, load<u8>(m + M_HASCL) != 0 ? 1 : 2);
  }
}

function messageDone(st: usize, isOrig: bool): void {
  if (isOrig) {
    store<u8>(st + RQ, S_LINE);
    return;
  }
  const code = <u32>load<u16>(st + SL_CODE);
  // 1xx replies are not final: the request stays unanswered
  if ((code < 100 || code >= 200) && load<u8>(st + QLEN) != 0) {
    store<u8>(st + QLEN, load<u8>(st + QLEN) - 1);
    store<u32>(st + HEADQ, load<u32>(st + HEADQ) >> 1);
  }
  store<u8>(st + RP, S_LINE);
}

/** A line ended; rest/restLen: the bytes after it in this chunk. */
function eol(st: usize, isOrig: bool, rest: usize, restLen: u32): void {
  const stateAt = st + (isOrig ? RQ : RP);
  const state = load<u8>(stateAt);
  if (state == S_LINE) {
    if (isOrig) requestLine(st, rest, restLen); else statusLine(st, rest, restLen);
    return;
  }
  const m = st + (isOrig ? MSG_O : MSG_R);
  const len = load<u8>(m + M_LINELEN);
  store<u8>(m + M_LINELEN, 0);
  if (state == S_HEADERS) {
    if (len == 0) headersEnd(st, isOrig, m, rest, restLen);
    else headerDone(st, isOrig, m);
  } else if (state == S_CHUNK_SIZE) {
    const s = load<u8>(m + M_TOKLEN);
    const size = load<u64>(m + M_REMAIN);
    const digits = load<u8>(m + M_HASCL) != 0;
    store<u8>(m + M_TOKLEN, 0);
    store<u8>(m + M_HASCL, 0);
    if (s == 2 || !digits) {
      // a bad chunk size: Zeek's framing is lost from here; stop checking this side
      store<u8>(stateAt, S_UNTIL_EOF);
      return;
    }
    if (size == 0) { store<u8>(stateAt, S_TRAILER); memory.fill(m + M_NAMEMASK, 0, 7); store<u8>(m + M_NAMEMASK, 0x0f); return; }
    store<u64>(m + M_CL, load<u64>(m + M_CL) + size);
    store<u8>(stateAt, S_CHUNK_DATA);
  } else if (state == S_CHUNK_END) {
    store<u8>(stateAt, S_CHUNK_SIZE);
    store<u64>(m + M_REMAIN, 0);
  } else if (state == S_TRAILER) {
    if (len == 0) messageDone(st, isOrig);
  }
}
