// A connection's record must not depend on the other traffic around it. The reference captures
// (Zeek's, nDPI's) are merged into one by time, as a sensor sees many conversations at once: each
// capture moved in time (editcap -t), then all merged (mergecap: a pcapng file, an interface per
// capture). Every connection must come out as from its capture alone, column for column, but its
// uid, its time moved back, and the uids in tunnel_parents (as many of them). This exercises what
// one capture at a time never shares: the connection table growing with live connections, timers
// of many connections in one wheel, detection state and buffers taken back and handed to another
// connection, the signature matcher's states built for one connection and used by another.
// - Ends aligned: every capture ends at the same microsecond, so the end of input comes for each
//   connection where it came in its capture alone.
// - Starts aligned: every capture starts at the same microsecond, so the shorter captures'
//   connections still open at their last packet end by their timeouts while the others go on,
//   and must be written as at the end of input.
//
// Captures whose connections share a 5-tuple (either direction) with a capture merged before them
// are left out: there, both conversations are one connection, as they would be on a wire.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh } from "./helpers/cli.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, connectionRows, referenceCaptures, rowDifferences, rowKey, type Reference, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("reference captures merged");

/** A connection's 5-tuple with its endpoints in a fixed order, so that either direction names it. */
function tupleOf(r: Row): string {
  const a = `${r["id.orig_h"]} ${r["id.orig_p"]}`, b = `${r["id.resp_h"]} ${r["id.resp_p"]}`;
  return `${a < b ? `${a}|${b}` : `${b}|${a}`} ${r.proto}`;
}

/** Microseconds from a conn.log time ("1055289968.793044"). */
const micros = (ts: string): bigint => BigInt(ts.replace(".", ""));
const asTime = (us: bigint): string => `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, "0")}`;

/** Each capture's first or last time stamp, in microseconds (capinfos: the earliest, the latest). */
function times(files: string[], which: "start" | "end"): Map<string, bigint> {
  const r = sh(`capinfos -T -r -S ${which === "start" ? "-a" : "-e"} ${files.map((f) => `'${f}'`).join(" ")}`);
  assert.is(r.code, 0, r.stderr);
  const out = new Map<string, bigint>();
  for (const line of r.stdout.trim().split("\n")) {
    const [file, end] = line.split("\t");
    const [s, frac = ""] = end.split(".");
    out.set(file, BigInt(s) * 1_000_000n + BigInt((frac + "000000").slice(0, 6)));
  }
  return out;
}

/** The reference captures merged with their starts or ends aligned: the differences from each
 *  capture alone. */
function mergedAligned(align: "start" | "end"): string[] {
  // Captures with no 5-tuple in common, in name order.
  const taken = new Set<string>();
  const merged: Reference[] = [], left: string[] = [];
  for (const ref of referenceCaptures()) {
    const tuples = new Set([...ref.rows.values()].map(tupleOf));
    if ([...tuples].some((t) => taken.has(t))) { left.push(ref.name); continue; }
    tuples.forEach((t) => taken.add(t));
    merged.push(ref);
  }
  const dir = mkdtempSync(join(tmpdir(), "zk-merged-"));
  try {
    const at = times(merged.map((m) => m.file), align);
    const common = [...at.values()].reduce((a, b) => (a > b ? a : b)) + 1_000_000n;
    const shifts = new Map<Reference, bigint>();
    const shifted = merged.map((ref, i) => {
      const shift = common - at.get(ref.file)!;
      shifts.set(ref, shift);
      const out = join(dir, `${i}.pcapng`);
      const r = sh(`editcap -F pcapng -t ${asTime(shift)} '${ref.file}' '${out}'`);
      assert.is(r.code, 0, `${ref.name}: ${r.stderr}`);
      return out;
    });
    const m = sh(`mergecap -w '${join(dir, "all.pcapng")}' ${shifted.map((f) => `'${f}'`).join(" ")}`);
    assert.is(m.code, 0, m.stderr);
    const all = connectionRows(readFileSync(join(dir, "all.pcapng")));

    // Each merged connection back to its capture, by its 5-tuple, and its time moved back.
    const owner = new Map<string, Reference>();
    for (const ref of merged) for (const r of ref.rows.values()) owner.set(tupleOf(r), ref);
    const found = new Map<Reference, Map<string, Row>>(merged.map((ref) => [ref, new Map()]));
    const differences: string[] = [];
    for (const r of all.values()) {
      const ref = owner.get(tupleOf(r));
      if (!ref) { differences.push(`${r["id.orig_h"]}:${r["id.orig_p"]} > ${r["id.resp_h"]}:${r["id.resp_p"]} ${r.proto} at ${r.ts}: new`); continue; }
      const ts = asTime(micros(r.ts) - shifts.get(ref)!);
      const row = { ...r, ts };
      found.get(ref)!.set(rowKey(row), row);
    }
    const uids = (s: string) => (s === "-" ? 0 : s.split(",").length);
    const compare = (a: Row, b: Row) => [
      ...changedFields(a, b, ["uid", "tunnel_parents"]),
      ...(uids(a.tunnel_parents) === uids(b.tunnel_parents) ? [] : [`tunnel_parents ${a.tunnel_parents} -> ${b.tunnel_parents}`]),
    ];
    for (const ref of merged) differences.push(...rowDifferences(ref.name, ref.rows, found.get(ref)!, compare));
    const connections = merged.reduce((n, ref) => n + ref.rows.size, 0);
    console.log(`  ${align}s aligned: ${merged.length} captures merged (${connections} connections); left out for a shared 5-tuple: ${left.length}`);
    assert.ok(merged.length >= 60 && connections >= 1000, `most captures merged: ${merged.length}, ${connections} connections`);
    return differences;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const align of ["end", "start"] as const) {
  if (HAVE_CAPTURES) test(`the reference captures merged by time, ${align}s aligned: every connection as in its capture alone`, () => {
    const differences = mergedAligned(align);
    assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
  });
}

test.run();
