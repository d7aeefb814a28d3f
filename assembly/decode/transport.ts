// Transport layer: TCP, UDP, ICMP, ICMPv6, and any other IP protocol (ports 0).
// Zeek's rules (src/packet_analysis/protocol/{tcp,udp,icmp}, ip/IPBasedAnalyzer.cc):
//  - a transport header cut by the snaplen drops the packet before any connection exists;
//  - a truncated payload still creates the connection;
//  - checksums are verified only when the whole segment was captured (and not with -C); a bad one
//    still creates the connection (history C), so it is a flag here, not a skip.
import { setPorts, setTcp, setPayload, setChecksumBad } from "../packet";
import { ignoreChecksums, partitioned } from "../config";
import { SKIP_TRUNCATED_TRANSPORT, SKIP_BAD_TRANSPORT } from "../stats";
import { u8at, be16, be32 } from "./bytes";
import { transportOk, plainOk } from "./checksum";

export const DECODED: i32 = -1;

export const PROTO_ICMP: u32 = 1;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const PROTO_ICMP6: u32 = 58;

/** Zeek's default VXLAN port (PacketAnalyzer::VXLAN::vxlan_ports): UDP checksum 0 accepted there over IPv6. */
export const VXLAN_PORT: u32 = 4789;
/** Zeek's default Geneve port (PacketAnalyzer::Geneve::geneve_ports). */
export const GENEVE_PORT: u32 = 6081;

/** Was the whole frame captured (wire length <= captured length)? Zeek checks UDP sums only then. */
let frameWhole: bool = true;
/** Bytes of the current (possibly inner) packet on the wire but not captured: a tunnelled packet
 *  keeps them (Zeek's build_inner_packet: inner wire = outer wire - bytes consumed). */
export let frameMissing: u32 = 0;
export function transportBegin(capLen: u32, wireLen: u32): void {
  frameWhole = wireLen <= capLen;
  frameMissing = wireLen > capLen ? wireLen - capLen : 0;
  sumKind = SUM_NONE;
}

// In a partitioned run (config.ts) the transport checksum is summed when flow/ takes the packet
// (verifyTransportChecksum), not while decoding: a partition drops the other partitions' packets
// before that, and the sum is the decoder's largest cost. A single run sums it here, where the
// packet's bytes are at hand (deferring cost it 40 instructions a packet).
const SUM_NONE: u32 = 0;
const SUM_PSEUDO: u32 = 1; // TCP, UDP, ICMPv6: with the pseudo-header
const SUM_PLAIN: u32 = 2;  // ICMPv4
let sumKind: u32 = SUM_NONE;
let sumVersion: u32 = 0;
let sumProto: u32 = 0;
let sumPtr: usize = 0;
let sumLen: u32 = 0;

// @ts-ignore: decorator
@inline function sumBad(kind: u32, version: u32, proto: u32, p: usize, len: u32): bool {
  return kind == SUM_PLAIN ? !plainOk(p, len) : !transportOk(version, proto, p, len);
}

// @ts-ignore: decorator
@inline function checksum(kind: u32, version: u32, proto: u32, p: usize, len: u32): void {
  if (partitioned()) {
    sumKind = kind; sumVersion = version; sumProto = proto; sumPtr = p; sumLen = len;
  } else {
    setChecksumBad(sumBad(kind, version, proto, p, len));
  }
}

/** Sums the current packet's transport checksum, if its decoding left it to be summed, and sets
 *  packet.ts l4ChecksumBad. Called once per packet that reaches the connection table, before
 *  anything reads that flag; the packet view (its addresses) is still the decoded packet's. */
export function verifyTransportChecksum(): void {
  const kind = sumKind;
  if (kind == SUM_NONE) return;
  sumKind = SUM_NONE;
  setChecksumBad(sumBad(kind, sumVersion, sumProto, sumPtr, sumLen));
}

/**
 * Decode the transport header at p. cap: bytes captured from p (clipped to the IP length);
 * len: transport length from the IP header (IP total length minus all IP headers).
 * The caller has already called setIp(). Returns DECODED or a skip reason.
 */
// @ts-ignore: decorator
@inline export function decodeTransport(version: u32, proto: u32, p: usize, cap: u32, len: u32): i32 {
  if (proto == PROTO_TCP) return decodeTcp(version, p, cap, len);
  if (proto == PROTO_UDP) return decodeUdp(version, p, cap, len);
  if (proto == PROTO_ICMP || proto == PROTO_ICMP6) return decodeIcmp(version, proto, p, cap, len);
  // Any other protocol: a connection with ports 0 (Zeek's unknown_transport).
  setPorts(0, 0);
  setPayload(p, cap, len);
  return DECODED;
}

/** Zeek's CheckHeaderTrunc: the IP length leaves no room for the header, or the capture cut it. */
// @ts-ignore: decorator
@inline function headerCheck(min: u32, cap: u32, len: u32): i32 {
  if (len < min) return SKIP_BAD_TRANSPORT;
  if (cap < min) return SKIP_TRUNCATED_TRANSPORT;
  return 0;
}

function decodeTcp(version: u32, p: usize, cap: u32, len: u32): i32 {
  const bad = headerCheck(20, cap, len);
  if (bad) return bad;
  const hdrLen = (u8at(p + 12) >> 4) << 2;
  if (hdrLen < 20) return SKIP_BAD_TRANSPORT;       // Zeek: bad_TCP_header_len
  if (hdrLen > len) return SKIP_BAD_TRANSPORT;      // options run past the IP length
  if (hdrLen > cap) return SKIP_TRUNCATED_TRANSPORT; // options cut by the snaplen
  setPorts(be16(p), be16(p + 2));
  setTcp(u8at(p + 13), be32(p + 4), be32(p + 8), be16(p + 14));
  setPayload(p + hdrLen, cap - hdrLen, len - hdrLen);
  if (!ignoreChecksums && cap >= len) checksum(SUM_PSEUDO, version, PROTO_TCP, p, len);
  return DECODED;
}

function decodeUdp(version: u32, p: usize, cap: u32, len: u32): i32 {
  const bad = headerCheck(8, cap, len);
  if (bad) return bad;
  const dport = be16(p + 2);
  setPorts(be16(p), dport);
  // Zeek counts UDP bytes from the UDP length field (UDPSessionAdapter::UpdateLength(ulen - 8)).
  const ulen = be16(p + 4);
  setPayload(p + 8, cap - 8, ulen > 8 ? ulen - 8 : 0);
  if (!ignoreChecksums && cap >= len && frameWhole) {
    const sum = load<u16>(p + 6);
    if (version == 4) {
      if (sum != 0) checksum(SUM_PSEUDO, 4, PROTO_UDP, p, len);
    } else if (!(sum == 0 && dport == VXLAN_PORT && len > 8 + 8 + 14 && (u8at(p + 8) & 0x08) != 0)) {
      checksum(SUM_PSEUDO, 6, PROTO_UDP, p, len); // not optional over IPv6
    }
  }
  return DECODED;
}

function decodeIcmp(version: u32, proto: u32, p: usize, cap: u32, len: u32): i32 {
  const bad = headerCheck(8, cap, len);
  if (bad) return bad;
  setPorts(u8at(p), u8at(p + 1)); // type, code
  setPayload(p + 8, cap - 8, len - 8);
  if (!ignoreChecksums && cap >= len) {
    if (proto == PROTO_ICMP) checksum(SUM_PLAIN, 4, PROTO_ICMP, p, len);
    else checksum(SUM_PSEUDO, version, PROTO_ICMP6, p, len);
  }
  return DECODED;
}
