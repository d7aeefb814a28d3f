// The connection table: Zeek's connection key, roles, flips and removal timers.
// Hot part: u64 slots (fingerprint << 32 | record + 1), linear probing, backward-shift deletion.
// Cold part: fixed-size records (conn.ts) from a pool with a free list.
import * as P from "../packet";
import * as C from "./conn";
import { mix64 } from "./hash";
import { isLikelyServerPort } from "./ports";
import { icmpRespPort, icmpOneWay } from "./icmp";
import { timersReset, timersClear, timerInsert, timerUnlink, slotOf, dueSlots, takeSlot, earliestQueued, slotsDue, slotsDueFrom } from "./timers";
import { dnsTicksReset, dnsTickAdd, dnsTickTake, dnsTickDue } from "./dns-ticks";
import { rec, poolReset, allocRecord, freeRecord, poolUsed, nextFree, recordIndex, TCP_RECORDS, SHORT_RECORDS, SHORT_CLASS } from "./pool";
import { holesReset } from "./holes";
import { zeroSmall } from "../small";
import { isMapped4 } from "../decode/bytes";
import { slotsAlloc, slotsDouble, slotsRemove, slotHome, slotFingerprint, slotValue, slotAtHome, slotProbe } from "../slots";
import { tcpInit, tcpRelease, tcpReleaseTouch, tcpIsReuse, tcpPacket, tcpSwap, tcpDeadline, TCP_FLIP, TCP_COUNT_ORIG, TCP_NOT_COUNTED } from "./tcp";
import { countersEnabled, countsService, countsTraffic, rowFor, rowAdd, countersSettle } from "../top/counters";
import { serviceRowsAdd, serviceRowsMove } from "./services";
import { otherInit, otherFlip, otherBadChecksum, udpData, otherActive, U_DNS_TICK } from "./udp";
import { emitConnRecord } from "./record";
import { wantsRecords } from "../records";
import { detectStart, detectPacket, detectFlip, detectEnd, detectReset } from "../detect/registry";
import { poolBytesInUse } from "../detect/pool";
import { sshFtpStart, probePacket, probeFlip } from "../detect/probe";
import { detectProtocols, ownsKey, partitioned } from "../config";
import { verifyTransportChecksum } from "../decode/transport";
import { udpTunnelPossible } from "../decode/tunnels";
import { countBadTransportChecksum } from "../stats";
import { wants, eventSlot, EV_NEW_CONNECTION, EV_CONNECTION_END } from "../events";

const SECOND: i64 = 1_000_000_000;
const UDP_TIMEOUT: i64 = 60 * SECOND;   // udp/icmp/unknown_ip inactivity timeouts
const DNS_SESSION_TIMEOUT: i64 = 10 * SECOND;

let slotsPtr: usize = 0;
let slotMask: u32 = 0;
let now: i64 = i64.MIN_VALUE; // network time: the latest record timestamp seen (flowTime)
let timersDueFrom: i64 = i64.MIN_VALUE; // the next DNS tick, or the end of the current timer slot
/** Packets more than LATE older than a record before them (files given out of time order, a clock
 *  that jumped back): network time does not go back with them, so the timers of their connections
 *  may have run out already, and they may count as new ones. */
export let latePackets: u64 = 0;
const LATE: i64 = 5 * SECOND; // the shortest timers: tcp_attempt_delay, tcp_close_delay

export let liveConnections: u64 = 0;
/** Record index of the connection the last packet belonged to. */
export let lastConn: u32 = 0;
/** Serial (creation number) of the connection the last packet belonged to. */
export function lastConnSerial(): u64 { return load<u64>(rec(lastConn) + C.C_SERIAL); }
export let totalConnections: u64 = 0;
/** Of those, shadows (another partition's, flowPacket): not counted in stats. */
export let shadowConnections: u64 = 0;
/** Of the live connections, shadows. */
let liveShadows: u64 = 0;
/** Connections of this partition: what stats count. */
export function ownConnections(): u64 { return totalConnections - shadowConnections; }
/** Connections given up because the table was full (--max-connections) or the live connections'
 *  buffers passed detectionBudget. */
export let evictedConnections: u64 = 0;
let maxConnections: u64 = 0; // 0: no limit

export function setMaxConnections(n: u32): void {
  maxConnections = <u64>n;
}

/**
 * Live connections kept even with "no limit": below what either record class of pool.ts can index
 * (2^21 each), so that the table evicts rather than crash.
 */
const POOL_LIMIT: u64 = 2_000_000;
/** Bytes that the live connections' buffers may hold (protocol detection's state, analyzers, held
 *  segments, signature and analyzer buffers, up to 15 KiB a connection, and conn records' holes:
 *  detect/pool.ts) before the connections whose timeout comes first end early, as at the
 *  connection limit: wasm's memory is 4 GiB, and a flood of connections that each fill their
 *  buffers would take it all. */
