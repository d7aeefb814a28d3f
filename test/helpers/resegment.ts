// A real capture with its TCP data cut into smaller segments: the same bytes of each stream, in the
// same order, in more packets. Zeek's stream analyzers see the reassembled stream, so what they
// confirm must not change (test/resegment.test.ts); a parser that assumes a message arrives in
// one segment does.
//
// Only a packet that can be cut cleanly is cut: IPv4 (unfragmented) or IPv6 (TCP as the first next
// header), captured whole (rewrite-frames.ts says over which links), with valid IP and TCP checksums
// and no urgent data. Every other packet is copied as it is.
import { sum16, checksum } from "./packets.js";
import { rewriteFrames, wholeDatagram, pieceBounds } from "./rewrite-frames.js";

/** Where to cut a segment of `length` data bytes: offsets in (0, length), any order. */
export type Cuts = (length: number) => number[];

/** The order in which a segment's pieces are captured (all at its time), from their order in the
 *  stream: they may be reordered or repeated. A SYN's piece stays first. */
export type Arrange = (pieces: Buffer[]) => Buffer[];

/** The capture with every cleanly cuttable TCP data segment cut at `cuts`; `rewritten` counts
 *  them. */
export function resegment(capture: Buffer, cuts: Cuts, arrange: Arrange = (p) => p): { capture: Buffer; rewritten: number } {
  return rewriteFrames(capture, (link, frame, le) => cutFrame(link, frame, cuts, arrange, le));
}

const SYN = 2, FIN = 1, RST = 4, PSH = 8, URG = 32;

/** The frame cut into frames of the given data cuts, or null when it is not cut (see the top). */
function cutFrame(link: number, f: Buffer, cuts: Cuts, arrange: Arrange, le: boolean): Buffer[] | null {
  const d = wholeDatagram(link, f, le);
  if (!d || d.proto !== 6) return null;
  const { version, ip, payload: tcp, end } = d;
  // the pseudo-header's sum for n bytes of TCP (its addresses are every piece's too)
  const pseudo = (n: number) => (version === 4 ? sum16(f.subarray(ip + 12, ip + 20), 6 + n) : sum16(f.subarray(ip + 8, ip + 40), 6 + n));
  if (tcp + 20 > end) return null;
  const doff = (f[tcp + 12] >> 4) * 4, flags = f[tcp + 13];
  const data = tcp + doff, length = end - data;
  if (doff < 20 || length < 2 || (flags & URG) !== 0) return null;
  if (sum16(f.subarray(tcp, end), pseudo(end - tcp)) !== 0xffff) return null; // a bad checksum stays bad
  const bounds = pieceBounds(cuts(length), length);
  if (!bounds) return null;
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
      g.writeUInt16BE(checksum(g.subarray(ip, tcp)), ip + 10);
    } else g.writeUInt16BE(g.length - tcp, ip + 4);
    g.writeUInt16BE(0, tcp + 16);
    g.writeUInt16BE(checksum(g.subarray(tcp), pseudo(g.length - tcp)), tcp + 16);
    out.push(g);
  }
  return flags & SYN ? [out[0], ...arrange(out.slice(1))] : arrange(out);
}
