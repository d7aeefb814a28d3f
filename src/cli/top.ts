// zk-stream top: connections (or packets, bytes) per key, the diary's use cases 1 and 2.
import { parseArgs } from "node:util";
import { Engine, KEY_FIELDS, METRICS, type KeyField, type Metric } from "../engine.js";
import { FORMATS, formatTop, type Format } from "../format/top.js";
import { errorMessage, EXIT_OK, EXIT_UNREADABLE } from "../errors.js";
import { feedSource } from "./input.js";
import { UsageError, warnAboutSkips, write } from "./common.js";

export const TOP_HELP = `Usage: zk-stream top [FILE...|-] [options]

Counts Zeek connections per key and prints the top rows. Reads stdin when no FILE is given
or FILE is "-"; several files are read in order as one capture.

Options:
  --by KEYS        comma-separated key fields: src, dst, dport (default: src)
  -n, --limit N    rows to print, 0 for all (default: 10)
  --metric M       conns, pkts or bytes (default: conns)
  --format F       table, tsv, csv, json or zeek (default: table)
  -C, --ignore-checksums   do not drop packets with bad IPv4 header checksums (Zeek's -C)
  --stats          print a JSON object of record accounting on stderr at the end
  -h, --help       this help
`;

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
      stats: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    write(TOP_HELP);
    return EXIT_OK;
  }
  const by = values.by.split(",").map((s) => s.trim()).filter(Boolean);
  for (const f of by) {
    if (!(KEY_FIELDS as readonly string[]).includes(f)) throw new UsageError(`--by: unknown key field "${f}" (known: ${KEY_FIELDS.join(", ")})`);
  }
  if (new Set(by).size !== by.length) throw new UsageError("--by: a key field is repeated");
  if (!/^\d+$/.test(values.limit)) throw new UsageError(`-n: not a number: "${values.limit}"`);
  const limit = Number(values.limit);
  if (!(METRICS as readonly string[]).includes(values.metric)) throw new UsageError(`--metric: one of ${METRICS.join(", ")}`);
  if (!(FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format: one of ${FORMATS.join(", ")}`);

  const engine = new Engine({ by: by as KeyField[], ignoreChecksums: values["ignore-checksums"] });
  const files = positionals.length > 0 ? positionals : ["-"];
  let exitCode = EXIT_OK;
  let stopped = false;
  const stop = () => { stopped = true; };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  for (const name of files) {
    if (stopped) break;
    const outcome = await feedSource(engine, name, () => stopped);
    const label = name === "-" ? "stdin" : name;
    if (outcome.openError) {
      process.stderr.write(`zk-stream: ${label}: cannot read: ${outcome.openError}\n`);
      exitCode = Math.max(exitCode, EXIT_UNREADABLE);
    } else if (outcome.error && !(stopped && outcome.error.exitCode === 3)) {
      process.stderr.write(`zk-stream: ${errorMessage(label, outcome.error)}\n`);
      exitCode = Math.max(exitCode, outcome.error.exitCode);
    }
  }
  engine.end();
  const rows = engine.top(limit, values.metric as Metric);
  write(formatTop(rows, by as KeyField[], values.metric as Metric, values.format as Format));
  warnAboutSkips(engine, values["ignore-checksums"]);
  if (values.stats) process.stderr.write(JSON.stringify(engine.stats()) + "\n");
  return exitCode;
}