let detectionBudget: u64 = 1 << 30;
export function setDetectionBudget(bytes: u64): void { detectionBudget = bytes; }
// @ts-ignore: decorator
@inline function liveLimit(): u64 {
  return maxConnections == 0 || maxConnections > POOL_LIMIT ? POOL_LIMIT : maxConnections;
}


export function flowReset(): void {
  if (slotsPtr != 0) heap.free(slotsPtr);
  slotMask = 4095;
  slotsPtr = slotsAlloc(slotMask + 1);
  poolReset();
  holesReset();
  now = i64.MIN_VALUE;
  latePackets = 0;
  lastConn = 0;
  finishCursor = 0;
  finishing = false;
  detectReset();
  liveConnections = 0;
  evictedConnections = 0;
  totalConnections = 0;
  shadowConnections = 0;
  liveShadows = 0;
  shadowPacket = false;
  timersReset();
  dnsTicksReset();
  timersDueFrom = i64.MIN_VALUE;
}


@inline function addrEq(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** The current packet's ports as Zeek keys them (ICMP: type and counterpart/code). */
let curSrcPort: u32 = 0;
let curDstPort: u32 = 0;
let curOneWay: bool = false;

function packetPorts(): void {
  const proto = P.ipProto;
  curOneWay = false;
  if (proto == 6 || proto == 17) {
    curSrcPort = P.srcPort; curDstPort = P.dstPort;
  } else if (proto == 1 || proto == 58) {
    curSrcPort = P.srcPort;
    curDstPort = icmpRespPort(proto == 58, P.srcPort, P.dstPort);
    curOneWay = icmpOneWay;
  } else {
    curSrcPort = 0; curDstPort = 0;
  }
}

/** One endpoint's share of a key hash (addresses are 16 bytes, IPv4 mapped). */
// @ts-ignore: decorator
@inline function endpointHash(addr: usize, port: u32): u64 {
  const x = load<u64>(addr) * 0x9e3779b97f4a7c15 ^ load<u64>(addr, 8) * 0xc2b2ae3d27d4eb4f
    ^ <u64>port * 0x165667b19e3779f9;
  return (x ^ (x >> 32)) * 0x85ebca77c2b2ae63;
}

/**
 * Hash of a connection key, the same in both directions: the endpoints' shares are added, which
 * needs no comparison to put them in order (an unpredictable branch per packet), then mixed.
 */
// @ts-ignore: decorator
@inline export function keyHash(src: usize, srcPort: u32, dst: usize, dstPort: u32, proto: u32, oneWay: bool): u64 {
  const rest = <u64>proto | (oneWay ? <u64>0x100 : 0);
  return mix64(endpointHash(src, srcPort) + endpointHash(dst, dstPort) + rest * 0x27d4eb2f165667c5);
}

@inline function buildKey(): u64 {
  return keyHash(P.srcAddr, curSrcPort, P.dstAddr, curDstPort, P.ipProto, curOneWay);
}

/** The next flowPacket's key hash when warm.ts computed it already (0: compute it). Its quick
 *  parse (the link types and ethertypes of warm.ts ipOffset; IPv4 or IPv6 without extension
 *  headers, TCP or UDP, no fragment; the packet inside GRE or IP-in-IP) reads the fields the decoder
 *  keys the record's first connection packet by (the outermost one that is a connection), so the
 *  two agree (the debug build asserts it; test/warming.test.ts runs it on every capture). */
let presetHash: u64 = 0;
export function presetKeyHash(h: u64): void {
  presetHash = h;
}

/** Cache warming (warm.ts): touchSlot loads the slot where key hash h starts its probe;
 *  recordIndexAt the index + 1 of the record found there (0 if none; only slots are read);
 *  freeRecordAt the record the k-th next new connection of a record class gets (0 if a fresh one). */
export function touchSlot(h: u64): u64 {
  return slotAtHome(slotsPtr, slotMask, h);
}
/** touchSlot for the slot that record r's removal will look up (C_HASH keeps its fingerprint). */
// @ts-ignore: decorator
@inline function touchSlotOf(r: usize): u64 { return touchSlot(<u64>load<u32>(r + C.C_HASH) << 32); }
export function recordIndexAt(h: u64): u32 {
  return slotProbe(slotsPtr, slotMask, h, 4);
}
export function freeRecordAt(cls: u32, k: u32): usize {
  const i = nextFree(cls, k);
  return i < 0 ? 0 : rec(<u32>i);
}

/** Does record r hold the current packet's connection? Sets matchIsOrig. */
let matchIsOrig: bool = false;
function matches(r: usize): bool {
  if (<u32>load<u8>(r + C.C_PROTO) != P.ipProto) return false;
  const oneWay = (load<u8>(r + C.C_FLAGS) & C.F_ONE_WAY) != 0;
  if (oneWay != curOneWay) return false;
  const op = <u32>load<u16>(r + C.C_ORIG_PORT), rp = <u32>load<u16>(r + C.C_RESP_PORT);
  if (op == curSrcPort && rp == curDstPort && addrEq(r + C.C_ORIG_ADDR, P.srcAddr) && addrEq(r + C.C_RESP_ADDR, P.dstAddr)) {
    matchIsOrig = true;
    return true;
  }
  if (!oneWay && op == curDstPort && rp == curSrcPort && addrEq(r + C.C_ORIG_ADDR, P.dstAddr) && addrEq(r + C.C_RESP_ADDR, P.srcAddr)) {
    matchIsOrig = false;
    return true;
  }
  return false;
}

/** Slot index holding the current packet's connection, or -1 (then lastFreeSlot is where it goes).
 *  When found, its record's index is lookupIdx and its address lookupRec. */
let lastFreeSlot: u32 = 0;
let lookupIdx: u32 = 0;
let lookupRec: usize = 0;
function lookup(h: u64): i32 {
  const fp = slotFingerprint(h);
  let i = slotHome(h, slotMask);
  while (true) {
    const slot = load<u64>(slotsPtr + (<usize>i << 3));
    if (slot == 0) { lastFreeSlot = i; return -1; }
    if (<u32>(slot >> 32) == fp) {
      const idx = <u32>slot - 1;
      const r = rec(idx);
      if (matches(r)) { lookupIdx = idx; lookupRec = r; return <i32>i; }
    }
    i = (i + 1) & slotMask;
  }
}

/**
 * The connection of the current packet: found, or new. Applies the packet. Returns whether the
 * packet was taken: in a partitioned run (config.ts) another partition's packet is dropped after
 * moving network time, unless it is UDP and may carry a tunnel (or its connection is kept already
 * for that reason). Such a connection is kept as a shadow, which counts nowhere, so that the
 * packets inside it are decapsulated as in a single run: they belong to the partition of their own
 * key, whatever tunnel carries them.
 */
export function flowPacket(): bool {
  const ts = P.pktTs;
  // (network time has moved at the record: flowTime)
  if (now - ts > LATE) latePackets++; // (a packet inside a UDP tunnel counts too, as each packet does)
  packetPorts();
  let h = presetHash;
  presetHash = 0;
  if (h == 0) h = buildKey();
  // the debug build checks the warming's hash; the release build must not even compute the
  // check's operand (noAssert drops the assert but still calls buildKey: a second hash a packet)
  else if (!ASC_NO_ASSERT) assert(h == buildKey(), "warm.ts hashed another key");
  if (partitioned() && !partitionTakes(h)) return false;
  if (P.l4ChecksumBad && !shadowPacket) countBadTransportChecksum();
  // before the lookup: the packet's own connection may be the one that ends
  while (poolBytesInUse > detectionBudget && evictOne()) {}
  let slot = lookup(h);
  let idx: u32 = 0;
  let r: usize = 0;
  if (slot >= 0) {
    idx = lookupIdx;
    r = lookupRec;
    // Past its deadline but not yet removed (its timer slot is processed when network time leaves
    // the slot), or a TCP SYN that reuses the tuple: Zeek starts a new connection either way.
    if (load<i64>(r + C.C_DEADLINE) <= now || (P.ipProto == 6 && tcpIsReuse(r + C.C_TCP, matchIsOrig))) {
      removeConn(idx);
      slot = lookup(h);
    }
  }
  if (slot < 0) {
    // shadows (partitionTakes) do not count against the limit, only against the pool's size
    if ((liveConnections - liveShadows >= liveLimit() || liveConnections >= POOL_LIMIT) && evictOne()) slot = lookup(h);
    idx = createConn(h);
    r = rec(idx);
    matchIsOrig = (load<u8>(r + C.C_FLAGS) & C.F_FLIPPED) == 0;
  }
  lastConn = idx;
  applyPacket(idx, r, matchIsOrig, ts);
  return true;
}

/** The current packet belongs to another partition and its connection is (or becomes) a shadow. */
let shadowPacket = false;

/** In a partitioned run (config.ts): does this partition take the packet with key hash h? Its
 *  own, and another partition's UDP packet whose connection is a shadow here already or may carry
 *  a tunnel (sets shadowPacket). The transport checksum is summed here (decode/transport.ts). */
function partitionTakes(h: u64): bool {
  shadowPacket = !ownsKey(h);
  if (shadowPacket && (P.ipProto != 17 || (lookup(h) < 0 && !udpTunnelPossible()))) return false;
  verifyTransportChecksum();
  return true;
}

/** Should the roles flip at creation? Zeek's WantConnection heuristics for TCP and UDP, then
 *  IPBasedAnalyzer::NewConn's rule for both: never make the limited broadcast address the
 *  originator (IPAddr::IsBroadcast: an IPv4 address, mapped in whichever header). */
function flipAtCreation(): bool {
  if (!wantsFlip()) return false;
  const d = P.dstAddr;
  return !(isMapped4(d) && load<u32>(d, 12) == 0xffffffff);
}

function wantsFlip(): bool {
  const proto = P.ipProto;
  if (proto == 6) {
    const f = P.tcpFlags;
    const bareSyn = (f & P.TCP_SYN) != 0 && (f & P.TCP_ACK) == 0;
    if (bareSyn || !isLikelyServerPort(curSrcPort, 6)) return false;
    if (isLikelyServerPort(curDstPort, 6)) return (f & P.TCP_SYN) == 0 && curSrcPort < curDstPort;
    return true;
  }
  if (proto == 17) return isLikelyServerPort(curSrcPort, 17) && !isLikelyServerPort(curDstPort, 17);
  return false;
}

function createConn(h: u64): u32 {
  const shadow = shadowPacket;
  const idx = allocRecord(P.ipProto == 6 ? TCP_RECORDS : SHORT_RECORDS);
  const r = rec(idx);
  // the transport state is zeroed by tcpInit or otherInit
  zeroSmall(r, C.C_TCP);
  const flip = flipAtCreation();
  memory.copy(r + C.C_ORIG_ADDR, flip ? P.dstAddr : P.srcAddr, 16);
  memory.copy(r + C.C_RESP_ADDR, flip ? P.srcAddr : P.dstAddr, 16);
  store<u16>(r + C.C_ORIG_PORT, <u16>(flip ? curDstPort : curSrcPort));
  store<u16>(r + C.C_RESP_PORT, <u16>(flip ? curSrcPort : curDstPort));
  store<u8>(r + C.C_PROTO, <u8>P.ipProto);
  store<u8>(r + C.C_IPVER, <u8>P.ipVersion);
  let flags = C.F_LIVE;
  if (curOneWay) flags |= C.F_ONE_WAY;
  if (flip) flags |= C.F_FLIPPED;
  if (shadow) flags |= C.F_SHADOW;
  if (P.ipProto == 17 && isDnsPort(<u32>load<u16>(r + C.C_RESP_PORT))) flags |= C.F_DNS_TIMER;
  store<u8>(r + C.C_FLAGS, flags);
  store<u32>(r + C.C_HASH, slotFingerprint(h));
  store<i64>(r + C.C_FIRST_TS, P.pktTs);
  store<i64>(r + C.C_LAST_TS, P.pktTs);
  store<u64>(r + C.C_SERIAL, totalConnections);
  store<u64>(r + C.C_TUNNEL, P.tunnelParent);
  if (P.ipProto == 6) {
    tcpInit(r + C.C_TCP);
    if (flip) tcpSwap(r + C.C_TCP);
  } else {
    otherInit(r + C.C_TCP);
    if (flip) otherFlip(r + C.C_TCP);
  }
  store<u64>(slotsPtr + (<usize>lastFreeSlot << 3), slotValue(h, idx));
  liveConnections++;
  totalConnections++; // serials: shadows need theirs too
  if (shadow) { shadowConnections++; liveShadows++; }
  if (liveConnections * 2 > <u64>(slotMask + 1)) growSlots();
  if (countersEnabled() && !countsService() && !shadow) {
    const row = connRow(r);
    store<u32>(r + C.C_ROW, row + 1);
    rowAdd(row, 1, 0, 0);
  }
  if (wants(EV_NEW_CONNECTION) && !shadow) connEvent(r, EV_NEW_CONNECTION, P.pktTs);
  // a shadow's services count nowhere, and no decapsulation depends on them. Without protocol
  // detection, SSH and FTP are still detected, since their confirmation decides the timeout
  if (!shadow && detectProtocols) detectStart(idx, r);
  else if (!shadow && P.ipProto == 6) sshFtpStart(idx, r);
  // the DNS analyzer's first tick comes at network time + the session timeout
  if ((flags & C.F_DNS_TIMER) != 0) addDnsTick(now + DNS_SESSION_TIMEOUT, idx, r);
  // applyPacket sets the real deadline and files the record in the timer wheel
  store<i64>(r + C.C_DEADLINE, i64.MAX_VALUE);
  store<i64>(r + C.C_QUEUED, i64.MAX_VALUE);
  return idx;
}

function connRow(r: usize): u32 {
  return rowFor(r + C.C_ORIG_ADDR, r + C.C_RESP_ADDR, <u32>load<u16>(r + C.C_RESP_PORT), <u32>load<u8>(r + C.C_PROTO), 0);
}

// @ts-ignore: decorator
@inline function applyPacket(idx: u32, r: usize, isOrig: bool, ts: i64): void {
  let counted = true;
  let deadline: i64;
  // the sender's role after any flip: the stream its payload belongs to
  let sender = isOrig;
  if (P.ipProto == 6) {
    // TCP decides the roles (a late flip) and whether Zeek counts the packet at all (bad checksum)
    // the sequence bookkeeping is read by conn records and live detection only (tcp.ts
    // establishedSegment), and a probe may start detection at this packet
    const sequences = wantsRecords() || (load<u8>(r + C.C_FLAGS) & (C.F_DETECTING | C.F_PROBE)) != 0;
    const action = tcpPacket(r + C.C_TCP, isOrig, ts, sequences);
    if (action & TCP_FLIP) { flipConn(idx); sender = !sender; }
    counted = (action & TCP_NOT_COUNTED) == 0;
    // the side it counts on: the sender's, but for a flip inside the packet (the SYN/SYN-ACK
    // reversal), where Zeek's is_orig is stale while the sender's endpoint delivers its data
    isOrig = (action & TCP_COUNT_ORIG) != 0;
    deadline = tcpDeadline(r + C.C_TCP, ts, <u32>load<u16>(r + C.C_RESP_PORT));
  } else {
    // UDP/ICMP/others: a bad checksum still counts the packet (Zeek's ConnSize sees it first),
    // but sets no last time, no bytes, no data history, and no payload analysis
    const st = r + C.C_TCP;
    if (P.l4ChecksumBad) {
      otherBadChecksum(st, isOrig);
      countPacket(r, isOrig, false);
      counted = false;
    } else if (P.ipProto == 17) {
      udpData(st, isOrig);
    } else {
      otherActive(st, isOrig);
    }
    deadline = (counted ? ts : load<i64>(r + C.C_LAST_TS)) + UDP_TIMEOUT;
    // a DNS connection may end at the next tick of its analyzer's timer (fireDnsTicks decides
    // there), which its packets do not move: that tick comes first unless the packet is late
    if ((load<u8>(r + C.C_FLAGS) & C.F_DNS_TIMER) != 0) {
      const tick = load<i64>(st + U_DNS_TICK);
      if (tick < deadline) deadline = tick;
    }
  }
  noteTunnelParent(r);
  if (counted) {
    store<i64>(r + C.C_LAST_TS, ts);
    // payload bytes (conn.log orig_bytes) for UDP and ICMP; TCP's come from sequence numbers,
    // and Zeek keeps none for other transports
    const proto = P.ipProto;
    countPacket(r, isOrig, proto == 17 || proto == 1 || proto == 58);
    if ((load<u8>(r + C.C_FLAGS) & (C.F_DNS_TIMER | C.F_DNS_SEEN)) == C.F_DNS_TIMER && dnsFirstMessage(idx, r, isOrig)) {
      isOrig = !isOrig;
      sender = !sender;
    }
    // Zeek analyses no payload of a packet with a bad checksum
    const flags = load<u8>(r + C.C_FLAGS);
    if ((flags & C.F_DETECTING) != 0 && !P.l4ChecksumBad) detectPacket(idx, r, sender);
    else if ((flags & C.F_PROBE) != 0 && !P.l4ChecksumBad) probePacket(idx, r, sender);
  }
  setDeadline(idx, r, deadline);
}

/** Zeek removes connection idx (record r) at network time `deadline`: file it in the timer wheel. */
// @ts-ignore: decorator
@inline function setDeadline(idx: u32, r: usize, deadline: i64): void {
  store<i64>(r + C.C_DEADLINE, deadline);
  // A record stays in its slot while its deadline only moves later (it is moved when the slot is
  // processed); an earlier deadline moves it now.
  const queued = load<i64>(r + C.C_QUEUED);
  if (queued == i64.MAX_VALUE) {
    timerInsert(idx, deadline);
  } else if (slotOf(deadline) < queued) {
    timerUnlink(idx);
    timerInsert(idx, deadline);
  }
}

/** The DNS analyzer's ports (base/protocols/dns): attached by the responder port at creation. */
function isDnsPort(port: u32): bool {
  return port == 53 || port == 137 || port == 5353 || port == 5355;
}

/**
 * The ticks of Zeek's DNS analyzer timers due at network time t, dispatched with t as Zeek's timer
 * manager does (DNS_Analyzer::ExpireTimer): a connection idle for dns_session_timeout - 1 s ends
 * (its deadline is now), any other gets its next tick at t + dns_session_timeout.
 */
function fireDnsTicks(t: i64): void {
  while (dnsTickDue <= t) {
    const taken = dnsTickTake();
    const idx = <u32>taken;
    if (!dnsTickLive(idx, <u32>(taken >> 32))) continue;
    const r = rec(idx);
    const last = load<i64>(r + C.C_LAST_TS);
    if (t - last >= DNS_SESSION_TIMEOUT - SECOND) {
      setDeadline(idx, r, t);
    } else {
      // (before the inactivity timeout: the connection was active within 9 s)
      addDnsTick(t + DNS_SESSION_TIMEOUT, idx, r);
      setDeadline(idx, r, t + DNS_SESSION_TIMEOUT);
    }
  }
}

/** tunnel_parents is a set over the connection's life: keep the first two encapsulations seen. */
function noteTunnelParent(r: usize): void {
  const parent = P.tunnelParent;
  if (parent == 0 || parent == load<u64>(r + C.C_TUNNEL)) return;
  if (load<u64>(r + C.C_TUNNEL) == 0) store<u64>(r + C.C_TUNNEL, parent);
  else if (load<u64>(r + C.C_TUNNEL2) == 0) store<u64>(r + C.C_TUNNEL2, parent);
}

/** Packets and IP bytes per direction (conn.log *_pkts, *_ip_bytes), and the counter row's totals. */
// @ts-ignore: decorator
@inline function countPacket(r: usize, isOrig: bool, addPayload: bool): void {
  const ipBytes = <u64>P.ipTotalLen;
  if (isOrig) {
    store<u64>(r + C.C_ORIG_PKTS, load<u64>(r + C.C_ORIG_PKTS) + 1);
    store<u64>(r + C.C_ORIG_IP_BYTES, load<u64>(r + C.C_ORIG_IP_BYTES) + ipBytes);
    if (addPayload) store<u64>(r + C.C_ORIG_PAYLOAD, load<u64>(r + C.C_ORIG_PAYLOAD) + <u64>P.payloadLen);
  } else {
    store<u64>(r + C.C_RESP_PKTS, load<u64>(r + C.C_RESP_PKTS) + 1);
    store<u64>(r + C.C_RESP_IP_BYTES, load<u64>(r + C.C_RESP_IP_BYTES) + ipBytes);
    if (addPayload) store<u64>(r + C.C_RESP_PAYLOAD, load<u64>(r + C.C_RESP_PAYLOAD) + <u64>P.payloadLen);
  }
  if (!countsTraffic()) return;
  const row = load<u32>(r + C.C_ROW);
  if (row != 0) rowAdd(row - 1, 0, 1, <i64>ipBytes);
  // (countsService first: without service rows, C_SERVICE_ROWS's line is not loaded)
  if (countsService() && load<u32>(r + C.C_SERVICE_ROWS) != 0) serviceRowsAdd(r, 0, 1, <i64>ipBytes);
}

/**
 * Zeek's DNS analyzer (attached by port to UDP on 53, 137, 5353, 5355) flips the roles when the
 * first message it parses is a response sent by the originator, unless the responder is a
 * multicast address (DNS_Interpreter::ParseMessage). A message is at least the 12-byte header;
 * shorter or truncated payloads are not parsed. Runs whether or not protocols are detected: the
 * roles decide every count. Returns true when the roles flipped.
 */
function dnsFirstMessage(idx: u32, r: usize, isOrig: bool): bool {
  if (P.payloadLen < 12 || P.payloadCapLen < P.payloadLen) return false;
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) | C.F_DNS_SEEN);
  const response = (load<u8>(P.payloadPtr, 2) & 0x80) != 0;
  if (!isOrig || !response || isMulticast(r + C.C_RESP_ADDR)) return false;
  flipConn(idx);
  return true;
}

