// Raw events from the core's ring (64 bytes each, layout in assembly/events.ts) decoded into plain
// objects shaped like Zeek's JSON logs: ts in seconds with microsecond precision, uid, id.* fields.
import { microsOf, type ConnRecord } from "./conn.js";
import { connObject } from "./format/conn.js";
import { EVENT_SIZE } from "./wasm/core.js";
import { EVENT_KIND, type KeyField, type Metric, type Stats, type TopRow } from "./engine.js";
import { formatAddr } from "./format/addr.js";
import { uidFromSerial } from "./uid.js";
import { analyzerName, analyzerTag } from "./analyzers.js";

/** Kinds the core records in its ring. */
export const RING_EVENTS = ["new_connection", "connection_end", "analyzer_confirmation"] as const;
/** Every event a stream can emit: the ring's kinds and the final tables. */
export const EVENT_NAMES = [...RING_EVENTS, "zeek_done"] as const;
export type RingEventName = (typeof RING_EVENTS)[number];
export type EventName = (typeof EVENT_NAMES)[number];

/** conn.log's proto values. */
export type Proto = "tcp" | "udp" | "icmp" | "unknown_transport";

/** The connection's identity, with the field names of Zeek's JSON logs. */
export interface ConnFields {
  /** Seconds since the epoch, microsecond precision (Zeek's JSON `ts`). */
  ts: number;
  uid: string;
  "id.orig_h": string;
  "id.orig_p": number;
  "id.resp_h": string;
  "id.resp_p": number;
  proto: Proto;
}

/** A connection seen for the first time (Zeek's new_connection), with the roles of that moment. */
export interface NewConnectionEvent extends ConnFields { event: "new_connection" }

/**
 * A connection leaving the table (timeout, close, reset, reuse, or the end of input), with its
 * final roles. `ts` is the time of its last packet.
 */
export interface ConnectionEndEvent extends ConnFields {
  event: "connection_end";
  /** conn.log's other fields, as Zeek's JSON log has them (unset ones left out). */
  service?: string;
  duration?: number;
  orig_bytes?: number;
  resp_bytes?: number;
  conn_state?: string;
  missed_bytes?: number;
  history?: string;
  orig_pkts?: number;
  orig_ip_bytes?: number;
  resp_pkts?: number;
  resp_ip_bytes?: number;
  tunnel_parents?: string[];
  ip_proto?: number;
}

/** An analyzer confirmed the protocol on a connection (Zeek's analyzer_confirmation_info). */
export interface AnalyzerConfirmationEvent extends ConnFields {
  event: "analyzer_confirmation";
  /** Lower-case analyzer name, as conn.log's service column ("http"). */
  analyzer: string;
  /** Zeek's tag ("Analyzer::ANALYZER_HTTP"). */
  tag: string;
}

/** One row of the final table: the key fields asked for, and all three metrics. */
export interface Row {
  src?: string;
  dst?: string;
  dport?: number;
  proto?: string;
  /** Analyzer name (conn.log's service), for a service key. */
  service?: string;
  conns: number;
  pkts: number;
  bytes: number;
}

/** Input exhausted (Zeek's zeek_done): the final table and the record accounting. */
export interface ZeekDoneEvent {
  event: "zeek_done";
  by: KeyField[];
  metric: Metric;
  rows: Row[];
  stats: Stats;
}

export type ZkEvent = NewConnectionEvent | ConnectionEndEvent | AnalyzerConfirmationEvent | ZeekDoneEvent;

export const KIND_NAME: Record<number, RingEventName> = {
  [EVENT_KIND.new_connection]: "new_connection",
  [EVENT_KIND.connection_end]: "connection_end",
  [EVENT_KIND.analyzer_confirmation]: "analyzer_confirmation",
};

/** The event-kind mask for the core (bit 1 << kind) for these event names; zeek_done needs none. */
export function eventMask(names: readonly string[]): number {
  let mask = 0;
  for (const n of names) {
    const kind = (EVENT_KIND as Record<string, number>)[n];
    if (kind !== undefined) mask |= 1 << kind;
  }
  return mask;
}

