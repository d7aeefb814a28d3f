// Tunnels, decapsulated as Zeek does by default (src/packet_analysis/protocol/{iptunnel,ipinip,gre,
// vxlan,geneve,teredo,ayiya,gtpv1}, scripts/base/frameworks/tunnels), at most Tunnel::max_depth (4)
// encapsulations deep. Timestamps of inner packets are the outer packet's; an inner packet keeps
// the bytes the outer one missed on the wire (inner wire = inner captured + outer wire - outer
// captured, Zeek's build_inner_packet).
//
// IP tunnels (IP-in-IP 4 and 41, GRE 47) are decoded inside decode/: the outer packet is no
// connection. Each tunnel has an id (decode/tunnel-ids.ts); its inner packets' tunnel parent is id + 1,
// so conn.log's tunnel_parents names a uid that no conn.log row has.
//
// UDP tunnels (VXLAN 4789, Geneve 6081, Teredo 3544, AYIYA 5072, GTPv1 2152 and 2123): the outer
// UDP packet is a connection, processed first (pipeline.ts); then udpTunnelFind() looks at its
// payload and, if it carries a packet, decodeTunnelInner() decodes that packet into the view, to
// be processed with the outer connection as tunnel parent. As in Zeek's UDP analyzer, the analyzer
// is the one registered for the connection's responder port, else AYIYA's and Teredo's protocol
// detection; nothing is forwarded from a packet with a bad UDP checksum. An analyzer that parses
// its header confirms its service on the outer connection (services.ts): VXLAN, Geneve, AYIYA and
// GTPv1 at the first valid packet, Teredo once both directions carried one
// (Tunnel::delay_teredo_confirmation). An analyzer that finds a malformed header (a violation)
// leaves the service and takes no more packets of that connection (GTPv1 aside: Zeek does not
// stop it).
//
// Per-connection state (violations, Teredo's valid directions) lives in the outer connection's
// record (flow/udp.ts U_TUNNEL), as Zeek keeps it per connection in its analyzers: it lasts as long
// as the connection, however many tunnels are open, and is the same in every partition.
import {
  srcAddr, dstAddr, srcPort, dstPort, payloadPtr, payloadCapLen, l4ChecksumBad,
  tunnelDepth, setTunnelDepth, setTunnelParent, setChecksumBad,
} from "../packet";
import { SKIP_TUNNEL_OUTER } from "../stats";
import { u8at, be16 } from "./bytes";
import { decodeEthernet, ETH_TEB, isIpEthertype } from "./ether";
import { decodeIp } from "./ip";
import { decode80211 } from "./link";
import { transportBegin, frameMissing, VXLAN_PORT, GENEVE_PORT } from "./transport";
import { ipTunnelId, tunnelIdsReset } from "./tunnel-ids";
import { rec } from "../flow/pool";
import { lastConn } from "../flow/table";
import { confirm, violate } from "../flow/services";
import * as C from "../flow/conn";
import { U_TUNNEL } from "../flow/udp";
import { A_VXLAN, A_GENEVE, A_AYIYA, A_GTPV1, A_TEREDO } from "../detect/analyzers";

export const PROTO_IPIP: u32 = 4;
export const PROTO_IPV6: u32 = 41;
export const PROTO_GRE: u32 = 47;

/** Zeek's Tunnel::max_depth. */
export const MAX_DEPTH: u32 = 4;
// Tunnel types (Zeek's Tunnel::Type), also the kind of the last encapsulation of the current packet.
export const T_NONE: u32 = 0;
export const T_IP: u32 = 1;
export const T_GRE: u32 = 2;
export const T_VXLAN: u32 = 3;
export const T_GENEVE: u32 = 4;
export const T_TEREDO: u32 = 5;
export const T_AYIYA: u32 = 6;
export const T_GTPV1: u32 = 7;
/** Type of the innermost encapsulation of the packet in the view (T_NONE: not tunnelled). */
export let lastTunnelType: u32 = T_NONE;

// @ts-ignore: decorator
@inline export function isIpTunnel(proto: u32): bool {
  return proto == PROTO_IPIP || proto == PROTO_IPV6 || proto == PROTO_GRE;
}

