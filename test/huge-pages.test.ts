// Huge pages for the core's memory once it passes 128 MiB (src/wasm/huge-pages.ts, through the
// addon native/huge_pages.c that `npm ci` builds): the kernel's own view of the mapping
// (/proc/self/smaps) must carry the advice, and ZK_HUGE_PAGES=0 must leave it out with the same counts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Engine } from "../src/engine.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";
import { REPO } from "./helpers/captures.js";

// 300,000 SYNs from as many sources: the tables take the memory past 128 MiB (200,000 do not)
const FLOOD = generateCaptureBuffer({ packets: 300_000, seed: 1, profile: "synflood" }).data;

function run(capture: Buffer): Engine {
  const engine = new Engine({ by: ["src"] });
  engine.beginFile();
  for (let at = 0; at < capture.length; at += 1 << 20) engine.write(capture.subarray(at, at + (1 << 20)));
  return engine;
}

/** The mapping of /proc/self/smaps that holds `address`: its flags and its huge pages (kB). */
function mappingOf(address: bigint): { flags: string[]; hugeKb: number } {
  for (const entry of readFileSync("/proc/self/smaps", "utf8").split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [from, to] = entry.slice(0, entry.indexOf(" ")).split("-").map((hex) => BigInt(`0x${hex}`));
    if (address < from || address >= to) continue;
    const flags = /VmFlags:(.*)/.exec(entry);
    const huge = /AnonHugePages:\s+(\d+) kB/.exec(entry);
    assert.ok(flags && huge, `smaps entry without VmFlags or AnonHugePages: ${entry.slice(0, 200)}`);
    return { flags: flags![1].trim().split(/\s+/), hugeKb: Number(huge![1]) };
  }
  throw new Error(`no mapping holds 0x${address.toString(16)}`);
}

test("a core whose memory passes 128 MiB asks for huge pages, and the kernel marks its mapping", () => {
  const engine = run(FLOOD);
  const at = engine.hugePagesAt();
  assert.ok(at !== undefined, "no huge pages asked for: is native/build/Release/huge_pages.node built (npm ci)?");
  const mapping = mappingOf(at!);
  assert.ok(mapping.flags.includes("hg"), `VmFlags: ${mapping.flags.join(" ")}`);
  // the kernel gives them unless THP is off altogether
  const thp = readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8");
  if (!thp.includes("[never]")) assert.ok(mapping.hugeKb > 0, `no huge pages in the mapping (THP: ${thp.trim()})`);
  engine.end();
});

test("a small memory is left alone", () => {
  const engine = run(readFileSync(join(REPO, "examples/sample.pcap")));
  assert.is(engine.hugePagesAt(), undefined);
  engine.end();
});

test("ZK_HUGE_PAGES=0: no huge pages asked for, the same counts", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-huge-"));
  try {
    const file = join(dir, "flood.pcap");
    writeFileSync(file, FLOOD);
    const script = `
      import { readFileSync } from "node:fs";
      import { Engine } from ${JSON.stringify(join(REPO, "src/engine.ts"))};
      const engine = new Engine({ by: ["src"] });
      engine.beginFile();
      engine.write(readFileSync(${JSON.stringify(file)}));
      engine.endFile("flood");
      const rows = engine.top(5, "conns");
      console.log(JSON.stringify({ at: String(engine.hugePagesAt()), rows, records: engine.stats().records_read }));`;
    const runChild = (env: Record<string, string>) => {
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: REPO, encoding: "utf8", env: { ...process.env, ...env },
      });
      assert.is(child.status, 0, child.stderr);
      return JSON.parse(child.stdout);
    };
    const on = runChild({});
    const off = runChild({ ZK_HUGE_PAGES: "0" });
    assert.is.not(on.at, "undefined");
    assert.is(off.at, "undefined");
    assert.is(on.records, 300_000);
    assert.equal(off.rows, on.rows);
    assert.is(off.records, on.records);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
