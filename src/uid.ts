// Connection uids as Zeek writes them: "C" followed by base62 characters. Ours are a bijective
// 64-bit mix of the connection's serial number (its position in the run), so a uid is unique
// within a run and the same for the same input. Only 32-bit integer arithmetic: no BigInt per event.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TWO32 = 0x1_0000_0000;

/** murmur3's 32-bit finalizer (a bijection on u32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const ROUND_KEYS = [0x9e3779b9, 0x7f4a7c15, 0x94d049bb, 0xbf58476d];

/**
 * The uid of the connection with serial `hi * 2^32 + lo`. A four-round Feistel network on the two
 * 32-bit halves: a bijection on 64 bits, so different serials never share a uid.
 */
export function uidFromSerial(lo: number, hi = 0): string {
  let l = hi >>> 0;
  let r = lo >>> 0;
  for (const k of ROUND_KEYS) {
    const t = (l ^ fmix32((r ^ k) >>> 0)) >>> 0;
    l = r;
    r = t;
  }
  return "C" + base62(l, r);
}

/** The uid of a serial given as a number (exact below 2^53). */
export function uid(serial: number): string {
  return uidFromSerial(serial % TWO32, Math.floor(serial / TWO32));
}

/** Base62 of the 64-bit value hi * 2^32 + lo, most significant digit first, no padding (as Zeek's). */
function base62(hi: number, lo: number): string {
  let out = "";
  while (hi !== 0 || lo !== 0) {
    // long division by 62 in two exact steps (every intermediate stays below 2^53)
    const qHi = Math.floor(hi / 62);
    const rem = (hi - qHi * 62) * TWO32 + lo;
    const qLo = Math.floor(rem / 62);
    out = ALPHABET[rem - qLo * 62] + out;
    hi = qHi;
    lo = qLo;
  }
  return out === "" ? "0" : out;
}
