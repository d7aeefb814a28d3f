// conn.log records out of the core's record ring (layout in assembly/records.ts).
import { formatAddr } from "./format/addr.js";
import { analyzerName } from "./analyzers.js";
import { CONN_RECORD_SIZE } from "./wasm/core.js";

const CONN_STATES = ["S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"];
/** conn_state's name for the core's code (tcp.ts CS_*). */
export const connStateName = (code: number): string => CONN_STATES[code] ?? "OTH";

/** Where a conn record keeps its fields (assembly/records.ts); SERVICE_OFFSETS and TUNNEL_OFFSETS
 *  below say where its analyzers and tunnel parents are. */
export const REC = {
  IP_VERSION: 0, IP_PROTO: 1, CONN_STATE: 2, HISTORY_LENGTH: 3, ORIG_PORT: 4, RESP_PORT: 6,
  START: 8, DURATION: 16, SERIAL: 24, ORIG_ADDR: 32, RESP_ADDR: 48, ORIG_BYTES: 64, RESP_BYTES: 72, MISSED_BYTES: 80,
  ORIG_PKTS: 88, ORIG_IP_BYTES: 96, RESP_PKTS: 104, RESP_IP_BYTES: 112, HISTORY: 136,
} as const;

/** One connection as Zeek's conn.log has it; times in integer microseconds (Zeek's precision). */
export interface ConnRecord {
  tsUs: number;
  serial: number;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  proto: "tcp" | "udp" | "icmp" | "unknown_transport";
  ipProto: number;
  services: string[];
  durationUs: number;
  origBytes: number;
  respBytes: number;
  connState: string;
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  /** Serials of the encapsulating connections, if tunnelled (a set: at most two are kept). */
  tunnelParents: number[];
  /** The first of them (the encapsulation of the connection's first packet). */
  tunnelParent?: number;
}

export function transportName(ipProto: number): ConnRecord["proto"] {
  if (ipProto === 6) return "tcp";
  if (ipProto === 17) return "udp";
  if (ipProto === 1 || ipProto === 58) return "icmp";
  return "unknown_transport";
}

const TWO32 = 0x1_0000_0000;
/** A u64 counter as a number (exact below 2^53), without a BigInt. */
export const u64 = (v: DataView, off: number) => v.getUint32(off, true) + v.getUint32(off + 4, true) * TWO32;

/**
 * Microseconds of the nanosecond time hi * 2^32 + lo (hi signed), cut as libpcap cuts a
 * nanosecond capture's timestamps for Zeek: floor(ns / 1000) by exact double arithmetic in two
 * steps (every intermediate below 2^53 while hi is below 2e9: until 2242). Also events.ts's ts.
 */
export function microsOf(hi: number, lo: number): number {
  const qHi = Math.floor(hi / 1000);
  return qHi * TWO32 + Math.floor(((hi - qHi * 1000) * TWO32 + lo) / 1000); // 0 <= rem < 1000 * 2^32
}

/** microsOf for a conn record's times, with BigInt (which truncates toward zero, as conn records
 *  always did) outside 1970-2242. */
function usOf(hi: number, lo: number): number {
  if (hi < 0 || hi >= 2_000_000_000) return Number(((BigInt(hi) << 32n) + BigInt(lo)) / 1000n);
  return microsOf(hi, lo);
}

/** Start and duration (microseconds) of the record at off: the duration is the difference of the
 *  cut end and start times, the end being start + duration in nanoseconds, added as 64 bits. */
export function times(view: DataView, off: number): { tsUs: number; durationUs: number } {
  const startLo = view.getUint32(off + REC.START, true), startHi = view.getInt32(off + REC.START + 4, true);
  const durLo = view.getUint32(off + REC.DURATION, true), durHi = view.getInt32(off + REC.DURATION + 4, true);
  const endLo = startLo + durLo;
  const endHi = startHi + durHi + (endLo >= TWO32 ? 1 : 0);
  const tsUs = usOf(startHi, startLo);
  return { tsUs, durationUs: usOf(endHi, endLo % TWO32) - tsUs };
}

/** Where a record keeps its up to 8 analyzers, in confirmation order: 4 at 128, 4 more at 208. */
export const SERVICE_OFFSETS = [128, 129, 130, 131, 208, 209, 210, 211];
/** Where it keeps the serials + 1 of its two tunnel parents (0: none). */
export const TUNNEL_OFFSETS = [120, 200];

/** Decodes one batch of records (the views are only valid during the sink call). */
export function decodeConnRecords(batch: Uint8Array, view: DataView, out: ConnRecord[]): void {
  for (let off = 0; off + CONN_RECORD_SIZE <= batch.length; off += CONN_RECORD_SIZE) out.push(decodeConnRecord(batch, view, off));
}

/** Decodes the record at `off` of a batch. */
export function decodeConnRecord(batch: Uint8Array, view: DataView, off: number): ConnRecord {
  const ipVer = batch[off + REC.IP_VERSION];
  const ipProto = batch[off + REC.IP_PROTO];
  const services: string[] = [];
  for (const at of SERVICE_OFFSETS) if (batch[off + at] !== 0) services.push(analyzerName(batch[off + at]));
  const histLen = batch[off + REC.HISTORY_LENGTH];
  const tunnelParents: number[] = [];
  for (const at of TUNNEL_OFFSETS) {
    const t = u64(view, off + at); // serial + 1, 0: none
    if (t !== 0) tunnelParents.push(t - 1);
  }
  const { tsUs, durationUs } = times(view, off);
  const rec: ConnRecord = {
    tsUs,
    serial: u64(view, off + REC.SERIAL),
    origH: formatAddr(ipVer, batch, off + REC.ORIG_ADDR),
    origP: view.getUint16(off + REC.ORIG_PORT, true),
    respH: formatAddr(ipVer, batch, off + REC.RESP_ADDR),
    respP: view.getUint16(off + REC.RESP_PORT, true),
    proto: transportName(ipProto),
    ipProto,
    services,
    durationUs,
    origBytes: u64(view, off + REC.ORIG_BYTES),
    respBytes: u64(view, off + REC.RESP_BYTES),
    connState: connStateName(batch[off + REC.CONN_STATE]),
    missedBytes: u64(view, off + REC.MISSED_BYTES),
    history: String.fromCharCode(...batch.subarray(off + REC.HISTORY, off + REC.HISTORY + histLen)),
    origPkts: u64(view, off + REC.ORIG_PKTS),
    origIpBytes: u64(view, off + REC.ORIG_IP_BYTES),
    respPkts: u64(view, off + REC.RESP_PKTS),
    respIpBytes: u64(view, off + REC.RESP_IP_BYTES),
    tunnelParents,
  };
  if (tunnelParents.length > 0) rec.tunnelParent = tunnelParents[0];
  return rec;
}
