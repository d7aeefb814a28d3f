// Cache warming for a batch of records before they are processed one by one. With a large table
// nearly every packet's slot and connection record are cache misses; processed in order, each miss
// stalls the packet. Here the batch's keys are hashed from a quick parse (Ethernet with VLAN tags,
// Linux cooked capture as from `tcpdump -i any`, raw IP or BSD loopback; MPLS, PPPoE; IPv4
// unfragmented or IPv6 without extension headers; TCP or UDP), then all their slots are loaded,
// then all their records (or the free records new connections will take, with protocol
// detection the detection states they will take, and the counter slots their sources count in),
// then those counter rows, then the detection states of the records that have one, then their
// signature-matching blocks and first analyzer instances: each pass's loads are independent of
// each other, so their misses overlap. Nothing here changes state; a packet it cannot parse is
// simply not warmed. The outer packets' hashes are kept for the table
// (warmedHash), so that a packet's key is hashed once. The packet inside a VXLAN or Geneve tunnel
// (cloud traffic mirroring) or in GTP-U (a mobile network's user traffic) is an entry of its own,
// right after its outer packet as the table takes them: its lines are loaded too, but its hash is
// only a guess (whether the tunnel is decapsulated depends on the outer connection), so the table
// hashes that packet itself. Inside GRE (a switch's ERSPAN session, transparent Ethernet bridging,
// IP) or IP-in-IP the outer packet is no connection: the packet inside is the record's entry,
// keyed as the decoder finds it (decode/tunnels.ts greHeader, exactInnerIp).

import { keyHash, touchSlot, recordIndexAt, freeRecordAt } from "./table";
import { C_DETECT, C_FLAGS, F_DETECTING, F_PROBE } from "./conn";
import { rec, TCP_RECORDS, SHORT_RECORDS, SHORT_CLASS } from "./pool";
import { storeMapped4, store16, be16 } from "../decode/bytes";
import { PROTO_TCP, PROTO_UDP, VXLAN_PORT, GENEVE_PORT } from "../decode/transport";
import {
  vxlanHeaderOk, VXLAN_HEADER, geneveVersion, geneveHeaderLength, isIpTunnel, PROTO_GRE, PROTO_IPV6,
  greHeader, greInner, INNER_ETHERNET, INNER_IP, exactInnerIp, GTP_U_PORT, gtpPayloadOffset, gtpIsGpdu,
} from "../decode/tunnels";
import {
  LINK_ETHERNET, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_RAW, LINK_RAW_BSD, LINK_RAW_OPENBSD, LINK_IPV4, LINK_IPV6,
  LINK_NULL, LINK_LOOP, SLL_HEADER, SLL_PROTOCOL, SLL2_HEADER, nullFamilyIsIp,
} from "../decode/link";
import { ETH_VLAN, ETH_QINQ, ETH_MPLS, ETH_PPPOE_SESSION, ETH_TEB, PPP_IPV4, PPP_IPV6, PPPOE_HEADER, PPPOE_PROTOCOL, mplsStackLength, isIpEthertype } from "../decode/ether";
import { H_BLOCK, H_INST } from "../detect/ctx";
import { touchFreshState } from "../detect/registry";
import { TCP_SYN, TCP_FIN, TCP_RST } from "../packet";
import { detectProtocols, ownsKey } from "../config";
import { countersEnabled, countsService, rowHash, touchRowSlot, touchRow } from "../top/counters";

