// Raw events from the core's ring (64 bytes each, layout in assembly/events.ts) decoded into plain
// objects shaped like Zeek's JSON logs: ts in seconds with microsecond precision, uid, id.* fields.
import { microsOf, transportName, type ConnRecord } from "./conn.js";
import { CONN_FIELDS, connObject } from "./format/conn.js";
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
export type Proto = ConnRecord["proto"];

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

const KIND_NAME: Record<number, RingEventName> = {
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

/**
 * Zeek's ts from the core's nanoseconds, cut to microseconds as libpcap does for Zeek. The i64 is
 * read as two halves: microseconds stay exact integers (below 2^53) until the final division.
 */
export function eventTs(view: DataView, off: number): number {
  return microsOf(view.getInt32(off + EV.TS + 4, true), view.getUint32(off + EV.TS, true)) / 1e6;
}

/** Where an event record keeps its fields (assembly/events.ts). */
export const EV = {
  KIND: 0, FAMILY: 1, IP_PROTO: 2, ORIG_PORT: 4, RESP_PORT: 6, TS: 8, SERIAL: 16, ORIG_ADDR: 24,
  RESP_ADDR: 40, ANALYZER: 56,
} as const;

/** The uid of the event's connection. */
export function eventUid(view: DataView, off: number): string {
  return uidFromSerial(view.getUint32(off + EV.SERIAL, true), view.getUint32(off + EV.SERIAL + 4, true));
}

/** Each event of a batch (a whole number of EVENT_SIZE records) whose kind is in `mask`: its
 *  offset, name and address family. */
export function forEachEvent(batch: Uint8Array, mask: number, visit: (off: number, name: RingEventName, family: 4 | 6) => void): void {
  for (let off = 0; off + EVENT_SIZE <= batch.length; off += EVENT_SIZE) {
    const kind = batch[off + EV.KIND];
    if ((mask & (1 << kind)) === 0) continue;
    const name = KIND_NAME[kind];
    if (name !== undefined) visit(off, name, batch[off + EV.FAMILY] === 6 ? 6 : 4);
  }
}

/**
 * Decodes the events of one batch (a whole number of EVENT_SIZE records at `view`'s start).
 * Events whose kind is not in `mask` are skipped (the core only records wanted kinds anyway).
 */
export function decodeEvents(batch: Uint8Array, view: DataView, mask: number, out: (ev: ZkEvent) => void, takeRecord?: () => ConnRecord | undefined): void {
  forEachEvent(batch, mask, (off, name, family) => {
    const ev = {
      event: name,
      ts: eventTs(view, off),
      uid: eventUid(view, off),
      "id.orig_h": formatAddr(family, batch, off + EV.ORIG_ADDR),
      "id.orig_p": view.getUint16(off + EV.ORIG_PORT, true),
      "id.resp_h": formatAddr(family, batch, off + EV.RESP_ADDR),
      "id.resp_p": view.getUint16(off + EV.RESP_PORT, true),
      proto: transportName(batch[off + EV.IP_PROTO]),
    } as ZkEvent;
    if (name === "connection_end" && takeRecord) {
      const rec = takeRecord();
      if (rec) connObject(rec, undefined, ev as unknown as Record<string, unknown>, TUPLE_FIELDS);
    }
    if (name === "analyzer_confirmation") {
      const id = view.getUint32(off + EV.ANALYZER, true);
      const withAnalyzer = ev as ZkEvent & { analyzer: string; tag: string };
      withAnalyzer.analyzer = analyzerName(id);
      withAnalyzer.tag = analyzerTag(id);
    }
    out(ev);
  });
}

/** conn.log's tuple fields (its first seven, ts to proto), which the event itself has: a
 *  connection_end event takes the fields after them (service, duration, ..., ip_proto). */
const TUPLE_FIELDS = CONN_FIELDS.indexOf("proto") + 1;

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
