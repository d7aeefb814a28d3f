// Protocol detection: Zeek's dynamic protocol detection (DPD) per connection.
//
// What Zeek does (analyzer/Manager.cc, pia/PIA.cc, RuleMatcher.cc), and what this file does alike:
// - At creation, the analyzers registered for the responder's port are attached (ports.ts).
// - A PIA buffers the first payload of the connection, both directions together, as delivered
//   (TCP: reassembled, in order), and matches the signatures of the dpd.sig files against it
//   (sigs.ts, regex.ts). It stops -- and the signatures with it -- after the chunk that takes the
//   buffer past dpd_buffer_size (1024 bytes) or past dpd_max_packets (100) chunks.
// - A signature that fires with `enable X` attaches X (unless an X instance is live) and replays
//   the buffered payload to it, then X parses the rest live.
// - Analyzers confirm (services.confirm: conn.log service, event, --by service counters) or
//   violate (the DPD script disables them and drops their service while the connection is below
//   DPD::ignore_violations_after = 10 KiB).
// When no instance is left and the PIA has stopped, the record is released (C_DETECT = 0) and the
// connection costs nothing more.
//
// A run without protocol detection (`top` without a service key) still detects SSH and FTP, on
// the TCP connections probe.ts picks: their confirmation raises the connection's inactivity
// timeout to an hour, which decides when it ends and so how many connections are counted. Only
// their analyzers and signatures take part, and a connection stops as soon as its timeout is
// settled (timeoutSettled) or nothing can enable them any more (canStillEnable).
import { detectProtocols } from "../config";
import * as C from "../flow/conn";
import * as P from "../packet";
import {
  MAX_INST, INST_SIZE, HEADER_INST_SIZE, ST_OFF, DS_SIZE, H_FLAGS, H_SEQ_O, H_SEQ_R, H_BLOCK, H_PIA_BYTES,
  H_PIA_CHUNKS, H_PIA_STATE, H_DEPTH, H_SEEN_O, H_SEEN_R, H_REORDER, H_INST, H_FIN_O, H_FIN_R, DF_TCP, DF_INIT_O,
  DF_INIT_R, DF_FIN_O, DF_FIN_R, DF_FIRST_O, DF_FIRST_R, DF_PARTIAL, DF_SYNACK_O, DF_SYNACK_R, DF_GAPPED_O,
  DF_GAPPED_R, DF_EOF_O, DF_EOF_R, DF_UNACKED_O, DF_UNACKED_R, DF_RESET_O, DF_RESET_R, DF_RST_SEEN_O, DF_RST_SEEN_R,
  DF_CLOSE_DEFERRED, DF_TIER_SHIFT, DF_TIER,
  DF_AUX, DF_HEADER_ONLY, DF_BLOCKS, PIA_BUFFERING, PIA_SKIPPING,
  I_ID, I_FLAGS, IF_CONFIRMED, IF_DEAD, IF_SIG, IF_CHILD, instAt, ctxSet, reqKind, reqId, reqOrig,
  reqPtr, reqLen, REQ_HANDOVER, REQ_RESTART_DPD, connSize,
} from "./ctx";
import { portAnalyzer, portAnalyzer2 } from "./ports";
import { POOL_HEADER, poolInit, poolAlloc, poolFree, poolReset, poolInUse, poolNext } from "./pool";
import { zeroSmall } from "../small";
import { auxFree, auxReset, auxInUse } from "./aux";
import { sigsInit, sigTotal, sigAutomaton, sigDirOf, sigEnableOf, sigCondOf, sigReverseOf, sigDependentsOf, SIG_ORIG, SIG_RESP, COND_SIZE_1232 } from "./sigs";
import { dfaRun, dfaMatched, DFA_START, DFA_DEAD } from "./regex";
import { dStream, dGap, dEof, dClosed, dDatagram, dKeepsParsing, dKeepsState, dStartsOthers, dInit } from "./dispatch";
import { wantsRecords } from "../records";
import { tcpLongTimeoutKept } from "../flow/tcp";
import { countsTraffic } from "../top/counters";

// ---------------------------------------------------------------- pools (pool.ts)

const DS_POOL: usize = memory.data(POOL_HEADER);
const INST_POOL: usize = memory.data(POOL_HEADER);
const HEADER_INST_POOL: usize = memory.data(POOL_HEADER);
const REORDER_POOL: usize = memory.data(POOL_HEADER);

/** The PIA's signature-matching block, only while it buffers. Most connections buffer a request
 *  or a greeting of a few hundred bytes, a DNS exchange less: a block starts at the smallest tier
 *  that holds its first chunk and moves to the smallest that fits when its data outgrows it. The
 *  largest holds the whole buffer: dpd_buffer_size's bytes with a header for each of at most
 *  dpd_max_packets chunks or gaps (the chunk that passes a limit is matched, not kept). */
const BLOCK_TIERS: u32 = 4;
// @ts-ignore: decorator
@inline function tierSize(t: u32): usize { return t == 0 ? 256 : t == 1 ? 448 : t == 2 ? 832 : 2048; }
const BLOCK_POOLS: usize = memory.data(<i32>BLOCK_TIERS * POOL_HEADER);
// @ts-ignore: decorator
@inline function tierPool(t: u32): usize { return BLOCK_POOLS + <usize>t * <usize>POOL_HEADER; }
const B_FIRED_O: usize = 0;   // u64 signatures fired on originator payload
const B_FIRED_R: usize = 8;
const B_PAT_O: usize = 16;    // u64 patterns matched (conditions may still be pending)
const B_PAT_R: usize = 24;
const B_DFA_O: usize = 32;    // u32 automaton state
const B_DFA_R: usize = 36;
const B_USED: usize = 40;     // u32 bytes used in the data area
const B_STARTED: usize = 44;  // u8: bit 0 originator payload seen, bit 1 responder
const B_SIZE_O: usize = 48;   // u32 first payload size of each direction (payload-size)
const B_SIZE_R: usize = 52;
const B_DATA: usize = 64;     // segments: u16 (bit 15 originator, bit 14 gap, length), bytes; a gap: u32 length
const SEG_ORIG: u32 = 0x8000;
const SEG_GAP: u32 = 0x4000;
const GAP_SEG_SIZE: u32 = 6; // a gap's entry: its u16 header, then its u32 length

/** The size of the buffered segment whose u16 header is h. */
// @ts-ignore: decorator
@inline function segSize(h: u32): usize { return (h & SEG_GAP) != 0 ? GAP_SEG_SIZE : 2 + <usize>(h & 0x3fff); }

const DPD_BUFFER_SIZE: u32 = 1024;
const DPD_MAX_PACKETS: u32 = 100;
/** After confirming, analyzers keep parsing while a violation could still drop the service. */
const KEEP_AFTER_CONFIRM: u64 = 10 * 1024;

let pools = false;

// ---------------------------------------------------------------- hooks (flow/table.ts)

/** Reset all detection state (a new run). */
export function detectReset(): void {
  releasedEarly = 0;
  // a run without detection matches SSH's and FTP's signatures only (probe.ts)
  sigsInit(detectProtocols);
  if (!pools) {
    poolInit(DS_POOL, <u32>DS_SIZE, 256);
    poolInit(INST_POOL, <u32>INST_SIZE, 128);
    poolInit(HEADER_INST_POOL, <u32>HEADER_INST_SIZE, 512);
    for (let t: u32 = 0; t < BLOCK_TIERS; t++) poolInit(tierPool(t), <u32>tierSize(t), 32768 / <u32>tierSize(t));
    poolInit(REORDER_POOL, <u32>REORDER_SIZE, 16);
    pools = true;
  } else {
    poolReset(DS_POOL);
    poolReset(INST_POOL);
    poolReset(HEADER_INST_POOL);
    for (let t: u32 = 0; t < BLOCK_TIERS; t++) poolReset(tierPool(t));
    poolReset(REORDER_POOL);
  }
  auxReset();
}

