// IPv4 and IPv6 (with extension headers), after Zeek's IP analyzer
// (src/packet_analysis/protocol/ip/IP.cc) and header chain (src/IP.cc, IPv6_Hdr_Chain).
//
// Outcomes, in Zeek's order of checks:
//   fewer than 20 captured bytes (40 for IPv6)        SKIP_TRUNCATED_IP      truncated_IP
//   version not 4 or 6; IHL < 5                       SKIP_BAD_IP_HEADER     unknown_ip_version / IPv4_min_header_size
//   IPv4 total length 0 (TSO) without -C              SKIP_BAD_IP_HEADER     ip_hdr_len_zero
//   wire length shorter than the IP total length      SKIP_TRUNCATED_IP      truncated_IP_len
//   header length > total length                      SKIP_BAD_IP_HEADER     invalid_IP_header_size
//   header cut by the snaplen                         SKIP_TRUNCATED_IP      internally_truncated_header
//   bad IPv4 header checksum (not with -C)            SKIP_BAD_IP_CHECKSUM   bad_IP_checksum
//   fragments                                         fragments.ts
//   IP-in-IP (4, 41) and GRE (47)                     tunnels.ts
//   IGMP, IPv6 ESP, IPv6 no next header               SKIP_NO_CONNECTION
import { setIp, srcAddr, dstAddr } from "../packet";
import { ignoreChecksums } from "../config";
import {
  SKIP_TRUNCATED_IP, SKIP_BAD_IP_HEADER, SKIP_BAD_IP_CHECKSUM, SKIP_NO_CONNECTION,
} from "../stats";
import { u8at, be16, be32, storeMapped4, store16 } from "./bytes";
import { ipv4HeaderOk } from "./checksum";
import { decodeTransport, transportBegin } from "./transport";
import { fragmentIn, FRAG_PASS, FRAG_REASSEMBLED, reassembledPtr, reassembledLen } from "./fragments";
import { isIpTunnel, decodeIpTunnel } from "./tunnels";

const PROTO_HOPOPTS: u32 = 0;
const PROTO_IGMP: u32 = 2;
const PROTO_ROUTING: u32 = 43;
const PROTO_FRAGMENT: u32 = 44;
const PROTO_ESP: u32 = 50;
const PROTO_AH: u32 = 51;
const PROTO_NONE: u32 = 59;
const PROTO_DSTOPTS: u32 = 60;

/**
 * Decode an IP packet at p, its version taken from the first nibble (as Zeek's IP analyzer does
 * for every link type and ethertype that leads to it). cap: bytes captured from p; wire: bytes on
 * the wire from p; depth: tunnel depth (0 for the outermost IP header).
 */
// @ts-ignore: decorator
@inline export function decodeIp(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  // Zeek checks for a whole IPv4 header before looking at the version, for IPv6 too.
  if (cap < 20) return SKIP_TRUNCATED_IP;
  const v = u8at(p) >> 4;
  if (v == 4) return decodeIpv4(p, cap, wire, depth);
  if (v == 6) return decodeIpv6(p, cap, wire, depth);
  return SKIP_BAD_IP_HEADER;
}

function decodeIpv4(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  const hdrLen = (u8at(p) & 0x0f) << 2;
  if (hdrLen < 20) return SKIP_BAD_IP_HEADER;
  let total = be16(p + 2);
  if (total == 0) {
    // TCP segmentation offload zeroes ip_len; Zeek gives up unless checksums are ignored, then
    // uses the captured length.
    if (!ignoreChecksums) return SKIP_BAD_IP_HEADER;
    total = cap;
  }
  if (wire < total) return SKIP_TRUNCATED_IP;
  if (hdrLen > total) return SKIP_BAD_IP_HEADER;
  if (hdrLen > cap) return SKIP_TRUNCATED_IP;
  if (!ignoreChecksums && !ipv4HeaderOk(p, hdrLen)) return SKIP_BAD_IP_CHECKSUM;

  storeMapped4(srcAddr, p + 12);
  storeMapped4(dstAddr, p + 16);
  const proto = u8at(p + 9);

  const frag = be16(p + 6);
  if ((frag & 0x3fff) != 0) {
    const r = fragmentIn(4, p, hdrLen, total, cap, (frag & 0x1fff) << 3, (frag & 0x2000) != 0, be16(p + 4), proto, 0);
    if (r == FRAG_REASSEMBLED) return decodeReassembled(depth);
    if (r != FRAG_PASS) return r;
  }
  return decodeNext(4, proto, p, hdrLen, total, cap, wire, depth);
}

