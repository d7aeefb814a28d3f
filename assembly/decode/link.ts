// Decoding entry: one capture record -> the packet view (packet.ts). Link layers live here; the
// rest is split by layer: ether.ts (ethertypes, VLAN, MPLS, PPPoE, LLC/SNAP), ip.ts (IPv4, IPv6 and
// its extension headers), fragments.ts, tunnels.ts, transport.ts (TCP, UDP, ICMP), checksum.ts.
//
// Every function takes (p, cap, wire): where its header starts, and the bytes captured and on the
// wire from there. A length is checked once per header, then fields are read unchecked. Nothing
// allocates. Semantics follow Zeek's packet analyzers (src/packet_analysis/protocol/*).
import { SKIP_UNSUPPORTED_LINK, SKIP_NOT_IP, SKIP_TRUNCATED_LINK, setLastUnsupportedLink } from "../stats";
import { setChecksumBad, setTunnelDepth, setTunnelParent } from "../packet";
import { u8at, be16, le16, be32, after } from "./bytes";
import { decodeEthernet, decodeEthertype, decodePppProtocol } from "./ether";
import { decodeIp } from "./ip";
import { transportBegin } from "./transport";

export { DECODED } from "./transport";

// LINKTYPE_* values (https://www.tcpdump.org/linktypes.html)
export const LINK_NULL: u32 = 0;
export const LINK_ETHERNET: u32 = 1;
export const LINK_PPP: u32 = 9;
export const LINK_FDDI: u32 = 10;
export const LINK_RAW_BSD: u32 = 12;     // DLT_RAW on most BSDs
export const LINK_RAW_OPENBSD: u32 = 14; // DLT_RAW on OpenBSD
export const LINK_PPP_SERIAL: u32 = 50;
export const LINK_RAW: u32 = 101;
export const LINK_IEEE802_11: u32 = 105;
export const LINK_LOOP: u32 = 108;
export const LINK_LINUX_SLL: u32 = 113;
export const LINK_RADIOTAP: u32 = 127;
export const LINK_IPV4: u32 = 228;
export const LINK_IPV6: u32 = 229;
export const LINK_NFLOG: u32 = 239;
export const LINK_LINUX_SLL2: u32 = 276;

/** Decode one record into packet.ts. Returns DECODED or a skip reason (stats.ts). */
export function decodePacket(linkType: u32, data: usize, capLen: u32, wireLen: u32): i32 {
  setChecksumBad(false);
  setTunnelDepth(0);
  setTunnelParent(0);
  transportBegin(capLen, wireLen);
  switch (linkType & 0xffff) { // the upper bits of a pcap link-type field hold FCS information
    case LINK_ETHERNET: return decodeEthernet(data, capLen, wireLen, 0);
    case LINK_NULL: return decodeNull(data, capLen, wireLen, false);
    case LINK_LOOP: return decodeNull(data, capLen, wireLen, true);
    case LINK_RAW:
    case LINK_RAW_BSD:
    case LINK_RAW_OPENBSD:
    case LINK_IPV4:
    case LINK_IPV6: return decodeIp(data, capLen, wireLen, 0);
    case LINK_LINUX_SLL: return decodeSll(data, capLen, wireLen);
    case LINK_LINUX_SLL2: return decodeSll2(data, capLen, wireLen);
    case LINK_PPP: return decodePpp(data, capLen, wireLen);
    case LINK_PPP_SERIAL: return decodePppSerial(data, capLen, wireLen);
    case LINK_NFLOG: return decodeNflog(data, capLen, wireLen);
    case LINK_RADIOTAP: return decodeRadiotap(data, capLen, wireLen);
    case LINK_IEEE802_11: return decode80211(data, capLen, wireLen);
    case LINK_FDDI: return decodeFddi(data, capLen, wireLen);
  }
  setLastUnsupportedLink(linkType);
  return SKIP_UNSUPPORTED_LINK;
}

/**
 * NULL (BSD loopback): a 4-byte address family in the capturing host's byte order; LOOP: the same
 * in network byte order. Like libpcap and Wireshark, a NULL family with bits in its upper half was
 * written big-endian. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD),
 * 30 (Darwin) or 10 (Linux). The IP version then comes from the packet, as in Zeek.
 */
function decodeNull(p: usize, cap: u32, wire: u32, networkOrder: bool): i32 {
  if (cap <= 4) return SKIP_TRUNCATED_LINK;
  if (!nullFamilyIsIp(p, networkOrder)) return SKIP_NOT_IP;
  return decodeIp(p + 4, cap - 4, after(wire, 4), 0);
}

/** Is the NULL/LOOP header's address family at p one of IPv4's or IPv6's? (also flow/warm.ts) */
export function nullFamilyIsIp(p: usize, networkOrder: bool): bool {
  let family = networkOrder ? be32(p) : load<u32>(p);
  if (!networkOrder && (family & 0xffff0000) != 0) family = bswap<u32>(family);
  return family == 2 || family == 24 || family == 28 || family == 30 || family == 10;
}

/** Linux cooked capture v1: 16 bytes, the protocol (an ethertype) last. */
export const SLL_HEADER: u32 = 16;
export const SLL_PROTOCOL: u32 = 14;
function decodeSll(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= SLL_HEADER) return SKIP_TRUNCATED_LINK;
  return decodeEthertype(be16(p + SLL_PROTOCOL), p + SLL_HEADER, cap - SLL_HEADER, after(wire, SLL_HEADER), 0);
}

/** Linux cooked capture v2: 20 bytes, the protocol (an ethertype) first. */
export const SLL2_HEADER: u32 = 20;
function decodeSll2(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= SLL2_HEADER) return SKIP_TRUNCATED_LINK;
  return decodeEthertype(be16(p), p + SLL2_HEADER, cap - SLL2_HEADER, after(wire, SLL2_HEADER), 0);
}