/** Records of the detection pools not on their free stacks, each pool's count as an absolute value
 *  (a record freed twice, or into another size's pool, shows too): 0 once every connection has
 *  ended. For tests. */
export function detectRecordsInUse(): u32 {
  let n = abs<i32>(poolInUse(DS_POOL)) + abs<i32>(poolInUse(INST_POOL)) + abs<i32>(poolInUse(HEADER_INST_POOL)) +
    abs<i32>(poolInUse(REORDER_POOL)) + abs<i32>(auxInUse());
  for (let t: u32 = 0; t < BLOCK_TIERS; t++) n += abs<i32>(poolInUse(tierPool(t)));
  return <u32>n;
}

/** A connection was created (roles set): attach the analyzers of its responder port; start the PIA. */
export function detectStart(idx: u32, r: usize): void {
  const proto = <u32>load<u8>(r + C.C_PROTO);
  if (proto != 6 && proto != 17) return;
  const ds = newState(r);
  store<u32>(ds + H_FLAGS, proto == 6 ? DF_TCP : 0);
  const port = <u32>load<u16>(r + C.C_RESP_PORT);
  const a1 = portAnalyzer(proto, port);
  if (a1 != 0) attach(ds, a1, 0);
  const a2 = portAnalyzer2(proto, port);
  if (a2 != 0) attach(ds, a2, 0);
}

/** Loads the detection state the k-th connection created from now takes (detectStart), which its
 *  creation writes and its first packet reads: for the warming (flow/warm.ts). A record freed in
 *  between is taken first, and it was touched when freed: the guess is only a hint. */
export function touchFreshState(k: u32): u64 {
  const ds = poolNext(DS_POOL, k);
  return ds != 0 ? load<u64>(ds) : 0;
}

/** Detection state for record r, its PIA buffering. */
function newState(r: usize): usize {
  const ds = poolAlloc(DS_POOL);
  zeroSmall(ds, DS_SIZE);
  store<u8>(ds + H_PIA_STATE, PIA_BUFFERING);
  store<u32>(r + C.C_DETECT, <u32>ds);
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) | C.F_DETECTING);
  return ds;
}

/** Detection of a TCP connection from here on, its header kept so far at h (probe.ts): as if it
 *  had run from the connection's start, which saw no payload before. */
export function detectFrom(r: usize, h: usize): void {
  const ds = newState(r);
  let f = load<u32>(h + H_FLAGS) & ~DF_BLOCKS;
  store<u32>(ds + H_SEQ_O, load<u32>(h + H_SEQ_O));
  store<u32>(ds + H_SEQ_R, load<u32>(h + H_SEQ_R));
  // a FIN the probe saw ended a stream at its start, where H_SEQ still is
  if ((f & DF_EOF_O) != 0) { f |= DF_FIN_O; store<u32>(ds + H_FIN_O, load<u32>(h + H_SEQ_O)); }
  if ((f & DF_EOF_R) != 0) { f |= DF_FIN_R; store<u32>(ds + H_FIN_R, load<u32>(h + H_SEQ_R)); }
  store<u32>(ds + H_FLAGS, f);
}

/** A counted packet of connection idx (payload in packet.ts); isOrig after any flip. */
export function detectPacket(idx: u32, r: usize, isOrig: bool): void {
  const ds = <usize>load<u32>(r + C.C_DETECT);
  if (ds == 0) return;
  if (load<u32>(ds + H_FLAGS) & DF_TCP) tcpPacket(ds, r, isOrig);
  else udpPacket(ds, r, isOrig);
  if (detectProtocols ? finished(ds) : timeoutSettled(ds, r)) release(ds, r);
}

/** The connection's roles flipped: swap the per-direction state. */
export function detectFlip(idx: u32, r: usize): void {
  const ds = <usize>load<u32>(r + C.C_DETECT);
  if (ds == 0) return;
  flipHeader(ds);
  swap32(ds + H_SEEN_O, ds + H_SEEN_R);
  swap32(ds + H_FIN_O, ds + H_FIN_R);
  const ro = <usize>load<u32>(ds + H_REORDER);
  if (ro != 0) {
    let off: usize = RO_DATA;
    const end = RO_DATA + <usize>load<u32>(ro + RO_USED);
    while (off < end) {
      const d = load<u8>(ro + off + 6);
      if ((d & RO_DIRS) != 0) store<u8>(ro + off + 6, d ^ RO_DIRS);
      off += roEntrySize(<u32>load<u16>(ro + off + 4));
    }
  }
  const b = <usize>load<u32>(ds + H_BLOCK);
  if (b != 0) {
    swap64(b + B_FIRED_O, b + B_FIRED_R);
    swap64(b + B_PAT_O, b + B_PAT_R);
    swap32(b + B_DFA_O, b + B_DFA_R);
    swap32(b + B_SIZE_O, b + B_SIZE_R);
    const s = load<u8>(b + B_STARTED);
    store<u8>(b + B_STARTED, ((s & 1) << 1) | ((s >> 1) & 1));
    // buffered segments change sides
    let off: usize = B_DATA;
    const end = B_DATA + <usize>load<u32>(b + B_USED);
    while (off < end) {
      const h = <u32>load<u16>(b + off);
      store<u16>(b + off, <u16>(h ^ SEG_ORIG));
      off += segSize(h);
    }
  }
}

/** The connection leaves the table: release its detection state. */
export function detectEnd(idx: u32, r: usize): void {
  const ds = <usize>load<u32>(r + C.C_DETECT);
  if (ds != 0) release(ds, r);
}

// ---------------------------------------------------------------- helpers

// @ts-ignore: decorator
@inline function swapBits(f: u32, a: u32, b: u32): u32 {
  const hasA = (f & a) != 0, hasB = (f & b) != 0;
  f &= ~(a | b);
  if (hasA) f |= b;
  if (hasB) f |= a;
  return f;
}

function swap32(a: usize, b: usize): void {
  const t = load<u32>(a);
  store<u32>(a, load<u32>(b));
  store<u32>(b, t);
}

function swap64(a: usize, b: usize): void {
  const t = load<u64>(a);
  store<u64>(a, load<u64>(b));
  store<u64>(b, t);
}

function release(ds: usize, r: usize): void {
  const b = <usize>load<u32>(ds + H_BLOCK);
  if (b != 0) freeBlock(ds, b);
  const ro = <usize>load<u32>(ds + H_REORDER);
  if (ro != 0) poolFree(REORDER_POOL, ro);
  const aux = (load<u32>(ds + H_FLAGS) & DF_AUX) != 0;
  for (let s: u32 = 0; s < MAX_INST; s++) {
    const inst = instAt(ds, s);
    if (inst == 0) continue;
    if (aux) auxFree(inst);
    freeInstance(ds, s, inst);
  }
  poolFree(DS_POOL, ds);
  store<u32>(r + C.C_DETECT, 0);
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) & ~C.F_DETECTING);
}

// @ts-ignore: decorator
@inline function headerOnly(ds: usize, slot: u32): bool {
  return (load<u32>(ds + H_FLAGS) & (DF_HEADER_ONLY << slot)) != 0;
}

function freeInstance(ds: usize, slot: u32, inst: usize): void {
  poolFree(headerOnly(ds, slot) ? HEADER_INST_POOL : INST_POOL, inst);
}

/** Nothing can confirm any more: no live instance, no signature matching; or nothing the run's
 *  output can see (nothingToLearn). */
function finished(ds: usize): bool {
  if (load<u8>(ds + H_PIA_STATE) != PIA_SKIPPING) return false;
  const live = liveMask(ds);
  if (live == 0) return true;
  if (!nothingToLearn(ds, live)) return false;
  releasedEarly++;
  return true;
}