function decodeIpv6(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (cap < 40) return SKIP_TRUNCATED_IP;
  const plen = be16(p + 4);
  // As Zeek's IP_Hdr::TotalLen: the payload length plus the fixed header, even when it is 0
  // (a jumbogram or an offloaded segment: then nothing past the header is analysed).
  const total = plen + 40;
  if (wire < total) return SKIP_TRUNCATED_IP;

  store16(srcAddr, p + 8);
  store16(dstAddr, p + 24);

  // Walk the extension headers (Zeek's IPv6_Hdr_Chain). Mobility (135) is not one of them in a
  // default Zeek build (ENABLE_MOBILE_IPV6 off), so it ends up as the transport protocol.
  let next = u8at(p + 6);
  let nextOff: u32 = 6; // where `next` was read (the fragment code rewrites it in a reassembled datagram)
  let off: u32 = 40;
  let routed = false;
  const end = cap < total ? cap : total;
  while (true) {
    if (next == PROTO_HOPOPTS || next == PROTO_ROUTING || next == PROTO_DSTOPTS || next == PROTO_AH) {
      if (off + 2 > end) return extTruncated(off, cap, total);
      const h = p + off;
      const len = next == PROTO_AH ? (u8at(h + 1) + 2) << 2 : (u8at(h + 1) + 1) << 3;
      if (off + len > end) return extTruncated(off + len, cap, total);
      if (next == PROTO_ROUTING && !routed) routed = routingHeader(h, len);
      next = u8at(h);
      nextOff = off;
      off += len;
      continue;
    }
    if (next == PROTO_FRAGMENT) {
      if (off + 8 > end) return extTruncated(off + 8, cap, total);
      const h = p + off;
      const offFlags = be16(h + 2);
      const fragNext = u8at(h);
      off += 8;
      const fragOff = offFlags & 0xfff8;
      const more = (offFlags & 1) != 0;
      if (fragOff != 0 || more) {
        const r = fragmentIn(6, p, off, total, cap, fragOff, more, be32(h + 4), fragNext, nextOff);
        if (r == FRAG_REASSEMBLED) return decodeReassembled(depth);
        if (r != FRAG_PASS) return r;
        // Zeek's chain ends at a fragment header: what follows is the transport.
        next = fragNext;
        break;
      }
      // An atomic fragment (offset 0, M=0) is a whole datagram: keep walking.
      next = fragNext;
      nextOff = off - 8;
      continue;
    }
    break;
  }
  // Zeek stops at ESP (the rest is encrypted) and at "no next header" without a connection.
  if (next == PROTO_ESP || next == PROTO_NONE) return SKIP_NO_CONNECTION;
  return decodeNext(6, next, p, off, total, cap, wire, depth);
}

/**
 * A datagram was reassembled (fragments.ts): decode it as one packet, captured whole (Zeek sets the
 * packet's wire length to its captured length). It carries no fragment information any more.
 */
function decodeReassembled(depth: u32): i32 {
  const n = reassembledLen();
  transportBegin(n, n);
  return decodeIp(reassembledPtr(), n, n, depth);
}

/** An extension header runs past the captured bytes (truncated) or past the IP length (bogus). */
function extTruncated(need: u32, cap: u32, total: u32): i32 {
  return need > total && total <= cap ? SKIP_BAD_IP_HEADER : SKIP_TRUNCATED_IP;
}

/**
 * Routing header type 0 with segments left: Zeek keys the connection by the final destination,
 * the last address of the header (IPv6_Hdr_Chain::ProcessRoutingHeader). Returns true once a final
 * destination is set (later routing headers are then ignored).
 */
function routingHeader(h: usize, len: u32): bool {
  const type = u8at(h + 2);
  const segLeft = u8at(h + 3);
  const units = u8at(h + 1);
  if (type == 0 && segLeft > 0 && units >= 2 && (units & 1) == 0) {
    store16(dstAddr, h + len - 16);
    return true;
  }
  return false;
}

/** After the IP header(s): record the IP fields, then tunnels, protocols without a connection, transport. */
function decodeNext(version: u32, proto: u32, p: usize, hdrLen: u32, total: u32, cap: u32, wire: u32, depth: u32): i32 {
  if (hdrLen > total) return SKIP_BAD_IP_HEADER;
  setIp(version, proto, total);
  const end = cap < total ? cap : total;
  const tcap = end > hdrLen ? end - hdrLen : 0;
  if (isIpTunnel(proto)) return decodeIpTunnel(proto, p + hdrLen, tcap, total - hdrLen, depth);
  if (proto == PROTO_IGMP) return SKIP_NO_CONNECTION;
  return decodeTransport(version, proto, p + hdrLen, tcap, total - hdrLen);
}
