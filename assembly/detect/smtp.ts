// SMTP (Zeek: src/analyzer/protocol/smtp/SMTP.cc). Lines split at CR, LF or CRLF; partial
// connections are not parsed. A client line starting with a known command word (or a line in the
// AUTH exchange, or the "." ending DATA) confirms (RequestEvent). A server line whose reply code is
// not 100..599 is a violation. Commands and replies are paired first-in first-out (pipelining);
// STARTTLS answered with 220 hands the rest of the connection to SSL (smtp,ssl). After a content
// gap client lines are ignored until the server's next reply, which confirms (Zeek's
// SMTP_AFTER_GAP and SMTP_GAP_RECOVERY).
import { aConfirm, aViolate, aPartial } from "./ctx";
import { lineStep, lineEnd, add16, handOverAfterLine, LN_EOL, LN_SKIP, isDigit, isSpace, upper, LONE_LF } from "./lines";
import { A_SSL } from "./analyzers";

const CMD_OTHER: u32 = 0;
const CMD_STARTTLS: u32 = 1;
const CMD_DATA: u32 = 2;
const CMD_AUTH: u32 = 3;
const CMD_CONN: u32 = 4;
const CMD_EOD: u32 = 5;
const CMD_AUTH_ANSWER: u32 = 6;

const ST_NORMAL: u8 = 0;
const ST_IN_DATA: u8 = 1;
const ST_IN_AUTH: u8 = 2;
const ST_AFTER_GAP: u8 = 3;

// per direction (orig 0, resp 32)
const D_LEN: usize = 0;    // u16 line length (saturating)
const D_WLEN: usize = 2;   // u8 first word length (saturating)
const D_WDONE: usize = 3;  // u8 first word ended
const D_BUF: usize = 4;    // 16 bytes: first word, upper case (orig) / line start (resp)
const D_SIZE: usize = 32;
const CR: usize = 64;      // u8 line splitter bits
const STATE: usize = 65;   // u8 ST_*
const QLEN: usize = 66;    // u8 commands awaiting a reply
const PENDING: usize = 68; // u16 pending multi-line reply code
const QUEUE: usize = 72;   // u32: 3 bits per command, front in the low bits

const WORDS: StaticArray<string> = [
  "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "SEND", "SOML", "SAML", "VRFY", "EXPN", "HELP",
  "NOOP", "QUIT", "TURN", "STARTTLS", "AUTH", "ETRN", "ATRN", "XEXCH50", "X-ANONYMOUSTLS",
];

export function smtpInit(st: usize): void {
  // the greeting answers the connection establishment
  store<u8>(st + QLEN, 1);
  store<u32>(st + QUEUE, CMD_CONN);
}

/** Zeek's SMTP_Analyzer::Undelivered, for either side: the mail being sent ends and the commands
 *  awaiting replies are forgotten; the next reply recovers. */
export function smtpGap(st: usize, isOrig: bool): void {
  store<u8>(st + QLEN, 0);
  store<u32>(st + QUEUE, 0);
  store<u8>(st + STATE, ST_AFTER_GAP);
}
/** The line being read ends with the stream (ContentLine_Analyzer::EndpointEOF). */
export function smtpEof(st: usize, isOrig: bool): void {
  if (load<u16>(st + (isOrig ? 0 : D_SIZE) + D_LEN) != 0) smtpStream(st, isOrig, LONE_LF, 1);
}

