// Cache warming for a batch of records before they are processed one by one. With a large table
// nearly every packet's slot and connection record are cache misses; processed in order, each miss
// stalls the packet. Here the batch's keys are hashed from a quick parse (Ethernet, VLAN, IPv4
// unfragmented or IPv6 without extension headers, TCP or UDP), then all their slots are loaded,
// then all their records (or the free records new connections will take, and the counter slots
// their sources count in), then those counter rows, then, with protocol detection on, the records'
// detection states, then their signature-matching blocks and first analyzer instances: each pass's
// loads are independent of each other, so their misses overlap. Nothing here changes state; a
// packet it cannot parse is simply not warmed. The hashes are kept for the table (warmedHash), so
// that a packet's key is hashed once.

import { keyHash, touchSlot, recordIndexAt, freeRecordAt } from "./table";
import { C_DETECT } from "./conn";
import { rec, TCP_RECORDS, SHORT_RECORDS, SHORT_CLASS } from "./pool";
import { storeMapped4, store16 } from "../decode/bytes";
import { H_BLOCK, H_INST } from "../detect/ctx";
import { detectProtocols } from "../config";
import { countersEnabled, countsService, rowHash, touchRowSlot, touchRow } from "../top/counters";

const LINK_ETHERNET: u32 = 1;
/** Records per batch (pipeline.ts takes them in batches of this size). */
export const MAX_BATCH: u32 = 32;
const hashes: usize = memory.data(<i32>MAX_BATCH * 8);
const found: usize = memory.data(<i32>MAX_BATCH * 4); // record addresses, then detection states
const isTcpPacket: usize = memory.data(<i32>MAX_BATCH); // 1: a new connection's record is a TCP one
const rowHashes: usize = memory.data(<i32>MAX_BATCH * 8); // counter rows of new connections (0: none)
let quickProto: u32 = 0; // the IP protocol of quickHash's last packet (when it returned a hash)
// quickHash's key fields, per packet of the batch: a new connection's counter row is keyed by them
const srcs: usize = memory.data(<i32>MAX_BATCH * 16, 16);
const dsts: usize = memory.data(<i32>MAX_BATCH * 16, 16);
const dstPorts: usize = memory.data(<i32>MAX_BATCH * 4);
const ipVersions: usize = memory.data(<i32>MAX_BATCH);
let sink: u64 = 0; // the loads' values go here, so that they are not optimised away

@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }

/** Key hash of an Ethernet frame's TCP/UDP packet, the batch's i-th, or 0 when the quick parse
 *  does not apply. */
function quickHash(data: usize, cap: u32, i: u32): u64 {
  const src = srcs + (<usize>i << 4), dst = dsts + (<usize>i << 4);
  if (cap < 14) return 0;
  let off: u32 = 12;
  let type = be16(data + off);
  while ((type == 0x8100 || type == 0x88a8) && off + 6 <= cap) { off += 4; type = be16(data + off); }
  off += 2;
  const ip = data + off;
  let proto: u32, l4: usize;
  // the decoder goes by the version nibble, whatever the ethertype says: so must this
  if (type == 0x0800) {
    if (off + 20 > cap || (<u32>load<u8>(ip) >> 4) != 4) return 0;
    const ihl = (<u32>load<u8>(ip) & 15) << 2;
    if ((be16(ip + 6) & 0x3fff) != 0) return 0; // a fragment
    proto = <u32>load<u8>(ip, 9);
    l4 = ip + ihl;
    if (off + ihl + 4 > cap) return 0;
    storeMapped4(src, ip + 12);
    storeMapped4(dst, ip + 16);
    store<u8>(ipVersions + <usize>i, 4);
  } else if (type == 0x86dd) {
    if (off + 44 > cap || (<u32>load<u8>(ip) >> 4) != 6) return 0;
    proto = <u32>load<u8>(ip, 6);
    l4 = ip + 40;
    store16(src, ip + 8);
    store16(dst, ip + 24);
    store<u8>(ipVersions + <usize>i, 6);
  } else {
    return 0;
  }
  if (proto != 6 && proto != 17) return 0;
  quickProto = proto;
  const dstPort = be16(l4 + 2);
  store<u32>(dstPorts + (<usize>i << 2), dstPort);
  return keyHash(src, be16(l4), dst, dstPort, proto, false);
}

