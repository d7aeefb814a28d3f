// TCP endpoint state machine of one connection, as Zeek does it (read from Zeek 9.1-dev source).
// Owns the per-connection TCP state block (TCP_STATE_SIZE bytes at `st`); reads the current
// packet from ../packet.ts. Allocates nothing.
//
// RULES (file/function names are in the zeek/zeek repository)
// Packet order, per packet of an existing connection (IPBasedAnalyzer::AnalyzePacket):
//  1. Timers with time <= packet time fire first (PQ_TimerMgr::DoAdvance: `Time() <= new_t`,
//     run before the packet). A packet at t >= tcpDeadline() finds the connection gone.
//  2. Connection::IsReuse -> TCPSessionAdapter::IsReuse (tcpIsReuse): only a packet with SYN can
//     reuse. SYN+ACK only while orig is INACTIVE (then compared with resp). If neither side has
//     closed (did_close): reuse unless seq == that endpoint's start seq (retransmission), or the
//     SYN/SYN-ACK reversal case (orig SYN_ACK_SENT, resp INACTIVE, seq == resp start). If either
//     side has closed (FIN or RST processed): EVERY SYN is reuse, same ISN or not (zeek/pop3:
//     three SYNs with one ISN, each answered by RST, are three REJ connections). Direction of
//     the SYN does not matter.
//  3. Roles flip when a SYN-ACK was all there was (history exactly "H") and an ACK or data
//     segment arrives in either direction (zeek PR #2191; baseline core.tcp.flip-without-syn:
//     "^hADadFf", orig_pkts 6 / orig_ip_bytes 448 only add up if the flip happens before the
//     packet's direction is taken, with the ConnSize counters swapped). History becomes "^h".
//     I could not find the code of this flip in the stored sources; the trigger
//     (no SYN/FIN/RST, ACK or payload) is inferred from the PR text.
//  4. TCPAnalyzer::DeliverPacket: bad checksum (unless -C) -> 'C'/'c' at counts 1,10,100..
//     (TCP_Endpoint::ChecksumError) and NOTHING else: no state, no last_time, not counted in
//     *_pkts/*_ip_bytes (docs: advanced/devel/conn "Checksum Behavior").
//  5. TCPSessionAdapter::Process: init_endpoint, history (update_history), zero window 'W'
//     (update_window: window 0, no RST, peer not CLOSED, self not RESET), last_time = t unless
//     both sides did_close (so the final ACK of a FIN exchange is not in the duration),
//     ack bookkeeping (init_peer / update_ack_seq), update_last_seq ('T' retransmission: seq
//     not advancing with payload, not in RESET state), UpdateStateMachine, AckReceived (gaps),
//     DataSent (reassembly), ConnectionClosed.
// History (update_history, TCP_Endpoint::CheckHistory, Session::CheckHistory/ScaledHistoryEntry):
//   upper case orig, lower case resp (by the endpoint's role at that moment); one hist_seen
//   bit mask per connection (resp bits << 16, NOT swapped on a flip). SYN+FIN/SYN+RST 'Q',
//   FIN+RST 'I' (once). Lone SYN: 'S' (no ACK) or 'H' (ACK) share one mask: first time added,
//   later again only if rel seq != last SYN's rel seq. 'F' compares rel_seq+len, 'R' rel_seq.
//   No control flag: 'D' if payload, else 'A' if ACK (once each). C,T,W,G at counts 1,10,100...
//   A flip (Connection::FlipRoles) appends '^' and does NOT change the case of earlier letters.
// Endpoint states (TCPSessionAdapter::Update*State): INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
//   ESTABLISHED, CLOSED, RESET; the SYN/SYN-ACK reversal flips roles in the middle of a packet
//   (UpdateInactiveState); that packet is then counted on its pre-flip side (ConnSize flipped,
//   is_orig stale) -> TCP_COUNT_ORIG reports which side to count.
// Timeouts (defaults scripts/base/init-bare.zeek):
//   - Inactivity (Session::InactivityTimer: removed when last_time + timeout <= t):
//     TCPAnalyzer::MakeSessionAdapter sets udp_inactivity_timeout (60 s). TCP_Endpoint::SetState
//     switches to tcp_inactivity_timeout (300 s) at the first transition of an endpoint from a
//     handshake state (INACTIVE/SYN_SENT/SYN_ACK_SENT) to any other state (PARTIAL, ESTABLISHED,
//     CLOSED, RESET) while its peer is still in a handshake state; i.e. from the first moment
//     either side is out of the handshake states. Never switches back.
//     base/protocols/conn/inactivity.zeek: on connection_established (resp answers a SYN with
//     SYN-ACK and orig is not PARTIAL) 1 h if resp_p is 21/22/23/513 (or, orig INACTIVE, resp_p
//     not a likely server port and orig_p is); on SSH/FTP confirmation 1 h (caller:
//     tcpSetInactivityTimeout).
//   - Attempt (AttemptTimer, tcp_attempt_delay 5 s): scheduled when the ORIG leaves INACTIVE with
//     a SYN or SYN-ACK; at fire time removes if orig SYN_SENT/SYN_ACK_SENT and resp INACTIVE.
//     SYN retransmissions do not move it; one after it fired starts a new connection.
//   - Close (ConnectionClosed): when an endpoint closes (FIN or RST processed) and the close is
//     complete (it RST, or peer already closed, or peer INACTIVE): all analyzer timers are
//     cancelled and the connection is deleted at last_time + tcp_close_delay (5 s),
//     unconditionally: later packets do not delay it (only SYNs reach a new connection before).
//     A second complete close (the other side) cancels and re-schedules it.
//   - RST after own FIN while peer not CLOSED (UpdateClosedState): ResetTimer t + 5 s, removes if
//     still active (since zeek PR #5860 independent of a connection_reset handler).
//   - ExpireTimer (tcp_SYN_timeout 5 s after creation, then every tcp_session_timer 6 s after
//     dispatch): removes when last_time + 5 s < t and (both endpoints INACTIVE -- only bad-checksum
//     packets seen -- or a side closed and [both closed | a RESET | an INACTIVE side]).
//     Modelled assuming the timer is dispatched by a packet of this connection.
//   - tcp_partial_close_delay only matters with a connection_partial_close handler (none in base).
// Bytes (TCP_Endpoint::Size): max(last_seq, ack_seq from peer) - start - 1 (SYN octet, also for
//   partial connections whose start is seq-1) - 1 if a FIN was seen; 32-bit wraps counted when
//   last/ack move forward past 2^32; 0 for SYN_SENT->RESET with INACTIVE peer and data acked.
// conn_state: base/protocols/conn/main.zeek conn_state() (PARTIAL counts as inactive).
// Gaps ('G', missed_bytes): TCP_Reassembler::AckReceived/Undelivered/Gap: an ack beyond the
//   data seen (in order) reports a gap if both endpoints are ESTABLISHED (or CLOSED from
//   ESTABLISHED); a payload cut by the snaplen is not seen by the reassembler.
// Not modelled: reassembly deferral of closes (DataPending with holes), skip_deliveries limits,
//   out-of-order data beyond one pending range per direction, hist values equal mod 2^32,
//   history longer than HIST_CAP letters (later letters dropped).

