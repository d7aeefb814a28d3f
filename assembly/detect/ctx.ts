// The small interface between the registry and the analyzers.
//
// The registry keeps, per connection, a detection record (DS): a header that points to up to
// MAX_INST analyzer instances, each a block of its own taken when a slot is first used (most
// connections have one analyzer or none). An instance has ST_SIZE bytes of private state that its
// analyzer interprets, or none (HEADER_INST_SIZE) for an analyzer that keeps none. An analyzer
// module exposes (see dispatch.ts) stream(st, isOrig, p, n), gap(st, isOrig),
// eof(st, isOrig) for TCP and datagram(st, isOrig, p, n) for UDP; while one of them runs, the
// registry has set the context below, and the analyzer reports through aConfirm(), aViolate(),
// aDone(), aConfirmAs() (a nested analyzer, e.g. NTLM inside SMB), aHandOver() (STARTTLS: the rest
// of the stream goes to another analyzer) and aRestartDpd() (HTTP CONNECT: the rest of the stream
// is a new stream for signature matching).
import * as C from "../flow/conn";
import { auxGet } from "./aux";
import { confirm, violate } from "../flow/services";
import { tcpSetInactivityTimeout, tcpOrigBytes, tcpRespBytes } from "../flow/tcp";
import { A_SSH, A_FTP } from "./analyzers";

// ---------------------------------------------------------------- detection record layout
export const MAX_INST: u32 = 4; // registry.ts liveMask is written out for four
export const INST_SIZE: usize = 112;
export const ST_OFF: usize = 8;                  // analyzer state within an instance
export const ST_SIZE: usize = INST_SIZE - ST_OFF; // 104 bytes
/** An instance of an analyzer that keeps no state (dispatch.ts dKeepsState): its header only. */
export const HEADER_INST_SIZE: usize = 16;
export const DS_SIZE: usize = 64;

export const H_FLAGS: usize = 0;      // u32 DF_*
export const H_SEQ_O: usize = 4;      // u32 next expected sequence number, originator
export const H_SEQ_R: usize = 8;      // u32 responder
export const H_BLOCK: usize = 12;     // usize signature-matching block (PIA buffer), 0: none
export const H_PIA_BYTES: usize = 16; // u32 bytes the PIA buffered (both directions)
export const H_PIA_CHUNKS: usize = 20;// u16 chunks the PIA buffered
export const H_PIA_STATE: usize = 22; // u8 PIA_*
export const H_DEPTH: usize = 23;     // u8 nested PIAs (HTTP CONNECT)
export const H_SEEN_O: usize = 24;    // u32 stream bytes delivered, originator (saturating)
export const H_SEEN_R: usize = 28;    // u32 responder
export const H_REORDER: usize = 32;   // usize segments held until a hole before them fills, 0: none
export const H_INST: usize = 40;      // MAX_INST x u32 instance addresses, 0: slot never used
export const H_FIN_O: usize = 56;     // u32 where the originator's FIN is (DF_FIN_O: one was seen)
export const H_FIN_R: usize = 60;     // u32 the responder's