/** Zeek's IPAddr::IsMulticast: an IPv4 address whose first byte is 224 (not all of 224.0.0.0/4),
 *  or IPv6 ff00::/8. */
function isMulticast(a: usize): bool {
  return isMapped4(a) ? load<u8>(a, 12) == 224 : load<u8>(a) == 0xff;
}

/** A later flip (Zeek: SYN-ACK seen first, then the originator's ACK; a DNS response first):
 *  swap roles, move counts. */
function flipConn(idx: u32): void {
  const r = rec(idx);
  const tmp = memory.data(16, 16);
  memory.copy(tmp, r + C.C_ORIG_ADDR, 16);
  memory.copy(r + C.C_ORIG_ADDR, r + C.C_RESP_ADDR, 16);
  memory.copy(r + C.C_RESP_ADDR, tmp, 16);
  const op = load<u16>(r + C.C_ORIG_PORT);
  store<u16>(r + C.C_ORIG_PORT, load<u16>(r + C.C_RESP_PORT));
  store<u16>(r + C.C_RESP_PORT, op);
  swapU64(r + C.C_ORIG_PKTS, r + C.C_RESP_PKTS);
  swapU64(r + C.C_ORIG_IP_BYTES, r + C.C_RESP_IP_BYTES);
  // ConnSize swaps packets and IP bytes; the UDP/ICMP payload sizes stay (UDPSessionAdapter
  // has no FlipRoles), and TCP's bytes come from the TCP state
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) ^ C.F_FLIPPED);
  if (load<u8>(r + C.C_PROTO) == 6) tcpSwap(r + C.C_TCP);
  else otherFlip(r + C.C_TCP);
  const pkts = <i64>(load<u64>(r + C.C_ORIG_PKTS) + load<u64>(r + C.C_RESP_PKTS));
  const bytes = <i64>(load<u64>(r + C.C_ORIG_IP_BYTES) + load<u64>(r + C.C_RESP_IP_BYTES));
  const old = load<u32>(r + C.C_ROW);
  if (old != 0) {
    rowAdd(old - 1, -1, -pkts, -bytes);
    const row = connRow(r);
    store<u32>(r + C.C_ROW, row + 1);
    rowAdd(row, 1, pkts, bytes);
  }
  serviceRowsMove(r, pkts, bytes);
  const flags = load<u8>(r + C.C_FLAGS);
  if ((flags & C.F_DETECTING) != 0) detectFlip(idx, r);
  else if ((flags & C.F_PROBE) != 0) probeFlip(r);
}