/** A new capture record: nothing is tunnelled yet. */
export function tunnelsNextRecord(): void {
  lastTunnelType = T_NONE;
}

/** Forget IP tunnels (a new run; a UDP tunnel's state goes with its connection's record). */
export function tunnelsReset(): void {
  tunnelIdsReset();
  lastTunnelType = T_NONE;
}

// ---------------------------------------------------------------------------------------------
// IP tunnels: IP-in-IP and GRE (decoded inside decode/, the outer packet is no connection)

/** The payload of an IP packet with protocol 4, 41 or 47 at p. cap: captured bytes (clipped to the
 *  IP length); len: from the IP header; depth: encapsulations around the outer packet. Returns
 *  the inner packet's outcome, or SKIP_TUNNEL_OUTER when there is none to decode. */
export function decodeIpTunnel(proto: u32, p: usize, cap: u32, len: u32, depth: u32): i32 {
  if (depth >= MAX_DEPTH) return SKIP_TUNNEL_OUTER; // exceeded_tunnel_max_depth
  if (proto == PROTO_GRE) return decodeGre(p, cap, depth);
  // IP-in-IP: what follows the outer header must be exactly one packet of the announced version
  // (Zeek's IP::ParsePacket: invalid_inner_IP_version, truncated_inner_IP, inner_IP_payload_length_mismatch).
  if (!exactInnerIp(proto == PROTO_IPV6 ? 6 : 4, p, cap)) return SKIP_TUNNEL_OUTER;
  return decodeIp(p, cap, enterIpTunnel(T_IP, cap, depth), depth + 1);
}

/** Zeek's IP::ParsePacket(len, data, proto) == OK: an IPv4 (v 4) or IPv6 (v 6) packet whose total
 *  length is exactly n. */
export function exactInnerIp(v: u32, p: usize, n: u32): bool {
  if (v == 6) {
    if (n < 40 || (u8at(p) >> 4) != 6) return false;
    return be16(p + 4) + 40 == n;
  }
  if (n < 20 || (u8at(p) >> 4) != 4) return false;
  return be16(p + 2) == n;
}

/** Name the IP tunnel of the outer addresses (still in the view) and prepare for an inner packet
 *  of cap captured bytes. Returns its wire length. */
function enterIpTunnel(type: u32, cap: u32, depth: u32): u32 {
  const wire = cap + frameMissing;
  enterTunnel(ipTunnelId(type) + 1, type, cap, wire, depth);
  return wire;
}

/** The view is about to hold a packet of cap (wire) bytes carried by tunnel `type` one level
 *  below `depth`, whose parent is `parent` (tunnel or connection id + 1). */
function enterTunnel(parent: u64, type: u32, cap: u32, wire: u32, depth: u32): void {
  setTunnelParent(parent);
  setTunnelDepth(depth + 1);
  lastTunnelType = type;
  transportBegin(cap, wire);
  setChecksumBad(false);
}

const GRE_CSUM: u32 = 0x8000;
const GRE_ROUTING: u32 = 0x4000;
const GRE_KEY: u32 = 0x2000;
const GRE_SEQ: u32 = 0x1000;
const GRE_ACK: u32 = 0x0080;

/** What greHeader found after a GRE header (INNER_* below: Ethernet, IP, 802.11, or PPTP's PPP). */
export let greInner: u32 = 0;

/**
 * GRE (Zeek's GRE analyzer) at p, cap bytes: where the packet it carries starts, or -1 when Zeek
 * decodes none; greInner says what that packet is. Version 0 with transparent Ethernet bridging
 * (0x6558), ERSPAN types I/II (0x88be) and III (0x22eb) carrying Ethernet, Aruba (802.11), any
 * other protocol type an IP packet; version 1 (PPTP's enhanced GRE) carrying PPP (the offset is
 * the PPP header's, greInner INNER_PPTP). The quick parse of flow/warm.ts reads it too.
 */