export function smtpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  const bit: u8 = isOrig ? 1 : 2;
  let i: u32 = 0;
  while (i < n) {
    // a line's characters up to its CR or LF (or the chunk's end) in one go: a mail's body is
    // most of an SMTP stream (the first character after a CR goes through the splitter, to end the CR)
    if ((load<u8>(st + CR) & bit) == 0) {
      const k = lineEnd(p + i, n - i);
      if (k > 0) {
        lineText(d, isOrig, p + i, k);
        i += k;
        if (i == n) return;
      }
    }
    const c = <u32>load<u8>(p + i);
    i++;
    const k = lineStep(st + CR, bit, c);
    if (k == LN_SKIP) continue;
    if (k == LN_EOL) {
      if (isOrig) clientLine(st, d);
      else if (serverLine(st, d)) {
        handOverAfterLine(st + CR, bit, A_SSL, false, p + i, n - i);
        return;
      }
      memory.fill(d, 0, D_SIZE);
      continue;
    }
    lineText(d, isOrig, p + i - 1, 1);
  }
}

/** The n characters at p of a line (none of them CR or LF): counted; a client line's first word
 *  is kept (upper case, up to 16 characters), a server line's first 16 characters. */
function lineText(d: usize, isOrig: bool, p: usize, n: u32): void {
  const len = <u32>load<u16>(d + D_LEN);
  add16(d + D_LEN, n);
  if (!isOrig) {
    if (len < 16) memory.copy(d + D_BUF + len, p, min(16 - len, n));
    return;
  }
  if (load<u8>(d + D_WDONE) != 0) return;
  let w = <u32>load<u8>(d + D_WLEN);
  let j: u32 = 0;
  if (w == 0 && n >= 16) {
    // a line's first 16 characters at once (a mail's body is most of the lines): where its first
    // word ends, and all 16 in upper case (wordIs reads only the word's D_WLEN of them)
    const v = v128.load(p);
    w = ctz(<u32>i8x16.bitmask(wordEnds(v)) | 0x10000);
    j = w;
    const lowerCase = i8x16.le_u(i8x16.sub(v, i8x16.splat(97)), i8x16.splat(25));
    v128.store(d + D_BUF, i8x16.sub(v, v128.and(lowerCase, i8x16.splat(32))));
  }
  while (j < n && w < 16) {
    const c = <u32>load<u8>(p + j);
    if (endsWord(c)) break;
    store<u8>(d + D_BUF + w, <u8>upper(c));
    w++;
    j++;
  }
  // past 16 characters (a line of base64 in a mail) the word only counts, up to its end
  if (j < n && w >= 16) {
    const e = wordEnd(p + j, n - j);
    w = min(255, w + e);
    j += e;
  }
  if (j < n) store<u8>(d + D_WDONE, 1);
  store<u8>(d + D_WLEN, <u8>w);
}

// @ts-ignore: decorator
@inline function endsWord(c: u32): bool { return isSpace(c) || c == 0; }
/** endsWord of each of 16 bytes: 0, a blank, or 9..13. */
// @ts-ignore: decorator
@inline function wordEnds(v: v128): v128 {
  const space = v128.or(i8x16.eq(v, i8x16.splat(32)), i8x16.le_u(i8x16.sub(v, i8x16.splat(9)), i8x16.splat(4)));
  return v128.or(space, i8x16.eq(v, i8x16.splat(0)));
}

/** Index of the first byte of the n at p that ends a word (endsWord), or n: 16 bytes a step while
 *  none of them is a control character or a blank. */
function wordEnd(p: usize, n: u32): u32 {
  let j: u32 = 0;
  const blank = i8x16.splat(32);
  while (j + 16 <= n && i8x16.bitmask(i8x16.le_u(v128.load(p + j), blank)) == 0) j += 16;
  while (j < n && !endsWord(<u32>load<u8>(p + j))) j++;
  return j;
}

function push(st: usize, cmd: u32): void {
  const q = <u32>load<u8>(st + QLEN);
  if (q >= 10) return;
  store<u32>(st + QUEUE, load<u32>(st + QUEUE) | (cmd << (q * 3)));
  store<u8>(st + QLEN, <u8>(q + 1));
}

function pop(st: usize): i32 {
  const q = <u32>load<u8>(st + QLEN);
  if (q == 0) return -1;
  const v = load<u32>(st + QUEUE);
  store<u32>(st + QUEUE, v >> 3);
  store<u8>(st + QLEN, <u8>(q - 1));
  return <i32>(v & 7);
}

