// Runs one whole command and measures it: wall time (measured here, around the child), and from
// GNU time (/usr/bin/time -f "%e %M %U %S") the child's peak RSS and its user and system CPU.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";
export const HAVE_GNU_TIME = existsSync(GNU_TIME);

export interface RunResult {
  /** Seconds, measured by this process around the child (spawn to exit). */
  wall: number;
  /** Peak resident set of the child in bytes (NaN without GNU time). */
  rss: number;
  /** User and system CPU seconds of the child (NaN without GNU time). */
  user: number;
  sys: number;
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** A file the child reads as its stdin (`< FILE`). */
  stdinFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep at most this many bytes of stdout (default 64 MiB; the rest is an error). */
  maxBuffer?: number;
}

let seq = 0;

export function runTimed(argv: string[], o: RunOptions = {}): RunResult {
  const timeOut = join(tmpdir(), `zk-bench-time-${process.pid}-${seq++}`);
  const cmd = HAVE_GNU_TIME ? [GNU_TIME, "-o", timeOut, "-f", "%e %M %U %S", ...argv] : argv;
  const stdinFd = o.stdinFile ? openSync(o.stdinFile, "r") : undefined;
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: [stdinFd ?? "ignore", "pipe", "pipe"],
      maxBuffer: o.maxBuffer ?? 64 << 20,
      encoding: "latin1",
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.error) throw r.error;
    let rss = NaN, user = NaN, sys = NaN;
    if (HAVE_GNU_TIME && existsSync(timeOut)) {
      // the last line is ours; GNU time puts "Command exited with non-zero status N" before it
      const last = readFileSync(timeOut, "utf8").trim().split("\n").pop() ?? "";
      const f = last.split(" ").map(Number);
      if (f.length === 4 && f.every(Number.isFinite)) [rss, user, sys] = [f[1] * 1024, f[2], f[3]];
    }
    return { wall, rss, user, sys, status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  } finally {
    if (stdinFd !== undefined) closeSync(stdinFd);
    rmSync(timeOut, { force: true });
  }
}

/** Whether an executable is on the PATH (or is an existing path). */
export function which(name: string): string | undefined {
  if (name.includes("/")) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    const p = join(dir || ".", name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