/** Checks a list of event names; throws a TypeError naming the unknown one. */
export function checkEventNames(names: readonly string[]): EventName[] {
  for (const n of names) {
    if (!(EVENT_NAMES as readonly string[]).includes(n)) {
      throw new TypeError(`unknown event "${n}" (known: ${EVENT_NAMES.join(", ")})`);
    }
  }
  return names as EventName[];
}

export function protoName(ipProto: number): Proto {
  if (ipProto === 6) return "tcp";
  if (ipProto === 17) return "udp";
  if (ipProto === 1 || ipProto === 58) return "icmp";
  return "unknown_transport";
}

/**
 * Zeek's ts from the core's nanoseconds, cut to microseconds as libpcap does for Zeek. The i64 is
 * read as two halves: microseconds stay exact integers (below 2^53) until the final division.
 */
export function eventTs(view: DataView, off: number): number {
  return microsOf(view.getInt32(off + 4, true), view.getUint32(off, true)) / 1e6;
}

/**
 * Decodes the events of one batch (a whole number of EVENT_SIZE records at `view`'s start).
 * Events whose kind is not in `mask` are skipped (the core only records wanted kinds anyway).
 */
export function decodeEvents(batch: Uint8Array, view: DataView, mask: number, out: (ev: ZkEvent) => void, takeRecord?: () => ConnRecord | undefined): void {
  for (let off = 0; off + EVENT_SIZE <= batch.length; off += EVENT_SIZE) {
    const kind = batch[off];
    if ((mask & (1 << kind)) === 0) continue;
    const name = KIND_NAME[kind];
    if (name === undefined) continue;
    const family = batch[off + 1] === 6 ? 6 : 4;
    const ev = {
      event: name,
      ts: eventTs(view, off + 8),
      uid: uidFromSerial(view.getUint32(off + 16, true), view.getUint32(off + 20, true)),
      "id.orig_h": formatAddr(family, batch, off + 24),
      "id.orig_p": view.getUint16(off + 4, true),
      "id.resp_h": formatAddr(family, batch, off + 40),
      "id.resp_p": view.getUint16(off + 6, true),
      proto: protoName(batch[off + 2]),
    } as ZkEvent;
    if (name === "connection_end" && takeRecord) {
      const rec = takeRecord();
      if (rec) Object.assign(ev, connEndFields(rec));
    }
    if (name === "analyzer_confirmation") {
      const id = view.getUint32(off + 56, true);
      Object.assign(ev, { analyzer: analyzerName(id), tag: analyzerTag(id) });
    }
    out(ev);
  }
}

/** The tuple's fields, which the event itself has. */
const TUPLE = new Set(["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"]);

/** conn.log's fields beyond the tuple (service, duration, bytes, conn_state, history, ...). Copied
 *  into a new object rather than deleted from connObject's: an object that had keys deleted is
 *  slow to extend and to serialize. */
function connEndFields(rec: ConnRecord): Record<string, unknown> {
  const o = connObject(rec);
  const rest: Record<string, unknown> = {};
  for (const k in o) if (!TUPLE.has(k)) rest[k] = o[k];
  return rest;
}

/** The final-table event from an engine's rows and stats. */
export function doneEvent(by: KeyField[], metric: Metric, rows: TopRow[], stats: Stats): ZeekDoneEvent {
  return {
    event: "zeek_done",
    by,
    metric,
    rows: rows.map((r) => {
      // the key fields asked for, in --by order (dport with its proto), then the metrics
      const row = {} as Row;
      const from = r as unknown as Record<string, unknown>;
      const to = row as unknown as Record<string, unknown>;
      for (const f of by) {
        to[f] = from[f];
        if (f === "dport") to.proto = r.proto;
      }
      row.conns = r.conns;
      row.pkts = r.pkts;
      row.bytes = r.bytes;
      return row;
    }),
    stats,
  };
}