export function greHeader(p: usize, cap: u32): i32 {
  if (cap < 4) return -1; // truncated_GRE
  const flags = be16(p);
  const type = be16(p + 2);
  const version = flags & 0x0007;
  let greLen: u32 = 4;
  if (flags & GRE_CSUM) greLen += 4;
  if (flags & GRE_KEY) greLen += 4;
  if (flags & GRE_SEQ) greLen += 4;
  if (flags & GRE_ACK) greLen += 4;
  if (version > 1) return -1; // unknown_gre_version
  let inner: u32 = INNER_IP;
  let ethLen: u32 = 0, erspanLen: u32 = 0, pptpLen: u32 = 0;
  if (version == 0) {
    if (type == ETH_TEB) {
      if (cap <= greLen + 14) return -1;
      ethLen = 14; inner = INNER_ETHERNET;
    } else if (type == 0x88be) {
      // ERSPAN type I (no sequence number: Ethernet right away) or II (an 8-byte header)
      if (cap <= greLen + 14) return -1;
      ethLen = 14; inner = INNER_ETHERNET;
      if (flags & GRE_SEQ) {
        erspanLen = 8;
        if (cap < greLen + ethLen + erspanLen) return -1;
      }
    } else if (type == 0x22eb) {
      // ERSPAN type III: 12 bytes, and an 8-byte platform sub-header when the O bit is set
      if (cap <= greLen + 14 + 12) return -1;
      erspanLen = 12; ethLen = 14; inner = INNER_ETHERNET;
      if ((u8at(p + greLen + erspanLen - 1) & 0x01) != 0) {
        if (cap <= greLen + erspanLen + 8 + ethLen) return -1;
        erspanLen += 8;
      }
    } else if (((type & 0x8200) == 0x8200 && (type & 0x0f) == 0) ||
               ((type & 0x8300) == 0x8300 && (type & 0x0f) == 0 && type <= 0x8370) || type == 0x9000) {
      // Aruba access points: 802.11 frames
      if (cap <= greLen) return -1;
      inner = INNER_IEEE802_11;
    }
  } else {
    if (type != 0x880b) return -1; // egre_protocol_type
    pptpLen = 4;
    inner = INNER_PPTP;
  }
  if (flags & GRE_ROUTING) return -1; // gre_routing
  if (flags & 0x0078) return -1;      // unknown_gre_flags
  if (cap < greLen + pptpLen + ethLen + erspanLen) return -1;
  greInner = inner;
  return <i32>(greLen + erspanLen + pptpLen);
}

function decodeGre(p: usize, cap: u32, depth: u32): i32 {
  const at = greHeader(p, cap);
  if (at < 0) return SKIP_TUNNEL_OUTER;
  const hdr = <u32>at;
  if (greInner == INNER_PPTP) {
    // PPP in HDLC-like framing (address, control), then the protocol
    const ppp = be16(p + hdr - 2);
    if (ppp != 0x0021 && ppp != 0x0057) return SKIP_TUNNEL_OUTER; // non_ip_packet_in_encap
    const n = cap - hdr;
    if (!exactInnerIp(ppp == 0x0021 ? 4 : 6, p + hdr, n)) return SKIP_TUNNEL_OUTER;
    return decodeIp(p + hdr, n, enterIpTunnel(T_GRE, n, depth), depth + 1);
  }
  const n = cap - hdr;
  return decodeInner(greInner, p + hdr, n, enterIpTunnel(T_GRE, n, depth), depth + 1);
}

// ---------------------------------------------------------------------------------------------
// Inner packets

const INNER_NONE: u32 = 0;
export const INNER_ETHERNET: u32 = 1;
export const INNER_IP: u32 = 2;
const INNER_IEEE802_11: u32 = 3;
/** PPTP's enhanced GRE: PPP, then IPv4 or IPv6 (greHeader only). */
const INNER_PPTP: u32 = 4;

function decodeInner(kind: u32, p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (kind == INNER_ETHERNET) return decodeEthernet(p, cap, wire, depth);
  if (kind == INNER_IEEE802_11) return decode80211(p, cap, wire, depth);
  return decodeIp(p, cap, wire, depth);
}