/** Connections whose detection nothingToLearn released with instances still live (a diagnostic,
 *  for tests and measurements: no result depends on it). */
export let releasedEarly: u64 = 0;

/**
 * A run without conn records and without packets or bytes per service row (`top` counting
 * connections) sees only confirmations. Once every live instance has confirmed and none can start
 * another analyzer, the only thing left to happen is a violation, which drops a service from the
 * record (services.ts violate) but takes no confirmation back: with no signature matching left, no
 * instance can come to confirm that service again. The roles of a TCP connection can no longer
 * flip (which moves the rows of its services) once both sides have sent data (flow/tcp.ts: a lone
 * SYN-ACK's flip needs a history of just "H", a SYN/SYN-ACK reversal an inactive responder).
 */
function nothingToLearn(ds: usize, live: u32): bool {
  if (wantsRecords() || countsTraffic()) return false;
  if ((load<u32>(ds + H_FLAGS) & DF_TCP) == 0 || load<u32>(ds + H_SEEN_O) == 0 || load<u32>(ds + H_SEEN_R) == 0) return false;
  for (let m = live; m != 0; m &= m - 1) {
    const inst = instAt(ds, <u32>ctz(m));
    if ((load<u8>(inst + I_FLAGS) & IF_CONFIRMED) == 0 || dStartsOthers(<u32>load<u8>(inst + I_ID))) return false;
  }
  return true;
}

/**
 * A run without protocol detection asks one thing of SSH and FTP: does the connection get the
 * hour-long inactivity timeout? It is settled once the timeout is an hour for good (a port rule or
 * a confirmation set it, and both sides have left the handshake, where leaving resets it), or when
 * nothing can confirm any more: the PIA has stopped and every instance left has confirmed (a
 * confirmed instance does not confirm again).
 */
function timeoutSettled(ds: usize, r: usize): bool {
  if (tcpLongTimeoutKept(r + C.C_TCP)) return true;
  if (load<u8>(ds + H_PIA_STATE) != PIA_SKIPPING) return false;
  for (let m = liveMask(ds); m != 0; m &= m - 1) {
    if ((load<u8>(instAt(ds, <u32>ctz(m)) + I_FLAGS) & IF_CONFIRMED) == 0) return false;
  }
  return true;
}

/** Is an instance of analyzer id live (Zeek's HasChildAnalyzer)? */
function hasLive(ds: usize, id: u32): bool {
  for (let s: u32 = 0; s < MAX_INST; s++) {
    const inst = instAt(ds, s);
    if (inst != 0 && <u32>load<u8>(inst + I_ID) == id && (load<u8>(inst + I_FLAGS) & IF_DEAD) == 0) return true;
  }
  return false;
}

/** A new instance of analyzer id; returns its slot, or -1 when all slots hold live instances.
 *  A dead instance's block is reused in place (a caller may still hold its address). */
function attach(ds: usize, id: u32, how: u8): i32 {
  let slot: i32 = -1;
  for (let s: u32 = 0; s < MAX_INST; s++) {
    const inst = instAt(ds, s);
    if (inst == 0 || (load<u8>(inst + I_FLAGS) & IF_DEAD) != 0) { slot = <i32>s; break; }
  }
  if (slot < 0) return -1;
  const keepsState = dKeepsState(id, (load<u32>(ds + H_FLAGS) & DF_TCP) != 0);
  let inst = instAt(ds, <u32>slot);
  if (inst != 0) {
    auxFree(inst);
    // a header-only block cannot take state; nothing holds its address (its analyzer, stateless,
    // asks the registry for nothing: no hand-over, no restart), so it is replaced
    if (keepsState && headerOnly(ds, <u32>slot)) {
      freeInstance(ds, <u32>slot, inst);
      inst = 0;
    }
  }
  if (inst == 0) {
    inst = poolAlloc(keepsState ? INST_POOL : HEADER_INST_POOL);
    store<u32>(ds + H_INST + (<usize>slot << 2), <u32>inst);
    const bit = DF_HEADER_ONLY << <u32>slot;
    const f = load<u32>(ds + H_FLAGS);
    store<u32>(ds + H_FLAGS, keepsState ? f & ~bit : f | bit);
  }
  // a reused block keeps its size
  zeroSmall(inst, headerOnly(ds, <u32>slot) ? HEADER_INST_SIZE : INST_SIZE);
  store<u8>(inst + I_ID, <u8>id);
  store<u8>(inst + I_FLAGS, how);
  dInit(id, inst + ST_OFF);
  return slot;
}

assert(MAX_INST == 4, "liveMask is written out for four slots");
/** Slots to feed now (taken before feeding, so instances attached meanwhile wait for the next chunk).
 *  Written out for the four slots, and the feeds take its set bits, lowest first: V8 checks the
 *  stack at every loop iteration, and these run for every chunk of every connection still
 *  detecting. */
function liveMask(ds: usize): u32 {
  return liveBit(ds, 0) | liveBit(ds, 1) | liveBit(ds, 2) | liveBit(ds, 3);
}
// @ts-ignore: decorator
@inline function liveBit(ds: usize, s: u32): u32 {
  const inst = instAt(ds, s);
  return inst != 0 && (load<u8>(inst + I_FLAGS) & IF_DEAD) == 0 ? <u32>1 << s : 0;
}

const K_STREAM: u32 = 0;
const K_GAP: u32 = 1;
const K_EOF: u32 = 2;
const K_DGRAM: u32 = 3;

/** Set when an analyzer restarted signature matching inside the current chunk. */
let restarted = false;

function feedSlot(ds: usize, r: usize, slot: u32, kind: u32, isOrig: bool, p: usize, n: u32): void {
  const inst = instAt(ds, slot);
  if (load<u8>(inst + I_FLAGS) & IF_DEAD) return;
  const id = <u32>load<u8>(inst + I_ID);
  ctxSet(r, ds, inst);
  const st = inst + ST_OFF;
  if (kind == K_STREAM) dStream(id, st, isOrig, p, n);
  else if (kind == K_DGRAM) dDatagram(id, st, isOrig, p, n);
  else if (kind == K_GAP) dGap(id, st, isOrig, n); // n: the gap's length
  else dEof(id, st, isOrig);
  const req = reqKind;
  if (req == REQ_HANDOVER) {
    const child = attach(ds, reqId, IF_CHILD);
    if (child >= 0 && reqLen > 0) feedSlot(ds, r, <u32>child, K_STREAM, reqOrig, reqPtr, reqLen);
  } else if (req == REQ_RESTART_DPD) {
    restartPia(ds);
    restarted = true;
    const o = reqOrig, rp = reqPtr, rn = reqLen;
    if (rn > 0) piaChunk(ds, r, o, rp, rn, false);
  }
  // confirmed, and a violation could no longer drop the service: done
  const f = load<u8>(inst + I_FLAGS);
  if ((f & (IF_CONFIRMED | IF_DEAD)) == IF_CONFIRMED && !dKeepsParsing(id) && pastKeep(ds, r)) {
    store<u8>(inst + I_FLAGS, f | IF_DEAD);
  }
}

/** Has the connection passed KEEP_AFTER_CONFIRM bytes? A TCP connection's size (from its sequence
 *  numbers, 54 instructions) is summed only once its streams have delivered that many bytes, not
 *  on every chunk of a short one. A size past the limit with fewer bytes delivered (segments held
 *  behind a hole, data acknowledged but not captured) only keeps the instance parsing a while
 *  longer, its violations ignored all the same (ctx.ts aViolate). */
function pastKeep(ds: usize, r: usize): bool {
  if ((load<u32>(ds + H_FLAGS) & DF_TCP) != 0 &&
      <u64>load<u32>(ds + H_SEEN_O) + <u64>load<u32>(ds + H_SEEN_R) <= KEEP_AFTER_CONFIRM) return false;
  return connSize(r) > KEEP_AFTER_CONFIRM;
}

