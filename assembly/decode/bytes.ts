// Byte access for the decoders. Every decoder checks a length once, then reads with these
// (unchecked) loads; all multi-byte fields are in network byte order unless a name says otherwise.

// @ts-ignore: decorator
@inline export function u8at(p: usize): u32 {
  return <u32>load<u8>(p);
}

// The two bytes swapped by a multiply: x * 0x10001 holds x twice, and bits 8-23 of it are the
// bytes in network order. V8 compiles bswap<u16>'s shifts and masks to six instructions, this to
// four; the 16-bit fields of every header read here (ethertypes, lengths, ports) add up.
// @ts-ignore: decorator
@inline export function be16(p: usize): u32 {
  return ((<u32>load<u16>(p) * 0x10001) >> 8) & 0xffff;
}

// @ts-ignore: decorator
@inline export function le16(p: usize): u32 {
  return <u32>load<u16>(p);
}

// @ts-ignore: decorator
@inline export function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/** Bytes left after skipping n: the wire length can be shorter than the headers (damaged records). */
// @ts-ignore: decorator
@inline export function after(len: u32, n: u32): u32 {
  return len > n ? len - n : 0;
}

/** Copy an IPv4 address (4 bytes at p) into a 16-byte buffer as ::ffff:a.b.c.d. */
// @ts-ignore: decorator
@inline export function storeMapped4(dst: usize, p: usize): void {
  store<u64>(dst, 0);
  // bytes 00 00 ff ff then the address, in one store: the key's readers load these 8 bytes as
  // one u64, which two smaller stores would make wait (no store-to-load forwarding across them)
  store<u64>(dst, (<u64>load<u32>(p) << 32) | 0xffff0000, 8);
}

/** Is the 16-byte address IPv4-mapped (::ffff:0:0/96)? Then it is an IPv4 address, whether an
 *  IPv4 or an IPv6 header carried it, as Zeek's IPAddr decides (GetFamily: the prefix). */
// @ts-ignore: decorator
@inline export function isMapped4(a: usize): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == 0xffff0000;
}

/** Copy a 16-byte IPv6 address. */
// @ts-ignore: decorator
@inline export function store16(dst: usize, p: usize): void {
  store<u64>(dst, load<u64>(p));
  store<u64>(dst, load<u64>(p, 8), 8);
}