// ---------------------------------------------------------------------------------------------
// UDP tunnels: the outer UDP packet is a connection (already processed); its payload may carry one

/** Where the inner packet of the last udpTunnelFind() is, and how to decode it. */
export let innerKind: u32 = INNER_NONE;
export let innerPtr: usize = 0;
export let innerCap: u32 = 0;
export let innerWire: u32 = 0;
/** Tunnel type of the inner packet found (T_*), and the analyzer (detect/analyzers.ts) that found it. */
export let innerType: u32 = T_NONE;
export let innerAnalyzer: u32 = 0;

/**
 * The UDP packet in the view has been processed as a connection (flow/table.ts lastConn). Does its
 * payload carry a packet Zeek would decapsulate? If so, innerKind/innerPtr/innerCap/innerWire say
 * where it is and true is returned; the view is left as it is.
 */
export function udpTunnelFind(): bool {
  innerKind = INNER_NONE;
  innerType = T_NONE;
  innerAnalyzer = 0;
  if (l4ChecksumBad) return false; // Zeek's UDP analyzer forwards nothing from such a packet
  const p = payloadPtr;
  const len = payloadCapLen;
  let type = tunnelOfPort(respPort());
  if (type == T_NONE) {
    if (ayiyaDetect(p, len)) type = T_AYIYA;
    else if (teredoDetect(p, len)) type = T_TEREDO;
    else return false;
  }
  const st = rec(lastConn) + C.C_TCP + U_TUNNEL;
  switch (type) {
    case T_VXLAN: return vxlan(st, p, len);
    case T_GENEVE: return geneve(st, p, len);
    case T_TEREDO: return teredo(st, p, len);
    case T_AYIYA: return ayiya(st, p, len);
    default: return gtpv1(st, p, len);
  }
}

/** Could udpTunnelFind() find a tunnel in the UDP packet in the view, for either port as the
 *  responder's? (Before its connection is known: a partition keeps another partition's UDP
 *  connection when it may carry a tunnel, whose packets inside may be its own; flow/table.ts.) */
export function udpTunnelPossible(): bool {
  return tunnelOfPort(srcPort) != T_NONE || tunnelOfPort(dstPort) != T_NONE ||
    ayiyaDetect(payloadPtr, payloadCapLen) || teredoDetect(payloadPtr, payloadCapLen);
}

/** The tunnel Zeek's UDP analyzers expect on responder port `port` (T_NONE: none by port). */
// @ts-ignore: decorator
@inline function tunnelOfPort(port: u32): u32 {
  if (port == VXLAN_PORT) return T_VXLAN;
  if (port == GENEVE_PORT) return T_GENEVE;
  if (port == 3544) return T_TEREDO;
  if (port == 5072) return T_AYIYA;
  if (port == GTP_U_PORT || port == 2123) return T_GTPV1;
  return T_NONE;
}

/** Decode the inner packet found by udpTunnelFind() into the view, as tunnelled by connection
 *  `serial`. Returns DECODED or a skip reason (the record itself stays decoded). */
export function decodeTunnelInner(serial: u64): i32 {
  enterTunnel(serial + 1, innerType, innerCap, innerWire, tunnelDepth);
  return decodeInner(innerKind, innerPtr, innerCap, innerWire, tunnelDepth);
}

/** The inner packet starts hdr bytes into the UDP payload p (len captured bytes). */
function found(type: u32, analyzer: u32, kind: u32, p: usize, len: u32, hdr: u32): bool {
  innerType = type;
  innerAnalyzer = analyzer;
  innerKind = kind;
  innerPtr = p + hdr;
  innerCap = len - hdr;
  innerWire = innerCap + frameMissing;
  return true;
}

/** Has the tunnel at the current depth room for one more encapsulation? (Zeek: exceeded_tunnel_max_depth) */
// @ts-ignore: decorator
@inline function depthOk(): bool { return tunnelDepth < MAX_DEPTH; }