// ---------------------------------------------------------------- TCP

/**
 * The TCP header's part of a packet, on the first 12 bytes of a detection state (H_FLAGS, H_SEQ_O,
 * H_SEQ_R), a DS or a probe's (probe.ts): the partial status, from each direction's first packet,
 * and where each direction's stream starts. `seen`: the bytes the direction delivered so far.
 */
// @ts-ignore: decorator
@inline export function tcpHeader(h: usize, isOrig: bool, seen: u32): void {
  const fl = P.tcpFlags;
  const syn = (fl & P.TCP_SYN) != 0, ack = (fl & P.TCP_ACK) != 0;
  let f = load<u32>(h + H_FLAGS);
  // Zeek's SetPartialStatus: decided by the first packet of each direction
  if (isOrig && (f & DF_FIRST_O) == 0) {
    if (!syn || ack) f |= DF_PARTIAL; else f &= ~DF_PARTIAL;
    // a missed SYN, then the SYN-ACK and now the originator's ACK: established, not partial
    if ((f & DF_SYNACK_R) != 0 && !syn && ack && (fl & (P.TCP_FIN | P.TCP_RST)) == 0) f &= ~DF_PARTIAL;
    if (syn && ack) f |= DF_SYNACK_O;
    f |= DF_FIRST_O;
  } else if (!isOrig && (f & DF_FIRST_R) == 0) {
    if ((f & DF_PARTIAL) == 0 && !syn) f |= DF_PARTIAL;
    if (syn && ack) f |= DF_SYNACK_R;
    f |= DF_FIRST_R;
  }
  // data in a RST segment is not part of the stream
  if ((fl & P.TCP_RST) == 0) {
    const initBit = isOrig ? DF_INIT_O : DF_INIT_R;
    if ((f & initBit) == 0 || (syn && seen == 0)) {
      store<u32>(h + (isOrig ? H_SEQ_O : H_SEQ_R), dataSeqOf());
      f |= initBit;
    }
  }
  store<u32>(h + H_FLAGS, f);
}

/** The sequence number of the packet's first payload byte (a SYN takes one). */
// @ts-ignore: decorator
@inline export function dataSeqOf(): u32 { return (P.tcpFlags & P.TCP_SYN) != 0 ? P.tcpSeq + 1 : P.tcpSeq; }

/** The roles flipped: the header's directions change sides (tcpHeader's 12 bytes), and the
 *  connection is no longer partial until a first packet says so again (Zeek's
 *  TCPSessionAdapter::FlipRoles clears is_partial, as flow/tcp.ts flipRoles does). */
export function flipHeader(h: usize): void {
  let f = load<u32>(h + H_FLAGS) & ~DF_PARTIAL;
  f = swapBits(f, DF_INIT_O, DF_INIT_R);
  f = swapBits(f, DF_FIN_O, DF_FIN_R);
  f = swapBits(f, DF_FIRST_O, DF_FIRST_R);
  f = swapBits(f, DF_EOF_O, DF_EOF_R);
  f = swapBits(f, DF_SYNACK_O, DF_SYNACK_R);
  f = swapBits(f, DF_GAPPED_O, DF_GAPPED_R);
  f = swapBits(f, DF_UNACKED_O, DF_UNACKED_R);
  f = swapBits(f, DF_RESET_O, DF_RESET_R);
  f = swapBits(f, DF_RST_SEEN_O, DF_RST_SEEN_R);
  store<u32>(h + H_FLAGS, f);
  swap32(h + H_SEQ_O, h + H_SEQ_R);
}

function tcpPacket(ds: usize, r: usize, isOrig: bool): void {
  const fl = P.tcpFlags;
  tcpHeader(ds, isOrig, load<u32>(ds + (isOrig ? H_SEEN_O : H_SEEN_R)));
  // Zeek's TCPSessionAdapter::Process: the state machine (a RST, a FIN), then the acknowledgement
  // (a RST's too), then the payload, then the end of stream. A RST's data is not part of the stream.
  const rst = (fl & P.TCP_RST) != 0;
  const started = (load<u32>(ds + H_FLAGS) & (isOrig ? DF_INIT_O : DF_INIT_R)) != 0;
  let closes = false; // (decided before the flags take this packet's RST or FIN)
  if (rst) {
    closes = closesSide(ds, isOrig, true);
    if (started) resetSeen(ds, isOrig);
  } else if ((fl & P.TCP_FIN) != 0) {
    closes = closesSide(ds, isOrig, false);
    finSeen(ds, isOrig, dataSeqOf() + P.payloadLen);
  }
  if ((fl & P.TCP_ACK) != 0) ackReceived(ds, r, !isOrig, P.tcpAck);
  // (a call of connectionClosed on each path: with one call site binaryen inlines it, and the
  // common path of every segment pays for its size, 16 instructions a call)
  if (rst) {
    if (started) checkEof(ds, r, isOrig);
    if (closes) connectionClosed(ds, r, isOrig, true);
    return;
  }
  if (P.payloadLen > 0 && tcpSegment(ds, r, isOrig, dataSeqOf())) { // held for later
    if (closes) connectionClosed(ds, r, isOrig, false);
    return;
  }
  checkEof(ds, r, isOrig);
  if (closes) connectionClosed(ds, r, isOrig, false);
}

/** Does side isOrig's FIN or RST close it (Zeek's do_close, UpdateStateMachine)? Yes unless it
 *  was reset before (state RESET) or had sent a FIN (CLOSED: there a RST closes again only while
 *  that close is still deferred, which is not modelled). Records the RST. */
function closesSide(ds: usize, isOrig: bool, rst: bool): bool {
  const f = load<u32>(ds + H_FLAGS);
  if (rst) store<u32>(ds + H_FLAGS, f | (isOrig ? DF_RST_SEEN_O : DF_RST_SEEN_R));
  return (f & (isOrig ? DF_RST_SEEN_O | DF_FIN_O : DF_RST_SEEN_R | DF_FIN_R)) == 0;
}

/**
 * Zeek's ConnectionClosed, after a closing FIN's or RST's segment was handled, held or not: the
 * live analyzers hear of it (only DNS acts). While the closing side's data is pending (Zeek's
 * DataPending: its stream not delivered up to its end, or, unless it was reset, the peer's
 * segments held or its bytes not yet acknowledged), the close is deferred and comes again at the
 * next end of a stream (TCPSessionAdapter::EndpointEOF; streamEof).
 */
function connectionClosed(ds: usize, r: usize, isOrig: bool, rst: bool): void {
  tellClosed(ds, r);
  // (a side whose RST came before its stream started has no end in H_FIN: nothing of it pending)
  const f = load<u32>(ds + H_FLAGS);
  const ends = (f & (isOrig ? DF_FIN_O | DF_RESET_O : DF_FIN_R | DF_RESET_R)) != 0 && (f & (isOrig ? DF_EOF_O : DF_EOF_R)) == 0;
  if (ends ? dataPending(ds, isOrig, rst) : roHas(ds, isOrig) || (!rst && peerPending(ds, isOrig))) {
    store<u32>(ds + H_FLAGS, f | DF_CLOSE_DEFERRED);
  }
}

/** Zeek's DataPending for side isOrig, which sent a FIN or was reset (H_FIN: where its stream
 *  ends): its stream not delivered up to there, or segments of it held; unless it was reset, the
 *  peer's pending too (peerPending). */
function dataPending(ds: usize, isOrig: bool, reset: bool): bool {
  const next = load<u32>(ds + (isOrig ? H_SEQ_O : H_SEQ_R));
  if (<i32>(next - load<u32>(ds + (isOrig ? H_FIN_O : H_FIN_R))) < 0 || roHas(ds, isOrig)) return true;
  // a reset side no longer waits for the peer (DataPending skips the peer for TCP_ENDPOINT_RESET)
  return !reset && peerPending(ds, isOrig);
}