import {
  tcpFlags, tcpSeq, tcpAck, tcpWindow, payloadLen, payloadCapLen, l4ChecksumBad,
  srcPort, dstPort, pktTs, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK,
} from "../packet";
import { ignoreChecksums } from "../config";
import { wantsRecords } from "../records";
import { zeroSmall } from "../small";
import {
  holesAlloc, holesFree, holesSide, holesCount, holesInsert, holesAbsorb,
  holesFirstBelow, holesFirstLo, holesFirstHi, holesDropFirst,
} from "./holes";

/** Bytes of TCP state per connection: four cache lines (layout below). */
export const TCP_STATE_SIZE: u32 = 256;

/** tcpPacket result bits. TCP_FLIP: roles flipped during this packet; the TCP state is already
 *  swapped -- the caller swaps addresses/ports and its orig/resp packet+byte counters; a tcpSwap
 *  call right after (before the next tcpPacket) is accepted and does nothing. */
export const TCP_FLIP: u32 = 1;
/** tcpPacket result bit: count this packet (pkts, IP bytes) on the originator side (after the swap). */
export const TCP_COUNT_ORIG: u32 = 2;
/** tcpPacket result bit: bad checksum; Zeek counts neither packet nor bytes and keeps last_time. */
export const TCP_NOT_COUNTED: u32 = 4;

// Endpoint states, Zeek's numbering (TCP_ENDPOINT_*, script constants TCP_INACTIVE ...).
export const TCP_INACTIVE: u8 = 0;
export const TCP_SYN_SENT: u8 = 1;
export const TCP_SYN_ACK_SENT: u8 = 2;
export const TCP_PARTIAL: u8 = 3;
export const TCP_ESTABLISHED: u8 = 4;
export const TCP_CLOSED: u8 = 5;
export const TCP_RESET: u8 = 6;

// conn_state codes (tcpConnState), names via tcpConnStateName.
export const CS_S0: u32 = 0;
export const CS_S1: u32 = 1;
export const CS_SF: u32 = 2;
export const CS_REJ: u32 = 3;
export const CS_S2: u32 = 4;
export const CS_S3: u32 = 5;
export const CS_RSTO: u32 = 6;
export const CS_RSTR: u32 = 7;
export const CS_RSTOS0: u32 = 8;
export const CS_RSTRH: u32 = 9;
export const CS_SH: u32 = 10;
export const CS_SHR: u32 = 11;
export const CS_OTH: u32 = 12;

// ---- times (ns)
const SEC: i64 = 1_000_000_000;
const NEVER: i64 = i64.MAX_VALUE;
const ATTEMPT_DELAY: i64 = 5 * SEC;   // tcp_attempt_delay
const CLOSE_DELAY: i64 = 5 * SEC;     // tcp_close_delay
const RESET_DELAY: i64 = 5 * SEC;     // tcp_reset_delay
const SYN_TIMEOUT: i64 = 5 * SEC;     // tcp_SYN_timeout (first ExpireTimer)
const SESSION_TIMER: i64 = 6 * SEC;   // tcp_session_timer (ExpireTimer period)
const LINGER: i64 = 5 * SEC;          // tcp_connection_linger
const UDP_TIMEOUT_S: u32 = 60;        // udp_inactivity_timeout, used until the handshake is left
const TCP_TIMEOUT_S: u32 = 300;       // tcp_inactivity_timeout
const LONG_TIMEOUT_S: u32 = 3600;     // port_inactivity_timeouts / analyzer_inactivity_timeouts
const TOO_LARGE_SEQ_DELTA: i32 = 1048576;

// ---- layout: what every packet reads on the first two lines, the rest on the last two.
// Line 0: the two endpoints' hot fields (32 bytes each). Line 1: the connection's timers and
// flags, and the first history letters. Line 2: the later history letters and missed bytes.
// Line 3: the endpoints' cold fields (32 bytes each, at e + 192: the endpoints stay 32 bytes
// apart there too), read by SYN, FIN and RST packets, after a FIN and for rare events. A packet
// of an established connection thus loads two lines of TCP state, not three, and a short
// connection's history letters are written on a line its packets load anyway (top --by src on the
// bench capture: 0.832 -> 0.817 s, medians of 20 alternating runs; a million connections: no change).
const EP_SIZE: usize = 32;
const E_STATE: usize = 0;     // u8
const E_PREV: usize = 1;      // u8 prev_state
const E_FLAGS: usize = 2;     // u8 EF_*
const E_START: usize = 4;     // u32 start_seq
const E_LAST: usize = 8;      // u32 last_seq (one past the last seq seen)
const E_ACK: usize = 12;      // u32 ack_seq (highest ack of this side's data by the peer)
const E_SEQW: usize = 16;     // u32 seq_wraps
const E_ACKW: usize = 20;     // u32 ack_wraps
const E_LRS: usize = 24;      // u32 reassembler last_reassem_seq, relative
const E_TRIM: usize = 28;     // u32 reassembler trim_seq, relative
const E_COLD: usize = 192;    // line 3
const E_HSYN: usize = E_COLD;      // u32 hist_last_SYN (low 32 bits)
const E_HFIN: usize = E_COLD + 4;  // u32 hist_last_FIN
const E_HRST: usize = E_COLD + 8;  // u32 hist_last_RST
const E_FINSEQ: usize = E_COLD + 12; // u32 FIN_seq, relative
const E_CHK: usize = E_COLD + 16;  // u32 bad checksum count
const E_RXMT: usize = E_COLD + 20; // u32 retransmission count
const E_WIN0: usize = E_COLD + 24; // u32 zero window count
const E_GAP: usize = E_COLD + 28;  // u32 gap count
const EF_DID_CLOSE: u8 = 1;
const EF_FIN_SEEN: u8 = 2;
const EF_OOO: u8 = 4;         // out-of-order ranges pending in the holes block

const C_LAST: usize = 64;     // i64 Zeek's last_time (ns)
const C_ATTEMPT: usize = 72;  // i64 pending AttemptTimer, NEVER if none
const C_DELETE: usize = 80;   // i64 pending ConnDeleteTimer
const C_RESET: usize = 88;    // i64 pending ResetTimer
const C_EXPIRE: usize = 96;   // i64 next ExpireTimer
const C_TIMEOUT: usize = 104; // u32 inactivity timeout, seconds
const C_HSEEN: usize = 108;   // u32 hist_seen
const C_HOLES: usize = 112;   // u32 holes block (holes.ts), 0 if none
const C_FLAGS: usize = 116;   // u8 CF_*
const C_HLEN: usize = 117;    // u8 history length
// the letters last: a connection's first ten are on line 1, and they are written only when a
// letter is added (a few times per connection)
const C_HIST: usize = 118;    // history letters
const HIST_CAP: u32 = 50;     // 118 + 50 = 168
const C_MISSED: usize = 168;  // u64 missed_bytes
const CF_SWAPPED: u8 = 1;     // slot 1 is the originator
const CF_ACTIVE: u8 = 2;      // TCPSessionAdapter::is_active
const CF_PARTIAL: u8 = 4;     // TCPSessionAdapter::is_partial
const CF_SEEN_ORIG: u8 = 8;   // first_packet_seen & ORIG
const CF_SEEN_RESP: u8 = 16;  // first_packet_seen & RESP
const CF_FLIP_DONE: u8 = 32;  // tcpPacket flipped; the caller's tcpSwap right after is a no-op

