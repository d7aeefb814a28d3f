// Instructions per function from a callgrind output file written with --dump-instr=yes, for a
// Node process run with --perf-basic-prof. callgrind cannot name V8's generated code: it files a
// wasm function's instructions under the jump-table slot it was called through. So each
// instruction's own address is looked up in the map V8 writes (/tmp/perf-PID.map), and a wasm
// function's index in it (wasm-function[N]) named from the core's text format (build/zk.wat).
import { readFileSync } from "node:fs";

interface Symbol { start: number; end: number; name: string }

/** V8's perf map: "start size name" a line, hexadecimal. */
function perfMap(path: string): Symbol[] {
  const syms: Symbol[] = [];
  for (const line of readFileSync(path, "latin1").split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) syms.push({ start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16), name: m[3] });
  }
  return syms.sort((a, b) => a.start - b.start);
}

/** The wasm functions' names by index (imports first), from the text format. */
function wasmNames(watPath: string): Map<number, string> {
  const lines = readFileSync(watPath, "utf8").split("\n");
  const imports = lines.filter((l) => l.startsWith(" (import")).length;
  const names = new Map<number, string>();
  lines.filter((l) => l.startsWith(" (func $")).forEach((l, i) => names.set(imports + i, l.split(" ")[2]));
  return names;
}

/** A function's instructions, and for V8's generated code how many times it was entered (the count
 *  of its first instruction, which no loop jumps back to: its frame set-up); 0 for other code.
 *  With callgrind's cache and branch simulation, also its last-level cache misses on data (reads
 *  and writes: DLmr + DLmw) and its mispredicted branches (conditional and indirect: Bcm + Bim). */
export interface FunctionCost { instructions: number; calls: number; dataMisses: number; mispredicts: number }

/** Where each event of a cost line is, from callgrind's `events:` header (-1: not recorded). */
interface EventColumns { ir: number; misses: number[]; mispredicts: number[] }
function eventColumns(text: string): EventColumns {
  const m = /^events: (.*)$/m.exec(text);
  if (!m) throw new Error("callgrind output without an events: line");
  const names = m[1].trim().split(/\s+/);
  const at = (list: string[]): number[] => list.map((e) => names.indexOf(e)).filter((i) => i >= 0);
  return { ir: names.indexOf("Ir"), misses: at(["DLmr", "DLmw"]), mispredicts: at(["Bcm", "Bim"]) };
}

/** The costs of one line of numbers (a cost line's, or `totals:`), in callgrind's event order:
 *  instructions, data misses, mispredictions (the last two 0 without simulation). Callgrind
 *  leaves out a line's trailing zero costs. */
function costOf(numbers: string, cols: EventColumns): Omit<FunctionCost, "calls"> {
  const v = numbers.trim().split(/\s+/).map(Number);
  const ev = (i: number): number => v[i] ?? 0;
  const sum = (idx: number[]): number => idx.reduce((a, i) => a + ev(i), 0);
  return { instructions: ev(cols.ir), dataMisses: sum(cols.misses), mispredicts: sum(cols.mispredicts) };
}

/** A whole run's costs from callgrind's `totals:` line. */
export function runTotals(outPath: string): Omit<FunctionCost, "calls"> {
  const text = readFileSync(outPath, "latin1");
  const t = /^totals: (.*)$/m.exec(text);
  if (!t) throw new Error(`${outPath}: no totals: line`);
  return costOf(t[1], eventColumns(text));
}

/**
 * Instructions per function: a named function's own, and for V8's generated code the function
 * the map names at each instruction's address (a wasm function by its name in the core).
 */
export function instructionsByFunction(outPath: string, mapPath: string, watPath: string): Map<string, FunctionCost> {
  const syms = perfMap(mapPath);
  const wasm = wasmNames(watPath);
  // the code V8 generated at addr, and whether addr is that code's first instruction
  const at = (addr: number): { name: string; entry: boolean } => {
    let lo = 0, hi = syms.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid].start <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || addr >= syms[found].end) return { name: "(code V8 did not map)", entry: false };
    const name = syms[found].name;
    const w = /wasm-function\[(\d+)\]/.exec(name);
    return { name: w ? wasm.get(Number(w[1])) ?? name : name, entry: addr === syms[found].start };
  };
  const names = new Map<string, string>(); // callgrind's compressed names: "(id) name" once, then "(id)"
  const totals = new Map<string, FunctionCost>();
  let fn = "";
  let addr = 0;
  let callCost = false; // the line after "calls=" is the call's inclusive cost: not the caller's own
  const text = readFileSync(outPath, "latin1");
  // every cost line is read as "address line costs...": the layout callgrind writes by default
  if (!/^positions: instr line$/m.test(text)) throw new Error(`${outPath}: not "positions: instr line" (a valgrind option such as --dump-line=no?)`);
  const cols = eventColumns(text);
  for (const line of text.split("\n")) {
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      if (named[2] !== undefined) names.set(named[1], named[2]);
      if (line.startsWith("fn=")) fn = names.get(named[1]) ?? "???";
      continue;
    }
    if (line.startsWith("calls=")) { callCost = true; continue; }
    const cost = /^(0x[0-9a-f]+|[+-]\d+|\*)\s+\S+((?:\s+\d+)+)\s*$/.exec(line);
    if (!cost) continue;
    const p = cost[1];
    addr = p.startsWith("0x") ? parseInt(p, 16) : p === "*" ? addr : addr + Number(p);
    if (callCost) { callCost = false; continue; }
    const c = costOf(cost[2], cols);
    const code = fn === "???" || fn.startsWith("0x") ? at(addr) : { name: fn, entry: false };
    const t = totals.get(code.name) ?? { instructions: 0, calls: 0, dataMisses: 0, mispredicts: 0 };
    t.instructions += c.instructions;
    if (code.entry) t.calls += c.instructions;
    t.dataMisses += c.dataMisses;
    t.mispredicts += c.mispredicts;
    totals.set(code.name, t);
  }
  return totals;
}
