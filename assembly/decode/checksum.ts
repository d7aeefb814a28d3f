// Internet checksums (RFC 1071). The ones' complement sum does not depend on byte order, so words
// are summed as they sit in memory (little-endian loads) and only the fields we add from numbers
// (protocol, length) are byte-swapped to match. A block is valid when its folded sum is 0xffff.
import { srcAddr, dstAddr } from "../packet";

// 16-bit words are summed 16 bytes at a time with i32x4.dot_i16x8_s against ones (one x86
// pmaddwd: adds each pair of words into a 32-bit lane), which reads the words as signed: each word
// is first biased by 0x8000 (w ^ 0x8000 is w - 0x8000 as a signed word), and the bias is added back
// at the end, 0x8000 for every word of every vector summed (the lanes' totals may be negative until
// then: they are added modulo 2^64). A lane moves by at most 2 * 0x8000 per vector; a block of
// SIMD_BLOCK bytes (8192 vectors per accumulator, and at most 2 more each for the tail) keeps it
// below 2^30.
const SIMD_BLOCK: u32 = 256 << 10;
const BIAS: v128 = i16x8(-0x8000, -0x8000, -0x8000, -0x8000, -0x8000, -0x8000, -0x8000, -0x8000);
const ONES: v128 = i16x8(1, 1, 1, 1, 1, 1, 1, 1);
// 16 zero bytes, then 16 of 0xff: the 16 bytes at TAIL_MASKS + k keep a vector's last k bytes
const TAIL_MASKS: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
]);

// @ts-ignore: decorator
@inline function pairSums(v: v128): v128 {
  return i32x4.dot_i16x8_s(v128.xor(v, BIAS), ONES);
}

/** An 8-byte load's two 32-bit halves, added. */
// @ts-ignore: decorator
@inline function halves(w: u64): u64 {
  return (w & 0xffffffff) + (w >> 32);
}

// @ts-ignore: decorator
@inline function laneTotal(a: v128): u64 {
  const s = i64x2.add(i64x2.extend_low_i32x4_s(a), i64x2.extend_high_i32x4_s(a));
  return <u64>(i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1));
}

/** Ones' complement partial sum of n bytes at p, added to acc (not folded). Reads no byte outside
 *  [p, p + n). */
export function sumBytes(p: usize, n: u32, acc: u64): u64 {
  if ((n & 1) != 0) { // the odd last byte: [b, 0] as a little-endian word
    n--;
    acc += <u64>load<u8>(p + n);
  }
  if (n < 16) {
    let i: u32 = 0;
    if (n >= 8) { acc += halves(load<u64>(p)); i = 8; }
    if (i + 4 <= n) { acc += <u64>load<u32>(p + i); i += 4; }
    if (i < n) acc += <u64>load<u16>(p + i);
    return acc;
  }
  let a = i32x4.splat(0), b = i32x4.splat(0);
  let i: u32 = 0;
  const whole = n & ~63;
  if (whole != 0) {
    let end = min(whole, SIMD_BLOCK);
    while (true) {
      do {
        a = i32x4.add(a, pairSums(v128.load(p + i)));
        b = i32x4.add(b, pairSums(v128.load(p + i, 16)));
        a = i32x4.add(a, pairSums(v128.load(p + i, 32)));
        b = i32x4.add(b, pairSums(v128.load(p + i, 48)));
        i += 64;
      } while (i < end);
      if (end == whole) break;
      acc += laneTotal(i32x4.add(a, b));
      a = i32x4.splat(0);
      b = i32x4.splat(0);
      end = min(whole, i + SIMD_BLOCK);
    }
  }
  // under 64 bytes left (an even count), without a loop: whole vectors, then the last one ending
  // at p + n with the bytes already summed masked out (n >= 16: it starts at or after p)
  if (i + 32 <= n) {
    a = i32x4.add(a, pairSums(v128.load(p + i)));
    b = i32x4.add(b, pairSums(v128.load(p + i, 16)));
    i += 32;
  }
  if (i + 16 <= n) {
    a = i32x4.add(a, pairSums(v128.load(p + i)));
    i += 16;
  }
  if (i < n) b = i32x4.add(b, pairSums(v128.and(v128.load(p + n - 16), v128.load(TAIL_MASKS + (n - i)))));
  // ceil(n / 16) vectors of 8 words, each biased by 0x8000
  return acc + laneTotal(i32x4.add(a, b)) + (<u64>((n + 15) >> 4) << 18);
}

/** Fold a partial sum to 16 bits. */
export function fold(acc: u64): u32 {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  let s = <u32>acc;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return s;
}

/** IPv4 header checksum over hdrLen bytes: true when valid. */
export function ipv4HeaderOk(p: usize, hdrLen: u32): bool {
  if (hdrLen != 20) return fold(sumBytes(p, hdrLen, 0)) == 0xffff;
  // nearly every header has no options: five 32-bit words, summed without the vector set-up
  return fold(halves(load<u64>(p)) + halves(load<u64>(p, 8)) + <u64>load<u32>(p, 16)) == 0xffff;
}

/** Pseudo-header sum from the packet view's addresses (IPv4-mapped or IPv6; the IPv6 destination
 *  is already the final one of a routing header, as RFC 8200 8.1 wants). */
function pseudoSum(version: u32, proto: u32, len: u32): u64 {
  let acc: u64 = 0;
  if (version == 4) {
    acc += <u64>load<u32>(srcAddr, 12) + <u64>load<u32>(dstAddr, 12);
    acc += <u64>(proto << 8) + <u64>bswap<u16>(<u16>len);
  } else {
    // the two addresses as 32-bit halves of 8-byte loads: no call and vector set-up for 16 bytes
    acc = halves(load<u64>(srcAddr)) + halves(load<u64>(srcAddr, 8)) + halves(load<u64>(dstAddr)) + halves(load<u64>(dstAddr, 8));
    // 32-bit upper-layer length, then 24 zero bits and the next header
    acc += <u64>bswap<u16>(<u16>(len >> 16)) + <u64>bswap<u16>(<u16>len) + <u64>(proto << 8);
  }
  return acc;
}

/** TCP/UDP/ICMPv6 checksum over the whole segment (len bytes at p) with the pseudo-header. */
export function transportOk(version: u32, proto: u32, p: usize, len: u32): bool {
  return fold(sumBytes(p, len, pseudoSum(version, proto, len))) == 0xffff;
}

/** ICMPv4 checksum: no pseudo-header. */
export function plainOk(p: usize, len: u32): bool {
  return fold(sumBytes(p, len, 0)) == 0xffff;
}