@inline function swapU64(a: usize, b: usize): void {
  const t = load<u64>(a);
  store<u64>(a, load<u64>(b));
  store<u64>(b, t);
}

/** An event about connection r, with its current roles. */
function connEvent(r: usize, kind: u8, ts: i64): void {
  const e = eventSlot();
  store<u8>(e, kind);
  store<u8>(e, load<u8>(r + C.C_IPVER), 1);
  store<u8>(e, load<u8>(r + C.C_PROTO), 2);
  store<u8>(e, (load<u8>(r + C.C_FLAGS) & C.F_FLIPPED) != 0 ? 1 : 0, 3);
  store<u16>(e, load<u16>(r + C.C_ORIG_PORT), 4);
  store<u16>(e, load<u16>(r + C.C_RESP_PORT), 6);
  store<i64>(e, ts, 8);
  store<u64>(e, load<u64>(r + C.C_SERIAL), 16);
  memory.copy(e + 24, r + C.C_ORIG_ADDR, 16);
  memory.copy(e + 40, r + C.C_RESP_ADDR, 16);
  store<u64>(e, 0, 56);
}

/** Remove record idx: Zeek's connection ends here. */
function removeConn(idx: u32): void {
  countersSettle(); // a row looked up later may still have to be stored in this record
  const r = rec(idx);
  const shadow = C.isShadow(r);
  if (wants(EV_CONNECTION_END) && !shadow) connEvent(r, EV_CONNECTION_END, load<i64>(r + C.C_LAST_TS));
  if (wantsRecords() && !shadow) emitConnRecord(r);
  if ((load<u8>(r + C.C_FLAGS) & C.F_DETECTING) != 0) detectEnd(idx, r);
  if (load<u8>(r + C.C_PROTO) == 6) tcpRelease(r + C.C_TCP);
  // at the end of input every connection goes: the slots and timer lists are emptied at once
  // afterwards instead (each removal here is a cache miss on its slot and on its timer neighbours)
  if (!finishing) {
    slotsRemove(slotsPtr, slotMask, load<u32>(r + C.C_HASH), idx);
    if (load<i64>(r + C.C_QUEUED) != i64.MAX_VALUE) timerUnlink(idx);
  }
  store<u8>(r + C.C_FLAGS, 0);
  freeRecord(idx);
  liveConnections--;
  if (shadow) liveShadows--;
}

