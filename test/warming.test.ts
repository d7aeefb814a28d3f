// Cache warming (assembly/flow/warm.ts) is an optimisation: it loads table lines ahead and hashes
// each batch's keys from a quick parse, and the table then uses those hashes instead of its own.
// It turns itself on only past 16,384 live connections, which no reference capture reaches; here
// every capture of ../shared/captures is run with warming always on and always off, and every conn
// record and top row must be the same. (The golden tests compare the default run with Zeek's.)
// The release core takes the hash warm.ts computed for a packet on trust; the debug core asserts
// that it equals the table's own (assembly/flow/table.ts flowPacket): this file runs once more on
// the debug core (ZK_WASM), so a quick parse that keys any packet of any capture otherwise fails.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ConnRecord } from "../src/conn.js";
import type { Warming } from "../src/wasm/core.js";
import { CAPTURES, HAVE_CAPTURES, capturesUnder, REPO, noteMissingCaptures } from "./helpers/captures.js";
import { runTrace } from "./helpers/conn.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";
import type { Link } from "../bench/gen/frame.js";

interface Run { records: ConnRecord[]; rows: unknown[]; packets: number }

function run(pcap: Buffer, warming: Warming): Run {
  const { records, engine } = runTrace(pcap, { by: ["src", "dport", "service"], warming });
  return { records, rows: engine.top(1_000_000, "pkts"), packets: engine.stats().records_read };
}

test("the warming covers each link layer and tunnel it names: as many records keyed as on Ethernet", () => {
  // the same generated packets as Ethernet, Linux cooked v2, inside GRE (ERSPAN II), inside VXLAN
  // and inside GTP-U
  const warmed = (link: Link) => {
    const { data, result } = generateCaptureBuffer({ packets: 3000, seed: 5, link });
    const { engine } = runTrace(data, { warming: "always" });
    assert.is(engine.stats().records_read, result.packets, link);
    return { warmed: engine.warmedRecords(), tunnelled: engine.warmedTunnelled(), packets: result.packets };
  };
  const ethernet = warmed("ethernet");
  assert.ok(ethernet.warmed > ethernet.packets * 0.8, `ethernet: ${ethernet.warmed} of ${ethernet.packets} records (TCP and UDP)`);
  assert.is(ethernet.tunnelled, 0, "ethernet: no tunnel");
  assert.is(warmed("sll2").warmed, ethernet.warmed, "sll2");
  assert.is(warmed("erspan").warmed, ethernet.warmed, "erspan");
  for (const link of ["vxlan", "gtp"] as const) {
    const w = warmed(link);
    assert.is(w.warmed, ethernet.packets, `${link}: every outer packet is UDP`);
    assert.is(w.tunnelled, ethernet.warmed, `${link}: the packets inside, as on Ethernet`);
  }
});

if (!HAVE_CAPTURES) {
  noteMissingCaptures("warming.test.ts");
} else {
  const files = capturesUnder(CAPTURES);
  test("there are captures to run", () => {
    assert.ok(files.length > 200, `${files.length} captures under ${CAPTURES}`);
  });
  test("every capture gives the same conn records and rows with warming always on and off", () => {
    let packets = 0;
    for (const file of files) {
      const pcap = readFileSync(file);
      const on = run(pcap, "always");
      const off = run(pcap, "never");
      const name = relative(CAPTURES, file);
      assert.equal(on.records, off.records, `${name}: conn records`);
      assert.equal(on.rows, off.rows, `${name}: top rows`);
      packets += on.packets;
    }
    assert.ok(packets > 20_000, `${packets} packets run`);
  });
  if (!process.env.ZK_WASM) {
    test("the same on the debug core, which asserts that every warmed hash is the table's own", () => {
      const debug = join(REPO, "build/zk.debug.wasm");
      assert.ok(existsSync(debug), `${debug} is missing (npm test builds it: npm run build:wasm:debug)`);
      const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
        cwd: REPO, env: { ...process.env, ZK_WASM: debug, FORCE_COLOR: "0" }, encoding: "utf8",
        timeout: 300_000, maxBuffer: 64 << 20,
      });
      assert.is(r.status, 0, `${r.error ?? ""}\n${r.stdout}\n${r.stderr}`);
      const total = /Total:\s+(\d+)/.exec(r.stdout)?.[1], passed = /Passed:\s+(\d+)/.exec(r.stdout)?.[1];
      assert.ok(total !== undefined && Number(total) >= 2 && passed === total, r.stdout);
    });
  }
}

test.run();