function wordIs(d: usize, w: string): bool {
  const n = <i32>load<u8>(d + D_WLEN);
  if (n != w.length || n > 16) return false;
  for (let i = 0; i < n; i++) if (<i32>load<u8>(d + D_BUF + i) != w.charCodeAt(i)) return false;
  return true;
}

function clientLine(st: usize, d: usize): void {
  const state = load<u8>(st + STATE);
  const len = load<u16>(d + D_LEN);
  if (state == ST_AFTER_GAP) return; // a command or a mail's line: Zeek cannot tell, and keeps it aside
  if (state == ST_IN_DATA) {
    if (len == 1 && load<u8>(d + D_BUF) == 46) { // "."
      push(st, CMD_EOD);
      aConfirm();
      store<u8>(st + STATE, ST_NORMAL);
    }
    return;
  }
  if (state == ST_IN_AUTH) {
    push(st, CMD_AUTH_ANSWER);
    aConfirm();
    return;
  }
  let known = false;
  for (let i = 0; i < WORDS.length; i++) if (wordIs(d, WORDS[i])) { known = true; break; }
  if (!known) return;
  let cmd = CMD_OTHER;
  if (wordIs(d, "STARTTLS") || wordIs(d, "X-ANONYMOUSTLS")) cmd = CMD_STARTTLS;
  else if (wordIs(d, "DATA")) cmd = CMD_DATA;
  else if (wordIs(d, "AUTH")) cmd = CMD_AUTH;
  push(st, cmd);
  aConfirm();
  if (cmd == CMD_DATA) store<u8>(st + STATE, ST_IN_DATA);
}

/** Returns true when the stream switches to TLS. */
function serverLine(st: usize, d: usize): bool {
  const len = <u32>load<u16>(d + D_LEN);
  let code: i32 = -1;
  if (len >= 3 && isDigit(load<u8>(d + D_BUF)) && isDigit(load<u8>(d + D_BUF + 1)) && isDigit(load<u8>(d + D_BUF + 2))) {
    code = (<i32>load<u8>(d + D_BUF) - 48) * 100 + (<i32>load<u8>(d + D_BUF + 1) - 48) * 10 + (<i32>load<u8>(d + D_BUF + 2) - 48);
  }
  if (code < 100 || code > 599) {
    aViolate();
    return false;
  }
  let pending = <i32>load<u16>(st + PENDING);
  if (pending != 0 && code != pending) pending = 0;
  let tls = false;
  if (pending == 0) tls = reply(st, code);
  if (len > 3 && load<u8>(d + D_BUF + 3) == 45) store<u16>(st + PENDING, <u16>code);
  else store<u16>(st + PENDING, 0);
  return tls;
}

/** A new reply: pairs it with the oldest command (Zeek's NewReply/UpdateState). */
function reply(st: usize, code: i32): bool {
  const state = load<u8>(st + STATE);
  if (state == ST_AFTER_GAP) {
    // Zeek's NewReply after a gap: SMTP_GAP_RECOVERY and a request event, which confirms; the
    // reply answers no known command, and a 354 starts a mail (UpdateState)
    aConfirm();
    store<u8>(st + STATE, code == 354 ? ST_IN_DATA : ST_NORMAL);
    return false;
  }
  const cmd = pop(st);
  if (cmd == <i32>CMD_STARTTLS) return code == 220;
  if (cmd == <i32>CMD_DATA) {
    if (code != 354) store<u8>(st + STATE, ST_NORMAL);
  } else if (cmd == <i32>CMD_AUTH || cmd == <i32>CMD_AUTH_ANSWER) {
    store<u8>(st + STATE, code == 334 ? ST_IN_AUTH : ST_NORMAL);
  } else if (cmd == <i32>CMD_EOD) {
    store<u8>(st + STATE, ST_NORMAL);
  }
  return false;
}
