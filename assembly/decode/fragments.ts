// IP fragments. Zeek reassembles fragments (key: src, dst, IP id) before the transport layer, so a
// fragment creates no connection until its whole datagram is there (src/packet_analysis/protocol/
// ip/IP.cc, src/Frag.cc). Reassembly is not implemented yet: this file holds the policy for now,
// and is where the reassembler goes.
//
// Contract with ip.ts: fragmentIn() is called for every real fragment (IPv4 offset or MF set; IPv6
// fragment header with offset or M set: an atomic fragment is not a fragment) after the IP header
// checks. It returns
//   FRAG_PASS      decode this packet's own bytes as the start of the datagram (Zeek: a first
//                  fragment that was not captured whole is analysed as it is, "useful in analyzing
//                  header-only traces"; every other fragment of a datagram not captured whole is
//                  dropped),
//   SKIP_FRAGMENT  the fragment was taken (held, or dropped),
// and, once reassembly lands, FRAG_REASSEMBLED with reassembledPtr()/reassembledLen() naming the
// whole datagram (IP header + payload) in a buffer owned here, which ip.ts then decodes in place of
// the packet.
import { SKIP_FRAGMENT } from "../stats";

export const FRAG_PASS: i32 = -2;
export const FRAG_REASSEMBLED: i32 = -3;

/**
 * A fragment arrived. ip: start of its IP header; hdrLen: IP header length (IPv6: up to and
 * including the fragment header); totalLen: IP total length from the header; capLen: bytes captured
 * from ip on; offset: fragment offset in bytes; more: MF/M flag; id: IP identification.
 */
export function fragmentIn(version: u32, ip: usize, hdrLen: u32, totalLen: u32, capLen: u32,
                           offset: u32, more: bool, id: u32): i32 {
  if (capLen < totalLen) {
    // Zeek: "incompletely_captured_fragment": reassembly is doomed.
    return offset == 0 ? FRAG_PASS : SKIP_FRAGMENT;
  }
  // Until reassembly lands, a whole fragment is held and never completes.
  return SKIP_FRAGMENT;
}

export function reassembledPtr(): usize { return 0; }
export function reassembledLen(): u32 { return 0; }