/** PPP: with HDLC-like framing (ff 03) or without; a 2-byte protocol. */
function decodePpp(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= 2) return SKIP_TRUNCATED_LINK;
  if (u8at(p) == 0xff && u8at(p + 1) == 0x03) {
    if (cap <= 4) return SKIP_TRUNCATED_LINK;
    return decodePppProtocol(be16(p + 2), p + 4, cap - 4, after(wire, 4), 0);
  }
  return decodePppProtocol(be16(p), p + 2, cap - 2, after(wire, 2), 0);
}

/** PPP in HDLC framing (RFC 1662): address, control, 2-byte protocol. */
function decodePppSerial(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= 4) return SKIP_TRUNCATED_LINK;
  return decodePppProtocol(be16(p + 2), p + 4, cap - 4, after(wire, 4), 0);
}

/**
 * NFLOG: family (AF_INET 2, AF_INET6 10), version 0, resource id, then TLVs (length, type) in the
 * capturing host's byte order; the packet follows the header of the payload TLV (type 9). Types are
 * small numbers, so a type with an empty low byte says the TLVs are big-endian.
 */
function decodeNflog(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= 4) return SKIP_TRUNCATED_LINK;
  const family = u8at(p);
  if (u8at(p + 1) != 0) return SKIP_NOT_IP; // unknown_nflog_version
  let off: u32 = 4;
  let swapped = false;
  let first = true;
  while (true) {
    if (cap <= off + 4) return SKIP_TRUNCATED_LINK; // nflog_no_pcap_payload
    let tlvLen = le16(p + off);
    let tlvType = le16(p + off + 2);
    if (first) {
      swapped = (tlvType & 0xff) == 0 && tlvType != 0;
      first = false;
    }
    if (swapped) { tlvLen = be16(p + off); tlvType = be16(p + off + 2); }
    if (tlvType == 9) { off += 4; break; }
    if (tlvLen < 4) return SKIP_TRUNCATED_LINK; // nflog_bad_tlv_len
    off += (tlvLen + 3) & ~3; // TLVs are padded to 32 bits
  }
  if (family != 2 && family != 10) return SKIP_NOT_IP;
  return decodeIp(p + off, cap - off, after(wire, off), 0);
}

/** Radiotap: a little-endian header length at offset 2, then an 802.11 frame. */
function decodeRadiotap(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= 3) return SKIP_TRUNCATED_LINK;
  const len = le16(p + 2);
  if (len >= cap) return SKIP_TRUNCATED_LINK;
  return decode80211(p + len, cap - len, after(wire, len));
}

/**
 * 802.11: data frames only (management and control frames, null-data subtypes and protected frames
 * carry no IP we can read), after Zeek's IEEE802_11 analyzer. Adds the HT Control field of QoS data
 * frames with the order bit set, which Zeek does not skip. An A-MSDU yields its first subframe only
 * (one packet per record).
 */
export function decode80211(p: usize, cap: u32, wire: u32, depth: u32 = 0): i32 {
  if (cap <= 24) return SKIP_TRUNCATED_LINK;
  const fc0 = u8at(p);
  const fc1 = u8at(p + 1);
  if (((fc0 >> 2) & 0x03) != 2) return SKIP_NOT_IP; // not a data frame
  const subtype = fc0 >> 4;
  if ((subtype & 0x04) != 0) return SKIP_NOT_IP;    // Null, CF-Ack, CF-Poll: no data
  let hdr: u32 = 24;
  if ((fc1 & 0x03) == 0x03) hdr += 6;                // To DS and From DS: a 4th address
  if (cap <= hdr) return SKIP_TRUNCATED_LINK;
  let amsdu = false;
  if ((subtype & 0x08) != 0) {                       // QoS data
    amsdu = (u8at(p + hdr) & 0x80) != 0;
    hdr += 2;
    if ((fc1 & 0x80) != 0) hdr += 4;                 // +HTC
  }
  if ((fc1 & 0x40) != 0) return SKIP_NOT_IP;         // protected: encrypted payload
  if (cap <= hdr) return SKIP_TRUNCATED_LINK;
  p += hdr; cap -= hdr; wire = after(wire, hdr);
  if (amsdu) {
    // A-MSDU subframe header: DA, SA, length (big-endian), then LLC.
    if (cap < 14) return SKIP_TRUNCATED_LINK;
    const sub = be16(p + 12);
    p += 14; cap -= 14; wire = after(wire, 14);
    if (cap > sub) cap = sub;
  }
  // LLC/SNAP with OUI 0: aa aa 03 00 00 00, then the ethertype.
  if (cap < 8) return SKIP_TRUNCATED_LINK;
  if (u8at(p) != 0xaa || u8at(p + 1) != 0xaa || u8at(p + 2) != 0x03 ||
      u8at(p + 3) != 0 || u8at(p + 4) != 0 || u8at(p + 5) != 0) return SKIP_NOT_IP;
  return decodeEthertype(be16(p + 6), p + 8, cap - 8, after(wire, 8), depth);
}

/** FDDI: frame control, destination, source (13 bytes), then LLC/SNAP (8 bytes). */
function decodeFddi(p: usize, cap: u32, wire: u32): i32 {
  if (cap <= 21) return SKIP_TRUNCATED_LINK;
  const q = p + 13;
  if (u8at(q) != 0xaa || u8at(q + 1) != 0xaa || u8at(q + 2) != 0x03 ||
      u8at(q + 3) != 0 || u8at(q + 4) != 0 || u8at(q + 5) != 0) return SKIP_NOT_IP;
  return decodeEthertype(be16(q + 6), p + 21, cap - 21, after(wire, 21), 0);
}
