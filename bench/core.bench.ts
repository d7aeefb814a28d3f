// Core micro-benchmarks (issue 6, part 2): packets/s and MB/s of the wasm core alone. A capture is
// generated into memory as 1 MiB chunks, then an Engine is fed those chunks (no I/O, no streams)
// and asked for its top 10 at the end; tinybench times whole runs, a new Engine each time.
//
//   npm run bench [-- --profiles cache,million,synflood] [--packets N] [--iterations N] [--seed N]
//
// Profiles (bench/gen.ts): cache (a few thousand concurrent connections: tables stay in cache),
// million (a million concurrent connections), synflood (every packet a SYN from a new source:
// the rows of `top --by src` must equal the distinct sources in the capture, counted here from
// the capture's bytes). Each with `--by src` (no protocol detection) and `--by src,service`
// (detection on), each pair in a child process of its own, so that its peak RSS is its own.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { DEFAULT_MAX_CONNECTIONS, Engine, KEY_FIELDS, type EngineOptions, type KeyField } from "../src/engine.js";
import { Core, type CoreOptions } from "../src/wasm/core.js";
import { PROFILES, type ProfileName } from "./gen.js";
import { captureChunks, distinctIPv4Sources } from "./lib/capture.js";
import { builds, describeMachine, machine, mb, si, table } from "./lib/report.js";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const DEFAULT_PACKETS: Record<ProfileName, number> = { mixed: 2_000_000, cache: 1_000_000, million: 2_000_000, synflood: 5_000_000 };
const TARGET_PPS: Partial<Record<ProfileName, number>> = { cache: 10e6, million: 3e6 };
const SYNFLOOD_RSS_TARGET = 1e9;

type Keys = "src" | "src,service";

/** One (profile, keys) pair, measured in a child process of its own. */
interface Result {
  profile: ProfileName;
  keys: Keys;
  /** How the core was driven: the Engine, or the Core directly when the Engine has no service key yet. */
  via: string;
  packets: number;
  bytes: number;
  genSeconds: number;
  /** Connections the generator made (its own estimate of Zeek's count). */
  genConnections: number;
  /** Distinct IPv4 sources counted in the capture bytes (synflood only). */
  distinctSources?: number;
  /** Timed runs, in the order they ran (ms), and their median. */
  ms: number[];
  medianMs: number;
  pps: number;
  mbps: number;
  records: number;
  connections: number;
  evicted: number;
  /** Rows of the full table (top 0) and the sum of its conns column. */
  rows: number;
  conns: number;
  /** RSS with the capture in memory, before any engine. */
  rssInput: number;
  /** Peak RSS after one run with one engine alive, before top(0). */
  rssOneRun: number;
  /** Peak RSS after top(0) built every row as JS objects. */
  rssAllRows: number;
  /** Peak RSS at the end (timed runs included: engines wait for the GC). */
  rssEnd: number;
}

/** One engine run over the chunks; the same calls the CLI makes (write per chunk, end, top). */
interface Runner {
  write(c: Uint8Array): void;
  end(): void;
  /** Top n rows (0: all): their count and the sum of conns. */
  top(n: number): { rows: number; conns: number };
  stats(): { records: number; connections: number; evicted: number };
}

const ENGINE_HAS_SERVICE = (KEY_FIELDS as readonly string[]).includes("service");