/** VXLAN's header: 8 bytes; the inner Ethernet frame follows it. */
export const VXLAN_HEADER: u32 = 8;
/** Is the VXLAN header at p (len bytes left) whole, with its 'I' flag set? */
// @ts-ignore: decorator
@inline export function vxlanHeaderOk(p: usize, len: u32): bool {
  return len >= VXLAN_HEADER && (u8at(p) & 0x08) != 0;
}

/** Geneve's fixed header: 8 bytes, then options. */
export const GENEVE_FIXED: u32 = 8;
/** The Geneve header's version at p: Zeek decodes version 0 only. */
// @ts-ignore: decorator
@inline export function geneveVersion(p: usize): u32 { return u8at(p) >> 6; }
/** The Geneve header's length at p, its options included; the inner packet's ethertype is at p + 2. */
// @ts-ignore: decorator
@inline export function geneveHeaderLength(p: usize): u32 { return GENEVE_FIXED + ((u8at(p) & 0x3f) << 2); }

function vxlan(st: usize, p: usize, len: u32): bool {
  if (violated(st, T_VXLAN) || !depthOk()) return false;
  if (!vxlanHeaderOk(p, len)) return violation(st, T_VXLAN, A_VXLAN); // header truncation, or 'I' flag not set
  confirmation(st, T_VXLAN, A_VXLAN);
  if (len == VXLAN_HEADER) return false;                               // vxlan_empty_packet
  return found(T_VXLAN, A_VXLAN, INNER_ETHERNET, p, len, VXLAN_HEADER);
}

function geneve(st: usize, p: usize, len: u32): bool {
  if (violated(st, T_GENEVE) || !depthOk()) return false;
  if (len < GENEVE_FIXED) return violation(st, T_GENEVE, A_GENEVE);
  if (geneveVersion(p) != 0) return false;                             // geneve_invalid_version (a weird only)
  const hdr = geneveHeaderLength(p);
  if (hdr > len) return violation(st, T_GENEVE, A_GENEVE);             // option header truncation
  confirmation(st, T_GENEVE, A_GENEVE);
  if (len == hdr) return false;                                        // geneve_empty_packet
  const next = be16(p + 2);
  if (next == ETH_TEB) return found(T_GENEVE, A_GENEVE, INNER_ETHERNET, p, len, hdr);
  if (isIpEthertype(next)) return found(T_GENEVE, A_GENEVE, INNER_IP, p, len, hdr);
  return false; // ARP, or nothing registered for it
}

function ayiya(st: usize, p: usize, len: u32): bool {
  if (violated(st, T_AYIYA) || !depthOk()) return false;
  if (len < 8) return violation(st, T_AYIYA, A_AYIYA);
  // Zeek keeps the identity length in a uint8_t: 1 << n for n >= 8 becomes 0
  const idLen = (<u32>1 << (u8at(p) >> 4)) & 0xff;
  const sigLen = (u8at(p + 1) >> 4) << 2;
  const hdr: u32 = 8 + idLen + sigLen;
  if (hdr > len) return violation(st, T_AYIYA, A_AYIYA);
  if ((u8at(p + 2) & 0x0f) != 1) return false; // not a "forward" message: nothing to decapsulate
  const next = u8at(p + 3);
  confirmation(st, T_AYIYA, A_AYIYA);
  if (len == hdr) return false;                // ayiya_empty_packet
  if (next != PROTO_IPIP && next != PROTO_IPV6) return false;
  return found(T_AYIYA, A_AYIYA, INNER_IP, p, len, hdr);
}

/** AYIYA's protocol detection (the old DPD signature). */
function ayiyaDetect(p: usize, len: u32): bool {
  return len >= 3 && u8at(p + 1) == 0x52 && u8at(p + 2) == 0x11;
}

