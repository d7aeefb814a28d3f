// Syslog (Zeek: src/analyzer/protocol/syslog). UDP: each datagram is "<PRI>message"; it confirms,
// anything else is a violation. TCP (SYSLOG_TCP, Spicy): a stream of frames, octet counting
// ("123 <PRI>...") or non-transparent ("<PRI>message" and line ends), parsed across segments.
import { aConfirm, aViolate } from "./ctx";
import { isDigit } from "./lines";

export function syslogInit(st: usize): void {}

function priAt(p: usize, n: u32, off: u32): bool {
  if (off >= n || load<u8>(p + off) != 60) return false;
  let i = off + 1;
  const s = i;
  while (i < n && isDigit(load<u8>(p + i))) i++;
  return i > s && i < n && load<u8>(p + i) == 62;
}

export function syslogDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (priAt(p, n, 0)) aConfirm(); else aViolate();
}

// TCP, per direction (Zeek parses both with Syslog::Frames): u8 phase at 0, u8 "a priority digit
// seen" at 1, u32 at 4: the octet count being read, then the bytes of its message left
const D_SIZE: usize = 8;
const P_FRAME: u8 = 0;     // a frame's first byte: 1-9 octet counting, '<' non-transparent
const P_COUNT: u8 = 1;     // the octet count's digits, up to its space
const P_MESSAGE: u8 = 2;   // a counted message's first byte: '<' opens its optional priority
const P_C_PRIO: u8 = 3;    // a counted message's priority digits, up to '>'
const P_C_REST: u8 = 4;    // the rest of a counted message
const P_N_PRIO: u8 = 5;    // a non-transparent frame's priority digits, up to '>'
const P_N_FIRST: u8 = 6;   // its message's first byte (not NUL, CR or LF)
const P_N_MSG: u8 = 7;     // its message, up to NUL, CR or LF
const P_N_END: u8 = 8;     // the NULs, CRs and LFs ending it: the next other byte ends the frame
const P_DEAD: u8 = 9;      // a parse error: this direction is not parsed further

// @ts-ignore: decorator
@inline function ender(c: u32): bool { return c == 0 || c == 10 || c == 13; }

/** A parse error: a violation, and Spicy parses no more of this direction. */
function parseError(d: usize): void {
  store<u8>(d, P_DEAD);
  aViolate();
}

// As Zeek's Spicy grammar (syslog.spicy, Frames), fed as the stream arrives: a frame is either
// octet counting (/[1-9][0-9]*/, a space, then that many bytes: an optional "<digits>" and the
// message) or non-transparent ("<digits>", one or more bytes other than NUL, CR and LF, then one or
// more of those). Each frame parsed whole accepts (confirms); a non-transparent frame is whole once
// the byte after its line ends arrives, or at the end of the stream.
export function syslogTcpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    const phase = load<u8>(d);
    if (phase == P_DEAD) return;
    if (phase == P_C_REST) { // counted bytes, passed over together
      const left = load<u32>(d, 4), take = left < n - i ? left : n - i;
      i += take;
      store<u32>(d, left - take, 4);
      if (left == take) { store<u8>(d, P_FRAME); aConfirm(); }
      continue;
    }
    const c = <u32>load<u8>(p + i);
    i++;
    if (phase == P_FRAME) {
      if (c >= 49 && c <= 57) { store<u8>(d, P_COUNT); store<u32>(d, c - 48, 4); }
      else if (c == 60) { store<u8>(d, P_N_PRIO); store<u8>(d, 0, 1); }
      else { parseError(d); return; }
    } else if (phase == P_COUNT) {
      if (isDigit(c)) {
        const v = <u64>load<u32>(d, 4) * 10 + <u64>(c - 48);
        store<u32>(d, v > <u64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>v, 4); // saturated: never whole
      } else if (c == 32) store<u8>(d, P_MESSAGE);
      else { parseError(d); return; }
    } else if (phase <= P_C_PRIO) { // a counted message's byte
      const left = load<u32>(d, 4) - 1;
      store<u32>(d, left, 4);
      let next = P_C_REST;
      if (phase == P_MESSAGE && c == 60) { next = P_C_PRIO; store<u8>(d, 0, 1); }
      else if (phase == P_C_PRIO) {
        if (isDigit(c)) { store<u8>(d, 1, 1); next = P_C_PRIO; }
        else if (c != 62 || load<u8>(d, 1) == 0) { parseError(d); return; }
      }
      if (left == 0) {
        if (next == P_C_PRIO) { parseError(d); return; } // the priority cut by the count
        next = P_FRAME;
        aConfirm();
      }
      store<u8>(d, next);
    } else if (phase == P_N_PRIO) {
      if (isDigit(c)) store<u8>(d, 1, 1);
      else if (c == 62 && load<u8>(d, 1) != 0) store<u8>(d, P_N_FIRST);
      else { parseError(d); return; }
    } else if (phase == P_N_FIRST) {
      if (ender(c)) { parseError(d); return; }
      store<u8>(d, P_N_MSG);
    } else if (phase == P_N_MSG) {
      if (ender(c)) store<u8>(d, P_N_END);
    } else if (!ender(c)) { // P_N_END: the frame is whole, and this byte starts the next
      store<u8>(d, P_FRAME);
      aConfirm();
      i--;
    }
  }
}

/** The end of a direction's stream: a frame cut short is a parse error; one in its line ends is
 *  whole. */
export function syslogTcpEof(st: usize, isOrig: bool): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  const phase = load<u8>(d);
  if (phase == P_N_END) { store<u8>(d, P_FRAME); aConfirm(); }
  else if (phase != P_FRAME && phase != P_DEAD) parseError(d);
}
