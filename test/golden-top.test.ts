// Use cases 1 and 2 against Zeek: connections per source and per (source, destination port),
// computed from each trace's conn.log baseline, must equal what zk-stream counts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { runBuffer } from "../src/engine.js";
import { connTraces, readZeekLog, noteMissingCaptures, HAVE_CAPTURES, type ConnTrace } from "./helpers/captures.js";
import { connRecordsOf, asRows, adoptBareRoles, swapped } from "./helpers/conn.js";

/**
 * Why a trace cannot be compared yet, or undefined. Tunnels are decapsulated (tunnels.test.ts); what
 * is left is Zeek's DNS analyzer, which ends a DNS connection after dns_session_timeout (10 s idle)
 * and so splits one 5-tuple into several conn.log rows: such a trace waits until our run does too.
 */
function waitsForDnsTimeout(t: ConnTrace): string | undefined {
  const log = readZeekLog(t.connLog);
  const k = (h1: string, p1: string | number, h2: string, p2: string | number, proto: string) => `${h1} ${p1} ${h2} ${p2} ${proto}`;
  const zeek = new Map<string, number>();
  for (const r of log.rows) {
    if (r.proto !== "udp" || (r["id.resp_p"] !== "53" && r["id.orig_p"] !== "53")) continue;
    const key = k(r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"], r.proto);
    zeek.set(key, (zeek.get(key) ?? 0) + 1);
  }
  const split = [...zeek].filter(([, n]) => n > 1);
  if (split.length === 0) return undefined;
  const ours = new Map<string, number>();
  for (const r of connRecordsOf(readFileSync(t.pcap), t.ignoreChecksums)) {
    const key = k(r.origH, r.origP, r.respH, r.respP, r.proto);
    ours.set(key, (ours.get(key) ?? 0) + 1);
  }
  const waiting = split.filter(([key, n]) => (ours.get(key) ?? 0) < n).map(([key, n]) => `${key} (${n} rows)`);
  if (waiting.length === 0) return undefined;
  return `Zeek ends DNS connections after dns_session_timeout (10 s idle), we do not yet: ${waiting.join(", ")}`;
}

/** The port key: conn.log's proto where the baseline has that column (cut baselines may not). */
const portKey = (addr: string, port: number | string, proto: string | undefined) => (proto === undefined ? `${addr} ${port}` : `${addr} ${port}/${proto}`);

function countsFromConnLog(t: ConnTrace): { src: Map<string, number>; srcPort: Map<string, number>; hasProto: boolean } | undefined {
  const log = readZeekLog(t.connLog);
  if (!log.fields.includes("id.orig_h") || !log.fields.includes("id.resp_p")) return undefined;
  let rows = log.rows;
  if (t.bare) {
    // Zeek's roles differ only for -b reasons (printed): count those connections with our roles
    const fields = log.fields.filter((f) => !["ts", "uid", "local_orig", "local_resp", "service", "tunnel_parents"].includes(f));
    const render = (r: Record<string, string>) => fields.map((c) => `${c}=${r[c]}`).join(" ");
    const ours = asRows(connRecordsOf(readFileSync(t.pcap), t.ignoreChecksums));
    const { rows: adjusted, notes } = adoptBareRoles(ours, log.rows, render);
    for (const n of notes) console.log(`    ${t.name}: ${n}`);
    const zeekSideOfSwapped = new Set(adjusted.filter((r, i) => r !== ours[i]).map(render));
    rows = log.rows.map((r) => (zeekSideOfSwapped.has(render(r)) ? swapped(r) : r));
  }
  const hasProto = log.fields.includes("proto");
  const src = new Map<string, number>();
  const srcPort = new Map<string, number>();
  for (const r of rows) {
    src.set(r["id.orig_h"], (src.get(r["id.orig_h"]) ?? 0) + 1);
    const k = portKey(r["id.orig_h"], r["id.resp_p"], hasProto ? r.proto : undefined);
    srcPort.set(k, (srcPort.get(k) ?? 0) + 1);
  }
  return { src, srcPort, hasProto };
}

function sorted(m: Map<string, number>): string[] {
  return [...m].map(([k, v]) => `${v} ${k}`).sort();
}

noteMissingCaptures("golden top tests");
const traces = connTraces();
if (HAVE_CAPTURES) {
  test("there are conn.log baselines to compare with", () => {
    assert.ok(traces.length >= 20, `only ${traces.length} traces found`);
  });
}

for (const t of traces) {
  const waits = waitsForDnsTimeout(t);
  if (waits) {
    console.log(`  excluded ${t.name}: ${waits}`);
    continue;
  }
  const expected = countsFromConnLog(t);
  if (!expected) {
    console.log(`  excluded ${t.name}: its conn.log has no id columns`);
    continue;
  }
  test(`${t.name}: connections per source equal Zeek's conn.log${t.ignoreChecksums ? " (-C)" : ""}`, () => {
    const pcap = readFileSync(t.pcap);
    const { engine, file } = runBuffer(pcap, { by: ["src"], ignoreChecksums: t.ignoreChecksums });
    assert.is(file.error, undefined, file.error && `${file.error.layer}: ${file.error.reason}`);
    const got = new Map(engine.top(0).map((r) => [r.src!, r.conns]));
    assert.equal(sorted(got), sorted(expected.src));
  });
  test(`${t.name}: connections per (source, port) equal Zeek's conn.log${t.ignoreChecksums ? " (-C)" : ""}`, () => {
    const pcap = readFileSync(t.pcap);
    const { engine } = runBuffer(pcap, { by: ["src", "dport"], ignoreChecksums: t.ignoreChecksums });
    const got = new Map<string, number>();
    for (const r of engine.top(0)) {
      const k = portKey(r.src!, r.dport!, expected.hasProto ? r.proto : undefined);
      got.set(k, (got.get(k) ?? 0) + r.conns);
    }
    assert.equal(sorted(got), sorted(expected.srcPort));
  });
}

test.run();
