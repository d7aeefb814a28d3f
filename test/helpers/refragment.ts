// A real capture with its IP datagrams sent in fragments: Zeek reassembles them before anything else
// looks, and counts a reassembled datagram as one packet of its full length, so every log line must
// come out as it was (test/refragment.test.ts).
//
// Only a datagram that can be fragmented cleanly is: IPv4 without options, not already a fragment,
// with a valid header checksum; IPv6 whose first next header is the transport's (a Fragment header
// is put in front of it); at least 16 bytes after the IP header, captured whole. Every other packet
// is copied as it is.
import { sum16 } from "./packets.js";
import { rewriteFrames, ipStart } from "./rewrite-frames.js";

/** Where to cut a datagram's `length` bytes after its IP header: offsets in (0, length) (rounded
 *  down to a multiple of 8, as fragment offsets are), any order. */
export type Cuts = (length: number) => number[];

/** The order in which a datagram's fragments are captured (all at its time): they may be reordered
 *  or repeated. */
export type Arrange = (fragments: Buffer[]) => Buffer[];

let nextId = 1;

/** The capture with every cleanly fragmentable datagram in fragments; `fragmented` counts them. */
export function refragment(capture: Buffer, cuts: Cuts, arrange: Arrange = (f) => f): { capture: Buffer; fragmented: number } {
  const { capture: out, rewritten } = rewriteFrames(capture, (link, frame, le) => fragmentFrame(link, frame, cuts, arrange, le));
  return { capture: out, fragmented: rewritten };
}

function fragmentFrame(link: number, f: Buffer, cuts: Cuts, arrange: Arrange, le: boolean): Buffer[] | null {
  const ip = ipStart(link, f, le);
  if (ip < 0 || ip >= f.length) return null;
  const version = f[ip] >> 4;
  let payload: number, end: number;
  if (version === 4) {
    if ((f[ip] & 15) !== 5 || ip + 20 > f.length) return null;
    end = ip + f.readUInt16BE(ip + 2);
    if (end > f.length || end < ip + 20 || (f.readUInt16BE(ip + 6) & 0x3fff) !== 0) return null;
    if (sum16(f.subarray(ip, ip + 20)) !== 0xffff) return null; // Zeek drops it: it must stay bad
    payload = ip + 20;
  } else if (version === 6) {
    if (ip + 40 > f.length || ![6, 17, 58, 47, 4, 41].includes(f[ip + 6])) return null;
    payload = ip + 40;
    end = payload + f.readUInt16BE(ip + 4);
    if (end > f.length) return null;
  } else return null;
  const length = end - payload;
  if (length < 16) return null;
  const bounds = [...new Set(cuts(length).map((c) => c & ~7).filter((c) => c > 0 && c < length))].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  bounds.unshift(0); bounds.push(length);
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
      g.writeUInt16BE(~sum16(g.subarray(ip, ip + 20)) & 0xffff, ip + 10);
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
