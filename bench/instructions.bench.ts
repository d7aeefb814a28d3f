// Instructions per packet, counted by `valgrind --tool=callgrind` (issue 6: "count instructions
// rather than guessing"): a figure that does not move with what else the machine is doing, for
// comparing builds of the core on the work they do. It says nothing of memory stalls, which set
// the pace once the tables outgrow the caches (see README, Performance): time that too.
//
//   npm run bench:instructions [-- --packets N] [--seed N] [--profile mixed] [--skip tcpdump] [--functions]
//                              [--simulate [--ll-mib 4]]
//
// With --functions, zk-stream's rows are followed by the functions that ran the most instructions
// per packet of the second half (25 of them; ZK_TOP_FUNCTIONS=N for N), with how often the core's
// were called and what a call cost (lib/callgrind.ts names V8's generated code from its perf map);
// their totals then come from those runs, which V8's perf map writing adds a little to. Each such
// table's heading splits the packet's instructions into the core's wasm functions, the C library's
// bulk memory functions with V8's wrappers for wasm's memory.copy and memory.fill (and the copy of
// each chunk into wasm memory), and the rest: compare builds of the core by the first two, which
// V8's garbage collector does not move. ZK_WASM=X.wasm (src/wasm/load.ts) counts another build of
// the core, its functions named from X.wat beside it (`asc ... -o X.wasm -t X.wat`).
//
// With --simulate, callgrind also simulates the caches (a last-level cache of --ll-mib MiB, 16-way,
// 64-byte lines: this VM gets 2-8 MiB of a shared L3) and a branch predictor, and each row (and
// function) gets its last-level misses on data and its mispredicted branches a packet: where the
// memory stalls are, which instructions alone do not show. A model, not the CPU (no PMU in these
// VMs): valgrind's predictor is simpler than the CPU's, its cache has no prefetcher, and the
// kernel's writes (a read into a buffer) do not warm it.
//
// Each command runs under callgrind on the first half of the capture's packets and on all of
// them; the difference over the second half's packets is the cost of a packet once Node has
// started, V8 has compiled the core's hot functions and before the end of input. It measures what
// dist/ and build/zk.wasm hold: it never builds. Command ids for --skip: zk-src, zk-service, tcpdump.
import { closeSync, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { cachedCapture } from "./lib/capture.js";
import { builds, describeMachine, machine, si, table } from "./lib/report.js";
import { which } from "./lib/run.js";
import { instructionsByFunction, runTotals, type FunctionCost } from "./lib/callgrind.js";
import type { ProfileName } from "./gen.js";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(REPO, "dist/cli/main.js");
// the core compiled by TurboFan before it runs (otherwise its first packets run in Liftoff's code
// for as long as the background compilation takes), and no compiler or GC threads of V8's: nine
// runs of top --by src then gave 2,693 to 2,772 a packet (3%), against 2,669 and 3,002 without.
// Fixed seeds: V8 tests random hash seeds for primality at start-up (detail::sprp), 4 M
// instructions that varied from run to run (3 runs of 100k packets: 1,061.7-1,066.0 M; with the
// seeds fixed 1,062.6-1,062.7 M)
const NODE_FLAGS = ["--no-liftoff", "--single-threaded", "--hash-seed=1", "--random-seed=1"];

const { values: opts } = parseArgs({
  options: {
    packets: { type: "string", default: "200k" },
    seed: { type: "string", default: "1" },
    profile: { type: "string", default: "mixed" },
    skip: { type: "string", default: "" },
    functions: { type: "boolean", default: false },
    simulate: { type: "boolean", default: false },
    "ll-mib": { type: "string", default: "4" },
  },
});
const packets = Number(opts.packets!.replace(/k$/i, "000").replace(/m$/i, "000000"));
const seed = Number(opts.seed);
const skip = new Set(opts.skip!.split(",").filter(Boolean));
const llBytes = Number(opts["ll-mib"]) * (1 << 20);
if (!(llBytes >= 1 << 20) || (llBytes & (llBytes - 1)) !== 0) {
  console.error(`bench:instructions: --ll-mib ${opts["ll-mib"]}: a power of two, at least 1`);
  process.exit(2);
}
const SIMULATION = ["--cache-sim=yes", "--branch-sim=yes", `--LL=${llBytes},16,64`];

/** The first `n` records of a little-endian pcap file, as a file beside it. */
function firstRecords(path: string, n: number): string {
  const out = path.replace(/\.pcap$/, `-first${n}.pcap`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`; // renamed once whole: an interrupted run leaves no half file
  const fd = openSync(path, "r"), o = openSync(tmp, "w");
  try {
    const head = Buffer.alloc(24);
    readSync(fd, head, 0, 24, 0);
    writeSync(o, head);
    let at = 24;
    const rec = Buffer.alloc(16);
    for (let i = 0; i < n; i++) {
      if (readSync(fd, rec, 0, 16, at) < 16) break;
      const body = Buffer.alloc(rec.readUInt32LE(8));
      readSync(fd, body, 0, body.length, at + 16);
      writeSync(o, rec);
      writeSync(o, body);
      at += 16 + body.length;
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    closeSync(fd);
    closeSync(o);
  }
  renameSync(tmp, out);
  return out;
}

/** What the whole process (all its threads) ran, as callgrind counts it: instructions, and with
 *  --simulate its last-level data misses and mispredicted branches; per function too, when asked
 *  (Node's argv only: `node` first). The command runs in a directory of its own (Node's
 *  --perf-basic-prof writes a V8 log into the current one), removed afterwards with callgrind's
 *  output and V8's perf map. */
interface RunCost { total: number; dataMisses: number; mispredicts: number; functions?: Map<string, FunctionCost> }
function instructions(argv: string[], byFunction: boolean, simulate: boolean): RunCost {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // as bin/zk-stream starts Node
  const cwd = mkdtempSync(join(tmpdir(), "zk-callgrind-"));
  const out = join(cwd, "callgrind.out");
  const args = ["--tool=callgrind", ...(simulate ? SIMULATION : [])];
  if (byFunction) args.push("--dump-instr=yes", `--callgrind-out-file=${out}`, argv[0], "--perf-basic-prof", ...argv.slice(1));
  else args.push(`--callgrind-out-file=${simulate ? out : "/dev/null"}`, ...argv);
  const r = spawnSync("valgrind", args, { cwd, env, encoding: "latin1", maxBuffer: 64 << 20 });
  const map = `/tmp/perf-${r.pid}.map`; // the process valgrind ran has valgrind's pid
  try {
    const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr ?? "");
    if (r.error || r.status !== 0 || !m) {
      throw new Error(`${argv.join(" ")} under callgrind: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? "").slice(-2000)}`);
    }
    const total = Number(m[1].replace(/,/g, ""));
    const { dataMisses, mispredicts } = simulate ? runTotals(out) : { dataMisses: 0, mispredicts: 0 };
    const functions = byFunction ? instructionsByFunction(out, map, coreText()) : undefined;
    return { total, dataMisses, mispredicts, functions };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    if (byFunction && r.pid) rmSync(map, { force: true });
  }
}

/** The text format of the core the commands load, which names its functions by index: ZK_WASM's
 *  (beside it, as X.wat for X.wasm: build a variant with `asc ... -o X.wasm -t X.wat`), else the
 *  build's. Another core's text would put wrong names on every function. */
function coreText(): string {
  const wasm = process.env.ZK_WASM;
  if (!wasm) return join(REPO, "build/zk.wat");
  const wat = wasm.replace(/\.wasm$/, "") + ".wat";
  if (!existsSync(wat)) throw new Error(`ZK_WASM=${wasm}: its text format ${wat} is missing, and --functions names functions from it`);
  return wat;
}

if (!which("valgrind")) {
  console.log("bench:instructions: valgrind is not installed: nothing measured");
  process.exit(0);
}
const TCPDUMP = which("tcpdump"); // /usr/sbin too, which valgrind would not search
const capture = cachedCapture({ profile: opts.profile as ProfileName, packets, seed });
const half = Math.floor(packets / 2);
const first = firstRecords(capture.path, half);
const commands = [
  { id: "zk-src", label: "zk-stream top --by src", argv: (f: string) => [process.execPath, ...NODE_FLAGS, CLI, "top", "--by", "src", f] },
  { id: "zk-service", label: "zk-stream top --by src,service", argv: (f: string) => [process.execPath, ...NODE_FLAGS, CLI, "top", "--by", "src,service", f] },
  { id: "tcpdump", label: "tcpdump -r F -w /dev/null", argv: (f: string) => [TCPDUMP!, "-r", f, "-w", "/dev/null"] },
].filter((c) => !skip.has(c.id) && (c.id !== "tcpdump" || TCPDUMP));

console.log(`# zk-stream instructions per packet: npm run bench:instructions`);
console.log(`# ${describeMachine(machine(REPO))}`);
console.log(`# measured: ${builds(REPO)}`);
console.log(`# capture: ${capture.path}: ${opts.profile} profile, seed ${seed}, ${packets} packets; first half: ${first}`);
const n = packets - half;
/** (b - a) a packet of the second half; `digits` 1 for misses and mispredictions, a few a
 *  packet. No "-0" for a function whose count is a hair lower in the longer run. */
const perPacket = (a: number, b: number, digits = 0): string => {
  const x = (b - a) / n;
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
};
const simulate = opts.simulate!;
const simulated = (a: { dataMisses: number; mispredicts: number }, b: { dataMisses: number; mispredicts: number }): string[] =>
  simulate ? [perPacket(a.dataMisses, b.dataMisses, 1), perPacket(a.mispredicts, b.mispredicts, 1)] : [];
const simulatedHeads = simulate ? [`LL data misses (${opts["ll-mib"]} MiB)`, "mispredicted branches"] : [];
/** Instructions a packet of the second half in the core's wasm functions, in bulk memory work
 *  (the C library's memcpy, memmove and memset, and V8's wrappers that wasm's memory.copy and
 *  memory.fill call; the copy of each chunk into wasm memory is a memcpy too), and in the rest.
 *  The first two do not move with where V8's garbage collector lands (a mark-compact in the
 *  second half adds 230-360 a packet), so they are the ones to compare builds of the core by. */
function shares(fa: Map<string, FunctionCost>, fb: Map<string, FunctionCost>): string[] {
  const sum = (m: Map<string, FunctionCost>, pick: (f: string) => boolean): number =>
    [...m].reduce((t, [f, c]) => (pick(f) ? t + c.instructions : t), 0);
  const isCore = (f: string) => f.startsWith("$"); // named "$..." from the core's text format (coreText)
  const isBulk = (f: string) => /^__mem(cpy|move|set)|wasm::memory_(copy|fill)_wrapper/.test(f);
  const isRest = (f: string) => !isCore(f) && !isBulk(f);
  return [isCore, isBulk, isRest].map((pick) => perPacket(sum(fa, pick), sum(fb, pick)));
}

const rows: string[][] = [];
const functionTables: string[] = [];
for (const c of commands) {
  process.stderr.write(`bench:instructions: ${c.label} ...\n`);
  const byFunction = opts.functions! && c.id !== "tcpdump";
  const a = instructions(c.argv(first), byFunction, simulate), b = instructions(c.argv(capture.path), byFunction, simulate);
  rows.push([c.label, si(a.total), si(b.total), perPacket(a.total, b.total), ...simulated(a, b)]);
  if (a.functions && b.functions) {
    const fa = a.functions, fb = b.functions;
    const none: FunctionCost = { instructions: 0, calls: 0, dataMisses: 0, mispredicts: 0 };
    const top = [...fb.keys()].map((f) => ({ f, x: fb.get(f)!, y: fa.get(f) ?? none }))
      .sort((p, q) => (q.x.instructions - q.y.instructions) - (p.x.instructions - p.y.instructions))
      .slice(0, Number(process.env.ZK_TOP_FUNCTIONS ?? 25));
    const [core, bulk, rest] = shares(fa, fb);
    functionTables.push(`${c.label} (with --perf-basic-prof), per packet of the second half: the core's wasm functions ${core}, ` +
      `bulk memory (memcpy, memmove, memset: the copy into wasm memory, wasm's memory.copy and fill) ${bulk}, the rest (Node, V8 and its GC) ${rest}:\n` +
      table(["function", "instructions", "calls", "per call", ...simulatedHeads], top.map(({ f, x, y }) => {
        const d = x.instructions - y.instructions, calls = x.calls - y.calls;
        return [f.slice(0, 70), perPacket(y.instructions, x.instructions),
          calls > 0 ? (calls / n).toFixed(2) : "-", calls > 0 ? (d / calls).toFixed(0) : "-", ...simulated(y, x)];
      })));
  }
}
console.log(table(["command", `instructions, ${si(half)} packets`, `instructions, ${si(packets)}`, "per packet (second half)", ...simulatedHeads], rows));
for (const t of functionTables) console.log(`\n${t}`);