function teredo(st: usize, p: usize, len: u32): bool {
  if (violated(st, T_TEREDO) || !depthOk()) return false;
  const hdr = teredoParse(p, len);
  if (hdr < 0) return violation(st, T_TEREDO, A_TEREDO);             // bad Teredo encapsulation
  const q = p + <u32>hdr;
  const n = len - <u32>hdr;
  const total = be16(q + 4) + 40;
  if (n > total) {
    // only a bubble (no next header, no payload) may have bytes after the IPv6 packet
    if (!(u8at(q + 6) == 59 && be16(q + 4) == 0)) return violation(st, T_TEREDO, A_TEREDO);
  } else if (n < total) {
    return violation(st, T_TEREDO, A_TEREDO);
  }
  // Confirmed once both directions carried a valid packet (Tunnel::delay_teredo_confirmation).
  const bit: u32 = isOrig() ? F_VALID_ORIG : F_VALID_RESP;
  store<u32>(st, load<u32>(st) | bit);
  if ((load<u32>(st) & (F_VALID_ORIG | F_VALID_RESP)) == (F_VALID_ORIG | F_VALID_RESP)) {
    confirmation(st, T_TEREDO, A_TEREDO);
  }
  return found(T_TEREDO, A_TEREDO, INNER_IP, p, len, <u32>hdr);
}

/** Teredo's origin indication and authentication headers, then an IPv6 header: the offset of the
 *  IPv6 packet, or -1 (TeredoEncapsulation::DoParse). */
function teredoParse(p: usize, len: u32): i32 {
  let off: u32 = 0;
  let origin = false, auth = false;
  while (true) {
    if (len - off < 2) return -1;
    const tag = be16(p + off);
    if (tag == 0) {
      if (origin || len - off < 8) return -1;
      origin = true;
      off += 8;
    } else if (tag == 1) {
      if (origin || auth || len - off < 4) return -1;
      const total: u32 = 4 + u8at(p + off + 2) + u8at(p + off + 3) + 8 + 1;
      if (len - off < total) return -1;
      auth = true;
      off += total;
    } else if ((tag >> 12) == 6) {
      return len - off < 40 ? -1 : <i32>off;
    } else {
      return -1;
    }
  }
  return -1;
}

/** Teredo's protocol detection (TeredoAnalyzer::DetectProtocol). */
function teredoDetect(p: usize, len: u32): bool {
  if (len < 40) return false;
  const d0 = u8at(p), d1 = u8at(p + 1);
  if ((d0 >> 4) != 6 && (d0 != 0 || (d1 != 0 && d1 != 1))) return false;
  // An IPv6 header with a Teredo (2001:0000::/32) source or destination
  if ((d0 >> 4) == 6 && (isTeredoPrefix(p + 8) || isTeredoPrefix(p + 24))) return true;
  let q = p, n = len;
  let val = d1;
  if (val == 1) {
    // authentication header: then there must be an origin indication and an IPv6 header
    const skip: u32 = 13 + u8at(q + 2) + u8at(q + 3);
    if (n < skip) return false;
    q += skip; n -= skip;
    if (n < 40) return false;
    val = be16(q);
  }
  if (val == 0) {
    if (n < 8) return false;
    q += 8; n -= 8;
    if (n < 40) return false;
    return (u8at(q) >> 4) == 6;
  }
  return false;
}

// @ts-ignore: decorator
@inline function isTeredoPrefix(a: usize): bool {
  return load<u32>(a) == 0x00000120; // 20 01 00 00
}

/** GTP-U's port: user traffic, each packet an IP packet in a G-PDU (2123 is GTP-C, signalling). */
export const GTP_U_PORT: u32 = 2152;

/** Where a GTPv1 message's payload starts, after its optional fields (sequence number, N-PDU
 *  number, next extension type) and its extension headers, or -1 when they run past the len bytes
 *  at p (the binpac parser's bounds). */
export function gtpPayloadOffset(p: usize, len: u32): i32 {
  if (len < 8) return -1;
  const flags = u8at(p);
  let off: u32 = 8;
  if ((flags & 0x07) != 0) {
    off += 4;
    if (len < off) return -1;
  }
  if ((flags & 0x04) != 0) {
    // extension headers: length (x 4 bytes), contents, next type; until next type 0
    while (true) {
      if (len < off + 1) return -1;
      const l = <u32>u8at(p + off) << 2;
      if (l == 0 || len < off + l) return -1;
      const nextType = u8at(p + off + l - 1);
      off += l;
      if (nextType == 0) break;
    }
  }
  return <i32>off;
}

