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
import { checksum, sum16 } from "./packets.js";
import { rewriteFrames, wholeDatagram, ipPacket, type Rewritten } from "./rewrite-frames.js";

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
    const linkHeader = ipv6LinkHeader(link, f, d.ip, le);
    if (!linkHeader) return null;
    const transport = Buffer.from(f.subarray(d.payload, d.end));
    const at = d.proto === 6 ? 16 : 6;
    if (transport.length < at + 2) return null;
    const src = mapAddress(f.subarray(d.ip + 12, d.ip + 16)), dst = mapAddress(f.subarray(d.ip + 16, d.ip + 20));
    const wasValid = d.proto === 17 && transport.readUInt16BE(6) === 0
      || sum16(transport, sum16(pseudo4(f, d.ip, transport.length))) === 0xffff;
    transport.writeUInt16BE(0, at);
    let sum = checksum(transport, sum16(pseudo6(src, dst, d.proto, transport.length)));
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

function pseudo4(f: Buffer, ip: number, length: number): Buffer {
  const p = Buffer.alloc(12);
  f.copy(p, 0, ip + 12, ip + 20);
  p[9] = f[ip + 9];
  p.writeUInt16BE(length, 10);
  return p;
}

function pseudo6(src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = proto;
  return p;
}

/** The link header before the IPv4 header at `ip`, made to announce IPv6; null if it cannot. */
function ipv6LinkHeader(link: number, f: Buffer, ip: number, le: boolean): Buffer | null {
  const h = Buffer.from(f.subarray(0, ip));
  switch (link) {
    case 1: // the ethertype before the IP header; behind MPLS labels the version nibble says it
      if (ip >= 14 && h.readUInt16BE(ip - 2) === 0x0800) h.writeUInt16BE(0x86dd, ip - 2);
      else if (!(ip >= 18 && h.readUInt16BE(12) === 0x8847 || (ip >= 22 && h.readUInt16BE(16) === 0x8847))) return null;
      return h;
    case 113: h.writeUInt16BE(0x86dd, 14); return h;
    case 276: h.writeUInt16BE(0x86dd, 0); return h;
    case 0: if (le) h.writeUInt32LE(24, 0); else h.writeUInt32BE(24, 0); return h;
    case 108: h.writeUInt32BE(24, 0); return h;
    case 9: h.writeUInt16BE(0x0057, 2); return h;
    case 101: return h;
    default: return null;
  }
}