function growSlots(): void {
  const count = slotMask + 1;
  slotsPtr = slotsDouble(slotsPtr, count);
  slotMask = count * 2 - 1;
}

/**
 * The table is full: end the connection whose timer comes first (the one Zeek would remove next),
 * emitting its record as at any removal. Returns whether one was removed.
 */
let evictSink: u64 = 0;
function evictOne(): bool {
  const victim = earliestQueued();
  if (victim < 0) return false;
  // the next victim is the one after this one in its timer list (whose record the unlink writes):
  // its table slot is loaded now, so that its removal does not wait for it
  const next = load<u32>(rec(<u32>victim) + C.C_TNEXT);
  if (!C.isShadow(rec(<u32>victim))) evictedConnections++;
  removeConn(<u32>victim);
  if (next != 0) evictSink ^= touchSlotOf(rec(next - 1));
  return true;
}

/** Process every timer slot that network time has left: remove the connections past their deadline. */
function expireDue(): void {
  const n = dueSlots(now);
  for (let i: u32 = 0; i < n; i++) {
    let next = takeSlot(i);
    while (next != 0) next = expireSome(next);
  }
}

/**
 * Up to EXPIRE_BATCH connections of a detached timer list from next (index + 1): those past their
 * deadline are removed, the others go to the slot of their new deadline. Returns where the list
 * goes on.
 */