// history masks (TCP_Endpoint::HistoryMasks)
const HIST_SYN_PKT: u32 = 0x1;
const HIST_FIN_PKT: u32 = 0x2;
const HIST_RST_PKT: u32 = 0x4;
const HIST_FIN_RST_PKT: u32 = 0x8;
const HIST_DATA_PKT: u32 = 0x10;
const HIST_ACK_PKT: u32 = 0x20;
const HIST_MULTI_FLAG_PKT: u32 = 0x40;

// per-packet scratch
let gUnderflow: bool = false;
let gDoClose: bool = false;
let gGenEvent: bool = false;
let gFlippedMid: bool = false;

// likely_server_ports, tcp part (default scripts; shared/captures/zeek/likely_server_ports.txt)
const LIKELY_TCP: usize = memory.data<u16>([
  21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587,
  614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222,
  5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
]);
const LIKELY_TCP_N: u32 = 49;

// ---------------------------------------------------------------- small helpers

@inline function flagsOf(st: usize): u8 { return load<u8>(st + C_FLAGS); }
@inline function setFlag(st: usize, f: u8, on: bool): void {
  const v = load<u8>(st + C_FLAGS);
  store<u8>(st + C_FLAGS, on ? (v | f) : (v & ~f));
}
@inline function epOrig(st: usize): usize { return (flagsOf(st) & CF_SWAPPED) != 0 ? st + EP_SIZE : st; }
@inline function epResp(st: usize): usize { return (flagsOf(st) & CF_SWAPPED) != 0 ? st : st + EP_SIZE; }
@inline function epPeer(st: usize, e: usize): usize { return e == st ? st + EP_SIZE : st; }
@inline function isOrigEp(st: usize, e: usize): bool { return e == epOrig(st); }
@inline function state(e: usize): u8 { return load<u8>(e + E_STATE); }
@inline function prevState(e: usize): u8 { return load<u8>(e + E_PREV); }
@inline function eflag(e: usize, f: u8): bool { return (load<u8>(e + E_FLAGS) & f) != 0; }
@inline function setEflag(e: usize, f: u8, on: bool): void {
  const v = load<u8>(e + E_FLAGS);
  store<u8>(e + E_FLAGS, on ? (v | f) : (v & ~f));
}
@inline function didClose(e: usize): bool { return eflag(e, EF_DID_CLOSE); }
@inline function seqDelta(a: u32, b: u32): i32 { return <i32>(a - b); }
@inline function isHandshake(s: u8): bool {
  return s == TCP_INACTIVE || s == TCP_SYN_SENT || s == TCP_SYN_ACK_SENT;
}
@inline function lower(c: u8): u8 { return c >= 0x41 && c <= 0x5a ? c + 0x20 : c; }

function isPow10(n: u32): bool {
  return n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000 || n == 100000 ||
    n == 1000000 || n == 10000000 || n == 100000000 || n == 1000000000;
}

function likelyTcpPort(p: u32): bool {
  for (let i: u32 = 0; i < LIKELY_TCP_N; i++) {
    if (<u32>load<u16>(LIKELY_TCP + (<usize>i << 1)) == p) return true;
  }
  return false;
}

// ---------------------------------------------------------------- history

function addHist(st: usize, c: u8): void {
  const n = <u32>load<u8>(st + C_HLEN);
  if (n >= HIST_CAP) return;
  store<u8>(st + C_HIST + n, c);
  store<u8>(st + C_HLEN, <u8>(n + 1));
}

/** Endpoint::AddHistory: the letter in the endpoint's current case. */
function epAddHist(st: usize, e: usize, code: u8): void {
  addHist(st, isOrigEp(st, e) ? code : lower(code));
}

/** Endpoint::CheckHistory: add the letter the first time the mask is seen; true if seen before. */
function checkHist(st: usize, e: usize, mask: u32, code: u8): bool {
  let m = mask;
  let c = code;
  if (!isOrigEp(st, e)) { m <<= 16; c = lower(c); }
  const seen = load<u32>(st + C_HSEEN);
  if ((seen & m) == 0) {
    store<u32>(st + C_HSEEN, seen | m);
    addHist(st, c);
    return false;
  }
  return true;
}

/** ScaledHistoryEntry: letter at counts 1, 10, 100, ... */
function scaledHist(st: usize, e: usize, cntOff: usize, code: u8): void {
  const n = load<u32>(e + cntOff) + 1;
  store<u32>(e + cntOff, n);
  if (isPow10(n)) epAddHist(st, e, code);
}

// ---------------------------------------------------------------- roles

/** Connection::FlipRoles for TCP: swap roles (the endpoints keep their data), first_packet_seen
 *  swapped, is_partial cleared, '^' appended. */
function flipRoles(st: usize): void {
  const f = flagsOf(st);
  let nf: u8 = (f ^ CF_SWAPPED) & ~(CF_PARTIAL | CF_SEEN_ORIG | CF_SEEN_RESP);
  if ((f & CF_SEEN_ORIG) != 0) nf |= CF_SEEN_RESP;
  if ((f & CF_SEEN_RESP) != 0) nf |= CF_SEEN_ORIG;
  store<u8>(st + C_FLAGS, nf);
  addHist(st, 0x5e); // '^'
}

// ---------------------------------------------------------------- endpoint bookkeeping

/** TCP_Endpoint::SetState, with the switch to tcp_inactivity_timeout when the handshake is left. */
function setState(st: usize, e: usize, ns: u8): void {
  const cur = state(e);
  if (ns == cur) return;
  if (!isHandshake(ns) && isHandshake(cur) && isHandshake(state(epPeer(st, e)))) {
    store<u32>(st + C_TIMEOUT, TCP_TIMEOUT_S);
  }
  store<u8>(e + E_PREV, cur);
  store<u8>(e + E_STATE, ns);
}

function initSeqs(e: usize, start: u32, last: u32): void {
  store<u32>(e + E_START, start);
  store<u32>(e + E_ACK, start);
  store<u32>(e + E_LAST, last);
}

/** init_endpoint */
function initEndpoint(e: usize, flags: u32, seq: u32, onePast: u32): void {
  const s = state(e);
  const syn = (flags & TCP_SYN) != 0;
  if (s == TCP_INACTIVE) {
    if (syn) initSeqs(e, seq, onePast);
    else initSeqs(e, seq - 1, seq);
  } else if (s == TCP_SYN_SENT || s == TCP_SYN_ACK_SENT) {
    if (syn && seq != load<u32>(e + E_START)) initSeqs(e, seq, onePast);
  } else if (s == TCP_ESTABLISHED || s == TCP_PARTIAL) {
    if (syn) initSeqs(e, seq, onePast);
  } else if (s == TCP_RESET) {
    if (syn && prevState(e) == TCP_INACTIVE) initSeqs(e, seq, onePast);
  }
}

