// --max-connections: at the limit a connection ends early (its record written), never a crash;
// the live count never passes the limit; every connection still gets exactly one record.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Engine, EVENT_KIND, runBuffer } from "../src/engine.js";
import type { ConnRecord } from "../src/conn.js";
import { runTrace } from "./helpers/conn.js";
import { REPO } from "./helpers/captures.js";
import { smbSessions, udpFlows } from "./helpers/packets.js";
import { zk } from "./helpers/cli.js";

const SAMPLE = join(REPO, "examples/sample.pcap");

function run(maxConnections: number) {
  let live = 0, peak = 0, ends = 0, starts = 0;
  const engine = new Engine({
    by: ["src"],
    maxConnections,
    eventKinds: (1 << EVENT_KIND.new_connection) | (1 << EVENT_KIND.connection_end),
    onEvents: (batch) => {
      for (let off = 0; off < batch.length; off += 64) {
        if (batch[off] === EVENT_KIND.new_connection) { live++; starts++; peak = Math.max(peak, live); }
        else if (batch[off] === EVENT_KIND.connection_end) { live--; ends++; }
      }
    },
  });
  engine.beginFile();
  engine.write(readFileSync(SAMPLE));
  engine.endFile("sample");
  engine.end();
  return { peak, starts, ends, stats: engine.stats() };
}

test("unlimited: the sample's 34 connections (Zeek's conn.log) with none evicted", () => {
  const r = run(0);
  assert.is(r.stats.connections, 34);
  assert.is(r.stats.connections_evicted, 0);
  assert.is(r.ends, r.starts);
});

test("a limit of 3: never more than 3 live, each eviction ends one connection with its record", () => {
  const unlimited = run(0);
  const r = run(3);
  assert.ok(r.peak <= 3, `peak ${r.peak}`);
  assert.ok(r.stats.connections_evicted > 0);
  assert.is(r.ends, r.starts, "every connection ends exactly once");
  // an evicted connection that sees another packet starts anew: never fewer connections
  assert.ok(r.stats.connections >= unlimited.stats.connections);
  assert.is(r.stats.records_read, unlimited.stats.records_read);
});

test("the CLI warns about evictions and counts them in --stats; a bad value is a usage error", () => {
  const res = zk(["top", "--max-connections", "3", "--stats", SAMPLE]);
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stderr, /connections ended early: the table was full \(--max-connections\) or their buffers passed 1 GiB/);
  const stats = JSON.parse(res.stderr.trim().split("\n").pop()!);
  assert.ok(stats.connections_evicted > 0);
  assert.is(zk(["top", "--max-connections", "many", SAMPLE]).code, 1);
});

// At the end of input the core ends every connection without keeping its table (src/wasm/core.ts,
// assembly/flow/table.ts): packets or time after that, even from an event sink during the end,
// are refused with an error rather than applied to ended connections.
test("after end(), and from a sink while it runs, more packets or time are refused", () => {
  const sample = readFileSync(SAMPLE);
  let fromSink: unknown;
  const engine = new Engine({
    by: ["src"],
    eventKinds: 1 << EVENT_KIND.connection_end,
    onEvents: () => {
      if (fromSink !== undefined) return;
      try { engine.write(sample.subarray(24, 200)); fromSink = "accepted"; } catch (e) { fromSink = e; }
    },
  });
  engine.beginFile();
  engine.write(sample);
  engine.endFile("sample");
  engine.end();
  assert.instance(fromSink, Error);
  assert.match((fromSink as Error).message, /input has ended/);
  assert.throws(() => engine.write(sample), /input has ended/);
  assert.is(engine.stats().connections, 34);
});

// A writer ends the connections still open a batch at a time (src/cli/stream.ts), writing each
// batch's lines before the next, so that a million of them are never held as text at once.
test("endSome(n): at most n connections end per step, the same records in the same order as end()", () => {
  const sample = readFileSync(SAMPLE);
  const runWith = (finish: (e: Engine, records: ConnRecord[]) => number[]) => {
    let before = 0, steps: number[] = [];
    const { records } = runTrace(sample, {}, (e, got) => { before = got.length; steps = finish(e, got); });
    return { records, before, steps };
  };
  const whole = runWith((e) => { e.end(); return []; });
  const stepped = runWith((e, records) => {
    const perStep: number[] = [];
    for (let more = true; more;) {
      const n = records.length;
      more = e.endSome(5);
      perStep.push(records.length - n);
    }
    assert.is(e.endSome(5), false);
    return perStep;
  });
  const atEnd = whole.records.length - whole.before;
  assert.ok(atEnd > 10, `${atEnd} connections still open at the end of the sample`);
  assert.equal(stepped.records, whole.records);
  assert.ok(stepped.steps.length >= Math.ceil(atEnd / 5), `steps: ${stepped.steps.join(" ")}`);
  assert.ok(stepped.steps.every((n) => n <= 5), `per step: ${stepped.steps.join(" ")}`);
  // between steps the input has ended; end() finishes what steps began; a step needs a size
  const mixed = runWith((e, records) => {
    const n = records.length;
    assert.is(e.endSome(3), true);
    assert.is(records.length - n, 3);
    assert.throws(() => e.write(sample), /input has ended/);
    assert.throws(() => e.advanceTime(2e18), /input has ended/);
    assert.throws(() => e.endSome(0), RangeError);
    e.end();
    assert.is(e.endSome(3), false);
    return [];
  });
  assert.equal(mixed.records, whole.records);
});