function expireSome(next: u32): u32 {
  let k: u32 = 0;
  let sink: u64 = 0;
  while (next != 0 && k < EXPIRE_BATCH) {
    const idx = next - 1;
    const r = rec(idx);
    next = load<u32>(r + C.C_TNEXT);
    store<i64>(r + C.C_QUEUED, i64.MAX_VALUE); // detached
    const deadline = load<i64>(r + C.C_DEADLINE);
    if (deadline <= now) {
      sink ^= listForRemoval(idx, k);
      k++;
    } else {
      timerInsert(idx, deadline);
    }
  }
  removeListed(k, sink);
  return next;
}

// Removals in batches. The connections that time out, or all of them at the end of input, have
// their lines out of the cache: they are listed first, with the record lines removeConn reads
// loaded as each is listed, then their table slots and detection states are loaded, and only then
// are they removed in order, rather than each removal waiting on its own misses in turn.
const EXPIRE_BATCH: u32 = 32;
const expiring: usize = memory.data(<i32>EXPIRE_BATCH * 4);
let expireSink: u64 = 0;

/** Record idx is k-th in the list to remove: returns its lines' loads. */
// @ts-ignore: decorator
@inline function listForRemoval(idx: u32, k: u32): u64 {
  store<u32>(expiring + (<usize>k << 2), idx);
  const r = rec(idx);
  const s = load<u64>(r) ^ load<u64>(r + C.C_DETECT);
  return (idx & SHORT_CLASS) == 0 ? s ^ tcpReleaseTouch(r + C.C_TCP) : s;
}

