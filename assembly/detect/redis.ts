// Redis (Zeek: src/analyzer/protocol/redis, Spicy resp.spicy over RESP). The server sends RESP data
// (+ - : $ * _ , # ! = ( % ~ > then the type's content); the client sends either a multibulk array
// of RESP data or an "inline" command up to CRLF (at most 1024 bytes). As in resp.spicy, every
// RESP data element parsed whole accepts (confirms), a parse error declines (violation): an
// unknown type byte, a number that does not convert, a length over 1 MB, an inline command
// without CRLF within 1024 bytes. The parser streams with a small stack of element counts.
import { aConfirm, aViolate, aDone } from "./ctx";

// per direction (orig at 0, resp at 52)
const D_MODE: usize = 0;   // u8: see M_*
const D_TYPE: usize = 1;   // u8: the current element's type byte
const D_CR: usize = 2;     // u8: the previous line byte was CR
const D_DEPTH: usize = 3;  // u8: open aggregates
const D_LEN: usize = 4;    // u32: bytes of the current line (or content left)
const D_NUM: usize = 8;    // i64: the line's number so far
const D_NFLAGS: usize = 16; // u8: F_* flags of the line read as a number
const D_PREV: usize = 17;   // u8: the flags before the line's last byte (a CR may end the line)
const D_STACK: usize = 20; // u32 × 8: elements left per open aggregate
const D_SIZE: usize = 52;
const MAX_DEPTH: u8 = 8;

const M_TYPE: u8 = 0;    // expecting a type byte
const M_LINE: u8 = 1;    // in a header or simple line up to CRLF
const M_CONTENT: u8 = 2; // in a bulk string's content
const M_SKIP: u8 = 3;    // skipping a line up to CRLF (after bulk content, null, boolean)
const M_BOOL: u8 = 4;    // the boolean's value byte
const M_INLINE: u8 = 5;  // a client's inline command
const M_START: u8 = 6;   // a client's next message (array or inline)

const MAX_SIZE: i64 = 1024 * 1024;

export function redisInit(st: usize): void {
  store<u8>(st + D_MODE, M_START);
  store<u8>(st + D_SIZE + D_MODE, M_TYPE);
}
export function redisGap(st: usize, isOrig: bool): void { aDone(); }
export function redisEof(st: usize, isOrig: bool): void {}

function beginLine(d: usize, mode: u8): void {
  store<u8>(d + D_MODE, mode);
  store<u8>(d + D_CR, 0);
  store<u32>(d + D_LEN, 0);
  store<i64>(d + D_NUM, 0);
  store<u8>(d + D_NFLAGS, 0);
}

/** A data element finished: accept, then close the aggregates it completes. */
function elementDone(d: usize, isOrig: bool): void {
  aConfirm();
  let depth = load<u8>(d + D_DEPTH);
  while (depth > 0) {
    const at = d + D_STACK + ((<usize>depth - 1) << 2);
    const left = load<u32>(at) - 1;
    store<u32>(at, left);
    if (left > 0) break;
    depth--; // the aggregate is complete: an element of its parent in turn
  }
  store<u8>(d + D_DEPTH, depth);
  // the client's messages are arrays or inline commands; the server's are RESP data
  store<u8>(d + D_MODE, depth == 0 && isOrig ? M_START : M_TYPE);
}

/** The header line of the current element ended; false on a violation. */
function lineEnd(d: usize, isOrig: bool): bool {
  const t = <u32>load<u8>(d + D_TYPE);
  const f = load<u8>(d + D_NFLAGS);
  const isInt = (f & F_DIGIT) != 0 && (f & F_NOTINT) == 0;
  const v = (f & F_NEG) != 0 ? -load<i64>(d + D_NUM) : load<i64>(d + D_NUM);
  switch (t) {
    case 43: case 45: case 40: // simple string, simple error, big number
      elementDone(d, isOrig);
      return true;
    case 58: // integer
      if (!isInt) return false;
      elementDone(d, isOrig);
      return true;
    case 44: // double
      if ((f & F_NOTREAL) != 0 || load<u32>(d + D_LEN) <= 1) return false;
      elementDone(d, isOrig);
      return true;
    case 36: case 33: case 61: // bulk string, bulk error, verbatim string: the length
      if (!isInt || v > MAX_SIZE) return false;
      if (v < 0) { beginLine(d, M_SKIP); return true; } // no content: the next line is skipped
      if (v == 0) { beginLine(d, M_SKIP); return true; }
      store<u8>(d + D_MODE, M_CONTENT);
      store<u32>(d + D_LEN, <u32>v);
      return true;
    case 42: case 62: case 126: case 37: { // array, push, set, map (key-value pairs)
      if (!isInt || v < 0 || v > MAX_SIZE) return false;
      const count = t == 37 ? v * 2 : v;
      const clientTop = isOrig && load<u8>(d + D_DEPTH) == 0;
      if (count == 0) {
        if (clientTop) store<u8>(d + D_MODE, M_START); // an empty command: no RESP data in it
        else elementDone(d, isOrig);
        return true;
      }
      const depth = load<u8>(d + D_DEPTH);
      if (depth >= MAX_DEPTH) { aDone(); return true; }
      store<u32>(d + D_STACK + (<usize>depth << 2), <u32>count);
      store<u8>(d + D_DEPTH, depth + 1);
      store<u8>(d + D_MODE, M_TYPE);
      return true;
    }
  }
  return false;
}