/** Records per batch (pipeline.ts takes them in batches of this size). */
export const MAX_BATCH: u32 = 32;
// Entries: each record's outer packet, then its tunnelled packet if any, in the order the table
// takes them (new connections take free records in that order).
const MAX_ENTRIES: u32 = MAX_BATCH * 2;
const outerHashes: usize = memory.data(<i32>MAX_BATCH * 8); // per record (warmedHash)
const hashes: usize = memory.data(<i32>MAX_ENTRIES * 8);
const found: usize = memory.data(<i32>MAX_ENTRIES * 4); // record addresses, then detection states
// bit 0: a new connection's record is a TCP one; bit 1: the packet is a tunnelled one; bit 2: E_CONTROL
const entryFlags: usize = memory.data(<i32>MAX_ENTRIES);
const E_TCP: u8 = 1;
const E_TUNNELLED: u8 = 2;
const E_CONTROL: u8 = 4; // a TCP segment with SYN, FIN or RST
const rowHashes: usize = memory.data(<i32>MAX_ENTRIES * 8); // counter rows of new connections (0: none)
let quickProto: u32 = 0; // the IP protocol of keyOf's last packet (when it returned a hash)
let quickL4: usize = 0; // and where its transport header starts
let quickEnd: usize = 0; // and where its captured bytes end
let quickDstPort: u32 = 0; // and its destination port
let quickTunnelled = false; // and whether it came out of an IP tunnel (warmBatch's outer hash only)
// keyOf's key fields, per entry: a new connection's counter row is keyed by them
const srcs: usize = memory.data(<i32>MAX_ENTRIES * 16, 16);
const dsts: usize = memory.data(<i32>MAX_ENTRIES * 16, 16);
const dstPorts: usize = memory.data(<i32>MAX_ENTRIES * 4);
let sink: u64 = 0; // the loads' values go here, so that they are not optimised away
/** Records whose first connection packet the quick parse keyed: what the warming covers (a
 *  diagnostic, for tests and measurements). */
export let warmedRecords: u64 = 0;
/** Packets inside a UDP tunnel (VXLAN, Geneve, GTP-U) whose lines the warming loaded (a diagnostic). */
export let warmedTunnelled: u64 = 0;
export function warmingReset(): void {
  warmedRecords = 0;
  warmedTunnelled = 0;
}


/** Where a record's IP header starts for the link types a quick parse covers (Ethernet with VLAN
 *  tags, Linux cooked v1 and v2, raw IP, BSD loopback; MPLS and PPPoE below Ethernet or Linux
 *  cooked), or -1: the same place decode/link.ts finds it, or no claim at all. */
function ipOffset(link: u32, data: usize, cap: u32): i32 {
  let type: u32;
  let off: u32;
  switch (link & 0xffff) { // as the decoder: the upper bits of the field hold FCS information
    case LINK_ETHERNET: {
      if (cap < 14) return -1;
      off = 12;
      type = be16(data + off);
      while ((type == ETH_VLAN || type == ETH_QINQ) && off + 6 <= cap) { off += 4; type = be16(data + off); }
      off += 2;
      break;
    }
    case LINK_LINUX_SLL: {
      if (cap <= SLL_HEADER) return -1;
      type = be16(data + SLL_PROTOCOL);
      off = SLL_HEADER;
      break;
    }
    case LINK_LINUX_SLL2: {
      if (cap <= SLL2_HEADER) return -1;
      type = be16(data);
      off = SLL2_HEADER;
      break;
    }
    case LINK_RAW: case LINK_RAW_BSD: case LINK_RAW_OPENBSD: case LINK_IPV4: case LINK_IPV6:
      return 0;
    case LINK_NULL: case LINK_LOOP:
      return cap > 4 && nullFamilyIsIp(data, (link & 0xffff) == LINK_LOOP) ? 4 : -1;
    default:
      return -1;
  }
  return ipAfterEthertype(type, data, off, cap);
}

/** Where IP starts after ethertype `type` whose payload starts at off, as decode/ether.ts finds it:
 *  IP itself, below an MPLS label stack, or in a PPPoE session carrying IPv4 or IPv6; else -1. */
function ipAfterEthertype(type: u32, data: usize, off: u32, cap: u32): i32 {
  if (isIpEthertype(type)) return <i32>off;
  if (type == ETH_MPLS) {
    const stack = mplsStackLength(data + off, cap - off);
    return stack < 0 ? -1 : <i32>off + stack;
  }
  if (type == ETH_PPPOE_SESSION) {
    if (cap <= off + PPPOE_HEADER) return -1;
    const ppp = be16(data + off + PPPOE_PROTOCOL);
    return ppp == PPP_IPV4 || ppp == PPP_IPV6 ? <i32>(off + PPPOE_HEADER) : -1;
  }
  return -1;
}