export const DF_TCP: u32 = 1;
export const DF_INIT_O: u32 = 2;
export const DF_INIT_R: u32 = 4;
export const DF_FIN_O: u32 = 8;     // a FIN of the originator seen (H_FIN_O)
export const DF_FIN_R: u32 = 16;
export const DF_FIRST_O: u32 = 32;  // first packet of the originator seen
export const DF_FIRST_R: u32 = 64;
export const DF_PARTIAL: u32 = 128; // Zeek's TCP IsPartial(): the connection did not start with a SYN
export const DF_EOF_O: u32 = 256;
export const DF_EOF_R: u32 = 512;
export const DF_SYNACK_O: u32 = 1024; // the originator's first packet was a SYN-ACK
export const DF_SYNACK_R: u32 = 2048;
export const DF_GAPPED_O: u32 = 4096; // a content gap moved the originator's stream past its start
export const DF_GAPPED_R: u32 = 8192;
// the originator's stream has delivered bytes the responder has not acknowledged yet (Zeek's
// reassembler keeps them as blocks until then: the responder's end of stream waits for them)
export const DF_UNACKED_O: u32 = 16384;
export const DF_UNACKED_R: u32 = 32768;
// the originator reset the connection (Zeek's TCP_ENDPOINT_RESET): its stream ends at the byte
// before the RST (H_FIN_O, unless a FIN was seen), without waiting for the responder's data; with
// DF_FIN_O too, it was reset after its FIN (a FIN after the RST counts for nothing)
export const DF_RESET_O: u32 = 65536;
export const DF_RESET_R: u32 = 131072;
// the originator sent a RST, whether or not its stream had started (Zeek's endpoint in state RESET,
// or CLOSED again after it): a later FIN or RST of it closes nothing (registry.ts closesSide)
export const DF_RST_SEEN_O: u32 = 1 << 18;
export const DF_RST_SEEN_R: u32 = 1 << 19;
// a close came while the closing side's data was still pending (Zeek's close_deferred): the next
// end of a stream closes again (registry.ts connectionClosed)
export const DF_CLOSE_DEFERRED: u32 = 1 << 20;
// What the state's blocks are, kept here so that releasing them at the connection's end reads
// nothing from them (a connection that timed out has them out of the cache): the tier of the PIA's
// block (H_BLOCK, registry.ts), whether an instance took an aux.ts buffer (aAux), and which slots
// hold a header-only block (HEADER_INST_SIZE bytes, not INST_SIZE), slot s at DF_HEADER_ONLY << s.
export const DF_TIER_SHIFT: u32 = 24;
export const DF_TIER: u32 = 3 << DF_TIER_SHIFT;
export const DF_AUX: u32 = 1 << 26;
export const DF_HEADER_ONLY: u32 = 1 << 27;
export const DF_BLOCKS: u32 = DF_TIER | DF_AUX | (15 * DF_HEADER_ONLY);

export const PIA_BUFFERING: u8 = 0;
export const PIA_SKIPPING: u8 = 1;

// instance header (first ST_OFF bytes)
export const I_ID: usize = 0;     // u8 analyzer id, 0: free slot
export const I_FLAGS: usize = 1;  // u8 IF_*
export const I_AUX: usize = 4;    // u32 the instance's aux.ts buffer, 0: none
export const IF_CONFIRMED: u8 = 1;
export const IF_DEAD: u8 = 2;      // violated, or finished: gets no more data
export const IF_SIG: u8 = 4;       // attached by a signature
export const IF_CHILD: u8 = 8;     // attached by another analyzer

// @ts-ignore: decorator
@inline export function instAt(ds: usize, slot: u32): usize { return <usize>load<u32>(ds + H_INST + (<usize>slot << 2)); }

// ---------------------------------------------------------------- the current call
export let curR: usize = 0;
export let curDs: usize = 0;
export let curInst: usize = 0;
export let curId: u32 = 0;

export const REQ_NONE: u32 = 0;
export const REQ_HANDOVER: u32 = 1;
export const REQ_RESTART_DPD: u32 = 2;
export let reqKind: u32 = REQ_NONE;
export let reqId: u32 = 0;
export let reqOrig: bool = false;
export let reqPtr: usize = 0;
export let reqLen: u32 = 0;

export function ctxSet(r: usize, ds: usize, inst: usize): void {
  curR = r;
  curDs = ds;
  curInst = inst;
  curId = <u32>load<u8>(inst + I_ID);
  reqKind = REQ_NONE;
}

/** Violations after this many connection bytes are ignored (DPD::ignore_violations_after). */
const IGNORE_VIOLATIONS_AFTER: u64 = 10 * 1024;
const HOUR: i64 = 3600 * 1_000_000_000;

/** c$orig$size + c$resp$size as Zeek's DPD script sees them. */
export function connSize(r: usize): u64 {
  if (load<u8>(r + C.C_PROTO) == 6) return tcpOrigBytes(r + C.C_TCP) + tcpRespBytes(r + C.C_TCP);
  return load<u64>(r + C.C_ORIG_PAYLOAD) + load<u64>(r + C.C_RESP_PAYLOAD);
}

/** The analyzer is sure: Zeek's AnalyzerConfirmation (once per instance). */
export function aConfirm(): void {
  const f = load<u8>(curInst + I_FLAGS);
  if (f & (IF_CONFIRMED | IF_DEAD)) return;
  store<u8>(curInst + I_FLAGS, f | IF_CONFIRMED);
  confirm(curR, curId);
  // SSH and FTP sessions idle long: Zeek raises the TCP inactivity timeout to an hour
  if ((curId == A_SSH || curId == A_FTP) && load<u8>(curR + C.C_PROTO) == 6) tcpSetInactivityTimeout(curR + C.C_TCP, HOUR);
}

