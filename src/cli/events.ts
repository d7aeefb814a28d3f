// zk-stream events: the capture's events as NDJSON, one object per line, in packet order.
import { parseArgs } from "node:util";
import { Engine, DEFAULT_MAX_CONNECTIONS } from "../engine.js";
import { EXIT_OK } from "../errors.js";
import { EVENT_NAMES, checkEventNames, doneEvent, eventMask } from "../events.js";
import { EventLineWriter } from "../format/events.js";
import { AsciiBytes } from "../format/bytes.js";
import { UsageError, inputFiles, write, parseMaxConnections, MAX_CONNECTIONS_HELP } from "./common.js";
import { PendingOutput, streamInputs } from "./stream.js";
import { parseBy, parseLimit, parseMetric } from "./args.js";
import { Progress } from "./live.js";

export const EVENTS_HELP = `Usage: zk-stream events [FILE...|-] [options]

Prints the capture's events as NDJSON, one JSON object per line, as Zeek raises them:
  {"event":"new_connection","ts":1300475167.096535,"uid":"C...","id.orig_h":"141.142.220.202",
   "id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp"}
connection_end has the same fields with the final roles (ts: its last packet); zeek_done, last,
holds the final table ("by", "metric", "rows") and the record accounting ("stats").
Reads stdin when no FILE is given or FILE is "-"; several files are read in order as one capture.

Options:
  --events LIST    comma-separated: ${EVENT_NAMES.join(", ")}
                   (default: all)
  --by KEYS        key fields of zeek_done's table: src, dst, dport, service (default: src)
  -n, --limit N    rows of zeek_done's table, 0 for all (default: 0)
  --metric M       order of zeek_done's table: conns, pkts or bytes (default: conns)
  -C, --ignore-checksums   trust bad checksums (Zeek's -C): keep IPv4 packets with a bad header
                   checksum, analyze TCP/UDP/ICMP segments with a bad one (loopback captures)
  --no-progress    no progress line on stderr (shown only for files, when stderr is a terminal)
  --stats          print a JSON object of record accounting on stderr at the end
${MAX_CONNECTIONS_HELP}  -h, --help       this help

A closed stdout (| head) ends the run quietly with exit code 0. SIGINT (Ctrl-C) or SIGTERM ends
the input: the remaining events (connection ends, zeek_done) are printed, exit code 0.
`;

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      events: { type: "string" },
      by: { type: "string", default: "src" },
      limit: { type: "string", short: "n", default: "0" },
      metric: { type: "string", default: "conns" },
      "ignore-checksums": { type: "boolean", short: "C", default: false },
      "max-connections": { type: "string" },
      "no-progress": { type: "boolean", default: false },
      stats: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    write(EVENTS_HELP);
    return EXIT_OK;
  }
  let names: string[] = [...EVENT_NAMES];
  if (values.events !== undefined) {
    names = values.events.split(",").map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new UsageError("--events: name at least one event");
    try {
      checkEventNames(names);
    } catch (e) {
      throw new UsageError(`--events: ${(e as Error).message}`);
    }
  }
  const by = parseBy(values.by);
  const limit = parseLimit(values.limit);
  const metric = parseMetric(values.metric);
  const mask = eventMask(names);
  const files = inputFiles(positionals, "events");

  // one chunk's events, written (with stdout's backpressure) before the next chunk is read
  const out = new PendingOutput();
  const jsonLine = (value: unknown) => out.push(JSON.stringify(value) + "\n");
  const eventLines = new EventLineWriter();
  const bytes = new AsciiBytes();
  const engine = new Engine({
    by,
    ignoreChecksums: values["ignore-checksums"],
    maxConnections: parseMaxConnections(values["max-connections"], DEFAULT_MAX_CONNECTIONS),
    eventKinds: mask,
    onEvents: mask === 0 ? undefined : (batch, view) => {
      eventLines.lines(batch, view, mask, bytes, () => engine.takeEndRecordAt());
      out.push(bytes.take());
    },
  });
  return streamInputs(engine, files, out, {
    ignoreChecksums: values["ignore-checksums"],
    stats: values.stats,
    progress: Progress.wanted(values["no-progress"]),
    atEnd: () => {
      if (names.includes("zeek_done")) jsonLine(doneEvent(engine.by, metric, engine.top(limit, metric), engine.stats()));
    },
  });
}