// keyOf's last packet when it was GRE or IP-in-IP (then it returned 0): its IP protocol (0: it
// was not), where the payload starts, its length by the IP header, and where the captured bytes end
let tunnelProto: u32 = 0;
let tunnelL4: usize = 0;
let tunnelPayload: u32 = 0;
let tunnelEnd: usize = 0;

/** Key hash of a packet (its link type, data and captured length) when it is a TCP or UDP packet
 *  the quick parse covers, else 0; its key fields go to entry i. GRE or IP-in-IP is left to the
 *  caller (tunnelProto). Inlined into warmBatch: a call per packet cost more than its work. */
// @ts-ignore: decorator
@inline function keyOf(link: u32, data: usize, cap: u32, i: u32): u64 {
  const src = srcs + (<usize>i << 4), dst = dsts + (<usize>i << 4);
  // untagged Ethernet, nearly every packet of most captures, without the call
  let at: i32 = 14;
  if ((link & 0xffff) != LINK_ETHERNET || cap < 14 || !isIpEthertype(be16(data + 12))) at = ipOffset(link, data, cap);
  if (at < 0) return 0;
  const off = <u32>at;
  const ip = data + off;
  let proto: u32, l4: usize, payload: u32;
  // the decoder goes by the version nibble, whatever the link layer says: so does this
  if (off + 20 > cap) return 0;
  const version = <u32>load<u8>(ip) >> 4;
  if (version == 4) {
    const ihl = (<u32>load<u8>(ip) & 15) << 2;
    if ((be16(ip + 6) & 0x3fff) != 0) return 0; // a fragment
    proto = <u32>load<u8>(ip, 9);
    l4 = ip + ihl;
    const total = <u32>be16(ip + 2);
    payload = total >= ihl ? total - ihl : 0; // a total below the header: no tunnel to look into
    if (off + ihl + 4 > cap) return 0;
    storeMapped4(src, ip + 12);
    storeMapped4(dst, ip + 16);
  } else if (version == 6) {
    if (off + 44 > cap) return 0;
    proto = <u32>load<u8>(ip, 6);
    l4 = ip + 40;
    payload = be16(ip + 4);
    store16(src, ip + 8);
    store16(dst, ip + 24);
  } else {
    return 0;
  }
  if (isIpTunnel(proto)) {
    tunnelProto = proto; tunnelL4 = l4; tunnelPayload = payload; tunnelEnd = data + cap;
    return 0;
  }
  if (proto != PROTO_TCP && proto != PROTO_UDP) return 0;
  quickProto = proto;
  quickL4 = l4;
  quickEnd = data + cap;
  const dstPort = be16(l4 + 2);
  quickDstPort = dstPort;
  store<u32>(dstPorts + (<usize>i << 2), dstPort);
  return keyHash(src, be16(l4), dst, dstPort, proto, false);
}

/** keyOf, not inlined, for the packets inside tunnels (which are not followed into further IP
 *  tunnels). */
function quickHash(link: u32, data: usize, cap: u32, i: u32): u64 {
  return keyOf(link, data, cap, i);
}

/** The key hash of the packet inside an IP tunnel (GRE, IP-in-IP) whose outer payload, `len` bytes
 *  by its IP header, starts at p (the captured bytes end at `end`), as decode/tunnels.ts finds it;
 *  0 when the quick parse does not cover it (PPTP, 802.11, a cut payload). For entry i. */
function ipTunnelledHash(proto: u32, p: usize, len: u32, end: usize, i: u32): u64 {
  // the decoder takes the payload as the IP header says when it is all captured: so does this
  if (p > end || len > <u32>(end - p)) return 0;
  let h: u64 = 0;
  if (proto == PROTO_GRE) {
    const at = greHeader(p, len);
    if (at < 0) return 0;
    const q = p + <usize>at, n = len - <u32>at;
    if (greInner == INNER_ETHERNET) h = quickHash(LINK_ETHERNET, q, n, i);
    else if (greInner == INNER_IP) h = quickHash(LINK_RAW, q, n, i);
  } else if (exactInnerIp(proto == PROTO_IPV6 ? 6 : 4, p, len)) {
    h = quickHash(LINK_RAW, p, len, i);
  }
  quickTunnelled = h != 0;
  return h;
}