/** get_relative_seq; returns the low 32 bits, sets gUnderflow. */
function relSeqOf(e: usize, cur: u32, last: u32, wraps: u32): u32 {
  const d = seqDelta(cur, last);
  let w = wraps;
  if (d < 0) { if (w != 0 && cur > last) --w; }
  else if (d > 0) { if (cur < last) ++w; }
  gUnderflow = w == 0 && seqDelta(cur, load<u32>(e + E_START)) < 0;
  return cur - load<u32>(e + E_START);
}

/** update_last_seq; returns delta_last. */
// @ts-ignore: decorator
@inline function updateLastSeq(st: usize, e: usize, lastSeq: u32, flags: u32, len: u32): i32 {
  const cur = load<u32>(e + E_LAST);
  const d = seqDelta(lastSeq, cur);
  if ((flags & (TCP_SYN | TCP_RST)) != 0 && (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA)) {
    // untrusted jump
  } else if ((flags & TCP_FIN) != 0 && cur == load<u32>(e + E_START) + 1) {
    advanceLast(e, lastSeq);
  } else if (state(e) == TCP_RESET) {
    // no trust after a RST
  } else if (d > 0) {
    advanceLast(e, lastSeq);
  } else if (len > 0) {
    scaledHist(st, e, E_RXMT, 0x54); // 'T'
  }
  return d;
}

@inline function advanceLast(e: usize, seq: u32): void {
  if (seq < load<u32>(e + E_LAST)) store<u32>(e + E_SEQW, load<u32>(e + E_SEQW) + 1);
  store<u32>(e + E_LAST, seq);
}

/** update_ack_seq (on the peer) */
function updateAckSeq(e: usize, ack: u32): void {
  const cur = load<u32>(e + E_ACK);
  const d = seqDelta(ack, cur);
  if (ack == 0 && d > TOO_LARGE_SEQ_DELTA) return;
  if (d > 0) {
    if (ack < cur) store<u32>(e + E_ACKW, load<u32>(e + E_ACKW) + 1);
    store<u32>(e + E_ACK, ack);
  }
}

function updateHistory(st: usize, e: usize, flags: u32, relSeq: u32, len: u32): void {
  const syn = (flags & TCP_SYN) != 0;
  const fin = (flags & TCP_FIN) != 0;
  const rst = (flags & TCP_RST) != 0;
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) checkHist(st, e, HIST_FIN_RST_PKT, 0x49); // 'I'
    else checkHist(st, e, HIST_MULTI_FLAG_PKT, 0x51);         // 'Q'
  } else if (bits == 1) {
    if (syn) {
      const code: u8 = (flags & TCP_ACK) != 0 ? 0x48 : 0x53; // 'H' : 'S'
      if (checkHist(st, e, HIST_SYN_PKT, code) && relSeq != load<u32>(e + E_HSYN)) epAddHist(st, e, code);
      store<u32>(e + E_HSYN, relSeq);
    }
    if (fin) {
      const v = relSeq + len;
      if (checkHist(st, e, HIST_FIN_PKT, 0x46) && v != load<u32>(e + E_HFIN)) epAddHist(st, e, 0x46);
      store<u32>(e + E_HFIN, v);
    }
    if (rst) {
      if (checkHist(st, e, HIST_RST_PKT, 0x52) && relSeq != load<u32>(e + E_HRST)) epAddHist(st, e, 0x52);
      store<u32>(e + E_HRST, relSeq);
    }
  } else {
    plainHistory(st, e, flags, len);
  }
}

/** update_history for a segment without SYN, FIN or RST: 'D' if it carries data, else 'A' if it
 *  acks (once each). */
// @ts-ignore: decorator
@inline function plainHistory(st: usize, e: usize, flags: u32, len: u32): void {
  if (len != 0) checkHist(st, e, HIST_DATA_PKT, 0x44);                      // 'D'
  else if ((flags & TCP_ACK) != 0) checkHist(st, e, HIST_ACK_PKT, 0x41);    // 'A'
}

/** The ack of a segment to peer p that is past its handshake's INACTIVE state: its relative value
 *  (0 when below the peer's start), and the peer's ack_seq moved unless the segment is a RST. */
// @ts-ignore: decorator
@inline function peerAck(p: usize, ackSeq: u32, rst: bool): u32 {
  const relAck = relSeqOf(p, ackSeq, load<u32>(p + E_ACK), load<u32>(p + E_ACKW));
  if (gUnderflow) return 0;
  if (!rst) updateAckSeq(p, ackSeq);
  return relAck;
}

// ---------------------------------------------------------------- reassembly (gaps only)

/** What the gap tracking finds, the 'G' letters and missed_bytes, only conn records show: a run
 *  without them (`top`) calls neither ackReceived nor dataSent. Nothing else reads their fields,
 *  and a 'G' cannot change the one rule that reads the history, the flip of a lone SYN-ACK (a
 *  history of just "H"), since a gap needs both sides established. */
// @ts-ignore: decorator
@inline function tracksGaps(): bool { return wantsRecords(); }

@inline function isClean(e: usize): bool {
  const s = state(e);
  return s == TCP_ESTABLISHED || (s == TCP_CLOSED && prevState(e) == TCP_ESTABLISHED);
}

/** TCP_Reassembler::Gap */
function gap(st: usize, e: usize, len: u32): void {
  if (len == 0) return;
  if (isClean(e) && isClean(epPeer(st, e))) {
    scaledHist(st, e, E_GAP, 0x47); // 'G'
    store<u64>(st + C_MISSED, load<u64>(st + C_MISSED) + <u64>len);
  }
}

/** The pending out-of-order ranges of endpoint e, allocating the block if asked. */
function holesOf(st: usize, e: usize, create: bool): usize {
  let b = <usize>load<u32>(st + C_HOLES);
  if (b == 0) {
    if (!create) return 0;
    b = holesAlloc();
    store<u32>(st + C_HOLES, <u32>b);
  }
  return holesSide(b, e == st ? 0 : 1);
}

/** TCP_Reassembler::Undelivered(up_to) as reached from TrimToSeq: every hole below up_to is a
 *  gap; the blocks between them are delivered. */
function undelivered(st: usize, e: usize, upTo: u32): void {
  if (upTo <= 2 && (flagsOf(st) & CF_PARTIAL) != 0) return;
  let lrs = load<u32>(e + E_LRS);
  if (eflag(e, EF_OOO)) {
    const side = holesOf(st, e, false);
    while (holesFirstBelow(side, upTo)) {
      const lo = holesFirstLo(side);
      if (seqDelta(lo, lrs) > 0) gap(st, e, lo - lrs);
      const hi = holesFirstHi(side);
      if (seqDelta(hi, lrs) > 0) lrs = hi;
      holesDropFirst(side);
    }
    if (holesCount(side) == 0) setEflag(e, EF_OOO, false);
  }
  if (seqDelta(upTo, lrs) > 0) {
    gap(st, e, upTo - lrs);
    lrs = upTo;
  }
  store<u32>(e + E_LRS, lrs);
}

