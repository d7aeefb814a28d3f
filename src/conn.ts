// conn.log records out of the core's record ring (layout in assembly/records.ts).
import { formatAddr } from "./format/addr.js";
import { analyzerName } from "./analyzers.js";
import { CONN_RECORD_SIZE } from "./wasm/core.js";

const CONN_STATES = ["S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"];

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

function transportName(ipProto: number): ConnRecord["proto"] {
  if (ipProto === 6) return "tcp";
  if (ipProto === 17) return "udp";
  if (ipProto === 1 || ipProto === 58) return "icmp";
  return "unknown_transport";
}

const u64 = (v: DataView, off: number) => Number(v.getBigUint64(off, true));
/**
 * Microseconds, cut as libpcap cuts a nanosecond capture's timestamps for Zeek (BigInt once per
 * record, never per packet). The duration is the difference of the cut start and end times.
 */
const usOf = (ns: bigint) => Number(ns / 1000n);

/** Where a record keeps its up to 8 analyzers, in confirmation order: 4 at 128, 4 more at 208. */
const SERVICE_OFFSETS = [128, 129, 130, 131, 208, 209, 210, 211];

/** Decodes one batch of records (the views are only valid during the sink call). */
export function decodeConnRecords(batch: Uint8Array, view: DataView, out: ConnRecord[]): void {
  for (let off = 0; off + CONN_RECORD_SIZE <= batch.length; off += CONN_RECORD_SIZE) {
    const ipVer = batch[off];
    const ipProto = batch[off + 1];
    const services: string[] = [];
    for (const at of SERVICE_OFFSETS) if (batch[off + at] !== 0) services.push(analyzerName(batch[off + at]));
    const histLen = batch[off + 3];
    const tunnelParents = [u64(view, off + 120), u64(view, off + 200)].filter((t) => t !== 0).map((t) => t - 1);
    const rec: ConnRecord = {
      tsUs: usOf(view.getBigInt64(off + 8, true)),
      serial: u64(view, off + 24),
      origH: formatAddr(ipVer, batch, off + 32),
      origP: view.getUint16(off + 4, true),
      respH: formatAddr(ipVer, batch, off + 48),
      respP: view.getUint16(off + 6, true),
      proto: transportName(ipProto),
      ipProto,
      services,
      durationUs: usOf(view.getBigInt64(off + 8, true) + view.getBigInt64(off + 16, true)) - usOf(view.getBigInt64(off + 8, true)),
      origBytes: u64(view, off + 64),
      respBytes: u64(view, off + 72),
      connState: CONN_STATES[batch[off + 2]] ?? "OTH",
      missedBytes: u64(view, off + 80),
      history: String.fromCharCode(...batch.subarray(off + 136, off + 136 + histLen)),
      origPkts: u64(view, off + 88),
      origIpBytes: u64(view, off + 96),
      respPkts: u64(view, off + 104),
      respIpBytes: u64(view, off + 112),
      tunnelParents,
    };
    if (tunnelParents.length > 0) rec.tunnelParent = tunnelParents[0];
    out.push(rec);
  }
}