/** Loads the lines of existing record r that its next packet reads (conn.ts): a TCP record's line
 *  2 only with detection, for a record with detection state or an SSH/FTP probe (a run without
 *  detection), or for a tunnelled packet (its tunnel parents), its line 6 (the
 *  endpoints' cold fields) only for a SYN, FIN or RST, and never its line 5 (history letters past
 *  the tenth). */
// @ts-ignore: decorator
@inline function recordLines(r: usize, isTcp: bool, tunnelled: bool, control: bool): u64 {
  const s = load<u64>(r) ^ load<u64>(r, 64) ^ load<u64>(r, 192);
  if (!isTcp) return s ^ load<u64>(r, 128);
  const t = (detectProtocols || tunnelled || readsLine2(r) ? s ^ load<u64>(r, 128) : s) ^ load<u64>(r, 256);
  return control ? t ^ load<u64>(r, 384) : t;
}

/** Record r has detection state (a run without protocol detection still detects SSH and FTP). */
// @ts-ignore: decorator
@inline function detecting(r: usize): bool { return (load<u8>(r + C_FLAGS) & F_DETECTING) != 0; }
/** Record r has detection state or an SSH/FTP probe (detect/probe.ts), both read on line 2. */
// @ts-ignore: decorator
@inline function readsLine2(r: usize): bool { return (load<u8>(r + C_FLAGS) & (F_DETECTING | F_PROBE)) != 0; }

/** Whether keyOf's last packet is a TCP segment with SYN, FIN or RST set. */
function quickControl(): bool {
  return quickProto == PROTO_TCP && quickL4 + 14 <= quickEnd && (<u32>load<u8>(quickL4, 13) & (TCP_SYN | TCP_FIN | TCP_RST)) != 0;
}

/** Loads every line of the free record a new connection will take: createConn writes them all. */
// @ts-ignore: decorator
@inline function freshLines(r: usize, isTcp: bool): u64 {
  const s = load<u64>(r) ^ load<u64>(r, 64) ^ load<u64>(r, 128) ^ load<u64>(r, 192);
  return isTcp ? s ^ load<u64>(r, 256) ^ load<u64>(r, 320) ^ load<u64>(r, 384) : s;
}

/** The key hash warmBatch computed for the i-th record of its batch (0: its quick parse did not
 *  apply): the same as the table computes for the record's first packet that is a connection. */
export function warmedHash(i: u32): u64 {
  return load<u64>(outerHashes + (<usize>i << 3));
}

/** A guess at the key hash of the packet inside a UDP packet (destination port dstPort, its UDP
 *  header at l4, its captured bytes ending at end), for entry i: VXLAN and Geneve carrying
 *  Ethernet or IP, and GTP-U carrying IP, as decode/tunnels.ts finds them; else 0. */
function tunnelledHash(dstPort: u32, l4: usize, end: usize, i: u32): u64 {
  if (dstPort != VXLAN_PORT && dstPort != GENEVE_PORT && dstPort != GTP_U_PORT) return 0;
  const p = l4 + 8;
  if (p + 8 > end) return 0;
  const cap = <u32>(end - p);
  if (dstPort == VXLAN_PORT) return vxlanHeaderOk(p, cap) ? quickHash(LINK_ETHERNET, p + VXLAN_HEADER, cap - VXLAN_HEADER, i) : 0;
  if (dstPort == GTP_U_PORT) {
    const at = gtpPayloadOffset(p, cap);
    return at >= 0 && gtpIsGpdu(p) ? quickHash(LINK_RAW, p + <usize>at, cap - <u32>at, i) : 0;
  }
  if (geneveVersion(p) != 0) return 0;
  const hdr = geneveHeaderLength(p);
  if (cap < hdr) return 0;
  const type = be16(p + 2);
  if (type == ETH_TEB) return quickHash(LINK_ETHERNET, p + hdr, cap - hdr, i);
  return isIpEthertype(type) ? quickHash(LINK_RAW, p + hdr, cap - hdr, i) : 0;
}