/** Loads the lines of existing record r that its next packet reads (conn.ts): a TCP record's line
 *  2 only with detection, and never its line 6 (history letters past the second). */
// @ts-ignore: decorator
@inline function recordLines(r: usize, isTcp: bool): u64 {
  const s = load<u64>(r) ^ load<u64>(r, 64) ^ load<u64>(r, 192);
  if (!isTcp) return s ^ load<u64>(r, 128);
  return (detectProtocols ? s ^ load<u64>(r, 128) : s) ^ load<u64>(r, 256) ^ load<u64>(r, 320);
}

/** Loads every line of the free record a new connection will take: createConn writes them all. */
// @ts-ignore: decorator
@inline function freshLines(r: usize, isTcp: bool): u64 {
  const s = load<u64>(r) ^ load<u64>(r, 64) ^ load<u64>(r, 128) ^ load<u64>(r, 192);
  return isTcp ? s ^ load<u64>(r, 256) ^ load<u64>(r, 320) ^ load<u64>(r, 384) : s;
}

/** The key hash warmBatch computed for the i-th record of its batch (0: its quick parse did not
 *  apply): the same as the table computes for the record's outermost packet. */
export function warmedHash(i: u32): u64 {
  return load<u64>(hashes + (<usize>i << 3));
}

/** Warm the table for `n` records: link types, data pointers and captured lengths as u32 arrays. */
export function warmBatch(links: usize, datas: usize, caps: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const at = <usize>i << 2;
    const h = load<u32>(links + at) == LINK_ETHERNET
      ? quickHash(<usize>load<u32>(datas + at), load<u32>(caps + at), i) : 0;
    store<u64>(hashes + (<usize>i << 3), h);
    store<u8>(isTcpPacket + <usize>i, quickProto == 6 ? 1 : 0);
  }
  let s: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = load<u64>(hashes + (<usize>i << 3));
    if (h != 0) s ^= touchSlot(h);
  }
  // packets whose connection is not there yet will take the next free records, and count in
  // their source's row (as the connection's originator, unless its roles flip)
  const rows = countersEnabled() && !countsService();
  let freshTcp: u32 = 0, freshShort: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = load<u64>(hashes + (<usize>i << 3));
    let r: usize = 0;
    let rh: u64 = 0;
    if (h != 0) {
      const hit = recordIndexAt(h); // index + 1
      if (hit == 0) {
        const isTcp = load<u8>(isTcpPacket + <usize>i) != 0;
        const f = isTcp ? freeRecordAt(TCP_RECORDS, freshTcp++) : freeRecordAt(SHORT_RECORDS, freshShort++);
        if (f != 0) s ^= freshLines(f, isTcp);
        if (rows) {
          rh = rowHash(srcs + (<usize>i << 4), dsts + (<usize>i << 4), <u32>load<u8>(ipVersions + <usize>i),
            load<u32>(dstPorts + (<usize>i << 2)), isTcp ? 6 : 17);
          s ^= touchRowSlot(rh);
        }
      } else {
        // the class comes from the index: a fingerprint match may be another connection's record
        r = rec(hit - 1);
        s ^= recordLines(r, ((hit - 1) & SHORT_CLASS) == 0);
      }
    }
    store<u32>(found + (<usize>i << 2), <u32>r);
    store<u64>(rowHashes + (<usize>i << 3), rh);
  }
  if (rows) {
    for (let i: u32 = 0; i < n; i++) {
      const rh = load<u64>(rowHashes + (<usize>i << 3));
      if (rh != 0) s ^= touchRow(rh);
    }
  }
  if (detectProtocols) {
    for (let i: u32 = 0; i < n; i++) {
      const r = <usize>load<u32>(found + (<usize>i << 2));
      const ds = r == 0 ? <usize>0 : <usize>load<u32>(r + C_DETECT);
      if (ds != 0) s ^= load<u64>(ds);
      store<u32>(found + (<usize>i << 2), <u32>ds);
    }
    for (let i: u32 = 0; i < n; i++) {
      const ds = <usize>load<u32>(found + (<usize>i << 2));
      if (ds == 0) continue;
      const b = <usize>load<u32>(ds + H_BLOCK);
      if (b != 0) s ^= load<u64>(b);
      // the first analyzer instance: its first line only, since a header-only one is 16 bytes
      const inst = <usize>load<u32>(ds + H_INST);
      if (inst != 0) s ^= load<u64>(inst);
    }
  }
  sink ^= s;
}