function makeRunner(keys: Keys): Runner {
  if (keys === "src" || ENGINE_HAS_SERVICE) {
    // as the CLI's `top` (metric conns): `metrics` lets the core skip per-row packet/byte counts
    // where the Engine supports it (an older Engine ignores the option)
    const e = new Engine({ by: keys.split(",") as KeyField[], metrics: ["conns"] } as EngineOptions);
    e.beginFile();
    return {
      write: (c) => { if (!e.write(c)) throw new Error(`engine: ${e.endFile("bench").error?.reason}`); },
      end: () => {
        const f = e.endFile("bench");
        if (f.error) throw new Error(`engine: ${f.error.reason}`);
        e.end();
      },
      top: (n) => { const r = e.top(n); return { rows: r.length, conns: r.reduce((s, x) => s + x.conns, 0) }; },
      stats: () => { const s = e.stats(); return { records: s.records_read, connections: s.connections, evicted: s.connections_evicted }; },
    };
  }
  // The Engine does not take a service key yet; the core does (assembly/top/counters.ts: BY_SRC 1,
  // BY_SERVICE 8). Drive the Core as the Engine would, with detection on.
  const c = new Core({ flags: 0, byMask: 1 | 8, detectProtocols: true, maxConnections: DEFAULT_MAX_CONNECTIONS, countTraffic: false } as CoreOptions);
  c.beginFile();
  const check = (code: number): void => { if (code !== 0) throw new Error(`core: error ${JSON.stringify(c.error())}`); };
  return {
    write: (chunk) => check(c.write(chunk)),
    end: () => { check(c.endFile()); c.finish(); },
    top: (n) => { const r = c.top(n, 0); return { rows: r.length, conns: r.reduce((s, x) => s + x.conns, 0) }; },
    stats: () => { const s = c.stats(11); return { records: s.recordsRead, connections: s.totalConnections, evicted: s.evictedConnections }; },
  };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Child: one profile and key set; prints one JSON line. */
function child(profile: ProfileName, keys: Keys, packets: number, seed: number, iterations: number): void {
  const t0 = performance.now();
  const { chunks, bytes, result } = captureChunks({ profile, packets, seed });
  const genSeconds = (performance.now() - t0) / 1000;
  const distinctSources = profile === "synflood" ? distinctIPv4Sources(chunks, result.packets) : undefined;
  gc();
  const rssInput = process.memoryUsage().rss;

  // first an untimed run, alone in the process: the counts, and the peak RSS of one engine
  let r: Runner | undefined = makeRunner(keys);
  for (const c of chunks) r.write(c);
  r.end();
  const st = r.stats();
  const rssOneRun = maxRss();
  const all = r.top(0);
  const rssAllRows = maxRss();
  r = undefined;
  gc();

  const ms: number[] = [];
  let phase: string | undefined;
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0, retainSamples: true, throws: true });
  bench.add(`${profile} --by ${keys}`, () => {
    const t = performance.now();
    const e = makeRunner(keys);
    for (const c of chunks) e.write(c);
    e.end();
    e.top(10);
    if (phase === "run") ms.push(performance.now() - t);
  }, { beforeEach: (mode) => { phase = mode; }, afterEach: () => gc() });
  bench.runSync();
  const task = bench.tasks[0];
  const res = task.result;
  if (res.state !== "completed") throw new Error(`${task.name}: ${res.state}${"error" in res ? `: ${res.error.message}` : ""}`);
  const medianMs = res.latency.p50;
  const out: Result = {
    profile, keys, via: keys === "src" || ENGINE_HAS_SERVICE ? "Engine" : "Core (byMask src|service)",
    packets: result.packets, bytes, genSeconds, genConnections: result.connections, distinctSources,
    ms, medianMs,
    pps: st.records / (medianMs / 1000),
    mbps: bytes / 1e6 / (medianMs / 1000),
    records: st.records, connections: st.connections, evicted: st.evicted,
    rows: all.rows, conns: all.conns,
    rssInput, rssOneRun, rssAllRows, rssEnd: maxRss(),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function main(): number {
  const { values: a } = parseArgs({
    options: {
      child: { type: "string" }, keys: { type: "string" }, profiles: { type: "string" }, packets: { type: "string" },
      seed: { type: "string" }, iterations: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (a.help) {
    process.stdout.write("usage: npm run bench [-- --profiles cache,million,synflood] [--packets N] [--iterations N] [--seed N]\n");
    return 0;
  }
  const seed = Number(a.seed ?? 1);
  const iterations = Number(a.iterations ?? 3);
  const packetsArg = a.packets !== undefined ? Number(a.packets.replace(/_/g, "").replace(/[mM]$/, "e6").replace(/[kK]$/, "e3")) : undefined;
  if (a.child) {
    child(a.child as ProfileName, a.keys as Keys, packetsArg ?? DEFAULT_PACKETS[a.child as ProfileName], seed, iterations);
    return 0;
  }
  const profiles = (a.profiles ?? "cache,million,synflood").split(",") as ProfileName[];
  for (const p of profiles) if (!PROFILES.includes(p)) throw new Error(`unknown profile ${p}`);

  const m = machine(REPO);
  console.log(`# zk-stream core benchmark: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`);
  console.log(`# the wasm core alone: the capture generated into memory as 1 MiB chunks, fed to a new Engine per run (no I/O), then top(10)`);
  console.log(`# ${describeMachine(m)}`);
  console.log(`# measured: src/ through tsx, ${builds(REPO, ["build/zk.wasm"])}`);
  console.log(`# median of ${iterations} timed runs after 1 warm-up run; a child process per (profile, keys), so each peak RSS is its own.`);
  console.log(`# The machine is shared and busy: expect noise (the runs of each row are listed below the table).\n`);

  const results: Result[] = [];
  let failed = 0;
  for (const profile of profiles) {
    for (const keys of ["src", "src,service"] as Keys[]) {
      const packets = packetsArg ?? DEFAULT_PACKETS[profile];
      process.stderr.write(`core bench: ${profile} --by ${keys}, ${packets} packets ...\n`);
      const r = spawnSync(process.execPath, [...process.execArgv, "--expose-gc", fileURLToPath(import.meta.url),
        "--child", profile, "--keys", keys, "--packets", String(packets), "--seed", String(seed), "--iterations", String(iterations)],
      { cwd: REPO, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 24 });
      if (r.status !== 0) {
        console.log(`${profile} --by ${keys}: child failed (status ${r.status}, signal ${r.signal}); see stderr`);
        failed++;
        continue;
      }
      results.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as Result);
    }
  }

  const rows: string[][] = results.map((v) => {
    const target = TARGET_PPS[v.profile];
    const exact = v.distinctSources === undefined || v.keys !== "src" ? "" : v.rows === v.distinctSources ? "exact" : "NOT EXACT";
    return [
      v.profile, `--by ${v.keys}`, si(v.packets), mb(v.bytes), si(v.connections), si(v.rows),
      (v.medianMs / 1000).toFixed(3), si(v.pps), v.mbps.toFixed(0),
      target ? `${si(target, 2)} ${v.pps >= target ? "ok" : "MISS"}` : "",
      mb(v.rssOneRun - v.bytes), exact,
    ];
  });
  console.log(table(["profile", "keys", "packets", "MB", "conns", "rows", "s (median)", "pkt/s", "MB/s", "target pkt/s", "RSS MB*", "rows = sources"], rows));
  console.log(`* peak RSS of the process after one run, minus the capture held in memory: what a streaming run needs.\n`);

  for (const v of results) {
    console.log(`${v.profile} --by ${v.keys} (${v.via}): ${v.packets} packets, ${v.bytes} bytes (generated in ${v.genSeconds.toFixed(1)} s; ` +
      `the generator counts ~${v.genConnections} connections)`);
    console.log(`  runs ${v.ms.map((x) => (x / 1000).toFixed(3)).join(" ")} s in order; records ${v.records}, connections ${v.connections} ` +
      `(${v.evicted} ended early at the ${DEFAULT_MAX_CONNECTIONS} limit), rows ${v.rows}, sum of conns ${v.conns}`);
    console.log(`  RSS: ${mb(v.rssInput)} MB with the capture in memory; peak ${mb(v.rssOneRun)} MB after one run, ` +
      `${mb(v.rssAllRows)} MB after top(0) made ${v.rows} row objects, ${mb(v.rssEnd)} MB at the end`);
    if (v.distinctSources !== undefined && v.keys === "src") {
      const exact = v.rows === v.distinctSources && v.conns === v.distinctSources;
      const rss = v.rssOneRun - v.bytes;
      console.log(`  exact counts: rows of top --by src ${v.rows}, distinct sources in the capture ${v.distinctSources}, ` +
        `sum of conns ${v.conns}: ${exact ? "EXACT" : "MISMATCH"}`);
      console.log(`  RSS target: ${mb(rss)} MB (peak minus the capture in memory) against < ${mb(SYNFLOOD_RSS_TARGET)} MB: ${rss < SYNFLOOD_RSS_TARGET ? "ok" : "MISS"}`);
      if (!exact) failed++;
    }
  }
  console.log(`\n--by src,service counts a connection once per confirmed analyzer, not at creation (assembly/top/counters.ts): ` +
    `its rows cover confirmed connections only, and a SYN flood has none.`);
  if (!ENGINE_HAS_SERVICE) console.log(`The Engine has no "service" key yet: --by src,service drives the Core directly (byMask src|service, detection on), as the Engine would.`);
  return failed === 0 ? 0 : 1;
}

const code = main();
if (code !== 0) process.exitCode = code;