const F_SIGN: u8 = 1, F_DIGIT: u8 = 2, F_NOTINT: u8 = 4, F_NEG: u8 = 8, F_NOTREAL: u8 = 16;

/** One byte of a line read as a number: [+-]?[0-9]+ for integers; doubles may also hold . e E
 *  and the words inf and nan. */
function numByte(d: usize, c: u32): void {
  let f = load<u8>(d + D_NFLAGS);
  if (c >= 48 && c <= 57 && (f & F_NOTINT) == 0) {
    const v = load<i64>(d + D_NUM);
    store<i64>(d + D_NUM, v < 1_000_000_000_000 ? v * 10 + <i64>(c - 48) : v);
    f |= F_DIGIT;
  } else if ((c == 45 || c == 43) && (f & (F_SIGN | F_DIGIT)) == 0) {
    f |= c == 45 ? F_SIGN | F_NEG : F_SIGN;
  } else {
    f |= F_NOTINT;
    if (!(c >= 48 && c <= 57) && !(c == 46 || c == 101 || c == 69 || c == 43 || c == 45 || c == 105 || c == 110 || c == 102 || c == 97)) f |= F_NOTREAL;
  }
  store<u8>(d + D_NFLAGS, f);
}

export function redisStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    const mode = load<u8>(d + D_MODE);
    if (mode == M_CONTENT) {
      const left = load<u32>(d + D_LEN);
      const take = left < n - i ? left : n - i;
      i += take;
      store<u32>(d + D_LEN, left - take);
      if (left - take == 0) beginLine(d, M_SKIP);
      continue;
    }
    const c = <u32>load<u8>(p + i);
    i++;
    if (mode == M_START && c != 42) {
      beginLine(d, M_INLINE); // an inline command; its type byte is its first byte
      store<u32>(d + D_LEN, 1);
      continue;
    }
    if (mode == M_START || mode == M_TYPE) {
      switch (c) {
        case 43: case 45: case 58: case 36: case 42: case 95: case 35: case 44: case 40: case 33: case 61: case 37: case 126: case 62:
          break;
        default:
          aViolate();
          return;
      }
      store<u8>(d + D_TYPE, <u8>c);
      if (c == 95) beginLine(d, M_SKIP); // null
      else if (c == 35) store<u8>(d + D_MODE, M_BOOL);
      else beginLine(d, M_LINE);
      continue;
    }
    if (mode == M_BOOL) { beginLine(d, M_SKIP); continue; }
    // a line up to CRLF
    if (c == 10 && load<u8>(d + D_CR) != 0) {
      if (mode == M_INLINE) { store<u8>(d + D_MODE, M_START); continue; }
      if (mode == M_SKIP) { elementDone(d, isOrig); continue; }
      store<u8>(d + D_NFLAGS, load<u8>(d + D_PREV)); // the CR was not part of the number
      if (!lineEnd(d, isOrig)) { aViolate(); return; }
      continue;
    }
    store<u8>(d + D_CR, c == 13 ? 1 : 0);
    const len = load<u32>(d + D_LEN) + 1;
    store<u32>(d + D_LEN, len);
    if (mode == M_INLINE) {
      if (len > 1024) { aViolate(); return; }
      continue;
    }
    if (mode == M_LINE) {
      if (<i64>len > MAX_SIZE) { aViolate(); return; }
      store<u8>(d + D_PREV, load<u8>(d + D_NFLAGS));
      numByte(d, c);
    }
  }
}
