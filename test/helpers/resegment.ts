// A real capture with its TCP data cut into smaller segments: the same bytes of each stream, in the
// same order, in more packets. Zeek's stream analyzers see the reassembled stream, so what they
// confirm must not change (test/resegment.test.ts); a parser that assumes a message arrives in
// one segment does.
//
// Only a packet that can be cut cleanly is cut: IPv4 (unfragmented) or IPv6 (TCP as the first next
// header) over Ethernet (with VLAN tags), Linux cooked (SLL, SLL2), raw IP or BSD loopback, captured
// whole, with valid IP and TCP checksums and no urgent data. Every other packet and block is copied
// as it is. Classic pcap (either byte order, micro- or nanoseconds) and pcapng.
import { sum16 } from "./packets.js";

/** Where to cut a segment of `length` data bytes: offsets in (0, length), any order. */
export type Cuts = (length: number) => number[];

/** The order in which a segment's pieces are captured (all at its time), from their order in the
 *  stream: they may be reordered or repeated. A SYN's piece stays first. */
export type Arrange = (pieces: Buffer[]) => Buffer[];

/** The capture with every cleanly cuttable TCP data segment cut at `cuts`; `cut` counts them. */
export function resegment(capture: Buffer, cuts: Cuts, arrange: Arrange = (p) => p): { capture: Buffer; cut: number } {
  const cutter = (link: number, frame: Buffer, le: boolean) => cutFrame(link, frame, cuts, arrange, le);
  const magic = capture.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return resegmentPcapng(capture, cutter);
  return resegmentPcap(capture, cutter);
}

type Cutter = (link: number, frame: Buffer, le: boolean) => Buffer[] | null;

/** A seeded generator of numbers in [0, 1) (mulberry32): the same cuts on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------ framing

function resegmentPcap(capture: Buffer, cutter: Cutter): { capture: Buffer; cut: number } {
  const m = capture.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  if (!le && capture.readUInt32BE(0) !== 0xa1b2c3d4 && capture.readUInt32BE(0) !== 0xa1b23c4d) throw new Error("resegment: not a pcap or pcapng");
  const u32 = (o: number) => (le ? capture.readUInt32LE(o) : capture.readUInt32BE(o));
  const link = u32(20) & 0x0fffffff;
  const parts: Buffer[] = [capture.subarray(0, 24)];
  let cut = 0, off = 24;
  while (off + 16 <= capture.length) {
    const caplen = u32(off + 8), origlen = u32(off + 12);
    if (off + 16 + caplen > capture.length) break; // a cut record: copied below as it is
    const frame = capture.subarray(off + 16, off + 16 + caplen);
    const frames = caplen === origlen ? cutter(link, frame, le) : null;
    if (frames) {
      cut++;
      for (const f of frames) {
        const h = Buffer.from(capture.subarray(off, off + 16));
        if (le) { h.writeUInt32LE(f.length, 8); h.writeUInt32LE(f.length, 12); } else { h.writeUInt32BE(f.length, 8); h.writeUInt32BE(f.length, 12); }
        parts.push(h, f);
      }
    } else parts.push(capture.subarray(off, off + 16 + caplen));
    off += 16 + caplen;
  }
  parts.push(capture.subarray(off));
  return { capture: Buffer.concat(parts), cut };
}

function resegmentPcapng(capture: Buffer, cutter: Cutter): { capture: Buffer; cut: number } {
  const parts: Buffer[] = [];
  let le = true, links: number[] = [], cut = 0, off = 0;
  while (off + 12 <= capture.length) {
    const type = capture.readUInt32LE(off);
    if (type === 0x0a0d0d0a) { le = capture.readUInt32LE(off + 8) === 0x1a2b3c4d; links = []; }
    const u32 = (o: number) => (le ? capture.readUInt32LE(o) : capture.readUInt32BE(o));
    const total = u32(off + 4);
    if (total < 12 || off + total > capture.length) break;
    const block = capture.subarray(off, off + total);
    const btype = u32(off);
    if (btype === 1) links.push(le ? block.readUInt16LE(8) : block.readUInt16BE(8));
    let frames: Buffer[] | null = null;
    if (btype === 6) {
      const ifc = u32(off + 8), caplen = u32(off + 20), origlen = u32(off + 24);
      if (ifc < links.length && caplen === origlen && 28 + caplen <= total - 4) frames = cutter(links[ifc], block.subarray(28, 28 + caplen), le);
    }
    if (frames) {
      cut++;
      const options = block.subarray(28 + pad4(u32(off + 20)), total - 4);
      for (const f of frames) {
        const len = 28 + pad4(f.length) + options.length + 4;
        const b = Buffer.alloc(len);
        block.copy(b, 0, 0, 20); // type, length (rewritten), interface, timestamp
        const w = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
        w(len, 4); w(f.length, 20); w(f.length, 24); w(len, len - 4);
        f.copy(b, 28);
        options.copy(b, 28 + pad4(f.length));
        parts.push(b);
      }
    } else parts.push(block);
    off += total;
  }
  parts.push(capture.subarray(off));
  return { capture: Buffer.concat(parts), cut };
}

const pad4 = (n: number) => (n + 3) & ~3;

// ------------------------------------------------------------------------------------ packets

/** The frame's IP header offset and version for a link type, or -1. `le`: the file's byte order
 *  (DLT_NULL's family is in the writer's order). */
