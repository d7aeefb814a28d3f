// Use cases 1 and 2 against Zeek: connections per source and per (source, destination port),
// computed from each trace's conn.log baseline, must equal what zk-stream counts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { runBuffer } from "../src/engine.js";
import { connTraces, readZeekLog, noteMissingCaptures, HAVE_CAPTURES, type ConnTrace } from "./helpers/captures.js";
import { connRecordsOf, asRows, adoptBareRoles, swapped } from "./helpers/conn.js";

const TUNNEL_SERVICES = /\b(vxlan|geneve|teredo|gtpv1|ayiya)\b/;

/** Why a trace waits for the conn-records issue (tunnels), or undefined. */
function waitsForTunnels(path: string): string | undefined {
  const rows = readZeekLog(path).rows;
  const inner = rows.filter((r) => r.tunnel_parents && r.tunnel_parents !== "-" && r.tunnel_parents !== "(empty)").length;
  const outer = rows.filter((r) => TUNNEL_SERVICES.test(r.service ?? "")).length;
  if (inner === 0 && outer === 0) return undefined;
  return `${inner} connections inside tunnels, ${outer} tunnel connections: decapsulation is the conn-records issue`;
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
  const waits = waitsForTunnels(t.connLog);
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