// Each SMB session takes an 8 KiB buffer of the analyzer's (detect/aux.ts) until its connection
// ends: a flood of them once grew wasm's memory to its 4 GiB and trapped, long before the
// connection limit. Past the buffers' budget the connections whose timers come first end early.
function smbFlood(n: number, options: { detectionMemory?: number; chunk?: number } = {}) {
  const engine = new Engine({ by: ["src", "service"], ignoreChecksums: true, detectionMemory: options.detectionMemory });
  const data = smbSessions(n);
  const chunk = options.chunk ?? 1 << 20;
  let peak = 0;
  engine.beginFile();
  for (let off = 0; off < data.length; off += chunk) {
    engine.write(data.subarray(off, off + chunk));
    peak = Math.max(peak, engine.detectionBytes());
  }
  engine.endFile("smb flood");
  engine.end();
  return { peak, stats: engine.stats(), left: engine.poolRecordsInUse() };
}

test("past the buffers' budget, connections end early: memory stays within it, every session still counted", () => {
  const N = 4000, BUDGET = 4 << 20;
  const unlimited = smbFlood(N, { chunk: 16384 });
  assert.ok(unlimited.peak > 4 * BUDGET, `without a small budget the buffers reach ${unlimited.peak} bytes`);
  assert.is(unlimited.stats.connections_evicted, 0);
  const r = smbFlood(N, { detectionMemory: BUDGET, chunk: 16384 });
  // checked before each packet: at most one packet's buffers (under 16 KiB) past the budget
  assert.ok(r.peak <= BUDGET + 16384, `peak ${r.peak} bytes for a budget of ${BUDGET}`);
  assert.ok(r.peak > BUDGET / 2, `peak ${r.peak}: the budget is used`);
  assert.ok(r.stats.connections_evicted > N / 2, `${r.stats.connections_evicted} evicted`);
  assert.is(r.left, 0, "every buffer returned");
  assert.is(unlimited.stats.connections, N);
  // an evicted connection that sees another packet starts anew: never fewer
  assert.ok(r.stats.connections >= N, `${r.stats.connections} connections`);
  assert.is(r.stats.records_read, unlimited.stats.records_read);
});

test("a flood of 500,000 SMB sessions runs to its end with the default budget (it trapped at wasm's 4 GiB)", () => {
  const r = smbFlood(500_000);
  assert.ok(r.peak <= (1 << 30) + 16384, `peak ${r.peak}`);
  assert.ok(r.stats.connections_evicted > 0);
  assert.ok(r.stats.connections >= 500_000);
  assert.is(r.stats.records_read, 2_000_000);
});

// Distinct keys are bounded (default 2^24) so that a flood of spoofed sources cannot fill wasm's
// memory: past the bound a new key's connections are in no row, and counted apart.
test("past maxKeys distinct keys, connections are in no row and counted apart, in one run and split", () => {
  const N = 5000, MAX = 1000;
  const data = udpFlows(N);
  const all = runBuffer(data, { by: ["src"] }).engine;
  assert.is(all.top(0).length, N);
  assert.is(all.stats().connections_uncounted, undefined);
  const bounded = runBuffer(data, { by: ["src"], maxKeys: MAX }).engine;
  const rows = bounded.top(0);
  assert.is(rows.length, MAX);
  // the first MAX sources seen keep their rows, with their counts
  const first = new Set(Array.from({ length: MAX }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
  assert.equal(rows, all.top(0).filter((r) => first.has(r.src!)));
  assert.is(bounded.stats().connections_uncounted, N - MAX);
  assert.is(bounded.stats().connections, N);
  for (const count of [2, 3]) {
    const parts = Array.from({ length: count }, (_, index) => runBuffer(data, { by: ["src"], maxKeys: MAX, partition: { index, count } }).engine);
    for (const p of parts.slice(1)) parts[0].absorb(p.partitionResult());
    const merged = parts[0].top(0);
    assert.ok(merged.length <= MAX && merged.length > 0, `${merged.length} rows`);
    assert.ok(merged.every((r) => r.conns === 1 && !r.src!.startsWith("255")), "no row of the overflow");
    assert.is(merged.length + (parts[0].stats().connections_uncounted ?? 0), N, `${count} partitions: every connection in a row or uncounted`);
  }
});

test.run();
