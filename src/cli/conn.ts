// zk-stream conn: Zeek's conn.log, streamed: a record as each connection leaves the table.
import { parseArgs } from "node:util";
import { fstatSync } from "node:fs";
import { Engine, DEFAULT_MAX_CONNECTIONS } from "../engine.js";
import { decodeConnRecords, type ConnRecord } from "../conn.js";
import { ZeekConnWriter, LocalNets, connJson } from "../format/conn.js";
import { errorMessage, EXIT_OK, EXIT_UNREADABLE } from "../errors.js";
import { feedSource } from "./input.js";
import { UsageError, warnAboutSkips, parseMaxConnections, MAX_CONNECTIONS_HELP } from "./common.js";

export const CONN_HELP = `Usage: zk-stream conn [FILE...|-] [options]

Writes Zeek's conn.log: one record per connection, as it leaves the table (timeout, close, reset,
reuse) and, for those still open, at the end of input. Reads stdin when no FILE is given or FILE
is "-"; on a live pipe, time follows the wall clock while no packet arrives.

Options:
  --format F              zeek (Zeek's ASCII log, zeek-cut reads it) or ndjson (Zeek's JSON log)
  -C, --ignore-checksums  do not drop packets with bad IPv4 header checksums (Zeek's -C)
  --local-nets CIDRS      comma-separated networks for local_orig/local_resp
  --stats                 print a JSON object of record accounting on stderr at the end
${MAX_CONNECTIONS_HELP}  -h, --help              this help
`;

/** Is stdin live (a pipe, FIFO or socket), so that idle time must still expire connections? */
function stdinIsLive(): boolean {
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isSocket();
  } catch {
    return false;
  }
}

export async function connCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "zeek" },
      "ignore-checksums": { type: "boolean", short: "C", default: false },
      "max-connections": { type: "string" },
      "local-nets": { type: "string" },
      stats: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(CONN_HELP);
    return EXIT_OK;
  }
  if (values.format !== "zeek" && values.format !== "ndjson") throw new UsageError("--format: zeek or ndjson");
  let local: LocalNets | undefined;
  if (values["local-nets"] !== undefined) {
    try {
      local = new LocalNets(values["local-nets"].split(",").map((s) => s.trim()).filter(Boolean));
    } catch (e) {
      throw new UsageError(`--local-nets: ${(e as Error).message}`);
    }
  }
  const zeek = values.format === "zeek" ? new ZeekConnWriter(local) : undefined;
  let pending: string[] = [];
  const records: ConnRecord[] = [];
  const engine = new Engine({
    by: [],
    ignoreChecksums: values["ignore-checksums"],
    maxConnections: parseMaxConnections(values["max-connections"], DEFAULT_MAX_CONNECTIONS),
    onRecords: (batch, view) => {
      decodeConnRecords(batch, view, records);
      for (const r of records) pending.push(zeek ? zeek.row(r) : connJson(r, local));
      records.length = 0;
    },
  });

  /** Writes what has accumulated; waits for the pipe to drain (backpressure). */
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  };

  if (zeek) pending.push(zeek.header());
  const files = positionals.length > 0 ? positionals : ["-"];
  let exitCode = EXIT_OK;
  let stopped = false;
  const abort = new AbortController();
  const stop = () => { stopped = true; abort.abort(); };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  // Live input: while no packet arrives, network time advances with the wall clock.
  let lastWall = Date.now();
  let lastNetwork = 0;
  let ticker: NodeJS.Timeout | undefined;
  if (files.includes("-") && stdinIsLive()) {
    ticker = setInterval(() => {
      if (lastNetwork === 0) return;
      engine.advanceTime(lastNetwork + (Date.now() - lastWall) * 1e6);
      void flush();
    }, 1000);
    ticker.unref();
  }

  for (const name of files) {
    if (stopped) break;
    const outcome = await feedSource(engine, name, () => stopped, {
      signal: abort.signal,
      afterChunk: () => {
        lastNetwork = engine.networkTime > 0 ? engine.networkTime : lastNetwork;
        lastWall = Date.now();
        return flush();
      },
    });
    const label = name === "-" ? "stdin" : name;
    if (outcome.openError) {
      process.stderr.write(`zk-stream: ${label}: cannot read: ${outcome.openError}\n`);
      exitCode = Math.max(exitCode, EXIT_UNREADABLE);
    } else if (outcome.error && !(stopped && outcome.error.exitCode === 3)) {
      process.stderr.write(`zk-stream: ${errorMessage(label, outcome.error)}\n`);
      exitCode = Math.max(exitCode, outcome.error.exitCode);
    }
  }
  if (ticker) clearInterval(ticker);
  engine.end();
  if (zeek) pending.push(zeek.footer());
  await flush();
  warnAboutSkips(engine, values["ignore-checksums"]);
  if (values.stats) process.stderr.write(JSON.stringify(engine.stats()) + "\n");
  return exitCode;
}