/** TCP_Reassembler::AckReceived: the peer acked this endpoint's data up to relative `seq`. */
// @ts-ignore: decorator
@inline function ackReceived(st: usize, e: usize, seqIn: u32): void {
  let seq = seqIn;
  if (eflag(e, EF_FIN_SEEN)) {
    const fs = load<u32>(e + E_FINSEQ);
    if (seqDelta(seq, fs) >= 0) seq = fs - 1;
  }
  if (seqDelta(seq, load<u32>(e + E_TRIM)) <= 0) return;
  if (seqDelta(seq, load<u32>(e + E_LRS)) > 0) undelivered(st, e, seq);
  store<u32>(e + E_TRIM, seq);
}

/** TCP_Endpoint::DataSent -> TCP_Reassembler::DataSent -> NewBlock/BlockInserted */
function dataSent(st: usize, e: usize, seqIn: u32, len: u32, capLen: u32): void {
  if (capLen < len) return; // truncated payload never reaches the reassembler
  let seq = seqIn;
  const upper = seq + len;
  const ack = load<u32>(e + E_ACK) - load<u32>(e + E_START);
  if (seqDelta(ack, seq) > 0) {
    if (seqDelta(upper, ack) <= 0) return;
    seq = ack;
  }
  const trim = load<u32>(e + E_TRIM);
  if (seqDelta(upper, trim) <= 0) return;
  if (seqDelta(trim, seq) > 0) seq = trim;
  let lrs = load<u32>(e + E_LRS);
  if (seqDelta(seq, lrs) <= 0) {
    if (seqDelta(upper, lrs) > 0) {
      lrs = upper;
      if (eflag(e, EF_OOO)) {
        const side = holesOf(st, e, false);
        lrs = holesAbsorb(side, lrs);
        if (holesCount(side) == 0) setEflag(e, EF_OOO, false);
      }
      store<u32>(e + E_LRS, lrs);
    }
    return;
  }
  // above a hole: kept until the hole fills or an ack passes it
  holesInsert(holesOf(st, e, true), seq, upper);
  setEflag(e, EF_OOO, true);
}

// ---------------------------------------------------------------- state machine

function connectionReset(st: usize): void { setFlag(st, CF_ACTIVE, false); }

/** inactivity.zeek, event connection_established */
function establishedEvent(st: usize, sender: usize): void {
  const senderIsOrig = isOrigEp(st, sender);
  const origP = senderIsOrig ? srcPort : dstPort;
  const respP = senderIsOrig ? dstPort : srcPort;
  let svc = respP;
  if (state(epOrig(st)) == TCP_INACTIVE && !likelyTcpPort(respP) && likelyTcpPort(origP)) svc = origP;
  if (svc == 21 || svc == 22 || svc == 23 || svc == 513) store<u32>(st + C_TIMEOUT, LONG_TIMEOUT_S);
}

function updateInactiveState(st: usize, t: i64, e: usize, p: usize, baseSeq: u32, len: u32,
                             isOrig: bool, flags: u32): void {
  const syn = (flags & TCP_SYN) != 0;
  const ack = (flags & TCP_ACK) != 0;
  if (syn) {
    if (isOrig) {
      setState(st, e, ack ? TCP_SYN_ACK_SENT : TCP_SYN_SENT);
      const at = load<i64>(st + C_ATTEMPT);
      if (at == NEVER) store<i64>(st + C_ATTEMPT, t + ATTEMPT_DELAY);
    } else {
      if (!ack && state(p) == TCP_SYN_ACK_SENT && baseSeq == load<u32>(e + E_START)) {
        // SYN/SYN-ACK reversal: flip and establish
        flipRoles(st);
        gFlippedMid = true;
        setState(st, p, TCP_ESTABLISHED);
        setFlag(st, CF_SEEN_ORIG, true); // SetFirstPacketSeen(true)
      }
      if (state(p) == TCP_SYN_SENT) setState(st, p, TCP_ESTABLISHED);
      setState(st, e, TCP_ESTABLISHED);
      if (state(p) != TCP_PARTIAL) establishedEvent(st, e);
    }
  }
  if ((flags & TCP_FIN) != 0) {
    setState(st, e, TCP_CLOSED);
    gDoClose = true; gGenEvent = true;
  }
  if ((flags & TCP_RST) != 0) {
    setState(st, e, TCP_RESET);
    let reject = false;
    if (isOrig) reject = state(p) == TCP_ESTABLISHED;
    else reject = state(p) == TCP_SYN_SENT || state(p) == TCP_SYN_ACK_SENT;
    gDoClose = true;
    gGenEvent = !reject;
  }
  if (state(e) == TCP_INACTIVE) {
    if (!isOrig && len == 0 && state(epOrig(st)) == TCP_SYN_SENT) {
      // an ACK before the SYN-ACK: not a partial connection
    } else if (ack && state(p) == TCP_ESTABLISHED) {
      setState(st, e, TCP_ESTABLISHED);
      setFlag(st, CF_PARTIAL, false);
      setFlag(st, isOrigEp(st, e) ? CF_SEEN_ORIG : CF_SEEN_RESP, true);
    } else {
      setState(st, e, TCP_PARTIAL);
    }
  }
}

function updateSynSentState(st: usize, e: usize, flags: u32): void {
  if ((flags & TCP_FIN) != 0) {
    setState(st, e, TCP_CLOSED);
    gDoClose = true; gGenEvent = true;
  }
  if ((flags & TCP_RST) != 0) {
    setState(st, e, TCP_RESET);
    connectionReset(st);
    gDoClose = true;
  }
}

function updateEstablishedState(st: usize, e: usize, p: usize, flags: u32): void {
  if ((flags & TCP_SYN) != 0) {
    if (state(e) == TCP_PARTIAL && state(p) == TCP_INACTIVE && (flags & TCP_ACK) == 0) {
      setState(st, e, TCP_SYN_SENT);
    }
  }
  if ((flags & TCP_FIN) != 0 && (flags & TCP_RST) == 0) {
    setState(st, e, TCP_CLOSED);
    if (state(p) == TCP_RESET && prevState(p) == TCP_CLOSED) setState(st, p, TCP_CLOSED);
    gDoClose = true; gGenEvent = true;
  }
  if ((flags & TCP_RST) != 0) {
    setState(st, e, TCP_RESET);
    gDoClose = true;
    if (state(p) != TCP_RESET || prevState(p) != TCP_ESTABLISHED) connectionReset(st);
  }
}

function updateClosedState(st: usize, t: i64, e: usize, flags: u32): void {
  if ((flags & TCP_RST) != 0 && state(epPeer(st, e)) != TCP_CLOSED) {
    setState(st, e, TCP_RESET);
    if (!didClose(e)) gDoClose = true;
    store<i64>(st + C_RESET, t + RESET_DELAY);
  }
}

