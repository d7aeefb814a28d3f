// zk-stream top: connections (or packets, bytes) per key, the diary's use cases 1 and 2.
import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import { Engine, DEFAULT_MAX_CONNECTIONS, type EngineOptions, type KeyField, type Metric } from "../engine.js";
import { FORMATS, formatTop, type Format } from "../format/top.js";
import { EXIT_OK } from "../errors.js";
import { feedSource } from "../input.js";
import { Interruption, reportOutcome, UsageError, inputFiles, warnAboutSkips, write, parseMaxConnections, MAX_CONNECTIONS_HELP } from "./common.js";
import { parseBy, parseDuration, parseLimit, parseMetric, parseThreads } from "./args.js";
// threads.ts (and node:worker_threads) are loaded only for --threads: start-up time and heap
import type { PartitionWorkers } from "./threads.js";
import { LiveView, Progress } from "./live.js";

export const TOP_HELP = `Usage: zk-stream top [FILE...|-] [options]

Counts Zeek connections per key and prints the top rows. Reads stdin when no FILE is given
or FILE is "-"; several files are read in order as one capture.

Options:
  --by KEYS        comma-separated key fields: src, dst, dport, service (default: src);
                   service: each analyzer a connection confirmed (Zeek's conn.log service,
                   http, ssl, dns, ...); it turns protocol detection on
  -n, --limit N    rows to print, 0 for all (default: 10)
  --metric M       conns, pkts or bytes (default: conns)
  --format F       table, tsv, csv, json or zeek (default: table)
  -C, --ignore-checksums   trust bad checksums (Zeek's -C): keep IPv4 packets with a bad header
                   checksum, analyze TCP/UDP/ICMP segments with a bad one (loopback captures)
  --interval D     print the current top every D (500ms, 5s, 1m; at most 24h) and at the
                   end; redrawn in place on a terminal, one complete table per tick otherwise
  --threads N      split the work among N threads (default 1; more than the cores are warned
                   about): each reads the whole capture and keeps its share of the
                   connections; the counts are the same unless a thread evicts
                   (--max-connections is split among them; README, Threads). Capture files
                   only; not with --interval. Pays with service: on 2 cores, 2 threads took
                   0.72-1.02 of one thread's time with it, and 0.92-1.48 without it
  --each           every FILE is a capture of its own: one table per file, headed by its name
  --no-progress    no progress line on stderr (shown only for files, when stderr is a terminal)
  --stats          print a JSON object of record accounting on stderr at the end
${MAX_CONNECTIONS_HELP}  -h, --help       this help

SIGINT (Ctrl-C) or SIGTERM ends the input: the results so far are printed, exit code 0.
`;

interface TopSettings {
  by: KeyField[];
  limit: number;
  metric: Metric;
  format: Format;
  ignoreChecksums: boolean;
  intervalMs: number | undefined;
  progress: boolean;
  stats: boolean;
  maxConnections: number;
  threads: number;
}

