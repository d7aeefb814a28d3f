// IRC (Zeek: src/analyzer/protocol/irc/IRC.cc). Lines split at CR, LF or CRLF (at most 1000 bytes).
// IRCv3 message tags ("@key=value;... ") before the prefix are skipped, as Zeek's baselines with
// such servers show (zeek/irc_dcc_pcapng).
// Lines over 512 bytes or under 3 (after leading spaces) are ignored, as is a ":prefix" without a
// space after it. Any other line from the originator confirms. After the prefix, a line shorter
// than 3 bytes, or a numeric reply that is not three digits and a space, is a violation; so are
// more than 20 commands longer than 20 characters. Reply 670 (STARTTLS accepted) hands the rest of
// the connection to SSL (irc,ssl).
import { aConfirm, aViolate } from "./ctx";
import { lineStep, handOverAfterLine, LN_EOL, LN_SKIP, isDigit, LONE_LF } from "./lines";
import { A_SSL } from "./analyzers";

const MAX_LINE: u32 = 1000;

// per direction (orig 0, resp 24)
const D_LEN: usize = 0;      // u16 raw line length (saturating)
const D_PHASE: usize = 2;    // 0 leading spaces, 4 tags, 5 spaces after tags, 1 prefix, 2 spaces after prefix, 3 body
const D_PREFIX: usize = 3;   // u8 1: tags or prefix not ended by a space yet, 2: prefix ended
const D_TRIMLEN: usize = 4;  // u16 length after leading spaces
const D_BODYLEN: usize = 6;  // u16 length of the body (after the prefix)
const D_BODY: usize = 8;     // 4 bytes
const D_CMDLEN: usize = 12;  // u16 first word of the body
const D_CMDEND: usize = 14;  // u8
const D_SIZE: usize = 24;
const CR: usize = 48;
const INVALID: usize = 49;   // u8 long commands seen

export function ircInit(st: usize): void {}
// Zeek's IRC analyzer has no gap handler: its ContentLine_Analyzer only passes a content gap on,
// so the bytes after one continue the line it was reading
export function ircGap(st: usize, isOrig: bool): void {}
/** The line being read ends with the stream (ContentLine_Analyzer::EndpointEOF). */
export function ircEof(st: usize, isOrig: bool): void {
  if (load<u16>(st + (isOrig ? 0 : D_SIZE) + D_LEN) != 0) ircStream(st, isOrig, LONE_LF, 1);
}

export function ircStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  const bit: u8 = isOrig ? 1 : 2;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    const k = lineStep(st + CR, bit, c);
    if (k == LN_SKIP) continue;
    // A full line ends at the next byte, which Zeek's ContentLine_Analyzer consumes with it
    // (its offset >= max_line_length check): that byte starts no line.
    if (k == LN_EOL || <u32>load<u16>(d + D_LEN) >= MAX_LINE) {
      const tls = line(st, d, isOrig);
      memory.fill(d, 0, D_SIZE);
      if (tls) {
        handOverAfterLine(st + CR, bit, A_SSL, false, p + i + 1, n - i - 1);
        return;
      }
      continue;
    }
    lineChar(d, c);
  }
}

function inc16(at: usize): void { const v = load<u16>(at); if (v != 0xffff) store<u16>(at, v + 1); }

function lineChar(d: usize, c: u32): void {
  inc16(d + D_LEN);
  let phase = load<u8>(d + D_PHASE);
  if (phase == 0) {
    if (c == 32) return;
    inc16(d + D_TRIMLEN);
    // IRCv3 message tags ("@time=... "), then an optional prefix
    if (c == 64) { store<u8>(d + D_PHASE, 4); store<u8>(d + D_PREFIX, 1); return; }
    phase = 5;
  } else {
    inc16(d + D_TRIMLEN);
  }
  if (phase == 4) {
    if (c == 32) { store<u8>(d + D_PHASE, 5); store<u8>(d + D_PREFIX, 0); }
    return;
  }
  if (phase == 5) {
    if (c == 32) return;
    if (c == 58) { store<u8>(d + D_PHASE, 1); store<u8>(d + D_PREFIX, 1); return; }
    phase = 3;
    store<u8>(d + D_PHASE, 3);
  }
  if (phase == 1) {
    if (c == 32) { store<u8>(d + D_PREFIX, 2); store<u8>(d + D_PHASE, 2); }
    return;
  }
  if (phase == 2) {
    if (c == 32) return;
    store<u8>(d + D_PHASE, 3);
  }
  const b = load<u16>(d + D_BODYLEN);
  if (b < 4) store<u8>(d + D_BODY + b, <u8>c);
  inc16(d + D_BODYLEN);
  if (load<u8>(d + D_CMDEND) == 0) {
    if (c == 32) store<u8>(d + D_CMDEND, 1);
    else inc16(d + D_CMDLEN);
  }
}

/** A complete line; returns true when the stream switches to TLS. */
function line(st: usize, d: usize, isOrig: bool): bool {
  if (<u32>load<u16>(d + D_LEN) > 512) return false;
  if (load<u16>(d + D_TRIMLEN) < 3) return false;
  const prefix = load<u8>(d + D_PREFIX);
  if (prefix == 1) return false; // a prefix without a space
  if (isOrig) aConfirm();
  const body = <u32>load<u16>(d + D_BODYLEN);
  if (body < 3) { aViolate(); return false; }
  const b0 = <u32>load<u8>(d + D_BODY);
  if (isDigit(b0)) {
    if (body >= 4 && isDigit(load<u8>(d + D_BODY + 1)) && isDigit(load<u8>(d + D_BODY + 2)) && load<u8>(d + D_BODY + 3) == 32) {
      const code = (b0 - 48) * 100 + (<u32>load<u8>(d + D_BODY + 1) - 48) * 10 + (<u32>load<u8>(d + D_BODY + 2) - 48);
      return code == 670;
    }
    aViolate();
    return false;
  }
  if (load<u16>(d + D_CMDLEN) > 20) {
    const v = load<u8>(st + INVALID) + 1;
    store<u8>(st + INVALID, v);
    if (v > 20) aViolate();
  }
  return false;
}
