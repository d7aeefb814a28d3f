// The one preallocated packet view. decode/ fills it for each record; flow/ reads it.
// Nothing here allocates: addresses live in static 16-byte buffers.

/** Capture timestamp of the current packet, integer nanoseconds since the epoch. */
export let pktTs: i64 = 0;
/** Bytes captured and bytes on the wire of the current record. */
export let pktCapLen: u32 = 0;
export let pktWireLen: u32 = 0;

/** 4 or 6. Addresses are stored as 16 bytes; IPv4 as ::ffff:a.b.c.d (IPv4-mapped). */
export let ipVersion: u32 = 0;
export const srcAddr: usize = memory.data(16);
export const dstAddr: usize = memory.data(16);
/** IP protocol number of the transport (after IPv6 extension headers). */
export let ipProto: u32 = 0;
/** IP total length from the header (IPv4 total length, IPv6 payload length + 40). */
export let ipTotalLen: u32 = 0;

/** TCP/UDP ports; for ICMP the type (srcPort) and code (dstPort). */
export let srcPort: u32 = 0;
export let dstPort: u32 = 0;

/** TCP fields (valid when ipProto == 6). */
export let tcpFlags: u32 = 0;
export let tcpSeq: u32 = 0;
export let tcpAck: u32 = 0;
export let tcpWindow: u32 = 0;

/** Transport payload: pointer to the captured bytes, captured length, and length from headers. */
export let payloadPtr: usize = 0;
export let payloadCapLen: u32 = 0;
export let payloadLen: u32 = 0;

/** Transport checksum verified bad (only where the whole segment was captured). */
export let l4ChecksumBad: bool = false;
/** Depth of tunnels the packet came through (0: none). */
export let tunnelDepth: u32 = 0;

export const TCP_FIN: u32 = 0x01;
export const TCP_SYN: u32 = 0x02;
export const TCP_RST: u32 = 0x04;
export const TCP_PSH: u32 = 0x08;
export const TCP_ACK: u32 = 0x10;
export const TCP_URG: u32 = 0x20;

// Setters: AssemblyScript module globals cannot be assigned from another module.
export function setRecord(ts: i64, capLen: u32, wireLen: u32): void {
  pktTs = ts; pktCapLen = capLen; pktWireLen = wireLen;
}
export function setIp(version: u32, proto: u32, totalLen: u32): void {
  ipVersion = version; ipProto = proto; ipTotalLen = totalLen;
}
export function setPorts(src: u32, dst: u32): void {
  srcPort = src; dstPort = dst;
}
export function setTcp(flags: u32, seq: u32, ack: u32, window: u32): void {
  tcpFlags = flags; tcpSeq = seq; tcpAck = ack; tcpWindow = window;
}
export function setPayload(ptr: usize, capLen: u32, len: u32): void {
  payloadPtr = ptr; payloadCapLen = capLen; payloadLen = len;
}
export function setChecksumBad(bad: bool): void {
  l4ChecksumBad = bad;
}
export function setTunnelDepth(depth: u32): void {
  tunnelDepth = depth;
}
/** Serial + 1 of the connection that encapsulates the current packet (0: not tunnelled). */
export let tunnelParent: u64 = 0;
export function setTunnelParent(parent: u64): void {
  tunnelParent = parent;
}