function updateStateMachine(st: usize, t: i64, e: usize, p: usize, baseSeq: u32, len: u32,
                            isOrig: bool, flags: u32): void {
  gDoClose = false;
  gGenEvent = false;
  const s = state(e);
  if (s == TCP_INACTIVE) updateInactiveState(st, t, e, p, baseSeq, len, isOrig, flags);
  else if (s == TCP_SYN_SENT || s == TCP_SYN_ACK_SENT) updateSynSentState(st, e, flags);
  else if (s == TCP_ESTABLISHED || s == TCP_PARTIAL) updateEstablishedState(st, e, p, flags);
  else if (s == TCP_CLOSED) updateClosedState(st, t, e, flags);
  // RESET: weirds only
}

/** TCPSessionAdapter::ConnectionClosed (no reassembly deferral) */
function connectionClosed(st: usize, e: usize, p: usize, genEvent: bool): void {
  if (didClose(e)) return;
  setEflag(e, EF_DID_CLOSE, true);
  const complete = state(e) == TCP_RESET || didClose(p) || state(p) == TCP_INACTIVE;
  if (!complete) return; // PartialCloseTimer needs a handler; extra ExpireTimer cannot remove
  if (prevState(e) != TCP_INACTIVE || state(p) != TCP_INACTIVE) {
    if (genEvent) setFlag(st, CF_ACTIVE, false); // ConnectionFinished
  }
  // CancelTimers, then ConnDeleteTimer at LastTime + tcp_close_delay
  store<i64>(st + C_ATTEMPT, NEVER);
  store<i64>(st + C_RESET, NEVER);
  store<i64>(st + C_EXPIRE, NEVER);
  store<i64>(st + C_DELETE, load<i64>(st + C_LAST) + CLOSE_DELAY);
}

/** Timers due at or before t fired before this packet without removing the connection. */
function fireTimers(st: usize, t: i64): void {
  if (load<i64>(st + C_ATTEMPT) <= t) store<i64>(st + C_ATTEMPT, NEVER);
  if (load<i64>(st + C_RESET) <= t) store<i64>(st + C_RESET, NEVER);
  if (load<i64>(st + C_DELETE) <= t) store<i64>(st + C_DELETE, NEVER);
  if (load<i64>(st + C_EXPIRE) <= t) {
    store<i64>(st + C_EXPIRE, (flagsOf(st) & CF_ACTIVE) != 0 ? t + SESSION_TIMER : NEVER);
  }
}

// ---------------------------------------------------------------- exports

/** A new TCP connection, before its first packet is applied; creation time = packet.ts pktTs. */
export function tcpInit(st: usize): void {
  zeroSmall(st, <usize>TCP_STATE_SIZE);
  const t = pktTs;
  store<u32>(st + E_LRS, 1); store<u32>(st + E_TRIM, 1);
  store<u32>(st + EP_SIZE + E_LRS, 1); store<u32>(st + EP_SIZE + E_TRIM, 1);
  store<i64>(st + C_LAST, t);
  store<i64>(st + C_ATTEMPT, NEVER);
  store<i64>(st + C_DELETE, NEVER);
  store<i64>(st + C_RESET, NEVER);
  store<i64>(st + C_EXPIRE, t + SYN_TIMEOUT);
  store<u32>(st + C_TIMEOUT, UDP_TIMEOUT_S);
  store<u8>(st + C_FLAGS, CF_ACTIVE);
}

/** The connection leaves the table: its out-of-order ranges go back to their pool. */
export function tcpRelease(st: usize): void {
  const b = <usize>load<u32>(st + C_HOLES);
  if (b != 0) { holesFree(b); store<u32>(st + C_HOLES, 0); }
}

/** Cache warming of a removal (table.ts listForRemoval): the line tcpRelease reads. */
// @ts-ignore: decorator
@inline export function tcpReleaseTouch(st: usize): u64 { return <u64>load<u32>(st + C_HOLES); }

/** TCPSessionAdapter::IsReuse for the current packet: must it end this connection and start a new
 *  one? (isOrig is unused: Zeek does not look at the direction.) */
export function tcpIsReuse(st: usize, isOrig: bool): bool {
  const flags = tcpFlags;
  if ((flags & TCP_SYN) == 0) return false;
  const o = epOrig(st);
  const r = epResp(st);
  let co = o;
  if ((flags & TCP_ACK) != 0) {
    if (state(o) != TCP_INACTIVE) return false;
    co = r;
  }
  if (!didClose(o) && !didClose(r)) {
    const seq = tcpSeq;
    if (seq == load<u32>(co + E_START)) return false;
    if ((flags & TCP_ACK) == 0 && state(co) == TCP_SYN_ACK_SENT && state(r) == TCP_INACTIVE &&
        seq == load<u32>(r + E_START)) return false;
  }
  return true;
}

/** Apply the current packet (direction isOrig before any flip, time ts). Returns TCP_FLIP,
 *  TCP_COUNT_ORIG, TCP_NOT_COUNTED bits (see their comments). `sequences`: something will read
 *  this connection's sequence bookkeeping (establishedSegment). */
export function tcpPacket(st: usize, isOrig: bool, ts: i64, sequences: bool): u32 {
  fireTimers(st, ts);
  setFlag(st, CF_FLIP_DONE, false);
  // The common case, a good segment of an established connection with no SYN, FIN or RST from a
  // side seen before, and a history longer than one letter (a lone SYN-ACK's "H" may flip the
  // roles): anySegment would find nothing else to do.
  const e = isOrig ? epOrig(st) : epResp(st);
  const p = epPeer(st, e);
  const flags = tcpFlags;
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0 && state(e) == TCP_ESTABLISHED && state(p) == TCP_ESTABLISHED &&
      (flagsOf(st) & (isOrig ? CF_SEEN_ORIG : CF_SEEN_RESP)) != 0 && load<u8>(st + C_HLEN) != 1 &&
      (!l4ChecksumBad || ignoreChecksums)) {
    establishedSegment(st, e, p, ts, flags, payloadLen, sequences);
    return isOrig ? TCP_COUNT_ORIG : 0;
  }
  return anySegment(st, isOrig, ts);
}