/** The peer of side isOrig holds segments above a hole, or bytes isOrig has not acknowledged
 *  (Zeek's HasUndeliveredData: its reassembler keeps delivered blocks until they are). */
// @ts-ignore: decorator
@inline function peerPending(ds: usize, isOrig: bool): bool {
  return (load<u32>(ds + H_FLAGS) & (isOrig ? DF_UNACKED_R : DF_UNACKED_O)) != 0 || roHas(ds, !isOrig);
}

/** The close, to each live analyzer (not through feedSlot: no analyzer hands over or restarts
 *  detection at a close, and feedSlot's dispatch, which every chunk of data takes, stays short). */
function tellClosed(ds: usize, r: usize): void {
  for (let m = liveMask(ds); m != 0; m &= m - 1) {
    const inst = instAt(ds, <u32>ctz(m));
    ctxSet(r, ds, inst);
    dClosed(<u32>load<u8>(inst + I_ID), inst + ST_OFF);
  }
}

/** Zeek's TOO_LARGE_SEQ_DELTA: a RST's sequence number further than this is not trusted. */
const TOO_LARGE_SEQ_DELTA: i32 = 1048576;

/** A RST from side isOrig: the side is reset from here on (Zeek's TCP_ENDPOINT_RESET), unless both
 *  sides had closed with a FIN, where Zeek's UpdateClosedState keeps it closed (its end then still
 *  waits for the peer's data). A reset stream ends where the RST's segment does (a FIN or SYN in
 *  it takes a number), unless the side's FIN said where: update_last_seq counts no later
 *  sequence number of a reset side, nor one over 1 MB off. */
function resetSeen(ds: usize, isOrig: bool): void {
  const f = load<u32>(ds + H_FLAGS);
  const resetBit = isOrig ? DF_RESET_O : DF_RESET_R;
  const closed = DF_FIN_O | DF_FIN_R;
  if ((f & resetBit) != 0 || (f & (closed | DF_RESET_O | DF_RESET_R)) == closed) return;
  store<u32>(ds + H_FLAGS, f | resetBit);
  if ((f & (isOrig ? DF_FIN_O : DF_FIN_R)) != 0) return;
  const next = load<u32>(ds + (isOrig ? H_SEQ_O : H_SEQ_R));
  const onePast = dataSeqOf() + ((P.tcpFlags & P.TCP_FIN) != 0 ? 1 : 0);
  const d = <i32>(onePast - next);
  const last = d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA ? next : onePast;
  store<u32>(ds + (isOrig ? H_FIN_O : H_FIN_R), last - 1);
}

/** A FIN from side isOrig at sequence number `at`: where its stream ends, for the acknowledgements
 *  that pass it; a reset side's FIN counts for nothing (Zeek's UpdateResetState). A peer that was
 *  reset after its own FIN is closed again (UpdateEstablishedState: its FIN then RST was a normal
 *  close), and its end waits for this side's data again. */
function finSeen(ds: usize, isOrig: bool, at: u32): void {
  let f = load<u32>(ds + H_FLAGS);
  if ((f & (isOrig ? DF_RESET_O : DF_RESET_R)) != 0) return;
  const peerResetAfterFin = isOrig ? DF_RESET_R | DF_FIN_R : DF_RESET_O | DF_FIN_O;
  if ((f & peerResetAfterFin) == peerResetAfterFin) f &= ~(isOrig ? DF_RESET_R : DF_RESET_O);
  store<u32>(ds + (isOrig ? H_FIN_O : H_FIN_R), at);
  store<u32>(ds + H_FLAGS, f | (isOrig ? DF_FIN_O : DF_FIN_R));
}

/**
 * The peer acknowledged direction isOrig's stream up to `ack`. Zeek's TCP_Reassembler::AckReceived
 * and Undelivered: bytes acknowledged but never seen are a content gap, whether or not segments
 * are held behind them, and the stream goes on after it. An acknowledgement past the FIN counts
 * up to the FIN only; on a partial connection, one byte past a stream's start that delivered
 * nothing is no gap (a keep-alive's, Zeek's `up_to_seq <= 2 && IsPartial()`).
 */
function ackReceived(ds: usize, r: usize, isOrig: bool, ack: u32): void {
  const f = load<u32>(ds + H_FLAGS);
  if ((f & (isOrig ? DF_INIT_O : DF_INIT_R)) == 0) return; // the stream has not started
  if ((f & (isOrig ? DF_FIN_O : DF_FIN_R)) != 0) {
    const fin = load<u32>(ds + (isOrig ? H_FIN_O : H_FIN_R));
    if (<i32>(ack - fin) > 0) ack = fin;
  }
  const seqAt = ds + (isOrig ? H_SEQ_O : H_SEQ_R);
  const ahead = <i32>(ack - load<u32>(seqAt));
  if (ahead < 0) return;
  const unacked = isOrig ? DF_UNACKED_O : DF_UNACKED_R;
  // everything delivered is acknowledged (the common case, kept short)
  if (ahead == 0) { store<u32>(ds + H_FLAGS, f & ~unacked); return; }
  if (ahead == 1 && (f & DF_PARTIAL) != 0 && (f & (isOrig ? DF_GAPPED_O : DF_GAPPED_R)) == 0 &&
      load<u32>(ds + (isOrig ? H_SEEN_O : H_SEEN_R)) == 0) return; // the stream is still at its start
  gapTo(ds, r, isOrig, ack);
  // held segments the gap let through may reach past the acknowledgement
  const g = load<u32>(ds + H_FLAGS);
  store<u32>(ds + H_FLAGS, <i32>(load<u32>(seqAt) - ack) > 0 ? g | unacked : g & ~unacked);
  checkEof(ds, r, isOrig);
}

/** Zeek's CheckEOF: the stream ends once a FIN was seen (or the side was reset) and everything
 *  before it was delivered (or given up as a gap), with nothing held, and, unless the side was
 *  reset, the peer's stream holds nothing either: neither segments above a hole nor bytes
 *  delivered that this side has not acknowledged (DataPending asks the peer's reassembler whether
 *  it has blocks; it keeps delivered ones until they are acknowledged). Zeek also drops a side's
 *  delivered blocks once it has sent 16 KiB of which none was acknowledged; not modelled: the end
 *  waits here for this side's next acknowledgement. The FIN or reset test is inlined: most segments
 *  have neither, and the call would cost more than the test. */
// @ts-ignore: decorator
@inline function checkEof(ds: usize, r: usize, isOrig: bool): void {
  if ((load<u32>(ds + H_FLAGS) & (isOrig ? DF_FIN_O | DF_RESET_O : DF_FIN_R | DF_RESET_R)) != 0) closedSideEof(ds, r, isOrig);
}

/** checkEof for a side that sent a FIN or was reset. */
function closedSideEof(ds: usize, r: usize, isOrig: bool): void {
  const f = load<u32>(ds + H_FLAGS);
  if ((f & (isOrig ? DF_EOF_O : DF_EOF_R)) != 0) return;
  if (dataPending(ds, isOrig, (f & (isOrig ? DF_RESET_O : DF_RESET_R)) != 0)) return;
  streamEof(ds, r, isOrig);
}

function streamEof(ds: usize, r: usize, isOrig: bool): void {
  const eofBit = isOrig ? DF_EOF_O : DF_EOF_R;
  const f = load<u32>(ds + H_FLAGS);
  if ((f & eofBit) != 0) return;
  store<u32>(ds + H_FLAGS, f | eofBit);
  for (let m = liveMask(ds); m != 0; m &= m - 1) feedSlot(ds, r, <u32>ctz(m), K_EOF, isOrig, 0, 0);
  const g = load<u32>(ds + H_FLAGS);
  if ((g & DF_CLOSE_DEFERRED) != 0) {
    store<u32>(ds + H_FLAGS, g & ~DF_CLOSE_DEFERRED);
    tellClosed(ds, r); // TCPSessionAdapter::EndpointEOF's close of a deferred one
  }
}

