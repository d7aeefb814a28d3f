// Helpers shared by the line-based analyzers: Zeek's ContentLine_Analyzer splits a stream at CR,
// LF or CRLF (an LF right after a CR-terminated line is swallowed), and small byte tests.
import { aHandOver } from "./ctx";

export const LN_CHAR: u32 = 0; // part of the current line
export const LN_EOL: u32 = 1;  // the current line ends (the byte is not part of it)
export const LN_SKIP: u32 = 2; // an LF after CR: ignore

/** A lone LF: at a stream's end ContentLine_Analyzer::EndpointEOF feeds one to end a partial line. */
export const LONE_LF: usize = memory.data<u8>([10]);

/** One byte through the line splitter whose state bit `bit` (last char was CR) lives at `at`. */
// @ts-ignore: decorator
@inline export function lineStep(at: usize, bit: u8, c: u32): u32 {
  const s = load<u8>(at);
  if (c == 10) {
    if (s & bit) { store<u8>(at, s & ~bit); return LN_SKIP; }
    return LN_EOL;
  }
  if (c == 13) { store<u8>(at, s | bit); return LN_EOL; }
  if (s & bit) store<u8>(at, s & ~bit);
  return LN_CHAR;
}

/**
 * Bytes to skip at `p` (n bytes) right after a line ended: the LF of a CRLF belongs to the line
 * (ContentLine consumes it with the CR), so a stream handed to another analyzer starts after it.
 */
export function eolTail(at: usize, bit: u8, p: usize, n: u32): u32 {
  if ((load<u8>(at) & bit) != 0 && n > 0 && load<u8>(p) == 10) {
    store<u8>(at, load<u8>(at) & ~bit);
    return 1;
  }
  return 0;
}

/**
 * The line that ended at the byte before `p` switched protocols (STARTTLS, a WebSocket upgrade):
 * the n bytes from `p` on, past the line's LF, go to analyzer `id` in the same direction.
 */
export function handOverAfterLine(at: usize, bit: u8, id: u32, isOrig: bool, p: usize, n: u32): void {
  const skip = eolTail(at, bit, p, n);
  aHandOver(id, isOrig, p + skip, n - skip);
}

/** Index of the first byte equal to a, b or c in the n bytes at p, or n: 16 bytes a step while
 *  they last. Reads no byte outside [p, p + n). */
// @ts-ignore: decorator
@inline export function indexOfAny(p: usize, n: u32, a: u8, b: u8, c: u8): u32 {
  const va = i8x16.splat(a), vb = i8x16.splat(b), vc = i8x16.splat(c);
  let j: u32 = 0;
  while (j + 16 <= n) {
    const v = v128.load(p + j);
    const hits = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, va), i8x16.eq(v, vb)), i8x16.eq(v, vc)));
    if (hits != 0) return j + ctz(hits);
    j += 16;
  }
  while (j < n) {
    const x = load<u8>(p + j);
    if (x == a || x == b || x == c) break;
    j++;
  }
  return j;
}

/** Index of the first CR or LF in the n bytes at p, or n. */
export function lineEnd(p: usize, n: u32): u32 {
  return indexOfAny(p, n, 13, 10, 10);
}

// @ts-ignore: decorator
@inline export function isSpace(c: u32): bool { return c == 32 || (c >= 9 && c <= 13); }
// @ts-ignore: decorator
@inline export function isBlank(c: u32): bool { return c == 32 || c == 9; }
// @ts-ignore: decorator
@inline export function isDigit(c: u32): bool { return c >= 48 && c <= 57; }
// @ts-ignore: decorator
@inline export function isAlpha(c: u32): bool { return (c | 32) >= 97 && (c | 32) <= 122; }
// @ts-ignore: decorator
@inline export function lower(c: u32): u32 { return c >= 65 && c <= 90 ? c | 32 : c; }
// @ts-ignore: decorator
@inline export function upper(c: u32): u32 { return c >= 97 && c <= 122 ? c & ~32 : c; }

// @ts-ignore: decorator
@inline export function be16(p: usize): u32 { return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p, 1); }
// @ts-ignore: decorator
@inline export function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
// @ts-ignore: decorator
@inline export function le16(p: usize): u32 { return <u32>load<u16>(p); }
// @ts-ignore: decorator
@inline export function le32(p: usize): u32 { return load<u32>(p); }

/** Saturating u8 add. */
// @ts-ignore: decorator
@inline export function inc8(at: usize): void { const v = load<u8>(at); if (v != 255) store<u8>(at, v + 1); }
/** Saturating u16 add. */
// @ts-ignore: decorator
@inline export function inc16(at: usize): void { const v = load<u16>(at); if (v != 0xffff) store<u16>(at, v + 1); }
/** Saturating additions of n to a u8 / u16 counter (a run of characters counted at once). */
// @ts-ignore: decorator
@inline export function add8(at: usize, n: u32): void { const v = <u32>load<u8>(at) + n; store<u8>(at, <u8>(v > 0xff ? 0xff : v)); }
// @ts-ignore: decorator
@inline export function add16(at: usize, n: u32): void { const v = <u32>load<u16>(at) + n; store<u16>(at, <u16>(v > 0xffff ? 0xffff : v)); }

/**
 * Accumulates up to `cap` bytes of a message whose bytes arrive in pieces: copies from p/n into
 * buf (have: bytes already there), returns how many bytes it took.
 */
export function gather(buf: usize, have: u32, cap: u32, p: usize, n: u32): u32 {
  const room = cap > have ? cap - have : 0;
  const k = n < room ? n : room;
  if (k > 0) memory.copy(buf + have, p, k);
  return k;
}