function ipStart(link: number, f: Buffer, le: boolean): number {
  switch (link) {
    case 1: { // Ethernet, any number of 802.1Q / 802.1ad tags
      let o = 12;
      while (o + 2 <= f.length && (f.readUInt16BE(o) === 0x8100 || f.readUInt16BE(o) === 0x88a8)) o += 4;
      if (o + 2 > f.length) return -1;
      const t = f.readUInt16BE(o);
      return t === 0x0800 || t === 0x86dd ? o + 2 : -1;
    }
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

const SYN = 2, FIN = 1, RST = 4, PSH = 8, URG = 32;

/** The frame cut into frames of the given data cuts, or null when it is not cut (see the top). */
function cutFrame(link: number, f: Buffer, cuts: Cuts, arrange: Arrange, le: boolean): Buffer[] | null {
  const ip = ipStart(link, f, le);
  if (ip < 0 || ip >= f.length) return null;
  const version = f[ip] >> 4;
  // pseudo(n): the pseudo-header's sum for n bytes of TCP (the addresses are every piece's too)
  let tcp: number, end: number, pseudo: (n: number) => number;
  if (version === 4) {
    const ihl = (f[ip] & 15) * 4, total = f.readUInt16BE(ip + 2);
    if (ihl < 20 || total < ihl || ip + total > f.length || f[ip + 9] !== 6) return null;
    if ((f.readUInt16BE(ip + 6) & 0x3fff) !== 0) return null; // a fragment
    if (sum16(f.subarray(ip, ip + ihl)) !== 0xffff) return null;
    tcp = ip + ihl; end = ip + total;
    pseudo = (n) => sum16(f.subarray(ip + 12, ip + 20), 6 + n);
  } else if (version === 6) {
    if (ip + 40 > f.length || f[ip + 6] !== 6) return null;
    tcp = ip + 40; end = tcp + f.readUInt16BE(ip + 4);
    if (end > f.length) return null;
    pseudo = (n) => sum16(f.subarray(ip + 8, ip + 40), 6 + n);
  } else return null;
  if (tcp + 20 > end) return null;
  const doff = (f[tcp + 12] >> 4) * 4, flags = f[tcp + 13];
  const data = tcp + doff, length = end - data;
  if (doff < 20 || length < 2 || (flags & URG) !== 0) return null;
  if (sum16(f.subarray(tcp, end), pseudo(end - tcp)) !== 0xffff) return null; // a bad checksum stays bad
  const bounds = [...new Set(cuts(length).filter((c) => c > 0 && c < length))].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  bounds.unshift(0); bounds.push(length);
  const seq = f.readUInt32BE(tcp + 4);
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const first = i === 0, last = i + 2 === bounds.length;
    const piece = f.subarray(data + bounds[i], data + bounds[i + 1]);
    const g = Buffer.concat([f.subarray(0, data), piece]);
    // the data after a SYN starts one sequence number on
    g.writeUInt32BE((seq + bounds[i] + (!first && (flags & SYN) ? 1 : 0)) >>> 0, tcp + 4);
    g[tcp + 13] = flags & ~((first ? 0 : SYN) | (last ? 0 : FIN | RST | PSH));
    if (version === 4) {
      g.writeUInt16BE(g.length - ip, ip + 2);
      g.writeUInt16BE(0, ip + 10);
      g.writeUInt16BE(~sum16(g.subarray(ip, tcp)) & 0xffff, ip + 10);
    } else g.writeUInt16BE(g.length - tcp, ip + 4);
    g.writeUInt16BE(0, tcp + 16);
    g.writeUInt16BE(~sum16(g.subarray(tcp), pseudo(g.length - tcp)) & 0xffff, tcp + 16);
    out.push(g);
  }
  return flags & SYN ? [out[0], ...arrange(out.slice(1))] : arrange(out);
}
