// Capture format from the first bytes of the stream (never from a file name), and the limits
// shared by the pcap and pcapng readers.
//
// Magic numbers are compared as a little-endian u32 load of the first four bytes (wasm is
// little-endian), so a "BE" file shows its magic byte-reversed.

export const FMT_NONE: i32 = 0;    // not enough bytes yet
export const FMT_PCAP: i32 = 1;
export const FMT_PCAPNG: i32 = 2;
export const FMT_BAD: i32 = -1;    // no magic we know

// Classic pcap, as loaded little-endian from the stream.
export const PCAP_US_LE: u32 = 0xA1B2C3D4;   // microseconds, little-endian file
export const PCAP_US_BE: u32 = 0xD4C3B2A1;   // microseconds, big-endian file
export const PCAP_NS_LE: u32 = 0xA1B23C4D;   // nanoseconds, little-endian file
export const PCAP_NS_BE: u32 = 0x4D3CB2A1;   // nanoseconds, big-endian file
export const PCAP_MOD_LE: u32 = 0xA1B2CD34;  // Kuznetzov "modified" pcap (24-byte record headers)
export const PCAP_MOD_BE: u32 = 0x34CDB2A1;
// pcapng: the Section Header Block type is a palindrome, the same in both byte orders.
export const PCAPNG_SHB: u32 = 0x0A0D0D0A;
// pcapng byte-order magic (offset 8 of an SHB), as loaded little-endian.
export const PCAPNG_BOM_LE: u32 = 0x1A2B3C4D;
export const PCAPNG_BOM_BE: u32 = 0x4D3C2B1A;

/** Largest packet libpcap and Wireshark accept for ordinary link types. */
export const MAX_CAP_STANDARD: u32 = 262144;
/**
 * Link types for which Wireshark allows far bigger packets (D-Bus 231, USBPcap 249, EBHSCR 279);
 * here they are bounded by the 16 MiB input region instead.
 */
export const MAX_CAP_BIG: u32 = (16 << 20) - 64;
/** Largest pcapng block accepted (the caller's input region is at most 16 MiB). */
export const MAX_BLOCK: u32 = 16 << 20;

/** Largest captured length accepted for a record of this link type (as Wireshark). */
export function maxCapLen(link: u32): u32 {
  return link == 231 || link == 249 || link == 279 ? MAX_CAP_BIG : MAX_CAP_STANDARD;
}

/**
 * A time stamp's sub-second nanoseconds (at or above 0) as Zeek sees them: Zeek opens a capture
 * with pcap_open_offline, whose microsecond precision cuts a finer fraction down (sf-pcap.c,
 * sf-pcapng.c: the fraction divided, rounding down). Every timer then runs on that time, so a
 * gap of 59.9999996 s between packets 1060.0000001 and 1000.0000005 is Zeek's 60 s.
 */
// @ts-ignore: decorator
@inline export function zeekMicros(ns: u64): u64 {
  return ns - ns % 1000;
}

/**
 * The magic of another capture's file header at p (avail bytes there), or 0: a pcap magic followed
 * by major version 2 in that magic's byte order, or a pcapng section header block with its
 * byte-order magic. Found where a pcap record or a pcap file's block should start, it means
 * captures joined with cat (each reader would otherwise report the header as damage 16 bytes on,
 * as an impossible length).
 */
export function joinedHeaderAt(p: usize, avail: u32): u32 {
  if (avail < 8) return 0;
  const m = load<u32>(p);
  if (m == PCAPNG_SHB) {
    if (avail < 12) return 0;
    const bom = load<u32>(p + 8);
    return bom == PCAPNG_BOM_LE || bom == PCAPNG_BOM_BE ? m : 0;
  }
  if (!isPcapMagic(m)) return 0;
  const major = pcapBigEndian(m) ? <u32>bswap<u16>(load<u16>(p + 4)) : <u32>load<u16>(p + 4);
  return major == 2 ? m : 0;
}

/** The first four bytes as one little-endian u32 (only valid with >= 4 bytes). */
@inline export function magicAt(p: usize): u32 {
  return load<u32>(p);
}

/** Is the pcap file whose magic is `m` big-endian? */
export function pcapBigEndian(m: u32): bool {
  return m == PCAP_US_BE || m == PCAP_NS_BE || m == PCAP_MOD_BE;
}

/** True if `m` is one of the six classic pcap magics. */
export function isPcapMagic(m: u32): bool {
  return m == PCAP_US_LE || m == PCAP_US_BE || m == PCAP_NS_LE || m == PCAP_NS_BE
    || m == PCAP_MOD_LE || m == PCAP_MOD_BE;
}

/**
 * Format of a stream whose first `avail` bytes are at p. With fewer than 4 bytes: FMT_NONE, even
 * when they cannot start a magic, so that the verdict (and its detail) never depends on chunking.
 */
export function detectFormat(p: usize, avail: u32): i32 {
  if (avail < 4) return FMT_NONE;
  const m = magicAt(p);
  if (m == PCAPNG_SHB) return FMT_PCAPNG;
  if (isPcapMagic(m)) return FMT_PCAP;
  return FMT_BAD;
}

/** With fewer than 4 bytes: could they still start a known magic? */
export function couldBeMagic(p: usize, avail: u32): bool {
  if (avail >= 4) return detectFormat(p, avail) != FMT_BAD;
  let have: u32 = 0;
  for (let i: u32 = 0; i < avail; i++) have |= <u32>load<u8>(p + i) << (i << 3);
  const mask: u32 = avail == 0 ? 0 : (<u32>0xFFFFFFFF) >>> ((4 - avail) << 3);
  return (have == (PCAPNG_SHB & mask)) || have == (PCAP_US_LE & mask) || have == (PCAP_US_BE & mask)
    || have == (PCAP_NS_LE & mask) || have == (PCAP_NS_BE & mask)
    || have == (PCAP_MOD_LE & mask) || have == (PCAP_MOD_BE & mask);
}

/** The magic's bytes seen so far, for an error detail (fewer than 4 bytes: what there is). */
export function partialMagic(p: usize, avail: u32): u64 {
  const n: u32 = avail < 4 ? avail : 4;
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) v = (v << 8) | <u64>load<u8>(p + i);
  return v;
}