/** A segment's payload; true if it was held behind a hole. */
function tcpSegment(ds: usize, r: usize, isOrig: bool, dataSeq: u32): bool {
  // a payload cut by the snaplen is not delivered (Zeek's TCP_Endpoint::DataSent gives the
  // reassembler whole payloads only): its bytes are a hole, a gap once acknowledged
  const len = P.payloadLen;
  if (P.payloadCapLen < len) return false;
  const seqAt = ds + (isOrig ? H_SEQ_O : H_SEQ_R);
  const next = load<u32>(seqAt);
  const rel = <i32>(dataSeq - next);
  if (rel > 0) {
    // a hole before this segment: as Zeek's reassembler, hold it until the hole fills or is
    // acknowledged (ackReceived)
    if (roHold(ds, isOrig, dataSeq, P.payloadPtr, len)) return true;
    // no room left to hold it (Zeek holds far more): the hole is a gap now
    gapTo(ds, r, isOrig, dataSeq);
    return tcpSegment(ds, r, isOrig, dataSeq);
  }
  const skip = <u32>(-rel);
  if (skip >= len) return false; // retransmission
  const want = len - skip;
  if (load<u32>(ds + H_REORDER) != 0) {
    roDeliverAround(ds, r, isOrig, P.payloadPtr + skip, next, want);
  } else {
    store<u32>(seqAt, next + want);
    streamChunk(ds, r, isOrig, P.payloadPtr + skip, want);
  }
  return false;
}

/**
 * Zeek's TCP_Reassembler::Undelivered(upTo), then Trim: each held block below upTo is delivered
 * after a gap up to it, then the rest up to upTo is a gap, and the stream goes on from upTo with
 * whatever is held there.
 */
function gapTo(ds: usize, r: usize, isOrig: bool, upTo: u32): void {
  const seqAt = ds + (isOrig ? H_SEQ_O : H_SEQ_R);
  let ahead = <i32>(upTo - load<u32>(seqAt));
  while (ahead > 0) {
    const next = load<u32>(seqAt);
    const e = roFirstFrom(ds, isOrig, next, <u32>ahead);
    const to = e == 0 ? upTo : load<u32>(e); // (held entries start past the stream's next byte)
    if (<i32>(to - next) > 0) {
      store<u32>(seqAt, to);
      store<u32>(ds + H_FLAGS, load<u32>(ds + H_FLAGS) | (isOrig ? DF_GAPPED_O : DF_GAPPED_R));
      reportGap(ds, r, isOrig, to - next);
    }
    if (e == 0) break;
    roDrain(ds, r, isOrig);
    ahead = <i32>(upTo - load<u32>(seqAt));
  }
  if (load<u32>(ds + H_REORDER) != 0) roDrain(ds, r, isOrig);
}

// ---------------------------------------------------------------- segments held behind a hole
// A block per connection, only while it holds segments: u32 bytes used at 0, then entries of
// u32 sequence number, u16 length, u8 direction (RO_ORIG / RO_RESP, 0 once delivered), u8 unused,
// the payload padded to 4 bytes. (A FIN's position is H_FIN_O / H_FIN_R: checkEof.)

const REORDER_SIZE: usize = 4096;
const RO_USED: usize = 0;
const RO_DATA: usize = 8;
const RO_ORIG: u8 = 1;
const RO_RESP: u8 = 2;
const RO_DIRS: u8 = 3;

// @ts-ignore: decorator
@inline function roEntrySize(len: u32): usize { return 8 + ((<usize>len + 3) & ~3); }

function roStore(ds: usize, isOrig: bool, seq: u32, p: usize, len: u32): bool {
  let ro = <usize>load<u32>(ds + H_REORDER);
  if (ro == 0) {
    ro = poolAlloc(REORDER_POOL);
    store<u32>(ro + RO_USED, 0);
    store<u32>(ds + H_REORDER, <u32>ro);
  }
  const used = <usize>load<u32>(ro + RO_USED);
  const size = roEntrySize(len);
  if (RO_DATA + used + size > REORDER_SIZE) return false;
  const e = ro + RO_DATA + used;
  store<u32>(e, seq);
  store<u16>(e + 4, <u16>len);
  store<u8>(e + 6, isOrig ? RO_ORIG : RO_RESP);
  memory.copy(e + 8, p, len);
  store<u32>(ro + RO_USED, <u32>(used + size));
  return true;
}

function roHas(ds: usize, isOrig: bool): bool {
  const ro = <usize>load<u32>(ds + H_REORDER);
  if (ro == 0) return false;
  const dir = isOrig ? RO_ORIG : RO_RESP;
  let off: usize = RO_DATA;
  const end = RO_DATA + <usize>load<u32>(ro + RO_USED);
  while (off < end) {
    if (load<u8>(ro + off + 6) & dir) return true;
    off += roEntrySize(<u32>load<u16>(ro + off + 4));
  }
  return false;
}

/** Frees the block once everything in it was delivered. */
function roCompact(ds: usize): void {
  const ro = <usize>load<u32>(ds + H_REORDER);
  if (ro == 0) return;
  let off: usize = RO_DATA;
  const end = RO_DATA + <usize>load<u32>(ro + RO_USED);
  while (off < end) {
    if (load<u8>(ro + off + 6) & RO_DIRS) return;
    off += roEntrySize(<u32>load<u16>(ro + off + 4));
  }
  poolFree(REORDER_POOL, ro);
  store<u32>(ds + H_REORDER, 0);
}

// Zeek's reassembler keeps the data it holds: a segment overlapping held data adds only the bytes
// around it, and the stream is delivered block by block (Reassem.cc, TCP_Reassembler.cc
// BlockInserted). Held entries therefore never overlap, and each is delivered whole.

/** Holds a segment above a hole, without the bytes held entries already cover (so in pieces). */
function roHold(ds: usize, isOrig: bool, seq: u32, p: usize, len: u32): bool {
  let from: u32 = 0;
  while (from < len) {
    const at = seq + from;
    const e = roFirstFrom(ds, isOrig, at, len - from);
    if (e == 0) return roStore(ds, isOrig, at, p + from, len - from);
    const start = <u32>max(<i32>(load<u32>(e) - at), 0); // where the held entry starts, from `at`
    if (start > 0 && !roStore(ds, isOrig, at, p + from, start)) return false;
    // past the held entry (it overlaps from `at` on, so this moves forward)
    from = <u32>(<i32>(load<u32>(e) - seq) + <i32>load<u16>(e + 4));
  }
  return true;
}

/** The held entry of a direction that overlaps [at, at + n) and starts first, or 0. */
function roFirstFrom(ds: usize, isOrig: bool, at: u32, n: u32): usize {
  const ro = <usize>load<u32>(ds + H_REORDER);
  if (ro == 0) return 0;
  const dir = isOrig ? RO_ORIG : RO_RESP;
  let best: usize = 0;
  let bestRel: i32 = i32.MAX_VALUE;
  let off: usize = RO_DATA;
  const end = RO_DATA + <usize>load<u32>(ro + RO_USED);
  while (off < end) {
    const e = ro + off;
    const len = <u32>load<u16>(e + 4);
    off += roEntrySize(len);
    if ((load<u8>(e + 6) & dir) == 0 || len == 0) continue;
    const rel = <i32>(load<u32>(e) - at);
    if (rel >= <i32>n || rel + <i32>len <= 0) continue;
    if (rel < bestRel) { bestRel = rel; best = e; }
  }
  return best;
}

/** Delivers the n in-order bytes at p (from sequence number `start`, the stream's next) around the
 *  held entries within them: the bytes before each entry, then the entry whole (roDrain). */
