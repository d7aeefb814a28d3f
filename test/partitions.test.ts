// A run split among threads (zk-stream top --threads N): each partition reads the whole capture but
// keeps only the connections whose key hash falls in it, and one partition adds up the others' rows
// (Engine.partitionResult / absorb). Here the partitions run one after the other in this thread, on
// every capture of ../shared/captures and on a generated one with more rows than one segment of the
// core's table: their merged rows and counts must equal a single run's, for every metric. The
// threads themselves are tested through the command (cli.threads.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { Engine, type KeyField, type Stats } from "../src/engine.js";
import type { Warming } from "../src/wasm/core.js";
import { CAPTURES, HAVE_CAPTURES, capturesUnder, noteMissingCaptures } from "./helpers/captures.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";

interface Options { by: KeyField[]; warming?: Warming; maxConnections?: number }

function runEngine(pcap: Buffer, o: Options, partition?: { index: number; count: number }): Engine {
  const engine = new Engine({ by: o.by, warming: o.warming, maxConnections: o.maxConnections, partition });
  engine.beginFile();
  engine.write(pcap);
  engine.endFile("capture");
  engine.end();
  return engine;
}

/** Partition 0 of `count` with the others' results absorbed. */
function runPartitioned(pcap: Buffer, o: Options, count: number): Engine {
  const first = runEngine(pcap, o, { index: 0, count });
  for (let index = 1; index < count; index++) first.absorb(runEngine(pcap, o, { index, count }).partitionResult());
  return first;
}

/** What a run answers: every row by each metric, and the stats. */
function answers(engine: Engine): { conns: unknown; pkts: unknown; bytes: unknown; stats: Stats } {
  return { conns: engine.top(0, "conns"), pkts: engine.top(0, "pkts"), bytes: engine.top(0, "bytes"), stats: engine.stats() };
}

test("split into 2 or 3 partitions, every reference capture gives a single run's rows and stats", () => {
  if (!HAVE_CAPTURES) return noteMissingCaptures("partitions");
  const files = capturesUnder(CAPTURES);
  assert.ok(files.length > 200, `${files.length} captures`);
  let split = 0;
  for (const file of files) {
    const pcap = readFileSync(file);
    for (const by of [["src"], ["src", "dport", "service"]] as KeyField[][]) {
      const single = answers(runEngine(pcap, { by }));
      for (const count of [2, 3]) {
        const parts = answers(runPartitioned(pcap, { by }, count));
        assert.equal(parts, single, `${relative(CAPTURES, file)} --by ${by.join(",")}, ${count} partitions`);
      }
      // the partitions must really split: partition 0 alone keeps fewer connections
      if (single.stats.connections > 8 && runEngine(pcap, { by }, { index: 0, count: 2 }).stats().connections < single.stats.connections) split++;
    }
  }
  assert.ok(split > 40, `${split} runs split their connections`);
});

test("a generated capture with over 10,000 rows (two segments of the core's rows), warmed or not", () => {
  const { data } = generateCaptureBuffer({ packets: 60_000, seed: 21 });
  for (const warming of ["always", "never"] as const) {
    const by: KeyField[] = ["src", "dport"];
    const single = answers(runEngine(data, { by, warming }));
    assert.ok((single.conns as unknown[]).length > 10_000, `${(single.conns as unknown[]).length} rows`);
    for (const count of [2, 4]) assert.equal(answers(runPartitioned(data, { by, warming }, count)), single, `${warming}, ${count} partitions`);
  }
});

test("--max-connections: the partitions' evictions add up", () => {
  const { data } = generateCaptureBuffer({ packets: 20_000, seed: 22 });
  const o: Options = { by: ["src"], maxConnections: 100 };
  const limited = runPartitioned(data, o, 2).stats();
  assert.is(runPartitioned(data, { by: ["src"] }, 2).stats().connections_evicted, 0, "no limit, no eviction");
  const each = [0, 1].map((index) => runEngine(data, o, { index, count: 2 }).stats());
  assert.ok(each[0].connections_evicted > 0 && each[1].connections_evicted > 0, "the limit evicted connections in both");
  assert.is(limited.connections_evicted, each[0].connections_evicted + each[1].connections_evicted);
  assert.is(limited.connections, each[0].connections + each[1].connections);
});

test("shadows do not count against a partition's share of --max-connections", () => {
  // inside VXLAN every partition keeps the outer connections of the others as shadows: with a
  // limit above the run's connections no partition may evict (each evicted about 3,500 when the
  // shadows counted)
  const { data } = generateCaptureBuffer({ packets: 30_000, seed: 23, link: "vxlan" });
  const single = answers(runEngine(data, { by: ["src"] }));
  const o: Options = { by: ["src"], maxConnections: Math.ceil(single.stats.connections * 1.2) };
  for (const index of [0, 1]) assert.is(runEngine(data, o, { index, count: 2 }).stats().connections_evicted, 0, `partition ${index}`);
  assert.equal(answers(runPartitioned(data, o, 2)), single);
});

test.run();
