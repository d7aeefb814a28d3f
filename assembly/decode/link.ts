// STUB: replaced by the decoding work. Contract below is fixed.
export const DECODED: i32 = -1;
/** Decode one record into packet.ts. Returns DECODED or a skip reason (stats.ts). */
export function decodePacket(linkType: u32, data: usize, capLen: u32, wireLen: u32): i32 { return 0; }