function roDeliverAround(ds: usize, r: usize, isOrig: bool, p: usize, start: u32, n: u32): void {
  const seqAt = ds + (isOrig ? H_SEQ_O : H_SEQ_R);
  let from: u32 = 0;
  while (from < n) {
    const e = roFirstFrom(ds, isOrig, start + from, n - from);
    const upTo = e == 0 ? n : from + <u32>max(<i32>(load<u32>(e) - (start + from)), 0);
    if (upTo > from) {
      store<u32>(seqAt, start + upTo);
      streamChunk(ds, r, isOrig, p + from, upTo - from);
    }
    if (e == 0) break;
    roDrain(ds, r, isOrig);
    // past the entries delivered (the guard ends the loop should the drain not reach the entry)
    const reached = <i32>(load<u32>(seqAt) - start);
    if (reached <= <i32>upTo) return;
    from = <u32>reached;
  }
  if (load<u32>(ds + H_REORDER) != 0) roDrain(ds, r, isOrig);
}

/** Delivers the held segments of a direction that the stream has now reached. */
function roDrain(ds: usize, r: usize, isOrig: bool): void {
  const dir = isOrig ? RO_ORIG : RO_RESP;
  const seqAt = ds + (isOrig ? H_SEQ_O : H_SEQ_R);
  let progress = true;
  while (progress) {
    progress = false;
    const ro = <usize>load<u32>(ds + H_REORDER);
    if (ro == 0) break;
    let off: usize = RO_DATA;
    const end = RO_DATA + <usize>load<u32>(ro + RO_USED);
    while (off < end) {
      const e = ro + off;
      const d = load<u8>(e + 6);
      const len = <u32>load<u16>(e + 4);
      off += roEntrySize(len);
      if ((d & dir) == 0) continue;
      const next = load<u32>(seqAt);
      const rel = <i32>(load<u32>(e) - next);
      if (rel > 0) continue;
      store<u8>(e + 6, 0);
      progress = true;
      const skip = <u32>(-rel);
      if (skip < len) {
        store<u32>(seqAt, next + (len - skip));
        streamChunk(ds, r, isOrig, e + 8 + skip, len - skip);
      }
      break; // delivery may have changed the block: rescan
    }
  }
  roCompact(ds);
}

/** A content gap before the stream's next bytes: the live analyzers and the PIA's buffer learn of
 *  it (each analyzer decides whether it goes on), and the stream goes on after it. */
function reportGap(ds: usize, r: usize, isOrig: bool, len: u32): void {
  for (let m = liveMask(ds); m != 0; m &= m - 1) feedSlot(ds, r, <u32>ctz(m), K_GAP, isOrig, 0, len);
  if (load<u8>(ds + H_PIA_STATE) == PIA_BUFFERING) piaGap(ds, isOrig, len);
}

function streamChunk(ds: usize, r: usize, isOrig: bool, p: usize, n: u32): void {
  const seenAt = ds + (isOrig ? H_SEEN_O : H_SEEN_R);
  const seen = load<u32>(seenAt);
  store<u32>(seenAt, seen + n < seen ? 0xffffffff : seen + n);
  store<u32>(ds + H_FLAGS, load<u32>(ds + H_FLAGS) | (isOrig ? DF_UNACKED_O : DF_UNACKED_R));
  restarted = false;
  for (let m = liveMask(ds); m != 0; m &= m - 1) feedSlot(ds, r, <u32>ctz(m), K_STREAM, isOrig, p, n);
  if (!restarted && load<u8>(ds + H_PIA_STATE) == PIA_BUFFERING) piaChunk(ds, r, isOrig, p, n, false);
}

// ---------------------------------------------------------------- UDP

function udpPacket(ds: usize, r: usize, isOrig: bool): void {
  const n = P.payloadCapLen < P.payloadLen ? P.payloadCapLen : P.payloadLen;
  const p = P.payloadPtr;
  for (let m = liveMask(ds); m != 0; m &= m - 1) feedSlot(ds, r, <u32>ctz(m), K_DGRAM, isOrig, p, n);
  if (load<u8>(ds + H_PIA_STATE) == PIA_BUFFERING) piaChunk(ds, r, isOrig, p, n, true);
}

// ---------------------------------------------------------------- the PIA

function block(ds: usize): usize {
  const b = <usize>load<u32>(ds + H_BLOCK);
  return b != 0 ? b : newBlock(ds, 0);
}

/** A fresh block of tier t: no data, no signature matched, both automata at their start. */
function newBlock(ds: usize, t: u32): usize {
  const b = poolAlloc(tierPool(t));
  zeroSmall(b, B_DATA);
  store<u32>(b + B_DFA_O, DFA_START);
  store<u32>(b + B_DFA_R, DFA_START);
  store<u32>(ds + H_BLOCK, <u32>b);
  setTier(ds, t);
  return b;
}

// @ts-ignore: decorator
@inline function blockTier(ds: usize): u32 { return (load<u32>(ds + H_FLAGS) & DF_TIER) >> DF_TIER_SHIFT; }
// @ts-ignore: decorator
@inline function setTier(ds: usize, t: u32): void {
  store<u32>(ds + H_FLAGS, (load<u32>(ds + H_FLAGS) & ~DF_TIER) | (t << DF_TIER_SHIFT));
}

/** The smallest tier that holds `need` bytes (the largest holds what the PIA's limits let in). */
function tierFor(need: usize): u32 {
  let t: u32 = 0;
  while (t < BLOCK_TIERS - 1 && need > tierSize(t)) t++;
  return t;
}

/** The block, with room for `more` bytes of data after what it holds (moved to a larger one). A
 *  block's first chunk, often larger than the smallest tier (a request, a TLS hello), takes a
 *  block of its size at once. */
function blockWithRoom(ds: usize, more: u32): usize {
  const b = <usize>load<u32>(ds + H_BLOCK);
  if (b == 0) return newBlock(ds, tierFor(B_DATA + <usize>more));
  const used = load<u32>(b + B_USED);
  const need = B_DATA + <usize>(used + more);
  if (need <= tierSize(blockTier(ds))) return b;
  const t = tierFor(need);
  const bigger = poolAlloc(tierPool(t));
  memory.copy(bigger, b, B_DATA + <usize>used);
  freeBlock(ds, b);
  store<u32>(ds + H_BLOCK, <u32>bigger);
  setTier(ds, t);
  return bigger;
}

function freeBlock(ds: usize, b: usize): void {
  poolFree(tierPool(blockTier(ds)), b);
}

function stopPia(ds: usize): void {
  store<u8>(ds + H_PIA_STATE, PIA_SKIPPING);
  const b = <usize>load<u32>(ds + H_BLOCK);
  if (b != 0) {
    freeBlock(ds, b);
    store<u32>(ds + H_BLOCK, 0);
  }
}

/** A nested PIA (HTTP CONNECT): a fresh buffer and fresh signature state for the tunneled stream. */
function restartPia(ds: usize): void {
  stopPia(ds);
  store<u8>(ds + H_PIA_STATE, PIA_BUFFERING);
  store<u32>(ds + H_PIA_BYTES, 0);
  store<u16>(ds + H_PIA_CHUNKS, 0);
  store<u8>(ds + H_DEPTH, load<u8>(ds + H_DEPTH) + 1);
}

/** Counts one chunk; returns false once the buffer is past its limits (matching this chunk still). */
function piaCount(ds: usize, n: u32): bool {
  const bytes = load<u32>(ds + H_PIA_BYTES) + n;
  const chunks = <u32>load<u16>(ds + H_PIA_CHUNKS) + 1;
  store<u32>(ds + H_PIA_BYTES, bytes);
  store<u16>(ds + H_PIA_CHUNKS, <u16>(chunks > 0xffff ? 0xffff : chunks));
  return bytes <= DPD_BUFFER_SIZE && chunks <= DPD_MAX_PACKETS;
}

