// The machine's random memory access, the pace of the core's table once it outgrows the caches
// (issue 6; architecture.md's performance model): nanoseconds a cache line, loaded at random
// from a WebAssembly memory of the given size, one load waiting for the one before (the latency:
// a lookup with nothing to overlap) and all independent (the throughput: as the warming's batched
// loads, assembly/flow/warm.ts). Where both miss every cache, their quotient is how many misses the
// CPU keeps in flight; the chain, which visits the lines in one fixed cycle, also misses where the
// random loads still hit some of the time (a region a little larger than the caches or the TLB).
//
//   npm run bench:memory [-- --sizes 8,128 (MiB)] [--loads N] [--iterations N]
//
// The loads run in a WebAssembly module of two loops (written out below as bytes), so that V8
// compiles them as it compiles the core: the same loads, bounds checks and memory mapping. (The
// same loops in JavaScript ran at less than half the throughput once their arrays were
// parameters.)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { describeMachine, machine, table } from "./lib/report.js";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const LINE = 64; // bytes
const PAGE = 65536; // a wasm page
const MAX_PAGES = 65536; // a wasm32 memory: 4 GiB

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "8,32,128" },
    loads: { type: "string", default: "2000000" },
    iterations: { type: "string", default: "10" },
  },
});
const sizes = args.sizes.split(",").map(Number);
const loads = Number(args.loads);
const iterations = Number(args.iterations);
if (sizes.some((s) => !Number.isInteger(s) || s < 1) || !Number.isInteger(loads) || loads < 1 ||
  !Number.isInteger(iterations) || iterations < 1) {
  console.error("bench:memory: --sizes takes whole MiB counts, --loads and --iterations whole counts from 1");
  process.exit(2);
}
/** Pages to grow the probe's memory (one page to start with) by: the region, then the loads'
 *  addresses. */
function pagesFor(mib: number): number {
  return Math.ceil((mib * 2 ** 20 + loads * 4) / PAGE);
}
if (1 + pagesFor(Math.max(...sizes)) > MAX_PAGES) {
  console.error("bench:memory: the largest region and 4 bytes a load must fit in 4 GiB (less one 64 KiB page)");
  process.exit(2);
}

/** A random cycle through every line of the region: each line's first word holds the next line's
 *  byte address. */
function chain(words: Uint32Array, lines: number): void {
  const order = new Uint32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  for (let i = lines - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  for (let i = 0; i < lines; i++) words[(order[i] * LINE) / 4] = order[(i + 1) % lines] * LINE;
}

/**
 * The probe module: a memory, and two loops over it that return what they loaded.
 * - dependent(p, n): n loads along the chain from byte address p; returns where it stopped, so
 *   that the next run goes on from there (each run meets lines the last one did not).
 * - independent(t, n): n loads of the lines whose byte addresses the n words at t hold. The
 *   addresses come from memory rather than from a generator in the loop: a leaner loop keeps more
 *   loads in flight (a generator's 6 more instructions a load cost a third of the throughput).
 */
function probeWasm(): Uint8Array<ArrayBuffer> {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
    return out;
  };
  const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s, "latin1")];
  const body = (code: number[]): number[] => [...leb(code.length), ...code];
  const I32 = 0x7f, GET = 0x20, SET = 0x21, CONST = 0x41, LOAD = [0x28, 2, 0], ADD = 0x6a, SHL = 0x74,
    XOR = 0x73, LT_U = 0x49, LOOP = [0x03, 0x40], BR_IF = 0x0d, END = 0x0b;
  // dependent(p, n): do p = load(p) while (++i < n); locals: p 0, n 1, i 2
  const dependent = [1, 1, I32, ...LOOP,
    GET, 0, ...LOAD, SET, 0,
    GET, 2, CONST, 1, ADD, SET, 2,
    GET, 2, GET, 1, LT_U, BR_IF, 0, END,
    GET, 0, END];
  // independent(t, n): end = t + 4n; do s ^= load(load(t)); while ((t += 4) < end); locals: t 0, n 1, s 2, end 3
  const independent = [1, 2, I32,
    GET, 0, GET, 1, CONST, 2, SHL, ADD, SET, 3, ...LOOP,
    GET, 2, GET, 0, ...LOAD, ...LOAD, XOR, SET, 2,
    GET, 0, CONST, 4, ADD, SET, 0,
    GET, 0, GET, 3, LT_U, BR_IF, 0, END,
    GET, 2, END];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 2, I32, I32, 1, I32]])), // one type: (i32, i32) -> i32
    ...section(3, vec([[0], [0]])), // functions
    ...section(5, vec([[0x00, 1]])), // one memory of one page, grown below
    ...section(7, vec([[...name("memory"), 2, 0], [...name("dependent"), 0, 0], [...name("independent"), 0, 1]])),
    ...section(10, vec([body(dependent), body(independent)])),
  ]);
}

interface Probe {
  memory: WebAssembly.Memory;
  dependent(p: number, n: number): number;
  independent(targets: number, n: number): number;
}

const rows: string[][] = [];
const probeModule = new WebAssembly.Module(probeWasm());
for (const mib of sizes) {
  // the region at 0, then the addresses the independent loads take
  const probe = new WebAssembly.Instance(probeModule).exports as unknown as Probe;
  const regionBytes = mib * 2 ** 20;
  probe.memory.grow(pagesFor(mib));
  const lines = regionBytes / LINE;
  chain(new Uint32Array(probe.memory.buffer), lines);
  const targets = new Uint32Array(probe.memory.buffer, regionBytes, loads);
  const pickTargets = (): void => { // new lines for every run (not timed)
    for (let i = 0; i < loads; i++) targets[i] = Math.floor(Math.random() * lines) * LINE;
  };

  let p = 0; // where the chain goes on
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: 3, warmupTime: 0, throws: true });
  bench.add("dependent", () => { p = probe.dependent(p, loads); });
  bench.add("independent", () => { probe.independent(regionBytes, loads); }, { beforeEach: pickTargets });
  bench.runSync();
  const perLine = (name: string): number => {
    const task = bench.tasks.find((t) => t.name === name)!;
    const r = task.result;
    if (r.state !== "completed") throw new Error(`bench:memory: ${name}: ${r.state}`);
    return (r.latency.p50 * 1e6) / loads; // ms a run -> ns a line
  };
  const dep = perLine("dependent"), ind = perLine("independent");
  rows.push([`${mib} MiB`, dep.toFixed(1), ind.toFixed(1), (dep / ind).toFixed(1)]);
}

console.log(`# bench:memory: ${describeMachine(machine(REPO))}`);
console.log(`# ${loads} loads a run, ${iterations} runs, medians; transparent huge pages: ${thp()}`);
console.log(table(["region", "dependent ns a line", "independent ns a line", "dependent / independent"], rows));

function thp(): string {
  try {
    return /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1] ?? "?";
  } catch {
    return "unknown";
  }
}