/** Remove the k connections listed, in order (`sink`: the listing's loads). */
function removeListed(k: u32, sink: u64): void {
  for (let j: u32 = 0; j < k; j++) {
    const r = rec(load<u32>(expiring + (<usize>j << 2)));
    // (the end of input empties the slots at once)
    if (!finishing) sink ^= touchSlotOf(r);
    const ds = <usize>load<u32>(r + C.C_DETECT);
    if (ds != 0) sink ^= load<u64>(ds);
  }
  expireSink ^= sink;
  for (let j: u32 = 0; j < k; j++) removeConn(load<u32>(expiring + (<usize>j << 2)));
}

/** Network time: the latest record timestamp seen (ns). */
export function networkTime(): i64 { return now; }

/**
 * Network time moves to a record's time, unless that is older (Zeek's network time never goes
 * back), before the record's packet is looked at: as in Zeek, every record moves it and fires the
 * timers due, whatever it holds (an ARP frame or a bad IPv4 checksum too). Also live input with no
 * packets, whose network time follows the wall clock.
 */
// @ts-ignore: decorator
@inline export function flowTime(ts: i64): void {
  if (ts <= now) return;
  now = ts;
  // a DNS tick is due, or network time left a timer slot: nearly every record finds neither
  if (ts >= timersDueFrom) timersFire(ts);
}