/** A gap in the PIA's buffer, with its length for a replay. */
function piaGap(ds: usize, isOrig: bool, len: u32): void {
  const b = blockWithRoom(ds, GAP_SEG_SIZE);
  if (piaCount(ds, 0)) {
    const used = load<u32>(b + B_USED);
    store<u16>(b + B_DATA + used, <u16>(SEG_GAP | (isOrig ? SEG_ORIG : 0)));
    store<u32>(b + B_DATA + used + 2, len);
    store<u32>(b + B_USED, used + GAP_SEG_SIZE);
  } else {
    stopPia(ds);
  }
}

/** The chunk being matched, for replay to an analyzer attached by a signature. */
let curOrig = false;
let curPtr: usize = 0;
let curLen: u32 = 0;
let curStored = false;
let curUdp = false;

function piaChunk(ds: usize, r: usize, isOrig: bool, p: usize, n: u32, udp: bool): void {
  if (n == 0) return;
  const keep = piaCount(ds, n);
  const b = keep ? blockWithRoom(ds, 2 + n) : block(ds);
  if (keep) {
    const used = load<u32>(b + B_USED);
    store<u16>(b + B_DATA + used, <u16>((isOrig ? SEG_ORIG : 0) | n));
    memory.copy(b + B_DATA + used + 2, p, n);
    store<u32>(b + B_USED, used + 2 + n);
  }
  curOrig = isOrig; curPtr = p; curLen = n; curStored = keep; curUdp = udp;
  const t: u32 = udp ? 1 : 0;
  const d: u32 = isOrig ? 0 : 1;
  const dfaAt = b + (isOrig ? B_DFA_O : B_DFA_R);
  const started = load<u8>(b + B_STARTED);
  const bit: u8 = isOrig ? 1 : 2;
  if ((started & bit) == 0) {
    store<u8>(b + B_STARTED, started | bit);
    store<u32>(b + (isOrig ? B_SIZE_O : B_SIZE_R), n);
  }
  // UDP: each datagram is matched from its start (Zeek clears the matcher state per packet)
  if (udp) {
    store<u32>(dfaAt, DFA_START);
    store<u32>(b + (isOrig ? B_SIZE_O : B_SIZE_R), n);
  }
  const state = load<u32>(dfaAt);
  if (state != DFA_DEAD) {
    dfaMatched = 0;
    store<u32>(dfaAt, dfaRun(sigAutomaton(t, d), state, p, n));
    const matched = dfaMatched;
    if (matched != 0) {
      const patAt = b + (isOrig ? B_PAT_O : B_PAT_R);
      store<u64>(patAt, load<u64>(patAt) | matched);
      let bits = matched;
      while (bits != 0) {
        const i = <u32>ctz(bits);
        bits &= bits - 1;
        tryFire(ds, r, b, t, i, isOrig);
        // an activated analyzer may have restarted the PIA (and freed this block)
        if (<usize>load<u32>(ds + H_BLOCK) != b) return;
      }
    }
  }
  // SSH and FTP only: stop as soon as neither can be enabled (most responders' first byte says so)
  if (!keep || !detectProtocols && !udp && !canStillEnable(b, t)) stopPia(ds);
}

/**
 * Can a signature that enables an analyzer still fire? One fires once its pattern has matched
 * and the signature it requires in the other direction has fired; a pattern can still match while
 * the automaton of its direction is alive. With SSH's and FTP's signatures only (a run without
 * protocol detection), the responder's first bytes decide it for nearly every connection. TCP
 * only: UDP matches each datagram afresh.
 */
function canStillEnable(b: usize, t: u32): bool {
  const fired = load<u64>(b + B_FIRED_O) | load<u64>(b + B_FIRED_R);
  const done = fired | load<u64>(b + B_PAT_O) | load<u64>(b + B_PAT_R);
  const aliveO = load<u32>(b + B_DFA_O) != DFA_DEAD;
  const aliveR = load<u32>(b + B_DFA_R) != DFA_DEAD;
  const total = sigTotal(t);
  for (let i: u32 = 0; i < total; i++) {
    if (sigEnableOf(t, i) == 0 || (fired & (<u64>1 << i)) != 0) continue;
    if (!mayMatch(t, i, done, aliveO, aliveR)) continue;
    const rev = sigReverseOf(t, i);
    if (rev < 0 || mayMatch(t, <u32>rev, done, aliveO, aliveR)) return true;
  }
  return false;
}

/** Has signature i's pattern matched, or can it still match? */
function mayMatch(t: u32, i: u32, done: u64, aliveO: bool, aliveR: bool): bool {
  if ((done & (<u64>1 << i)) != 0) return true;
  const dir = sigDirOf(t, i);
  return (dir != SIG_RESP && aliveO) || (dir != SIG_ORIG && aliveR);
}

/** Zeek's RuleMatcher: a rule fires when its pattern matched and its conditions hold. */
function tryFire(ds: usize, r: usize, b: usize, t: u32, i: u32, isOrig: bool): void {
  const bit = <u64>1 << i;
  const firedAt = b + (isOrig ? B_FIRED_O : B_FIRED_R);
  const otherAt = b + (isOrig ? B_FIRED_R : B_FIRED_O);
  if (((load<u64>(firedAt) | load<u64>(otherAt)) & bit) != 0) return;
  if ((load<u64>(b + (isOrig ? B_PAT_O : B_PAT_R)) & bit) == 0) return;
  const dir = sigDirOf(t, i);
  if ((dir == SIG_ORIG && !isOrig) || (dir == SIG_RESP && isOrig)) return;
  if (sigCondOf(t, i) == COND_SIZE_1232 && load<u32>(b + (isOrig ? B_SIZE_O : B_SIZE_R)) != 1232) return;
  const rev = sigReverseOf(t, i);
  if (rev >= 0 && (load<u64>(otherAt) & (<u64>1 << rev)) == 0) return;
  store<u64>(firedAt, load<u64>(firedAt) | bit);
  const en = sigEnableOf(t, i);
  if (en != 0) activate(ds, r, en);
  if (<usize>load<u32>(ds + H_BLOCK) != b) return;
  let deps = sigDependentsOf(t, i);
  while (deps != 0) {
    const j = <u32>ctz(deps);
    deps &= deps - 1;
    tryFire(ds, r, b, t, j, isOrig);
    if (<usize>load<u32>(ds + H_BLOCK) != b) return;
    tryFire(ds, r, b, t, j, !isOrig);
    if (<usize>load<u32>(ds + H_BLOCK) != b) return;
  }
}

/** Attach analyzer id (unless live) and replay the PIA's buffer to it. */
function activate(ds: usize, r: usize, id: u32): void {
  if (hasLive(ds, id)) return;
  const s = attach(ds, id, IF_SIG);
  if (s < 0) return;
  const slot = <u32>s;
  const b = <usize>load<u32>(ds + H_BLOCK);
  const udp = curUdp;
  // copy what the replay needs: the analyzer could restart the PIA while it parses
  const isOrig = curOrig, p = curPtr, n = curLen, stored = curStored;
  let off: usize = B_DATA;
  const end = B_DATA + <usize>load<u32>(b + B_USED);
  while (off < end) {
    if (<usize>load<u32>(ds + H_BLOCK) != b) return;
    const h = <u32>load<u16>(b + off);
    const o = (h & SEG_ORIG) != 0;
    if (h & SEG_GAP) feedSlot(ds, r, slot, K_GAP, o, 0, load<u32>(b + off + 2));
    else feedSlot(ds, r, slot, udp ? K_DGRAM : K_STREAM, o, b + off + 2, h & 0x3fff);
    off += segSize(h);
  }
  if (!stored && <usize>load<u32>(ds + H_BLOCK) == b) feedSlot(ds, r, slot, udp ? K_DGRAM : K_STREAM, isOrig, p, n);
}
