// Two builds of the core side by side (issue 6: on these machines only ratios measured side by side
// in one run mean anything). The same command runs with core A and with core B in turn, in the
// order A B, B A, A B, ..., so that a slow spell of the machine falls on both; each pair's ratio
// B / A is taken within the pair.
//
//   npm run bench:ab -- --a OLD.wasm --b NEW.wasm [--by src,service] [--pairs 10] [--capture F]
//
// The command is `node dist/cli/main.js top --by KEYS F` with ZK_WASM naming the core (src/wasm/
// load.ts). First both cores' full tables (`-n 0`) are compared: a speed-up that changes the
// output is no speed-up, so then nothing is timed and the run exits with 1. The report gives each
// core's median wall and CPU time, the ratio of the medians, the median of the pairs' ratios, how
// many pairs B won and lost (equal times count for neither), and the sign test's two-sided p: the
// same core moves by 5-10% from one run to the next here, so a change of a few percent needs many
// pairs, and p says whether the pairs tell at all. An odd --pairs is taken up to the next even
// number, so that each core runs first as often. Without --capture, the mixed bench capture of
// 2,000,000 packets (seed 1, cached as bench:cli's).
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

const MAX_PAIRS = 500;

/** Two-sided sign test: the chance of a split at least this uneven (`wins` of `n` pairs that
 *  differ) if neither core were faster. Each term C(n, i) / 2^n is kept as a probability, so that
 *  nothing overflows (n is at most MAX_PAIRS). */
function signTestP(wins: number, n: number): number {
  if (n === 0) return 1;
  const k = Math.min(wins, n - wins);
  let term = 2 ** -n; // C(n, 0) / 2^n
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    tail += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, 2 * tail);
}

/** A path as the user typed it: npm runs the script from the package's directory. */
function userPath(name: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), name);
}

function core(name: string | undefined, flag: string): string {
  if (!name) throw new Error(`--${flag} names a core (a .wasm file), e.g. a copy of build/zk.wasm`);
  const path = userPath(name);
  if (!existsSync(path)) throw new Error(`--${flag}: no such file: ${path}`);
  return path;
}

function run(wasm: string, args: string[]): RunResult {
  // (the -n 0 tables of a large capture run to hundreds of MB)
  const r = runTimed([process.execPath, CLI, ...args], { env: { ...process.env, ZK_WASM: wasm }, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ZK_WASM=${wasm} ${args.join(" ")}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}\n${r.stderr}`);
  return r;
}

/** Where two outputs first differ, as their lines there. */
function firstDifference(x: string, y: string): string {
  const xs = x.split("\n"), ys = y.split("\n");
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    if (xs[i] !== ys[i]) return `line ${i + 1}: A ${JSON.stringify(xs[i] ?? "(none)")}, B ${JSON.stringify(ys[i] ?? "(none)")}`;
  }
  return "no line differs";
}

function main(): number {
  if (!existsSync(CLI)) {
    console.error(`bench:ab: ${CLI} is missing: run npm run build first`);
    return 2;
  }
  const a = core(opts.a, "a"), b = core(opts.b, "b");
  let pairs = Number(opts.pairs);
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) throw new Error(`--pairs: a whole number from 1 to ${MAX_PAIRS}: ${opts.pairs}`);
  pairs += pairs % 2; // each core first as often
  const capture = opts.capture ? userPath(opts.capture) : cachedCapture({ profile: "mixed", packets: 2_000_000, seed: 1 }).path;
  const by = opts.by!;

  console.log(`# zk-stream cores side by side: npm run bench:ab`);
  console.log(`# ${describeMachine(machine(REPO))}`);
  console.log(`# measured: ${builds(REPO, ["dist/cli/main.js"])}`);
  console.log(`# A: ${a}\n# B: ${b}\n# command: node dist/cli/main.js top --by ${by} ${capture}\n`);

  // the page cache warmed, and the two outputs compared
  const rowsA = run(a, ["top", "--by", by, "-n", "0", capture]).stdout;
  const rowsB = run(b, ["top", "--by", by, "-n", "0", capture]).stdout;
  if (rowsA !== rowsB) {
    console.log(`OUTPUTS DIFFER: top --by ${by} -n 0, ${firstDifference(rowsA, rowsB)}. Nothing timed.`);
    return 1;
  }

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
    // in milliseconds: GNU time gives CPU seconds to 0.01, and a sum of two can differ in its last bits
    const diffs = m.a.map((x, i) => Math.round(m.b[i] * 1000) - Math.round(x * 1000));
    const wins = diffs.filter((d) => d < 0).length, losses = diffs.filter((d) => d > 0).length;
    rows.push([name, median(m.a).toFixed(3), median(m.b).toFixed(3), (median(m.b) / median(m.a)).toFixed(3),
      median(ratios).toFixed(3), `${wins} of ${pairs}`, `${losses}`, signTestP(wins, wins + losses).toFixed(3)]);
  }
  console.log(table(["metric", "A (median)", "B (median)", "B / A of medians", "B / A paired", "B faster", "B slower", "sign test p"], rows));
  console.log(`\nB / A below 1: B is faster. p is the chance of so uneven a split between two equal cores; above`);
  console.log(`0.05 the pairs cannot tell the two apart, whatever the ratios say (with 4 pairs or fewer it never`);
  console.log(`goes below).`);
  if (!HAVE_GNU_TIME) console.log("Note: GNU time (/usr/bin/time) is not installed: no CPU times.");
  return 0;
}

process.exitCode = main();
