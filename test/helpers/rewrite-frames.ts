// A capture's frames rewritten one by one: each may become several frames at its time (a TCP
// segment cut in pieces, an IP datagram in fragments), or be captured in part (a snaplen), in the
// same file format. Classic pcap (either byte order, micro- or nanoseconds) and pcapng (enhanced
// packet blocks; every other block is copied). A record or block cut short at the end is copied
// as it is.
import { sum16 } from "./packets.js";

/** The capture with each frame captured whole replaced by `rewrite`'s frames; `rewritten` counts
 *  the frames replaced, `frames` all the capture's frames. */
export function rewriteFrames(capture: Buffer, rewrite: Rewrite): Rewritten {
  if (capture.readUInt32LE(0) === 0x0a0d0d0a) return rewritePcapng(capture, rewrite);
  return rewritePcap(capture, rewrite);
}

export interface Rewritten { capture: Buffer; rewritten: number; frames: number }

/** A frame's replacement frames, or null to keep it. `le`: the file's byte order. */
export type Rewrite = (link: number, frame: Buffer, le: boolean) => Frame[] | null;

/** A frame captured whole, or its first bytes of `wire` (the length it had on the wire). */
export type Frame = Buffer | { captured: Buffer; wire: number };
const capturedOf = (f: Frame): Buffer => (Buffer.isBuffer(f) ? f : f.captured);
const wireOf = (f: Frame): number => (Buffer.isBuffer(f) ? f.length : f.wire);

// ------------------------------------------------------------------------------------ framing

function rewritePcap(capture: Buffer, rewrite: Rewrite): Rewritten {
  const m = capture.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  if (!le && capture.readUInt32BE(0) !== 0xa1b2c3d4 && capture.readUInt32BE(0) !== 0xa1b23c4d) throw new Error("rewriteFrames: not a pcap or pcapng");
  const u32 = (o: number) => (le ? capture.readUInt32LE(o) : capture.readUInt32BE(o));
  const link = u32(20) & 0x0fffffff;
  const parts: Buffer[] = [capture.subarray(0, 24)];
  let rewritten = 0, frames = 0, off = 24, longest = 0;
  while (off + 16 <= capture.length) {
    const caplen = u32(off + 8), origlen = u32(off + 12);
    if (off + 16 + caplen > capture.length) break; // a cut record: copied below as it is
    const frame = capture.subarray(off + 16, off + 16 + caplen);
    frames++;
    const replaced = caplen === origlen ? rewrite(link, frame, le) : null;
    if (replaced) {
      rewritten++;
      for (const frame of replaced) {
        const f = capturedOf(frame), wire = wireOf(frame);
        longest = Math.max(longest, f.length);
        const h = Buffer.from(capture.subarray(off, off + 16));
        if (le) { h.writeUInt32LE(f.length, 8); h.writeUInt32LE(wire, 12); } else { h.writeUInt32BE(f.length, 8); h.writeUInt32BE(wire, 12); }
        parts.push(h, f);
      }
    } else parts.push(capture.subarray(off, off + 16 + caplen));
    off += 16 + caplen;
  }
  parts.push(capture.subarray(off));
  // libpcap (so Zeek) cuts a record longer than the file's snaplen: raise it for grown frames
  if (longest > u32(16)) {
    const h = Buffer.from(parts[0]);
    if (le) h.writeUInt32LE(longest, 16); else h.writeUInt32BE(longest, 16);
    parts[0] = h;
  }
  return { capture: Buffer.concat(parts), rewritten, frames };
}