/** Warm the table for a batch of records: link types, data pointers and captured lengths as u32 arrays. */
export function warmBatch(links: usize, datas: usize, caps: usize, records: u32): void {
  let n: u32 = 0; // entries
  for (let i: u32 = 0; i < records; i++) {
    const at = <usize>i << 2;
    quickTunnelled = false;
    tunnelProto = 0;
    let h = keyOf(load<u32>(links + at), <usize>load<u32>(datas + at), load<u32>(caps + at), n);
    // inside GRE or IP-in-IP the packet inside is the one keyed (the outer one is no connection)
    if (h == 0 && tunnelProto != 0) h = ipTunnelledHash(tunnelProto, tunnelL4, tunnelPayload, tunnelEnd, n);
    store<u64>(outerHashes + (<usize>i << 3), h);
    if (h == 0) continue;
    warmedRecords++;
    const udp = quickProto == PROTO_UDP;
    // another partition's packet (config.ts) reads nothing here: its lines are not loaded
    if (ownsKey(h)) {
      store<u64>(hashes + (<usize>n << 3), h);
      store<u8>(entryFlags + <usize>n, (udp ? 0 : E_TCP) | (quickTunnelled ? E_TUNNELLED : 0) | (quickControl() ? E_CONTROL : 0));
      n++;
    }
    if (!udp) continue;
    const inner = tunnelledHash(quickDstPort, quickL4, quickEnd, n);
    if (inner == 0 || !ownsKey(inner)) continue;
    warmedTunnelled++;
    store<u64>(hashes + (<usize>n << 3), inner);
    store<u8>(entryFlags + <usize>n, E_TUNNELLED | (quickProto == PROTO_TCP ? E_TCP : 0) | (quickControl() ? E_CONTROL : 0));
    n++;
  }
  let s: u64 = 0;
  for (let i: u32 = 0; i < n; i++) s ^= touchSlot(load<u64>(hashes + (<usize>i << 3)));
  // packets whose connection is not there yet will take the next free records, and count in
  // their source's row (as the connection's originator, unless its roles flip)
  const rows = countersEnabled() && !countsService();
  let freshTcp: u32 = 0, freshShort: u32 = 0, freshStates: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let r: usize = 0;
    let rh: u64 = 0;
    const hit = recordIndexAt(load<u64>(hashes + (<usize>i << 3))); // index + 1
    if (hit == 0) {
      const isTcp = (load<u8>(entryFlags + <usize>i) & E_TCP) != 0;
      const f = isTcp ? freeRecordAt(TCP_RECORDS, freshTcp++) : freeRecordAt(SHORT_RECORDS, freshShort++);
      if (f != 0) s ^= freshLines(f, isTcp);
      // and, with protocol detection, the detection state it starts with
      if (detectProtocols) s ^= touchFreshState(freshStates++);
      if (rows) {
        rh = rowHash(srcs + (<usize>i << 4), dsts + (<usize>i << 4), load<u32>(dstPorts + (<usize>i << 2)), isTcp ? 6 : 17);
        s ^= touchRowSlot(rh);
      }
    } else {
      // the class comes from the index: a fingerprint match may be another connection's record
      r = rec(hit - 1);
      const flags = load<u8>(entryFlags + <usize>i);
      s ^= recordLines(r, ((hit - 1) & SHORT_CLASS) == 0, (flags & E_TUNNELLED) != 0, (flags & E_CONTROL) != 0);
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
  // detection states: without protocol detection only SSH and FTP probes that started one have any
  let states = false;
  for (let i: u32 = 0; i < n; i++) {
    const r = <usize>load<u32>(found + (<usize>i << 2));
    const ds = r == 0 || !detecting(r) ? <usize>0 : <usize>load<u32>(r + C_DETECT);
    if (ds != 0) { s ^= load<u64>(ds); states = true; }
    store<u32>(found + (<usize>i << 2), <u32>ds);
  }
  if (states) {
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
