// The read loop of the commands that write as they go (conn, events): every input through the
// engine, the output of each chunk written before the next is read (stdout's backpressure), time
// kept by the wall clock on a quiet live pipe, Ctrl-C ending the input, each file's outcome
// reported; then the end of input and the closing warnings and --stats.
import { once } from "node:events";
import type { Engine } from "../engine.js";
import { EXIT_OK } from "../errors.js";
import { feedSource } from "../input.js";
import { Interruption, reportOutcome, warnAboutSkips } from "./common.js";
import { Progress, WallClock, stdinIsLive } from "./live.js";

/** Connections ended per step at the end of input (their output written between steps). */
const END_BATCH = 16384;

/** What has accumulated for stdout since the last write: text, or bytes (the byte writers' rows
 *  and lines, src/format/bytes.ts). */
export class PendingOutput {
  private parts: (string | Buffer)[] = [];
  push(part: string | Buffer): void { if (part.length > 0) this.parts.push(part); }
  /** Writes it all; waits for the pipe to drain (backpressure). */
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const data = parts.length === 1 ? parts[0]
      : parts.every((p) => typeof p === "string") ? parts.join("")
      : Buffer.concat(parts.map((p) => typeof p === "string" ? Buffer.from(p) : p));
    this.parts = [];
    if (!process.stdout.write(data)) await once(process.stdout, "drain");
  }
}

export interface StreamOptions {
  ignoreChecksums: boolean;
  stats: boolean;
  /** Show the progress line (files on a terminal). */
  progress?: boolean;
  /** After the end of input, before the last write: closing lines. */
  atEnd?: () => void;
}

/** Runs `files` ("-" is stdin) through the engine; returns the exit code. */
export async function streamInputs(engine: Engine, files: string[], out: PendingOutput, options: StreamOptions): Promise<number> {
  const progress = options.progress ? new Progress(engine) : undefined;
  // a quiet live pipe: network time follows the wall clock, so connections still end
  const clock = files.includes("-") && stdinIsLive() ? new WallClock(engine, () => void out.flush()) : undefined;
  clock?.start();
  const interruption = new Interruption();
  let exitCode = EXIT_OK;
  try {
    for (const name of files) {
      if (interruption.stopped) break;
      const outcome = await feedSource(engine, name, () => interruption.stopped, {
        ...progress?.hooks(name),
        signal: interruption.signal,
        afterChunk: () => { clock?.sawChunk(); progress?.tick(); return out.flush(); },
      });
      progress?.clear();
      await out.flush(); // the output of every complete packet comes before the damage report
      exitCode = Math.max(exitCode, reportOutcome(outcome, name, interruption.stopped)?.code ?? EXIT_OK);
    }
    progress?.clear();
    clock?.stop();
    // the connections still open end a batch at a time, each batch's output written before the
    // next: a million of them would otherwise be held as text all at once
    while (engine.endSome(END_BATCH)) await out.flush();
    options.atEnd?.();
    await out.flush();
  } finally {
    clock?.stop();
    interruption.dispose();
  }
  warnAboutSkips(engine, options.ignoreChecksums);
  if (options.stats) process.stderr.write(JSON.stringify(engine.stats()) + "\n");
  return exitCode;
}
