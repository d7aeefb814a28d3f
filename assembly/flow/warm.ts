// Cache warming for a batch of records before they are processed one by one. With a large table
// nearly every packet's slot and connection record are cache misses; processed in order, each miss
// stalls the packet. Here the batch's keys are hashed from a quick parse (Ethernet, VLAN, IPv4
// unfragmented or IPv6 without extension headers, TCP or UDP), then all their slots are loaded,
// then all their records (or the free records new connections will take): the loads are
// independent, so the misses overlap. Nothing here changes state; a packet it cannot parse is
// simply not warmed.

import { keyHash, touchSlot, touchRecord, touchFree } from "./table";

const LINK_ETHERNET: u32 = 1;
const MAX_BATCH: u32 = 32;
const hashes: usize = memory.data(<i32>MAX_BATCH * 8);
const src: usize = memory.data(16);
const dst: usize = memory.data(16);
let sink: u64 = 0; // the loads' values go here, so that they are not optimised away

@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }

function mapped4(out: usize, p: usize): void {
  store<u64>(out, 0);
  store<u32>(out, 0xffff0000, 8);
  store<u32>(out, load<u32>(p), 12);
}

/** Key hash of an Ethernet frame's TCP/UDP packet, or 0 when the quick parse does not apply. */
function quickHash(data: usize, cap: u32): u64 {
  if (cap < 14) return 0;
  let off: u32 = 12;
  let type = be16(data + off);
  while ((type == 0x8100 || type == 0x88a8) && off + 6 <= cap) { off += 4; type = be16(data + off); }
  off += 2;
  const ip = data + off;
  let proto: u32, l4: usize;
  if (type == 0x0800) {
    if (off + 20 > cap) return 0;
    const ihl = (<u32>load<u8>(ip) & 15) << 2;
    if ((be16(ip + 6) & 0x3fff) != 0) return 0; // a fragment
    proto = <u32>load<u8>(ip, 9);
    l4 = ip + ihl;
    if (off + ihl + 4 > cap) return 0;
    mapped4(src, ip + 12);
    mapped4(dst, ip + 16);
  } else if (type == 0x86dd) {
    if (off + 44 > cap) return 0;
    proto = <u32>load<u8>(ip, 6);
    l4 = ip + 40;
    memory.copy(src, ip + 8, 16);
    memory.copy(dst, ip + 24, 16);
  } else {
    return 0;
  }
  if (proto != 6 && proto != 17) return 0;
  return keyHash(src, be16(l4), dst, be16(l4 + 2), proto, false);
}

/** Warm the table for `n` records: link types, data pointers and captured lengths as u32 arrays. */
export function warmBatch(links: usize, datas: usize, caps: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const at = <usize>i << 2;
    const h = load<u32>(links + at) == LINK_ETHERNET
      ? quickHash(<usize>load<u32>(datas + at), load<u32>(caps + at)) : 0;
    store<u64>(hashes + (<usize>i << 3), h);
  }
  let s: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = load<u64>(hashes + (<usize>i << 3));
    if (h != 0) s ^= touchSlot(h);
  }
  // packets whose connection is not there yet will take the next free records
  let fresh: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = load<u64>(hashes + (<usize>i << 3));
    if (h == 0) continue;
    const v = touchRecord(h);
    if (v == 0) s ^= touchFree(fresh++);
    else s ^= v;
  }
  sink ^= s;
}
