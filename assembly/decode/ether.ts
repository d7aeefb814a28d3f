// Ethernet and what an ethertype can lead to: 802.1Q/802.1ad/QinQ VLAN tags (any depth), MPLS label
// stacks, PPPoE sessions, 802.2 LLC/SNAP, PBB (802.1ah), VN-Tag and Cisco FabricPath, after Zeek's
// packet analyzers (src/packet_analysis/protocol/{ethernet,vlan,mpls,pppoe,snap,pbb,vntag}).
// ARP and every other ethertype: SKIP_NOT_IP.
import { SKIP_NOT_IP, SKIP_TRUNCATED_LINK } from "../stats";
import { u8at, be16, after } from "./bytes";
import { decodeIp } from "./ip";

export const ETH_IPV4: u32 = 0x0800;
export const ETH_ARP: u32 = 0x0806;
export const ETH_VLAN: u32 = 0x8100;
export const ETH_IPV6: u32 = 0x86dd;
export const ETH_TEB: u32 = 0x6558; // transparent Ethernet bridging: an Ethernet frame follows
export const ETH_MPLS: u32 = 0x8847;
export const ETH_PPPOE_SESSION: u32 = 0x8864;
/** A PPPoE session header: ver/type, code, session id, length (6 bytes), then the PPP protocol. */
export const PPPOE_PROTOCOL: u32 = 6;
export const PPPOE_HEADER: u32 = 8;
export const ETH_QINQ: u32 = 0x88a8;
export const ETH_PBB: u32 = 0x88e7;
export const ETH_FABRICPATH: u32 = 0x8903;
export const ETH_VNTAG: u32 = 0x8926;
export const ETH_VLAN_OLD: u32 = 0x9100;

/** Is the ethertype IPv4's or IPv6's? */
// @ts-ignore: decorator
@inline export function isIpEthertype(type: u32): bool { return type == ETH_IPV4 || type == ETH_IPV6; }

export const PPP_IPV4: u32 = 0x0021;
export const PPP_IPV6: u32 = 0x0057;
export const PPP_MPLS: u32 = 0x0281;

/** An Ethernet II / 802.3 frame at p. cap, wire: bytes captured / on the wire from p. */
export function decodeEthernet(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (cap < 14) return SKIP_TRUNCATED_LINK;
  let type = be16(p + 12);
  // untagged IPv4 or IPv6, nearly every frame: straight to IP, without two calls
  if (isIpEthertype(type)) return decodeIp(p + 14, cap - 14, after(wire, 14), depth);
  if (type == ETH_FABRICPATH) {
    // Cisco FabricPath: a 16-byte outer header before the real Ethernet header.
    if (cap < 16 + 14) return SKIP_TRUNCATED_LINK;
    p += 16; cap -= 16; wire = after(wire, 16);
    type = be16(p + 12);
  }
  return decodeTypeOrLength(type, p + 14, cap - 14, after(wire, 14), depth);
}

/** The type/length field of Ethernet or of a VLAN tag: >= 1536 an ethertype, <= 1500 an 802.3 length. */
function decodeTypeOrLength(type: u32, p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (type >= 1536) return decodeEthertype(type, p, cap, wire, depth);
  if (type > 1500) return SKIP_NOT_IP; // undefined_ether_type
  // 802.3: the length field bounds the frame (trailing bytes are padding).
  if (cap > type) cap = type;
  return decodeLlc(p, cap, wire, depth);
}

/**
 * 802.2 LLC at p. Only SNAP with OUI 0 carries an ethertype (Zeek's SNAP analyzer); plain LLC
 * (STP, NetBIOS, ...) and Novell raw 802.3 carry no IP.
 */