function rewritePcapng(capture: Buffer, rewrite: Rewrite): Rewritten {
  const parts: Buffer[] = [];
  let le = true, links: number[] = [], rewritten = 0, frames = 0, off = 0;
  while (off + 12 <= capture.length) {
    const type = capture.readUInt32LE(off);
    if (type === 0x0a0d0d0a) { le = capture.readUInt32LE(off + 8) === 0x1a2b3c4d; links = []; }
    const u32 = (o: number) => (le ? capture.readUInt32LE(o) : capture.readUInt32BE(o));
    const total = u32(off + 4);
    if (total < 12 || off + total > capture.length) break;
    let block = capture.subarray(off, off + total);
    const btype = u32(off);
    if (btype === 1) {
      links.push(le ? block.readUInt16LE(8) : block.readUInt16BE(8));
      // an interface's snaplen could cut a grown frame (libpcap cuts records longer): 0, no limit
      block = Buffer.from(block);
      block.writeUInt32LE(0, 12);
    }
    let replaced: Frame[] | null = null;
    if (btype === 2 || btype === 3 || btype === 6) frames++; // packet blocks: obsolete, simple, enhanced
    if (btype === 6) {
      const ifc = u32(off + 8), caplen = u32(off + 20), origlen = u32(off + 24);
      if (ifc < links.length && caplen === origlen && 28 + caplen <= total - 4) replaced = rewrite(links[ifc], block.subarray(28, 28 + caplen), le);
    }
    if (replaced) {
      rewritten++;
      const options = block.subarray(28 + pad4(u32(off + 20)), total - 4);
      for (const frame of replaced) {
        const f = capturedOf(frame);
        const len = 28 + pad4(f.length) + options.length + 4;
        const b = Buffer.alloc(len);
        block.copy(b, 0, 0, 20); // type, length (rewritten), interface, timestamp
        const w = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
        w(len, 4); w(f.length, 20); w(wireOf(frame), 24); w(len, len - 4);
        f.copy(b, 28);
        options.copy(b, 28 + pad4(f.length));
        parts.push(b);
      }
    } else parts.push(block);
    off += total;
  }
  parts.push(capture.subarray(off));
  return { capture: Buffer.concat(parts), rewritten, frames };
}

const pad4 = (n: number) => (n + 3) & ~3;

// ------------------------------------------------------------------------------------ packets

/** The frame's IP header offset and version for a link type, or -1. `le`: the file's byte order
 *  (DLT_NULL's family is in the writer's order). `pppoe`: also inside a PPPoE session, whose
 *  header has a length of its own (for rewrites that keep the datagram's length). */
function ipStart(link: number, f: Buffer, le: boolean, pppoe: boolean): number {
  switch (link) {
    case 1: { // Ethernet (behind Cisco FabricPath's 16 bytes too), any number of 802.1Q / 802.1ad
      // tags, then IP or an MPLS label stack
      let o = f.length >= 30 && f.readUInt16BE(12) === 0x8903 ? 28 : 12;
      while (o + 2 <= f.length && (f.readUInt16BE(o) === 0x8100 || f.readUInt16BE(o) === 0x88a8)) o += 4;
      if (o + 2 > f.length) return -1;
      const t = f.readUInt16BE(o);
      if (pppoe && t === 0x8864 && o + 10 <= f.length) {
        const ppp = f.readUInt16BE(o + 8); // after version, code, session id and length
        return ppp === 0x0021 || ppp === 0x0057 ? o + 10 : -1;
      }
      if (t === 0x8847) { // labels until the bottom of the stack; IP by its version nibble
        o += 2;
        while (o + 4 <= f.length && (f[o + 2] & 1) === 0) o += 4;
        return o + 5 <= f.length && (f[o + 4] >> 4 === 4 || f[o + 4] >> 4 === 6) ? o + 4 : -1;
      }
      return t === 0x0800 || t === 0x86dd ? o + 2 : -1;
    }
    case 9: // PPP in HDLC-like framing: address, control, protocol
      return f.length >= 4 && f[0] === 0xff && f[1] === 0x03 && (f.readUInt16BE(2) === 0x0021 || f.readUInt16BE(2) === 0x0057) ? 4 : -1;
    case 113: return f.length >= 16 && (f.readUInt16BE(14) === 0x0800 || f.readUInt16BE(14) === 0x86dd) ? 16 : -1;
    case 276: return f.length >= 20 && (f.readUInt16BE(0) === 0x0800 || f.readUInt16BE(0) === 0x86dd) ? 20 : -1;
    case 101: case 228: case 229: return 0;
    case 0: case 108: {
      if (f.length < 4) return -1;
      const family = link === 108 ? f.readUInt32BE(0) : le ? f.readUInt32LE(0) : f.readUInt32BE(0);
      return family === 2 || family === 24 || family === 28 || family === 30 ? 4 : -1;
    }
    default: return -1;
  }
}

