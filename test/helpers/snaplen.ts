// A real capture with its TCP payloads captured in part, as a snaplen cuts them: each frame keeps
// its headers and the first bytes of its segment's payload, and its record still gives the length
// it had on the wire (test/snaplen.test.ts). Only TCP carried directly in IPv4 or IPv6 (the first
// next header; PPPoE too) is cut, whatever its IPv4 header checksum (the runs ignore checksums);
// every other frame, and every frame already captured in part, is copied.
import { rewriteFrames, wholeDatagram } from "./rewrite-frames.js";

/** How many of a segment's `length` payload bytes (at least 1) stay captured: 0 to length - 1. */
export type Keep = (length: number) => number;

/** The capture with every TCP payload cut to `keep` of its bytes; `rewritten` counts the frames. */
export function cutPayloads(capture: Buffer, keep: Keep): { capture: Buffer; rewritten: number } {
  return rewriteFrames(capture, (link, f, le) => {
    const d = wholeDatagram(link, f, le, { sameLength: true, anyHeaderChecksum: true });
    if (!d || d.proto !== 6 || d.payload + 20 > d.end) return null;
    const start = d.payload + (f[d.payload + 12] >> 4) * 4;
    if (start < d.payload + 20 || start >= d.end) return null; // a bad data offset, or no payload
    const k = keep(d.end - start);
    if (k < 0 || k >= d.end - start) throw new Error(`cutPayloads: keep ${k} of ${d.end - start} bytes`);
    return [{ captured: f.subarray(0, start + k), wire: f.length }];
  });
}