function timersFire(ts: i64): void {
  if (dnsTickDue <= ts) fireDnsTicks(ts);
  if (slotsDue(ts)) expireDue();
  timersDueFrom = min(dnsTickDue, slotsDueFrom());
}

/** Is a DNS tick's entry still its connection's? Not when that ended otherwise (evicted): its
 *  record is free, or another connection's. */
function dnsTickLive(idx: u32, serial: u32): bool {
  const r = rec(idx);
  return (load<u8>(r + C.C_FLAGS) & (C.F_LIVE | C.F_DNS_TIMER)) == (C.F_LIVE | C.F_DNS_TIMER) &&
    <u32>load<u64>(r + C.C_SERIAL) == serial;
}

/** Schedule a DNS tick (dns-ticks.ts), and have flowTime look for it. */
function addDnsTick(due: i64, idx: u32, r: usize): void {
  store<i64>(r + C.C_TCP + U_DNS_TICK, due);
  dnsTickAdd(due, idx, load<u64>(r + C.C_SERIAL), dnsTickLive);
  if (due < timersDueFrom) timersDueFrom = due;
}

/** End of input: every live connection ends. */
let finishCursor: u32 = 0;
/** flowFinishSome has started and not completed: the slots and timers are no longer kept. Nothing
 *  else runs meanwhile: src/wasm/core.ts refuses packets and time once the end has started, and
 *  its callers call finish until none is left (with output written between calls). */
let finishing = false;

/**
 * End of input: every live connection ends, at most `batch` per call (their records and events go
 * out between calls, so a million live connections never sit in the rings at once). Returns how
 * many are still live.
 */
export function flowFinishSome(batch: u32): u64 {
  let n: u32 = 0;
  finishing = true;
  // the cursor runs over the TCP records, then over the short ones
  const tcpUsed = poolUsed(TCP_RECORDS);
  const total = tcpUsed + poolUsed(SHORT_RECORDS);
  while (finishCursor < total && n < batch) {
    let k: u32 = 0;
    let sink: u64 = 0;
    while (finishCursor < total && k < EXPIRE_BATCH && n + k < batch) {
      const idx = finishCursor < tcpUsed ? recordIndex(TCP_RECORDS, finishCursor) : recordIndex(SHORT_RECORDS, finishCursor - tcpUsed);
      if ((load<u8>(rec(idx) + C.C_FLAGS) & C.F_LIVE) != 0) {
        sink ^= listForRemoval(idx, k);
        k++;
      }
      finishCursor++;
    }
    removeListed(k, sink);
    n += k;
  }
  if (finishCursor < total) return liveConnections;
  // every record has been visited: nothing is left to end, and no slot or timer list holds one
  finishing = false;
  finishCursor = 0;
  memory.fill(slotsPtr, 0, (<usize>slotMask + 1) << 3);
  timersClear();
  dnsTicksReset();
  timersDueFrom = i64.MIN_VALUE;
  return 0;
}