/** A frame's link header (its bytes before the IP header, a copy) made to announce IP `version`,
 *  or null for a link type where it cannot. Ethernet: the ethertype before the IP header; behind
 *  MPLS labels nothing (the version nibble says it). */
export function announceIp(link: number, h: Buffer, le: boolean, version: 4 | 6): Buffer | null {
  const v4 = version === 4;
  switch (link) {
    case 1: {
      const n = h.length;
      if (n >= 14 && (h.readUInt16BE(n - 2) === 0x0800 || h.readUInt16BE(n - 2) === 0x86dd)) h.writeUInt16BE(v4 ? 0x0800 : 0x86dd, n - 2);
      else if (!(n >= 18 && h.readUInt16BE(12) === 0x8847 || (n >= 22 && h.readUInt16BE(16) === 0x8847))) return null;
      return h;
    }
    case 113: h.writeUInt16BE(v4 ? 0x0800 : 0x86dd, 14); return h;
    case 276: h.writeUInt16BE(v4 ? 0x0800 : 0x86dd, 0); return h;
    case 0: if (le) h.writeUInt32LE(v4 ? 2 : 24, 0); else h.writeUInt32BE(v4 ? 2 : 24, 0); return h;
    case 108: h.writeUInt32BE(v4 ? 2 : 24, 0); return h;
    case 9: h.writeUInt16BE(v4 ? 0x0021 : 0x0057, 2); return h;
    case 101: return h;
    case 228: return v4 ? h : null;
    default: return null;
  }
}

/** An unfragmented IP datagram captured whole in a frame: its version, where its IP header and
 *  what follows it start, where it ends, and the protocol after the header (IPv6: the first next
 *  header). */
export interface Datagram { version: number; ip: number; payload: number; end: number; proto: number }

/** The frame's IP packet captured whole (a fragment too, whatever its header checksum), or null.
 *  `sameLength`: also inside PPPoE, whose header has a length of its own (for a rewrite that keeps
 *  the packet's length). */
export function ipPacket(link: number, f: Buffer, le: boolean, { sameLength = false } = {}): Datagram | null {
  const ip = ipStart(link, f, le, sameLength);
  if (ip < 0 || ip >= f.length) return null;
  const version = f[ip] >> 4;
  if (version === 4) {
    const ihl = (f[ip] & 15) * 4;
    if (ip + 20 > f.length || ihl < 20) return null;
    const end = ip + f.readUInt16BE(ip + 2);
    return end < ip + ihl || end > f.length ? null : { version, ip, payload: ip + ihl, end, proto: f[ip + 9] };
  }
  if (version !== 6 || ip + 40 > f.length) return null;
  const end = ip + 40 + f.readUInt16BE(ip + 4);
  return end > f.length ? null : { version, ip, payload: ip + 40, end, proto: f[ip + 6] };
}

/** The frame's datagram, or null: not IP, a fragment, cut short, or IPv4 with a bad header
 *  checksum (which Zeek drops: rewritten, it must stay bad). For a rewrite that keeps the
 *  datagram's length and runs that ignore checksums (as -C), `sameLength` also finds it inside
 *  PPPoE, and `anyHeaderChecksum` whatever its header checksum. */
export function wholeDatagram(link: number, f: Buffer, le: boolean,
  { sameLength = false, anyHeaderChecksum = false } = {}): Datagram | null {
  const d = ipPacket(link, f, le, { sameLength });
  if (!d || d.version !== 4) return d;
  if ((f.readUInt16BE(d.ip + 6) & 0x3fff) !== 0) return null;
  if (!anyHeaderChecksum && sum16(f.subarray(d.ip, d.payload)) !== 0xffff) return null;
  return d;
}

/** The bounds of the pieces that cutting `length` bytes at `offsets` makes: 0, the offsets within
 *  (0, length) in order without repeats, then length; null when none is within. */
export function pieceBounds(offsets: number[], length: number): number[] | null {
  const inside = [...new Set(offsets.filter((c) => c > 0 && c < length))].sort((a, b) => a - b);
  return inside.length === 0 ? null : [0, ...inside, length];
}
