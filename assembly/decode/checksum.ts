// Internet checksums (RFC 1071). The ones' complement sum does not depend on byte order, so words
// are summed as they sit in memory (little-endian loads) and only the fields we add from numbers
// (protocol, length) are byte-swapped to match. A block is valid when its folded sum is 0xffff.
import { srcAddr, dstAddr } from "../packet";

/** Ones' complement partial sum of n bytes at p, added to acc (not folded). */
export function sumBytes(p: usize, n: u32, acc: u64): u64 {
  let i: u32 = 0;
  // 32 bytes per step in two u64 accumulators of 32-bit halves (independent add chains); an u64
  // cannot overflow below 2^31 steps.
  let a: u64 = 0, b: u64 = 0;
  while (i + 32 <= n) {
    const w0 = load<u64>(p + i), w1 = load<u64>(p + i, 8), w2 = load<u64>(p + i, 16), w3 = load<u64>(p + i, 24);
    a += (w0 & 0xffffffff) + (w0 >> 32) + (w2 & 0xffffffff) + (w2 >> 32);
    b += (w1 & 0xffffffff) + (w1 >> 32) + (w3 & 0xffffffff) + (w3 >> 32);
    i += 32;
  }
  acc += a + b;
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
