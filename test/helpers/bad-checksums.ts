// A real capture with its checksums wrong, as a capture on the sending host shows them when the
// network card computes them later (checksum offload) (test/checksums-offloaded.test.ts): the
// outermost IPv4 header's, and TCP's, UDP's, ICMP's and ICMPv6's when that transport follows the
// outermost IP header (IPv6: as the first next header). Checksums inside tunnels, fragments, and
// every other frame are left as they are.
import { rewriteFrames, wholeDatagram, type Rewritten } from "./rewrite-frames.js";

/** Where each transport keeps its checksum, from the start of its header. */
const CHECKSUM_AT: Record<number, number> = { 6: 16, 17: 6, 1: 2, 58: 2 };

export function breakChecksums(capture: Buffer): Rewritten {
  return rewriteFrames(capture, (link, frame, le) => {
    const d = wholeDatagram(link, frame, le, { sameLength: true, anyHeaderChecksum: true });
    if (!d) return null;
    const f = Buffer.from(frame);
    // xor 0x0101 never turns a sum into an equal one (0x0000 and 0xffff are both zero in ones'
    // complement, so a flip of every bit could)
    const flip = (at: number) => f.writeUInt16BE(f.readUInt16BE(at) ^ 0x0101, at);
    const at = CHECKSUM_AT[d.proto];
    const transport = at !== undefined && d.payload + at + 2 <= d.end;
    if (d.version === 6 && !transport) return null; // nothing to break
    if (d.version === 4) flip(d.ip + 10);
    if (transport) flip(d.payload + at);
    return [f];
  });
}
