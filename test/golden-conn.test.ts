// conn.log against Zeek's: for every trace with a usable conn.log baseline, our records equal
// Zeek's on every column present, except ts, uid, local_orig, local_resp (and service while
// protocol detection is incomplete: compared in the detection tests). Multisets keyed by 5-tuple.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { connRecordsOf, asRows, keyOf, adoptBareRoles } from "./helpers/conn.js";
import { connTraces, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

const IGNORED = new Set(["ts", "uid", "local_orig", "local_resp", "service"]);

/**
 * tunnel_parents names uids, which nobody can reproduce: map each to its outer connection's
 * 5-tuple from the same log (an IP tunnel's uid is in no conn.log row: "outside").
 */
function mapTunnelParents(rows: Record<string, string>[]): Record<string, string>[] {
  const byUid = new Map(rows.map((r) => [r.uid, keyOf(r)]));
  return rows.map((r) => {
    const tp = r.tunnel_parents;
    if (tp === undefined || tp === "-" || tp === "(empty)") return r;
    const mapped = tp.split(",").map((u) => byUid.get(u) ?? "outside").sort().join(",");
    return { ...r, tunnel_parents: mapped };
  });
}

noteMissingCaptures("golden conn.log tests");
for (const t of connTraces()) {
  const log = readZeekLog(t.connLog);
  const columns = log.fields.filter((f) => !IGNORED.has(f));
  if (columns.length === 0) {
    console.log(`  excluded ${t.name}: its baseline has no column to compare but ${log.fields.join(", ")}`);
    continue;
  }
  const hasIds = log.fields.includes("id.orig_h");
  test(`${t.name}: conn.log ${hasIds ? "records" : `columns ${columns.join(", ")}`} equal Zeek's${t.ignoreChecksums ? " (-C)" : ""}${t.bare ? " (-b)" : ""}`, () => {
    const ours = mapTunnelParents(asRows(connRecordsOf(readFileSync(t.pcap), t.ignoreChecksums)));
    const zeekRows = mapTunnelParents(log.rows);
    const render = (r: Record<string, string>) => columns.map((c) => `${c}=${r[c]}`).join(" ");
    const expected = zeekRows.map(render).sort();
    let got = ours.map(render).sort();
    if (t.bare && hasIds && expected.join("\n") !== got.join("\n")) {
      // -b: Zeek ran with a smaller likely_server_ports, so a connection whose first packet was not
      // a SYN can have the other roles. Accept exactly that difference, and say so per connection.
      const { rows, notes } = adoptBareRoles(ours, zeekRows, render);
      for (const n of notes) console.log(`    ${t.name}: ${n}`);
      got = rows.map(render).sort();
    }
    if (expected.join("\n") !== got.join("\n")) {
      const exp = new Map<string, string[]>(), have = new Map<string, string[]>();
      const k = (r: Record<string, string>) => (hasIds ? keyOf(r) : "all");
      for (const r of zeekRows) exp.set(k(r), [...(exp.get(k(r)) ?? []), render(r)]);
      for (const r of ours) have.set(k(r), [...(have.get(k(r)) ?? []), render(r)]);
      const lines: string[] = [];
      for (const key of new Set([...exp.keys(), ...have.keys()])) {
        const a = (exp.get(key) ?? []).sort().join(" | "), b = (have.get(key) ?? []).sort().join(" | ");
        if (a !== b) lines.push(`  ${key}\n    zeek: ${a || "(none)"}\n    ours: ${b || "(none)"}`);
      }
      assert.unreachable(`records differ:\n${lines.join("\n")}`);
    }
  });
}

test.run();
