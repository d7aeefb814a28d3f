// A real capture with its IP datagrams sent in fragments: Zeek reassembles them before anything else
// looks, and counts a reassembled datagram as one packet of its full length, so every log line must
// come out as it was (test/refragment.test.ts).
//
// Only a datagram that can be fragmented cleanly is: IPv4 without options, not already a fragment,
// with a valid header checksum; IPv6 whose first next header is the transport's (a Fragment header
// is put in front of it); at least 16 bytes after the IP header, captured whole. Every other packet
// is copied as it is.
import { checksum } from "./packets.js";
import { rewriteFrames, wholeDatagram, pieceBounds } from "./rewrite-frames.js";

/** Where to cut a datagram's `length` bytes after its IP header: offsets in (0, length) (rounded
 *  down to a multiple of 8, as fragment offsets are), any order. */
export type Cuts = (length: number) => number[];

/** The order in which a datagram's fragments are captured (all at its time): they may be reordered
 *  or repeated. */
export type Arrange = (fragments: Buffer[]) => Buffer[];

/** The transports an IPv6 datagram is fragmented with: TCP, UDP, ICMPv6, GRE, IPv4 and IPv6. */
const IPV6_NEXT = [6, 17, 58, 47, 4, 41];

let nextId = 1;

/** The capture with every cleanly fragmentable datagram in fragments; `rewritten` counts them. */
export function refragment(capture: Buffer, cuts: Cuts, arrange: Arrange = (f) => f): { capture: Buffer; rewritten: number } {
  return rewriteFrames(capture, (link, frame, le) => fragmentFrame(link, frame, cuts, arrange, le));
}

function fragmentFrame(link: number, f: Buffer, cuts: Cuts, arrange: Arrange, le: boolean): Buffer[] | null {
  const d = wholeDatagram(link, f, le);
  if (!d || (d.version === 4 && d.payload !== d.ip + 20) || (d.version === 6 && !IPV6_NEXT.includes(d.proto))) return null;
  const { version, ip, payload, end } = d;
  const length = end - payload;
  if (length < 16) return null;
  const bounds = pieceBounds(cuts(length).map((c) => c & ~7), length);
  if (!bounds) return null;
  const id = nextId++ & 0xffff;
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const more = i + 2 < bounds.length ? 1 : 0;
    const piece = f.subarray(payload + bounds[i], payload + bounds[i + 1]);
    let g: Buffer;
    if (version === 4) {
      g = Buffer.concat([f.subarray(0, payload), piece]);
      g.writeUInt16BE(20 + piece.length, ip + 2);
      g.writeUInt16BE(id, ip + 4);
      g.writeUInt16BE((more << 13) | (bounds[i] >> 3), ip + 6);
      g.writeUInt16BE(0, ip + 10);
      g.writeUInt16BE(checksum(g.subarray(ip, ip + 20)), ip + 10);
    } else {
      const frag = Buffer.alloc(8);
      frag[0] = f[ip + 6]; // the next header after it
      frag.writeUInt16BE(bounds[i] | more, 2);
      frag.writeUInt32BE(id, 4);
      g = Buffer.concat([f.subarray(0, payload), frag, piece]);
      g[ip + 6] = 44;
      g.writeUInt16BE(8 + piece.length, ip + 4);
    }
    out.push(g);
  }
  return arrange(out);
}