export function decodeLlc(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (cap < 3) return SKIP_TRUNCATED_LINK;
  if (u8at(p) != 0xaa || u8at(p + 1) != 0xaa) return SKIP_NOT_IP;
  // Control field: 1 byte for unnumbered PDUs (low bits 11), else 2.
  const llcLen: u32 = (u8at(p + 2) & 0x03) == 0x03 ? 3 : 4;
  if (cap < llcLen + 5) return SKIP_TRUNCATED_LINK;
  const q = p + llcLen;
  if (u8at(q) != 0 || u8at(q + 1) != 0 || u8at(q + 2) != 0) return SKIP_NOT_IP;
  const n = llcLen + 5;
  return decodeEthertype(be16(q + 3), p + n, cap - n, after(wire, n), depth);
}

/** The payload of a frame whose ethertype is `type`, at p. */
export function decodeEthertype(type: u32, p: usize, cap: u32, wire: u32, depth: u32): i32 {
  while (true) {
    if (type == ETH_IPV4 || type == ETH_IPV6) return decodeIp(p, cap, wire, depth);
    if (type == ETH_VLAN || type == ETH_QINQ || type == ETH_VLAN_OLD) {
      // TCI (2 bytes), then the inner type/length; Zeek wants more than the tag itself.
      if (cap <= 4) return SKIP_TRUNCATED_LINK;
      type = be16(p + 2);
      p += 4; cap -= 4; wire = after(wire, 4);
      if (type < 1536) return decodeTypeOrLength(type, p, cap, wire, depth);
      continue;
    }
    if (type == ETH_MPLS) return decodeMpls(p, cap, wire, depth);
    if (type == ETH_PPPOE_SESSION) {
      if (cap <= PPPOE_HEADER) return SKIP_TRUNCATED_LINK;
      return decodePppProtocol(be16(p + PPPOE_PROTOCOL), p + PPPOE_HEADER, cap - PPPOE_HEADER, after(wire, PPPOE_HEADER), depth);
    }
    if (type == ETH_PBB) {
      // 802.1ah: a 4-byte I-TAG, then the customer Ethernet header.
      if (cap <= 18) return SKIP_TRUNCATED_LINK;
      return decodeEthernet(p + 4, cap - 4, after(wire, 4), depth);
    }
    if (type == ETH_VNTAG) {
      if (cap <= 6) return SKIP_TRUNCATED_LINK;
      type = be16(p + 4);
      p += 6; cap -= 6; wire = after(wire, 6);
      continue;
    }
    return SKIP_NOT_IP; // ARP, RARP, LLDP, EAPOL, PPPoE discovery, ...
  }
  return SKIP_NOT_IP;
}

/** An MPLS label stack at p: skip to the bottom of the stack, then IP by its version nibble. */
export function decodeMpls(p: usize, cap: u32, wire: u32, depth: u32): i32 {
  const stack = mplsStackLength(p, cap);
  if (stack < 0) return SKIP_TRUNCATED_LINK;
  p += stack; cap -= stack; wire = after(wire, stack);
  // RFC 3032 does not say what follows; Zeek tries IP. A pseudowire (control word 0000, or an
  // Ethernet frame) is not IP.
  const v = u8at(p) >> 4;
  if (v != 4 && v != 6) return SKIP_NOT_IP;
  return decodeIp(p, cap, wire, depth);
}

/** Bytes of the MPLS label stack at p, up to and including the bottom label, or -1 when the
 *  captured bytes (cap) end first or leave nothing after it. (also flow/warm.ts) */
export function mplsStackLength(p: usize, cap: u32): i32 {
  let n: u32 = 0;
  while (true) {
    if (cap <= n + 4) return -1;
    const bottom = (u8at(p + n + 2) & 0x01) != 0;
    n += 4;
    if (bottom) return <i32>n;
  }
  return -1;
}

/** The payload of a PPP frame (PPP, PPP serial, PPPoE) with protocol `proto`, at p. */
export function decodePppProtocol(proto: u32, p: usize, cap: u32, wire: u32, depth: u32): i32 {
  if (proto == PPP_IPV4 || proto == PPP_IPV6) return decodeIp(p, cap, wire, depth);
  if (proto == PPP_MPLS) return decodeMpls(p, cap, wire, depth);
  return SKIP_NOT_IP; // LCP, IPCP, CHAP, ...
}