/** A nested analyzer confirmed (it has no instance of its own here). Its caller must be in
 *  dispatch.ts STARTS_OTHERS (see aHandOver). */
export function aConfirmAs(id: u32): void {
  confirm(curR, id);
}

/** A nested analyzer violated: its service goes, as for aViolate (the caller stops feeding it). */
export function aViolateAs(id: u32): void {
  if (connSize(curR) <= IGNORE_VIOLATIONS_AFTER) violate(curR, id);
}

/** The current instance's 8 KiB buffer (aux.ts). */
export function aAux(): usize {
  store<u32>(curDs + H_FLAGS, load<u32>(curDs + H_FLAGS) | DF_AUX);
  return auxGet(curInst);
}

/** Zeek's AnalyzerViolation: the DPD script disables the analyzer and drops its service. */
export function aViolate(): void {
  const f = load<u8>(curInst + I_FLAGS);
  if (f & IF_DEAD) return;
  store<u8>(curInst + I_FLAGS, f | IF_DEAD);
  if (connSize(curR) <= IGNORE_VIOLATIONS_AFTER) violate(curR, curId);
}

/** Nothing more to learn: stop feeding this instance (its confirmation stays). */
export function aDone(): void {
  store<u8>(curInst + I_FLAGS, load<u8>(curInst + I_FLAGS) | IF_DEAD);
}

/** Is the instance still fed? Analyzers check this after reporting, to stop parsing. */
export function aStopped(): bool {
  return (load<u8>(curInst + I_FLAGS) & IF_DEAD) != 0;
}

/** Has this instance confirmed? */
export function aConfirmed(): bool {
  return (load<u8>(curInst + I_FLAGS) & IF_CONFIRMED) != 0;
}

// aConfirmAs, aHandOver and aRestartDpd start or confirm another analyzer: an analyzer that calls
// them after it has confirmed must be in dispatch.ts STARTS_OTHERS, or a `top` run ends its
// detection too soon (registry.ts nothingToLearn).

/** From here on the stream belongs to analyzer `id` (STARTTLS); p/n: the rest of this chunk. */
export function aHandOver(id: u32, isOrig: bool, p: usize, n: u32): void {
  reqKind = REQ_HANDOVER;
  reqId = id;
  reqOrig = isOrig;
  reqPtr = p;
  reqLen = n;
  aDone();
}

// Zeek's binpac analyzers of datagram flows (IMAP, XMPP) parse each TCP segment whole: what a
// token asks for (a skip, STARTTLS) takes effect once the rest of its segment is parsed too.
/** A token asks nothing. */
export const TOKEN_ON: u32 = 0;
/** SetSkip: later segments are skipped. */
export const TOKEN_SKIP: u32 = 1;
/** StartTLS: later segments go to SSL (unless skipped). */
export const TOKEN_STARTTLS: u32 = 2;

/** A segment parsed to its end without a violation; `asked`: its tokens' requests, ORed. */
export function aSegmentParsed(asked: u32, ssl: u32): void {
  if ((asked & TOKEN_SKIP) != 0) aDone();
  else if ((asked & TOKEN_STARTTLS) != 0) aHandOver(ssl, false, 0, 0);
}

/** From here on the stream is new to signature matching (a tunnel, e.g. HTTP CONNECT). */
export function aRestartDpd(isOrig: bool, p: usize, n: u32): void {
  reqKind = REQ_RESTART_DPD;
  reqOrig = isOrig;
  reqPtr = p;
  reqLen = n;
  aDone();
}

/** Zeek's TCP IsPartial() for the current connection. */
export function aPartial(): bool {
  return (load<u32>(curDs + H_FLAGS) & DF_PARTIAL) != 0;
}

/** Bytes of the connection so far (both directions, as the DPD script counts them). */
export function aConnSize(): u64 {
  return connSize(curR);
}

/** The connection's responder port. */
export function aRespPort(): u32 {
  return <u32>load<u16>(curR + C.C_RESP_PORT);
}
