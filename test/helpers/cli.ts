// Runs the built command line (dist/cli/main.js) as a user would, with real pipes.
import { spawnSync, execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./captures.js";

export const CLI = join(REPO, "dist/cli/main.js");

export interface CliRun { code: number; stdout: string; stderr: string }

export function zk(args: string[], input?: Buffer | string): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Runs `sh -c script` (for real pipes between real programs); returns exit code and output. */
export function sh(script: string): CliRun {
  const r = spawnSync("sh", ["-c", script], { maxBuffer: 64 << 20, env: { ...process.env, ZK: `${process.execPath} ${CLI}` } });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function haveTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
