// Shared helpers of the benchmarks: the machine's description, medians, number formats and a
// Markdown table printer (the README pastes the tables as printed).
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  ramGiB: number;
  load: string;
  node: string;
  commit: string;
  /** Uncommitted changes under assembly/ and src/ (the code being measured), if any. */
  dirty: string[];
}

export function machine(repo: string): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  let commit = "unknown";
  let dirty: string[] = [];
  try {
    commit = execFileSync("git", ["-C", repo, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    dirty = execFileSync("git", ["-C", repo, "status", "--porcelain", "--", "assembly", "src"], { encoding: "utf8" })
      .split("\n").filter(Boolean).map((l) => l.slice(3));
  } catch { /* not a git checkout */ }
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    nproc: availableParallelism(),
    cpu,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg().map((l) => l.toFixed(1)).join(" "),
    node: process.version,
    commit,
    dirty,
  };
}

export function describeMachine(m: Machine): string {
  return `${m.date}; ${m.nproc} CPUs (${m.cpu}), ${m.ramGiB} GiB RAM; load average ${m.load}; Node ${m.node}; ` +
    `commit ${m.commit}${m.dirty.length ? ` + uncommitted changes in ${m.dirty.join(", ")}` : ""}`;
}

/** When the measured artefacts were built (the benchmarks never build: the lead may be mid-change). */
export function builds(repo: string, files = ["build/zk.wasm", "dist/cli/main.js"]): string {
  return files.map((f) => {
    try {
      return `${f} built ${statSync(join(repo, f)).mtime.toISOString().slice(0, 16).replace("T", " ")} UTC`;
    } catch {
      return `${f} missing`;
    }
  }).join(", ");
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** 1234567 -> "1.23 M", 12345 -> "12.3 k". */
export function si(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "-";
  if (Number.isInteger(x) && Math.abs(x) < 1000) return String(x);
  const units: [number, string][] = [[1e9, " G"], [1e6, " M"], [1e3, " k"]];
  for (const [u, s] of units) if (Math.abs(x) >= u) return (x / u).toPrecision(digits) + s;
  return x.toPrecision(digits);
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1e6).toFixed(0) : "-";
}

export function secs(s: number): string {
  return Number.isFinite(s) ? (s < 10 ? s.toFixed(2) : s.toFixed(1)) : "-";
}

/** A Markdown table: numeric-looking columns right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const num = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[0-9.,]+( ?([kMG%x]|MB))?$|^-$/.test(r[i] ?? "-")));
  const line = (r: string[]): string => "| " + r.map((c, i) => (num[i] ? (c ?? "").padStart(w[i]) : (c ?? "").padEnd(w[i]))).join(" | ") + " |";
  const sep = "|" + w.map((n, i) => (num[i] ? "-".repeat(n + 1) + ":" : "-".repeat(n + 2))).join("|") + "|";
  return [line(head), sep, ...rows.map(line)].join("\n");
}
