// Two builds of the core side by side (issue 6: on these machines only ratios measured side by side
// in one run mean anything). The same command runs with core A and with core B in turn, in the
// order A B, B A, A B, ..., so that a slow spell of the machine falls on both; each pair's ratio
// B / A is taken within the pair.
//
//   npm run bench:ab -- --a OLD.wasm --b NEW.wasm [--by src,service] [--pairs 10] [--capture F]
//
// The command is `node dist/cli/main.js top --by KEYS F` with ZK_WASM naming the core (src/wasm/
// load.ts). Before timing, both cores' full tables (`-n 0`) are compared: a speed-up that changes
// the output is no speed-up, and the run then exits with 1. The report gives each core's median
// wall and CPU time, the ratio of the medians, the median of the pairs' ratios, how many pairs B
// won, and the sign test's two-sided p: the same core moves by 5-10% from one run to the next
// here, so a change of a few percent needs many pairs, and p says whether the pairs tell at all.
// Without --capture, the mixed bench capture of 2,000,000 packets (seed 1, cached as bench:cli's).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cachedCapture } from "./lib/capture.js";
import { builds, describeMachine, machine, median, table } from "./lib/report.js";
import { HAVE_GNU_TIME, runTimed, type RunResult } from "./lib/run.js";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(REPO, "dist/cli/main.js");

const { values: opts } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    by: { type: "string", default: "src" },
    pairs: { type: "string", default: "10" },
    capture: { type: "string" },
  },
});

/** Two-sided sign test: the chance of a split at least this uneven if neither core were faster. */
export function signTestP(wins: number, n: number): number {
  const k = Math.min(wins, n - wins);
  let tail = 0;
  let c = 1; // C(n, i)
  for (let i = 0; i <= k; i++) {
    tail += c;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

function core(name: string | undefined, flag: string): string {
  if (!name) throw new Error(`--${flag} names a core (a .wasm file), e.g. a copy of build/zk.wasm`);
  const path = resolve(name);
  if (!existsSync(path)) throw new Error(`--${flag}: no such file: ${path}`);
  return path;
}

function run(wasm: string, args: string[]): RunResult {
  const r = runTimed([process.execPath, CLI, ...args], { env: { ...process.env, ZK_WASM: wasm } });
  if (r.status !== 0) throw new Error(`ZK_WASM=${wasm} ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return r;
}

function main(): number {
  const a = core(opts.a, "a"), b = core(opts.b, "b");
  const pairs = Number(opts.pairs);
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs: a whole number above 0: ${opts.pairs}`);
  const capture = opts.capture ?? cachedCapture({ profile: "mixed", packets: 2_000_000, seed: 1 }).path;
  const by = opts.by!;

  console.log(`# zk-stream cores side by side: npm run bench:ab`);
  console.log(`# ${describeMachine(machine(REPO))}`);
  console.log(`# measured: ${builds(REPO, ["dist/cli/main.js"])}`);
  console.log(`# A: ${a}\n# B: ${b}\n# command: node dist/cli/main.js top --by ${by} ${capture}\n`);

  // the page cache warmed, and the two outputs compared
  const rowsA = run(a, ["top", "--by", by, "-n", "0", capture]).stdout;
  const rowsB = run(b, ["top", "--by", by, "-n", "0", capture]).stdout;
  const same = rowsA === rowsB;
  if (!same) console.log(`OUTPUTS DIFFER: top --by ${by} -n 0 gives ${rowsA.length} bytes with A, ${rowsB.length} with B\n`);

  const wall = { a: [] as number[], b: [] as number[] };
  const cpu = { a: [] as number[], b: [] as number[] };
  const args = ["top", "--by", by, capture];
  for (let i = 0; i < pairs; i++) {
    const order: ("a" | "b")[] = i % 2 === 0 ? ["a", "b"] : ["b", "a"];
    for (const which of order) {
      const r = run(which === "a" ? a : b, args);
      wall[which].push(r.wall);
      cpu[which].push(r.user + r.sys);
    }
    process.stderr.write(`bench:ab: pair ${i + 1}/${pairs}: A ${wall.a[i].toFixed(3)} s, B ${wall.b[i].toFixed(3)} s\n`);
  }

  const rows: string[][] = [];
  const metrics: [string, { a: number[]; b: number[] }][] = [["wall s", wall]];
  if (HAVE_GNU_TIME) metrics.push(["CPU s (user + sys)", cpu]);
  for (const [name, m] of metrics) {
    const ratios = m.a.map((x, i) => m.b[i] / x);
    const wins = ratios.filter((r) => r < 1).length;
    rows.push([name, median(m.a).toFixed(3), median(m.b).toFixed(3), (median(m.b) / median(m.a)).toFixed(3),
      median(ratios).toFixed(3), `${wins} of ${pairs}`, signTestP(wins, pairs).toFixed(3)]);
  }
  console.log(table(["metric", "A (median)", "B (median)", "B / A of medians", "B / A paired", "B faster", "sign test p"], rows));
  console.log(`\nB / A below 1: B is faster. p is the chance of so uneven a split between two equal cores; above`);
  console.log(`0.05 the pairs cannot tell the two apart, whatever the ratios say.`);
  if (!HAVE_GNU_TIME) console.log("Note: GNU time (/usr/bin/time) is not installed: no CPU times.");
  return same ? 0 : 1;
}

process.exitCode = main();