export async function topCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      by: { type: "string", default: "src" },
      limit: { type: "string", short: "n", default: "10" },
      metric: { type: "string", default: "conns" },
      format: { type: "string", default: "table" },
      "ignore-checksums": { type: "boolean", short: "C", default: false },
      "max-connections": { type: "string" },
      interval: { type: "string" },
      each: { type: "boolean", default: false },
      threads: { type: "string", default: "1" },
      "no-progress": { type: "boolean", default: false },
      stats: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    write(TOP_HELP);
    return EXIT_OK;
  }
  if (!(FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format: one of ${FORMATS.join(", ")}`);
  const settings: TopSettings = {
    by: parseBy(values.by),
    limit: parseLimit(values.limit),
    metric: parseMetric(values.metric),
    format: values.format as Format,
    ignoreChecksums: values["ignore-checksums"],
    intervalMs: values.interval === undefined ? undefined : parseDuration(values.interval),
    progress: Progress.wanted(values["no-progress"]),
    stats: values.stats,
    maxConnections: parseMaxConnections(values["max-connections"], DEFAULT_MAX_CONNECTIONS),
    threads: parseThreads(values.threads),
  };
  const files = inputFiles(positionals, "top");
  const cores = availableParallelism();
  if (settings.threads > cores) {
    process.stderr.write(`zk-stream: warning: --threads ${settings.threads} on ${cores} cores: every thread reads the whole ` +
      `capture, so threads beyond the cores only compete for them (and for memory)\n`);
  }
  if (settings.threads > 1) {
    const { unsplittable } = await import("./threads.js");
    const why = unsplittable(files);
    if (why) throw new UsageError(`--threads: every thread reads the whole capture, and ${why}`);
    if (settings.intervalMs !== undefined) throw new UsageError("--threads: not with --interval (a live view would show one thread's counts)");
  }
  const interruption = new Interruption();
  try {
    if (!values.each) return await runCapture(files, settings, interruption);
    let exitCode = EXIT_OK;
    for (const [i, name] of files.entries()) {
      if (interruption.stopped) break;
      exitCode = Math.max(exitCode, await runCapture([name], settings, interruption, { name, first: i === 0 }));
    }
    return exitCode;
  } finally {
    interruption.dispose();
  }
}

/** A table headed by its file's name (--each): "==> name <==" as head(1), or {"file","rows"} in json,
 *  with stderr's message after the name ("error" in json, a last line otherwise) when the file
 *  could not be read whole: a reader of the output, later, must not take a missing or damaged
 *  file for a quiet one. */
function headed(table: string, each: { name: string; first: boolean } | undefined, format: Format, problem?: string): string {
  if (!each) return table;
  const label = each.name === "-" ? "stdin" : each.name;
  if (format === "json") {
    return `{"file":${JSON.stringify(label)},${problem ? `"error":${JSON.stringify(problem)},` : ""}"rows":${table.trimEnd()}}\n`;
  }
  return `==> ${label} <==\n${table}${problem ? `(not read to its end: ${problem})\n` : ""}`;
}

/** Reads the files as one capture and prints its table(s). Returns the exit code. */
async function runCapture(files: string[], s: TopSettings, interruption: Interruption, each?: { name: string; first: boolean }): Promise<number> {
  const options = { by: s.by, ignoreChecksums: s.ignoreChecksums, maxConnections: s.maxConnections, metrics: [s.metric] };
  const workers = s.threads > 1 ? new (await import("./threads.js")).PartitionWorkers(files, options, s.threads) : undefined;
  try {
    return await runPartition(files, s, interruption, options, workers, each);
  } finally {
    await workers?.terminate();
  }
}

/** runCapture in the main thread: partition 0 of s.threads, the workers' partitions added at the end. */
async function runPartition(files: string[], s: TopSettings, interruption: Interruption, options: EngineOptions,
  workers: PartitionWorkers | undefined, each: { name: string; first: boolean } | undefined): Promise<number> {
  const engine = new Engine({ ...options, partition: workers ? { index: 0, count: s.threads } : undefined });
  const stopWorkers = () => workers?.stop();
  interruption.signal.addEventListener("abort", stopWorkers);
  if (interruption.stopped) stopWorkers(); // a signal before the listener was there
  const progress = s.progress ? new Progress(engine) : undefined;
  const render = () => formatTop(engine.top(s.limit, s.metric), s.by, s.metric, s.format);
  let live: LiveView | undefined;
  if (s.intervalMs !== undefined) {
    const started = Date.now();
    live = new LiveView({
      intervalMs: s.intervalMs,
      render: () => headed(render(), each, s.format),
      json: s.format === "json",
      continued: each !== undefined && !each.first,
      progress,
      heading: () => {
        const st = engine.stats();
        const where = each ? `${each.name === "-" ? "stdin" : each.name} · ` : "";
        return `zk-stream top --by ${s.by.join(",")} · ${where}${new Date().toLocaleTimeString("en-GB")} · ${Math.round((Date.now() - started) / 1000)}s · ${st.records_read.toLocaleString("en-US")} packets · ${st.connections.toLocaleString("en-US")} connections`;
      },
    });
    live.start();
  }
  let exitCode = EXIT_OK;
  let problem: string | undefined; // --each: its one file's
  for (const name of files) {
    if (interruption.stopped) break;
    const outcome = await feedSource(engine, name, () => interruption.stopped, { signal: interruption.signal, ...progress?.hooks(name) });
    progress?.clear();
    const reported = reportOutcome(outcome, name, interruption.stopped);
    problem = reported?.text;
    const code = reported?.code ?? EXIT_OK;
    if (code !== EXIT_OK) live?.forget();
    exitCode = Math.max(exitCode, code);
  }
  progress?.clear();
  engine.end();
  if (workers) for (const part of await workers.results()) engine.absorb(part);
  interruption.signal.removeEventListener("abort", stopWorkers);
  const final = headed(render(), each, s.format, problem);
  if (live) live.finish(final);
  else write(each && !each.first && s.format !== "json" ? "\n" + final : final);
  warnAboutSkips(engine, s.ignoreChecksums);
  if (s.stats) process.stderr.write(JSON.stringify(engine.stats()) + "\n");
  return exitCode;
}
