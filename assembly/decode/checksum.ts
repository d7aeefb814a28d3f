// Internet checksums (RFC 1071). The ones' complement sum does not depend on byte order, so words
// are summed as they sit in memory (little-endian loads) and only the fields we add from numbers
// (protocol, length) are byte-swapped to match. A block is valid when its folded sum is 0xffff.
import { srcAddr, dstAddr } from "../packet";

const SIMD_BLOCK: u32 = 256 << 10; // 8192 loads per accumulator: a lane stays below 2^30

/** Ones' complement partial sum of n bytes at p, added to acc (not folded). */
export function sumBytes(p: usize, n: u32, acc: u64): u64 {
  let i: u32 = 0;
  // 64 bytes per step: each 16-byte load's 16-bit words are added pairwise into four 32-bit
  // lanes, in two independent accumulators. A lane gains at most 2 * 0xffff per load, so the lanes
  // are emptied into acc every SIMD_BLOCK bytes, long before they could overflow.
  while (i + 64 <= n) {
    const end = min(n & ~63, i + SIMD_BLOCK);
    let a = i32x4.splat(0), b = i32x4.splat(0);
    do {
      a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i)));
      b = i32x4.add(b, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i, 16)));
      a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i, 32)));
      b = i32x4.add(b, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i, 48)));
      i += 64;
    } while (i < end);
    const s = i64x2.add(
      i64x2.add(i64x2.extend_low_i32x4_u(a), i64x2.extend_high_i32x4_u(a)),
      i64x2.add(i64x2.extend_low_i32x4_u(b), i64x2.extend_high_i32x4_u(b)));
    acc += i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1);
  }
  while (i + 8 <= n) {
    const w = load<u64>(p + i);
    acc += (w & 0xffffffff) + (w >> 32);
    i += 8;
  }
  if (i + 4 <= n) { acc += <u64>load<u32>(p + i); i += 4; }
  if (i + 2 <= n) { acc += <u64>load<u16>(p + i); i += 2; }
  if (i < n) acc += <u64>load<u8>(p + i); // odd byte: [b, 0] as a little-endian word
  return acc;
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
  return fold(sumBytes(p, hdrLen, 0)) == 0xffff;
}

/** Pseudo-header sum from the packet view's addresses (IPv4-mapped or IPv6; the IPv6 destination
 *  is already the final one of a routing header, as RFC 8200 8.1 wants). */
function pseudoSum(version: u32, proto: u32, len: u32): u64 {
  let acc: u64 = 0;
  if (version == 4) {
    acc += <u64>load<u32>(srcAddr, 12) + <u64>load<u32>(dstAddr, 12);
    acc += <u64>(proto << 8) + <u64>bswap<u16>(<u16>len);
  } else {
    acc = sumBytes(srcAddr, 16, acc);
    acc = sumBytes(dstAddr, 16, acc);
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
