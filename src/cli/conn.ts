// zk-stream conn: Zeek's conn.log, streamed: a record as each connection leaves the table.
import { parseArgs } from "node:util";
import { Engine, DEFAULT_MAX_CONNECTIONS } from "../engine.js";
import { ZeekConnWriter, ConnRowWriter, LocalNets } from "../format/conn.js";
import { AsciiBytes } from "../format/bytes.js";
import { EXIT_OK } from "../errors.js";
import { UsageError, inputFiles, parseMaxConnections, MAX_CONNECTIONS_HELP } from "./common.js";
import { PendingOutput, streamInputs } from "./stream.js";

export const CONN_HELP = `Usage: zk-stream conn [FILE...|-] [options]

Writes Zeek's conn.log: one record per connection, as it leaves the table (timeout, close, reset,
reuse) and, for those still open, at the end of input. Reads stdin when no FILE is given or FILE
is "-"; on a live pipe, time follows the wall clock while no packet arrives.

Options:
  --format F              zeek (Zeek's ASCII log, zeek-cut reads it) or ndjson (Zeek's JSON log)
  -C, --ignore-checksums  trust bad checksums (Zeek's -C): keep IPv4 packets with a bad header
                          checksum, analyze TCP/UDP/ICMP segments with a bad one (loopback captures)
  --local-nets CIDRS      comma-separated networks for local_orig/local_resp
  --stats                 print a JSON object of record accounting on stderr at the end
${MAX_CONNECTIONS_HELP}  -h, --help              this help
`;

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
  const files = inputFiles(positionals, "conn");
  const zeek = values.format === "zeek" ? new ZeekConnWriter(local) : undefined;
  const out = new PendingOutput();
  const rows = new AsciiBytes();
  const writer = zeek ?? new ConnRowWriter("json", local);
  const engine = new Engine({
    by: [],
    ignoreChecksums: values["ignore-checksums"],
    maxConnections: parseMaxConnections(values["max-connections"], DEFAULT_MAX_CONNECTIONS),
    onRecords: (batch, view) => {
      writer.rows(batch, view, rows);
      out.push(rows.take());
    },
  });
  if (zeek) out.push(zeek.header());
  return streamInputs(engine, files, out, {
    ignoreChecksums: values["ignore-checksums"],
    stats: values.stats,
    atEnd: () => { if (zeek) out.push(zeek.footer()); },
  });
}
