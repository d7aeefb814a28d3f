// zk-stream top on several threads. Each thread reads the whole capture and decodes every packet,
// but keeps only its partition of the connections (by a hash of their key: Engine's `partition`,
// as Zeek's cluster workers split traffic by flow). The main thread runs partition 0 and prints;
// workers (partition-worker.ts) run the others and hand their counter rows over at the end. A
// partition skips the per-connection work for the other partitions' packets, but frames and
// decodes them all: on our 2-core machines two threads took up to 28% off a run's time with
// protocol detection (one run was 2% slower) and at most 8% without it (some runs were slower),
// for 17-76% more CPU time and 20 MB more memory (README, Threads), so a run uses one unless asked.
import { Worker } from "node:worker_threads";
import { statSync } from "node:fs";
import type { EngineOptions, PartitionResult } from "../engine.js";
import { coreModule } from "../wasm/load.js";

/** What a worker needs: the files, the engine's options, its partition, the stop flag, the
 *  compiled core. */
export interface PartitionJob {
  files: string[];
  options: Pick<EngineOptions, "by" | "ignoreChecksums" | "maxConnections" | "metrics">;
  index: number;
  count: number;
  /** Int32 0 while running; 1: stop reading (SIGINT in the main thread). */
  stop: SharedArrayBuffer;
  module: WebAssembly.Module;
}

/**
 * Why `files` cannot be split among threads (every thread reads every file: regular files only),
 * or undefined when they can.
 */
export function unsplittable(files: string[]): string | undefined {
  for (const name of files) {
    if (name === "-") return "stdin can be read only once";
    try {
      const st = statSync(name);
      // a directory is no capture: the main thread reports it as one thread would
      if (!st.isFile() && !st.isDirectory()) return `${name} is no regular file: it can be read only once`;
    } catch {
      continue; // missing or unreadable: the main thread reports it
    }
  }
  return undefined;
}

/** Workers for partitions 1 to count - 1 of a run. */
export class PartitionWorkers {
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[] = [];
  private readonly pending: Promise<PartitionResult>[] = [];

  constructor(files: string[], options: PartitionJob["options"], count: number) {
    const module = coreModule();
    try {
      this.start(files, options, count, module);
    } catch (e) {
      void this.terminate(); // the workers started before the one that could not
      throw e;
    }
  }

  private start(files: string[], options: PartitionJob["options"], count: number, module: WebAssembly.Module): void {
    for (let index = 1; index < count; index++) {
      const job: PartitionJob = { files, options, index, count, stop: this.stopFlag.buffer as SharedArrayBuffer, module };
      const worker = new Worker(new URL("./partition-worker.js", import.meta.url), { workerData: job });
      this.workers.push(worker);
      const result = new Promise<PartitionResult>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the thread of partition ${index} of ${count} exited (code ${code}) without its results`)));
      });
      result.catch(() => {}); // results() reports it; a run that fails first never asks
      this.pending.push(result);
    }
  }

  /** Stop reading (an interruption): each worker hands over what it has counted so far. */
  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  /** Every worker's result, once all have finished. */
  results(): Promise<PartitionResult[]> {
    return Promise.all(this.pending);
  }

  /** Ends the workers at once (the main thread failed). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
