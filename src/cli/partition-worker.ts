// A worker thread of threads.ts: reads the capture files, keeps its partition of the connections,
// and posts its counter rows and counts back (Engine.partitionResult). What goes wrong with a file
// is the main thread's to report: it reads the same files and meets the same damage.
import { parentPort, workerData } from "node:worker_threads";
import { Engine } from "../engine.js";
import { useCoreModule } from "../wasm/load.js";
import { feedSource } from "../input.js";
import type { PartitionJob } from "./threads.js";

const job = workerData as PartitionJob;
useCoreModule(job.module);
const stop = new Int32Array(job.stop);
const stopped = () => Atomics.load(stop, 0) !== 0;
const engine = new Engine({ ...job.options, partition: { index: job.index, count: job.count } });
for (const name of job.files) {
  if (stopped()) break;
  await feedSource(engine, name, stopped);
}
engine.end();
const result = engine.partitionResult();
parentPort!.postMessage(result, [result.rows.buffer as ArrayBuffer]);
