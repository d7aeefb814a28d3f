// Our conn records for a trace, as Zeek ASCII rows keyed by field name (as zeek-cut reads them),
// and the -b role adjustment shared by the golden tests.
import { Engine, runBuffer, type EngineOptions } from "../../src/engine.js";
import { decodeConnRecords, type ConnRecord } from "../../src/conn.js";
import { CONN_RECORD_SIZE, type EventSink } from "../../src/wasm/core.js";
import { ZeekConnWriter, CONN_FIELDS } from "../../src/format/conn.js";
import { AsciiBytes } from "../../src/format/bytes.js";

/** Each decoded record's own bytes, for asRows: the ASCII rows are written from the bytes. */
const bytesOf = new WeakMap<ConnRecord, Uint8Array>();

/** A record sink that decodes into `records` and keeps each record's bytes. */
export function collectRecords(records: ConnRecord[]): EventSink {
  return (batch, view) => {
    const first = records.length;
    decodeConnRecords(batch, view, records);
    const copy = batch.slice(); // the batch is the core's memory, valid during this call only
    records.slice(first).forEach((r, i) => bytesOf.set(r, copy.subarray(i * CONN_RECORD_SIZE, (i + 1) * CONN_RECORD_SIZE)));
  };
}

/** A whole trace run twice with the same options: without conn records, where a run skips the work
 *  only they show (gap tracking, detection nothing could still change), and with them. */
export function withAndWithoutRecords(pcap: Uint8Array, options: EngineOptions): { without: Engine; withRecords: Engine } {
  return {
    without: runBuffer(pcap, options).engine,
    withRecords: runBuffer(pcap, { ...options, onRecords: () => {} }).engine,
  };
}

/** A whole trace through a new Engine (`by: ["src"]` unless the options say): its conn records,
 *  and the engine for its rows and stats. `finish` ends the input (default: end()). */
export function runTrace(pcap: Buffer, options: EngineOptions = {},
  finish: (engine: Engine, records: ConnRecord[]) => void = (engine) => engine.end()): { records: ConnRecord[]; engine: Engine } {
  const records: ConnRecord[] = [];
  const engine = new Engine({ by: ["src"], ...options, onRecords: collectRecords(records) });
  engine.beginFile();
  engine.write(pcap);
  engine.endFile("trace");
  finish(engine, records);
  return { records, engine };
}

export function connRecordsOf(pcap: Buffer, ignoreChecksums: boolean): ConnRecord[] {
  return runTrace(pcap, { ignoreChecksums }).records;
}

/** The conn.log service column of each connection of a trace. */
export const servicesOf = (pcap: Buffer): string[] => asRows(connRecordsOf(pcap, false)).map((r) => r.service);

/** The records as `zk-stream conn` writes them (ZeekConnWriter), by field name. */
export function asRows(records: ConnRecord[]): Record<string, string>[] {
  const w = new ZeekConnWriter();
  const out = new AsciiBytes();
  return records.map((r) => {
    const bytes = bytesOf.get(r);
    if (!bytes) throw new Error("asRows: a record not collected by collectRecords");
    w.rows(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), out);
    const cells = out.take().toString("latin1").trimEnd().split("\t");
    const row: Record<string, string> = {};
    CONN_FIELDS.forEach((f, i) => { row[f] = cells[i]; });
    return row;
  });
}

export const keyOf = (r: Record<string, string>) => `${r["id.orig_h"]} ${r["id.orig_p"]} ${r["id.resp_h"]} ${r["id.resp_p"]} ${r.proto}`;

/** The same connection with the other role choice: ids, per-side counts and history letters swapped. */
export function swapped(r: Record<string, string>): Record<string, string> {
  const o: Record<string, string> = { ...r };
  o["id.orig_h"] = r["id.resp_h"]; o["id.resp_h"] = r["id.orig_h"];
  o["id.orig_p"] = r["id.resp_p"]; o["id.resp_p"] = r["id.orig_p"];
  for (const [a, b] of [["orig_pkts", "resp_pkts"], ["orig_ip_bytes", "resp_ip_bytes"], ["orig_bytes", "resp_bytes"]]) {
    o[a] = r[b]; o[b] = r[a];
  }
  // the flip's ^ goes, and each letter changes side
  const h = (r.history ?? "-").replace("^", "");
  o.history = h === "" || h === "-" ? "-" : [...h].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
  return o;
}

/**
 * -b runs: Zeek ran with a smaller likely_server_ports, so a connection whose first packet was not
 * a SYN can have the other roles. Returns our rows with exactly those connections turned to Zeek's
 * roles, and a line per such connection.
 */
export function adoptBareRoles(ours: Record<string, string>[], zeek: Record<string, string>[], render: (r: Record<string, string>) => string): { rows: Record<string, string>[]; notes: string[] } {
  const want = new Set(zeek.map(render));
  const notes: string[] = [];
  const rows = ours.map((r) => {
    const s = swapped(r);
    if (!want.has(render(r)) && want.has(render(s))) {
      notes.push(`roles differ (-b run, smaller likely_server_ports): Zeek has ${keyOf(s)}, we have ${keyOf(r)}`);
      return s;
    }
    return r;
  });
  return { rows, notes };
}