/** tcpPacket for any segment, after the timers. */
function anySegment(st: usize, isOrig: bool, ts: i64): u32 {
  const flags = tcpFlags;
  const len = payloadLen;
  let ret: u32 = 0;
  let orig = isOrig;

  // flip when a lone SYN-ACK is followed by an ACK or data (zeek PR #2191)
  if (load<u8>(st + C_HLEN) == 1 && load<u8>(st + C_HIST) == 0x48 &&
      (flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0 && ((flags & TCP_ACK) != 0 || len > 0)) {
    flipRoles(st);
    store<u8>(st + C_HIST, 0x5e);     // '^'
    store<u8>(st + C_HIST + 1, 0x68); // 'h'
    store<u8>(st + C_HLEN, 2);
    orig = !orig;
    ret |= TCP_FLIP;
  }
  if ((ret & TCP_FLIP) != 0) setFlag(st, CF_FLIP_DONE, true); // also when returning early below

  const e = orig ? epOrig(st) : epResp(st);
  const p = epPeer(st, e);

  if (l4ChecksumBad && !ignoreChecksums) {
    scaledHist(st, e, E_CHK, 0x43); // 'C'
    return ret | TCP_NOT_COUNTED | (orig ? TCP_COUNT_ORIG : 0);
  }

  gFlippedMid = false;
  const seq = tcpSeq;
  const ackSeq = tcpAck;
  const syn = (flags & TCP_SYN) != 0;
  const fin = (flags & TCP_FIN) != 0;
  const rst = (flags & TCP_RST) != 0;
  const hasAck = (flags & TCP_ACK) != 0;

  // SetPartialStatus
  const cf = flagsOf(st);
  if (orig) {
    if ((cf & CF_SEEN_ORIG) == 0) setFlag(st, CF_PARTIAL, !syn || hasAck);
  } else {
    if ((cf & CF_SEEN_RESP) == 0 && (cf & CF_PARTIAL) == 0) setFlag(st, CF_PARTIAL, !syn);
  }

  let segLen: u32 = len;
  if (syn) segLen++;
  if (fin) segLen++;
  if (rst) segLen -= len;
  const onePast = seq + segLen;

  initEndpoint(e, flags, seq, onePast);
  const relSeq = relSeqOf(e, seq, load<u32>(e + E_LAST), load<u32>(e + E_SEQW));
  const seqUnderflow = gUnderflow;

  updateHistory(st, e, flags, relSeq, len);
  if (tcpWindow == 0 && !rst && state(p) != TCP_CLOSED && state(e) != TCP_RESET) {
    scaledHist(st, e, E_WIN0, 0x57); // 'W'
  }
  if (!didClose(e) || !didClose(p)) store<i64>(st + C_LAST, ts);

  if (fin) {
    setEflag(e, EF_FIN_SEEN, true);
    store<u32>(e + E_FINSEQ, relSeq + segLen);
  }

  let relAck: u32 = 0;
  if (hasAck) {
    if (state(p) == TCP_INACTIVE) {
      relAck = 1;
      const a = ackSeq - 1;
      store<u32>(p + E_START, a); store<u32>(p + E_ACK, a); store<u32>(p + E_LAST, a);
    } else {
      relAck = peerAck(p, ackSeq, rst);
    }
  }

  updateLastSeq(st, e, onePast, flags, len);
  updateStateMachine(st, ts, e, p, seq, len, orig, flags);
  if (gFlippedMid) ret |= TCP_FLIP;
  if ((ret & TCP_FLIP) != 0) setFlag(st, CF_FLIP_DONE, true);

  if (hasAck && tracksGaps()) ackReceived(st, p, relAck);

  // CheckPIA_FirstPacket (with the packet's original direction)
  setFlag(st, orig ? CF_SEEN_ORIG : CF_SEEN_RESP, true);

  if (len > 0 && !rst && !seqUnderflow && tracksGaps()) dataSent(st, e, syn ? relSeq + 1 : relSeq, len, payloadCapLen);

  if (gDoClose) connectionClosed(st, e, p, gGenEvent);

  return ret | (orig ? TCP_COUNT_ORIG : 0);
}

/** tcpPacket's steps for a segment without SYN, FIN or RST, both endpoints ESTABLISHED and the
 *  sender's side seen before (no partial status to set, no endpoint to initialise, no state to
 *  change, nothing to close, and the states 'W' asks about are as it wants them): sequence and ack
 *  bookkeeping, the 'D', 'A', 'T' and 'W' letters, last_time, gaps and reassembly.
 *
 *  Without `sequences`, last_time only. The sequence and ack numbers (sizes: conn.log's orig_bytes
 *  and resp_bytes, and the bytes after which detection ignores violations, detect/ctx.ts connSize)
 *  and the history letters are read by conn records and by the connection's live protocol
 *  detection only (`top` without `service` has neither; with it, a connection whose detection has
 *  ended never starts it again). The state machine, the timers, the reuse check and the flips go by
 *  flags, states and each side's start; of the history, the flips read only whether it is a lone
 *  SYN-ACK's "H", which the letters skipped here can neither make nor unmake, since this path takes
 *  no segment of a one-letter history (test/tcp-state.test.ts compares both ways). */
function establishedSegment(st: usize, e: usize, p: usize, ts: i64, flags: u32, len: u32, sequences: bool): void {
  // (the history letters below do not close an endpoint: last_time can be moved first)
  if (!didClose(e) || !didClose(p)) store<i64>(st + C_LAST, ts);
  if (!sequences) return;
  const seq = tcpSeq;
  const relSeq = relSeqOf(e, seq, load<u32>(e + E_LAST), load<u32>(e + E_SEQW));
  const seqUnderflow = gUnderflow;
  plainHistory(st, e, flags, len);
  if (tcpWindow == 0) scaledHist(st, e, E_WIN0, 0x57); // 'W'
  const hasAck = (flags & TCP_ACK) != 0;
  const relAck = hasAck ? peerAck(p, tcpAck, false) : 0;
  updateLastSeq(st, e, seq + len, flags, len);
  if (!tracksGaps()) return;
  if (hasAck) ackReceived(st, p, relAck);
  if (len > 0 && !seqUnderflow) dataSent(st, e, relSeq, len, payloadCapLen);
}

/** Connection::FlipRoles at creation (WantConnection said flip): swap roles, append '^'.
 *  Right after a tcpPacket that returned TCP_FLIP it does nothing (that flip is already applied). */
export function tcpSwap(st: usize): void {
  if ((flagsOf(st) & CF_FLIP_DONE) != 0) { setFlag(st, CF_FLIP_DONE, false); return; }
  flipRoles(st);
}

/** Absolute time (ns) at which Zeek removes this connection unless a packet at an earlier time
 *  changes things; a packet at t >= this finds it gone. lastTs and respPort are unused: Zeek's
 *  last_time is kept here (tcpLastTime) and the 1 h port rule is applied when Zeek raises
 *  connection_established. */
export function tcpDeadline(st: usize, lastTs: i64, respPort: u32): i64 {
  const last = load<i64>(st + C_LAST);
  let dl = last + <i64>load<u32>(st + C_TIMEOUT) * SEC;
  // (an unset timer is NEVER, the largest time: it never comes first)
  const del = load<i64>(st + C_DELETE);
  if (del < dl) dl = del;
  if ((flagsOf(st) & CF_ACTIVE) == 0) return dl; // the other timers remove only an active one
  const rt = load<i64>(st + C_RESET);
  if (rt < dl) dl = rt;
  const o = epOrig(st);
  const r = epResp(st);
  const os = state(o);
  const rs = state(r);
  const oc = didClose(o);
  const rc = didClose(r);
  // Most packets: both sides established, neither closed, where neither the attempt timer nor the
  // expire timer can remove the connection.
  if (os == TCP_ESTABLISHED && rs == TCP_ESTABLISHED && !oc && !rc) return dl;
  const at = load<i64>(st + C_ATTEMPT);
  if ((os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT) && rs == TCP_INACTIVE && at < dl) dl = at;
  const ex = load<i64>(st + C_EXPIRE);
  if (ex != NEVER) {
    const condA = (oc || rc) && ((oc && rc) || os == TCP_RESET || rs == TCP_RESET ||
      os == TCP_INACTIVE || rs == TCP_INACTIVE);
    const condB = os == TCP_INACTIVE && rs == TCP_INACTIVE;
    if (condA || condB) {
      let x = last + LINGER + 1;
      if (ex > x) x = ex;
      if (x < dl) dl = x;
    }
  }
  return dl;
}

/** Zeek's last_time (ns): duration = tcpLastTime - start. Not moved by bad-checksum packets nor
 *  by packets after both sides closed. */
export function tcpLastTime(st: usize): i64 {
  return load<i64>(st + C_LAST);
}

/** Set the inactivity timeout (ns) as set_inactivity_timeout does (SSH/FTP confirmed: 1 h). */
export function tcpSetInactivityTimeout(st: usize, timeoutNs: i64): void {
  store<u32>(st + C_TIMEOUT, <u32>(timeoutNs / SEC));
}

/** Is the inactivity timeout an hour for good? Only leaving the handshake resets it (setState). */
export function tcpLongTimeoutKept(st: usize): bool {
  return load<u32>(st + C_TIMEOUT) == LONG_TIMEOUT_S &&
    !isHandshake(state(epOrig(st))) && !isHandshake(state(epResp(st)));
}

/** Originator / responder endpoint state (TCP_INACTIVE ... TCP_RESET). */
export function tcpOrigState(st: usize): u32 { return <u32>state(epOrig(st)); }
export function tcpRespState(st: usize): u32 { return <u32>state(epResp(st)); }

/** TCP_Endpoint::Size */
function epSize(e: usize, p: usize): u64 {
  const start = <u64>load<u32>(e + E_START);
  const ack64 = (<u64>load<u32>(e + E_ACKW) << 32) + <u64>load<u32>(e + E_ACK);
  if (prevState(e) == TCP_SYN_SENT && state(e) == TCP_RESET && state(p) == TCP_INACTIVE &&
      !(ack64 == start || ack64 == start + 1)) return 0;
  const last64 = (<u64>load<u32>(e + E_SEQW) << 32) + <u64>load<u32>(e + E_LAST);
  let size: u64 = last64 > ack64 ? last64 - start : ack64 - start;
  if (size != 0) size--;
  if (eflag(e, EF_FIN_SEEN) && size != 0) size--;
  return size;
}

/** conn.log orig_bytes (c$orig$size) */
export function tcpOrigBytes(st: usize): u64 { const o = epOrig(st); return epSize(o, epPeer(st, o)); }
/** conn.log resp_bytes (c$resp$size) */
export function tcpRespBytes(st: usize): u64 { const r = epResp(st); return epSize(r, epPeer(st, r)); }
/** conn.log missed_bytes (content gaps while established) */
export function tcpMissedBytes(st: usize): u64 { return load<u64>(st + C_MISSED); }

/** history letters so far into out (up to HIST_CAP bytes); returns the length. */
export function tcpHistory(st: usize, out: usize): u32 {
  const n = <u32>load<u8>(st + C_HLEN);
  memory.copy(out, st + C_HIST, n);
  return n;
}

/** history matches /\^?S[^HAFGIQ]*R.* / (RSTOS0) */
function histRstos0(st: usize): bool {
  const n = <u32>load<u8>(st + C_HLEN);
  const h = st + C_HIST;
  let i: u32 = 0;
  if (n > 0 && load<u8>(h) == 0x5e) i = 1;
  if (i >= n || load<u8>(h + i) != 0x53) return false;
  for (i++; i < n; i++) {
    const c = load<u8>(h + i);
    if (c == 0x52) return true;
    if (c == 0x48 || c == 0x41 || c == 0x46 || c == 0x47 || c == 0x49 || c == 0x51) return false;
  }
  return false;
}

/** conn_state code (CS_*), base/protocols/conn/main.zeek conn_state() for tcp */
export function tcpConnState(st: usize): u32 {
  const o = epOrig(st);
  const r = epResp(st);
  const os = state(o);
  const rs = state(r);
  const oInactive = os == TCP_INACTIVE || os == TCP_PARTIAL;
  const rInactive = rs == TCP_INACTIVE || rs == TCP_PARTIAL;
  if (rs == TCP_RESET) {
    if (os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT ||
        (os == TCP_RESET && epSize(o, r) == 0 && epSize(r, o) == 0)) return CS_REJ;
    return oInactive ? CS_RSTRH : CS_RSTR;
  }
  if (os == TCP_RESET) {
    if (rInactive) return histRstos0(st) ? CS_RSTOS0 : CS_OTH;
    return CS_RSTO;
  }
  if (rs == TCP_CLOSED && os == TCP_CLOSED) return CS_SF;
  if (os == TCP_CLOSED) return rInactive ? CS_SH : CS_S2;
  if (rs == TCP_CLOSED) return oInactive ? CS_SHR : CS_S3;
  if (os == TCP_SYN_SENT && rs == TCP_INACTIVE) return CS_S0;
  if (os == TCP_ESTABLISHED && rs == TCP_ESTABLISHED) return CS_S1;
  return CS_OTH;
}

// names, 8 bytes each (NUL padded)
const CS_NAMES: usize = memory.data<u8>([
  0x53, 0x30, 0, 0, 0, 0, 0, 0,             // S0
  0x53, 0x31, 0, 0, 0, 0, 0, 0,             // S1
  0x53, 0x46, 0, 0, 0, 0, 0, 0,             // SF
  0x52, 0x45, 0x4a, 0, 0, 0, 0, 0,          // REJ
  0x53, 0x32, 0, 0, 0, 0, 0, 0,             // S2
  0x53, 0x33, 0, 0, 0, 0, 0, 0,             // S3
  0x52, 0x53, 0x54, 0x4f, 0, 0, 0, 0,       // RSTO
  0x52, 0x53, 0x54, 0x52, 0, 0, 0, 0,       // RSTR
  0x52, 0x53, 0x54, 0x4f, 0x53, 0x30, 0, 0, // RSTOS0
  0x52, 0x53, 0x54, 0x52, 0x48, 0, 0, 0,    // RSTRH
  0x53, 0x48, 0, 0, 0, 0, 0, 0,             // SH
  0x53, 0x48, 0x52, 0, 0, 0, 0, 0,          // SHR
  0x4f, 0x54, 0x48, 0, 0, 0, 0, 0,          // OTH
]);

/** Writes the name of conn_state `code` (CS_*) to out (up to 6 bytes); returns its length. */
export function tcpConnStateName(code: u32, out: usize): u32 {
  if (code > CS_OTH) return 0;
  const src = CS_NAMES + (<usize>code << 3);
  let n: u32 = 0;
  while (n < 8 && load<u8>(src + n) != 0) { store<u8>(out + n, load<u8>(src + n)); n++; }
  return n;
}
