// Runs the built command line (dist/cli/main.js) as a user would, with real pipes.
import { spawnSync, execFileSync } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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

/** Waits (polling every 20 ms) until cond holds; throws after ms, with show()'s text. */
export async function until(what: string, cond: () => boolean, ms = 10000, show: () => string = () => ""): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${show()}`);
    await sleep(20);
  }
}

export function haveTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
