// A real capture with its IPv4 TCP and UDP packets sent over IPv6 instead, as a NAT64 translator
// would (RFC 6145; test/ipv6.test.ts): each address a.b.c.d becomes 64:ff9b::a.b.c.d (RFC 6052's
// well-known prefix), a multicast one (224.x.x.x, as Zeek has it) ff0e::a.b.c.d so that it stays
// multicast; the TTL the hop
// limit, the TOS the traffic class; the transport's checksum is computed anew over the IPv6
// pseudo-header, and made wrong where it was wrong (a UDP datagram without one gets one, which
// IPv6 requires). The link header announces IPv6.
//
// Copied as they are: fragments, packets with IPv4 options, to the limited broadcast address
// (which Zeek treats apart), with a bad header checksum (dropped either way), on a link type that
// cannot carry IPv6 (228), and every other packet.
import { checksum, pseudoHeader, sum16 } from "./packets.js";
import { rewriteFrames, wholeDatagram, ipPacket, announceIp, type Rewritten } from "./rewrite-frames.js";

export const NAT64_PREFIX = Buffer.from([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]);
export const MULTICAST_PREFIX = Buffer.from([0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The capture translated; `fragments` counts the IPv4 fragments it copied (their connections are
 *  then partly over IPv4, partly over IPv6). `extensions`: each packet also carries a Hop-by-Hop
 *  Options and a Destination Options header (8 bytes each, padding only) before its transport. */
export function toIpv6(capture: Buffer, { extensions = false } = {}): Rewritten & { fragments: number } {
  let fragments = 0;
  const out = rewriteFrames(capture, (link, f, le) => {
    const p = ipPacket(link, f, le);
    if (p && p.version === 4 && (f.readUInt16BE(p.ip + 6) & 0x3fff) !== 0) fragments++;
    const d = wholeDatagram(link, f, le);
    if (!d || d.version !== 4 || d.payload !== d.ip + 20 || (d.proto !== 6 && d.proto !== 17)) return null;
    if (f.readUInt32BE(d.ip + 16) === 0xffffffff) return null;
    const linkHeader = announceIp(link, Buffer.from(f.subarray(0, d.ip)), le, 6);
    if (!linkHeader) return null;
    const transport = Buffer.from(f.subarray(d.payload, d.end));
    const at = d.proto === 6 ? 16 : 6;
    if (transport.length < at + 2) return null;
    const src = mapAddress(f.subarray(d.ip + 12, d.ip + 16)), dst = mapAddress(f.subarray(d.ip + 16, d.ip + 20));
    const wasValid = d.proto === 17 && transport.readUInt16BE(6) === 0
      || sum16(transport, sum16(pseudoHeader(f.subarray(d.ip + 12, d.ip + 16), f.subarray(d.ip + 16, d.ip + 20), d.proto, transport.length))) === 0xffff;
    transport.writeUInt16BE(0, at);
    let sum = checksum(transport, sum16(pseudoHeader(src, dst, d.proto, transport.length)));
    if (d.proto === 17 && sum === 0) sum = 0xffff;
    transport.writeUInt16BE(wasValid ? sum : sum ^ 0x0101, at);
    // Hop-by-Hop (0) then Destination Options (60), each: next header, length 0 (8 bytes), PadN
    const options = extensions ? Buffer.from([60, 0, 1, 4, 0, 0, 0, 0, d.proto, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0);
    const h = Buffer.alloc(40);
    h.writeUInt32BE((6 << 28) | (f[d.ip + 1] << 20), 0);
    h.writeUInt16BE(options.length + transport.length, 4);
    h[6] = extensions ? 0 : d.proto;
    h[7] = f[d.ip + 8];
    src.copy(h, 8);
    dst.copy(h, 24);
    return [Buffer.concat([linkHeader, h, options, transport, f.subarray(d.end)])];
  });
  return { ...out, fragments };
}

/** 224.x.x.x, the IPv4 multicast of Zeek's IPAddr::IsMulticast, stays multicast. */
function mapAddress(a4: Buffer): Buffer {
  return Buffer.concat([a4[0] === 224 ? MULTICAST_PREFIX : NAT64_PREFIX, a4]);
}