/** Is the GTP message at p (8 bytes or more) a GTPv1 G-PDU, the kind that carries a packet? */
// @ts-ignore: decorator
@inline export function gtpIsGpdu(p: usize): bool {
  const flags = u8at(p);
  return (flags >> 5) == 1 && (flags & 0x10) != 0 && u8at(p + 1) == 255;
}

/**
 * GTPv1 (the binpac analyzer): a G-PDU (message 255) with the PT flag set carries an IP packet after
 * the header, its optional fields and extension headers; it must fill the rest exactly. Other
 * messages (GTP-C on 2123: create/update/delete PDP context, ...) carry nothing to decapsulate.
 * GTPv1 never stops at a violation and confirms at the first valid G-PDU
 * (Tunnel::delay_gtp_confirmation = F).
 */
function gtpv1(st: usize, p: usize, len: u32): bool {
  const at = gtpPayloadOffset(p, len);
  if (at < 0) return violation(st, T_GTPV1, A_GTPV1);                  // binpac: out of bounds
  const off = <u32>at;
  const flags = u8at(p);
  if (!depthOk()) return false;                                        // tunnel_depth
  if (lastTunnelType == T_GTPV1) return violation(st, T_GTPV1, A_GTPV1); // GTP-in-GTP
  if ((flags >> 5) != 1) return violation(st, T_GTPV1, A_GTPV1);       // bad version
  if ((flags & 0x10) == 0) return false;                               // not GTP (GTP')
  if (u8at(p + 1) != 255) return false;                                // not a G-PDU
  const n = len - off;
  if (n < 20) return violation(st, T_GTPV1, A_GTPV1);                  // truncated GTPv1
  const v = u8at(p + off) >> 4;
  if (v != 4 && v != 6) return violation(st, T_GTPV1, A_GTPV1);        // non-IP packet in GTPv1
  if (!exactInnerIp(v, p + off, n)) return violation(st, T_GTPV1, A_GTPV1); // payload length
  confirmation(st, T_GTPV1, A_GTPV1);
  return found(T_GTPV1, A_GTPV1, INNER_IP, p, len, off);
}

// ---------------------------------------------------------------------------------------------
// The outer connection: roles, per-connection state, service

/** The responder port of the outer UDP connection (Zeek dispatches on it). */
function respPort(): u32 {
  return <u32>load<u16>(rec(lastConn) + C.C_RESP_PORT);
}

/** Is the packet in the view from the outer connection's originator? */
function isOrig(): bool {
  const r = rec(lastConn);
  return <u32>load<u16>(r + C.C_ORIG_PORT) == srcPort &&
    load<u64>(r + C.C_ORIG_ADDR) == load<u64>(srcAddr) && load<u64>(r + C.C_ORIG_ADDR + 8) == load<u64>(srcAddr, 8);
}

// The outer connection's tunnel state (st: its U_TUNNEL word): a bit per violated tunnel type,
// and Teredo's valid directions.
const F_VALID_ORIG: u32 = 1 << 16;
const F_VALID_RESP: u32 = 1 << 17;

// @ts-ignore: decorator
@inline function violated(st: usize, type: u32): bool {
  return (load<u32>(st) & (<u32>1 << type)) != 0;
}

/** Zeek's AnalyzerViolation: the analyzer takes no more packets of this connection (GTPv1 aside)
 *  and its service goes. Returns false (nothing to decapsulate). */
function violation(st: usize, type: u32, analyzer: u32): bool {
  store<u32>(st, load<u32>(st) | (<u32>1 << type));
  outerViolate(analyzer);
  return false;
}

/** Zeek's AnalyzerConfirmation: the outer connection's service (a violated analyzer stays out). */
function confirmation(st: usize, type: u32, analyzer: u32): void {
  if (violated(st, type)) return;
  outerConfirm(analyzer);
}

/** The outer connection's conn.log service: the connection of the last packet (flow/table.ts). */
function outerConfirm(analyzer: u32): void {
  confirm(rec(lastConn), analyzer);
}
function outerViolate(analyzer: u32): void {
  violate(rec(lastConn), analyzer);
}
