// FTP (Zeek: src/analyzer/protocol/ftp/FTP.cc). Lines end at LF (NVT, CR before LF dropped).
// A client line whose first word is 3+ printable characters (at most FTP::max_command_length)
// confirms; other client lines are ignored. A server line that does not start with a numeric code
// >= 100 followed by ' ' or '-' (outside a multi-line reply) is a violation. "AUTH TLS" answered
// with 234 hands the rest of the connection to SSL (ftp,ssl).
import { aConfirm, aViolate, aHandOver } from "./ctx";
import { isDigit, upper, LONE_LF } from "./lines";
import { A_SSL } from "./analyzers";

const MAX_COMMAND_LENGTH: u32 = 100;

// per direction (orig 0, resp 48)
const D_LEN: usize = 0;     // u16 line length (saturating)
const D_CR: usize = 2;      // u8 last byte was CR
const D_PHASE: usize = 3;   // orig: 0 leading blanks, 1 word, 2 blanks, 3 argument
const D_WORD: usize = 4;    // u16 word length
const D_BAD: usize = 6;     // u8 word has a non-printable byte
const D_BUF: usize = 8;     // 16 bytes: orig: word (upper case) then argument; resp: line start
const D_ARGLEN: usize = 24; // u16 argument length; the argument itself at D_ARG
const D_ARG: usize = 26;    // 8 bytes
const D_SIZE: usize = 48;
const PENDING: usize = 96;  // u16 pending multi-line reply code
const AUTH_TLS: usize = 98; // u8 the last AUTH asked for TLS

export function ftpInit(st: usize): void {}
// Zeek's FTP analyzer has no gap handler: its ContentLine_Analyzer only passes a content gap on,
// so the bytes after one continue the line it was reading
export function ftpGap(st: usize, isOrig: bool): void {}
/** The line being read ends with the stream (ContentLine_Analyzer::EndpointEOF). */
export function ftpEof(st: usize, isOrig: bool): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  if (load<u16>(d + D_LEN) != 0 || load<u8>(d + D_CR) != 0) ftpStream(st, isOrig, LONE_LF, 1);
}

export function ftpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 10) {
      const cr = load<u8>(d + D_CR) != 0;
      store<u8>(d + D_CR, 0);
      if (isOrig) requestLine(st, d, cr);
      else if (replyLine(st, d, cr)) {
        // 234 after AUTH TLS: from here on the stream is TLS
        aHandOver(A_SSL, false, p + i + 1, n - i - 1);
        return;
      }
      resetLine(d);
      continue;
    }
    // a CR is data unless an LF follows
    if (load<u8>(d + D_CR) != 0) addChar(d, isOrig, 13);
    if (c == 13) { store<u8>(d + D_CR, 1); continue; }
    addChar(d, isOrig, c);
  }
}

function resetLine(d: usize): void {
  memory.fill(d, 0, D_SIZE);
}

function addChar(d: usize, isOrig: bool, c: u32): void {
  store<u8>(d + D_CR, 0);
  const len = load<u16>(d + D_LEN);
  if (len != 0xffff) store<u16>(d + D_LEN, len + 1);
  if (!isOrig) {
    if (len < 16) store<u8>(d + D_BUF + len, <u8>c);
    return;
  }
  const blank = c == 32 || c == 9;
  const space = blank || (c >= 10 && c <= 13);
  let phase = load<u8>(d + D_PHASE);
  if (phase == 0) {
    if (blank) return;
    phase = 1;
  }
  if (phase == 1) {
    if (space) { store<u8>(d + D_PHASE, 2); return; }
    store<u8>(d + D_PHASE, 1);
    const w = load<u16>(d + D_WORD);
    if (w < 16) store<u8>(d + D_BUF + w, <u8>upper(c));
    if (w != 0xffff) store<u16>(d + D_WORD, w + 1);
    if (c < 32 || c > 126) store<u8>(d + D_BAD, 1);
    return;
  }
  if (phase == 2) {
    if (blank) return;
    store<u8>(d + D_PHASE, 3);
  }
  const a = load<u16>(d + D_ARGLEN);
  if (a < 8) store<u8>(d + D_ARG + a, <u8>c);
  if (a != 0xffff) store<u16>(d + D_ARGLEN, a + 1);
}

function requestLine(st: usize, d: usize, cr: bool): void {
  if (load<u16>(d + D_LEN) == 0) return;
  const w = <u32>load<u16>(d + D_WORD);
  if (w < 3 || load<u8>(d + D_BAD) != 0 || w > MAX_COMMAND_LENGTH) return;
  aConfirm();
  // strncmp(cmd, "AUTH", cmd_len) == 0
  if (w <= 4 && load<u8>(d + D_BUF) == 65 && load<u8>(d + D_BUF + 1) == 85 && load<u8>(d + D_BUF + 2) == 84 &&
      (w == 3 || load<u8>(d + D_BUF + 3) == 72)) {
    const a = load<u16>(d + D_ARGLEN);
    store<u8>(st + AUTH_TLS, a == 3 && load<u8>(d + D_ARG) == 84 && load<u8>(d + D_ARG + 1) == 76 && load<u8>(d + D_ARG + 2) == 83 ? 1 : 0);
  }
}

/** Returns true when the stream switches to TLS. */
function replyLine(st: usize, d: usize, cr: bool): bool {
  const len = <u32>load<u16>(d + D_LEN);
  if (len == 0) return false;
  let code: u32 = 0;
  if (len >= 3 && isDigit(load<u8>(d + D_BUF)) && isDigit(load<u8>(d + D_BUF + 1)) && isDigit(load<u8>(d + D_BUF + 2))) {
    code = (<u32>load<u8>(d + D_BUF) - 48) * 100 + (<u32>load<u8>(d + D_BUF + 1) - 48) * 10 + (<u32>load<u8>(d + D_BUF + 2) - 48);
  }
  const c3 = len > 3 ? <u32>load<u8>(d + D_BUF + 3) : 0;
  const pending = <u32>load<u16>(st + PENDING);
  if (pending != 0) {
    if (code == pending && len > 3 && c3 == 32) store<u16>(st + PENDING, 0);
    else code = 0;
  } else {
    if (code == 0) { aViolate(); return false; }
    if (code < 100) { aViolate(); return false; }
    if (len > 3 && c3 == 45) store<u16>(st + PENDING, <u16>code);
    else if (len > 3 && c3 != 32) { aViolate(); return false; }
  }
  return code == 234 && load<u8>(st + AUTH_TLS) != 0;
}
