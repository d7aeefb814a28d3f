#!/usr/bin/env node
// zk-stream command line: dispatches to a command and turns failures into exit codes.
import { readFileSync } from "node:fs";
import { UsageError } from "./common.js";
import { EXIT_INTERNAL, EXIT_OUTPUT, EXIT_USAGE } from "../errors.js";

// Each command's module is loaded when it runs: a run loads only its own (start-up time).
const HELP = (topHelp: string) => `Usage: zk-stream <command> [options]

Commands:
  top      connections per source, destination, port: Zeek's new_connection counts
  conn     Zeek's conn.log (ASCII or JSON), a record as each connection ends
  events   the capture's events (new_connection, connection_end, ...) as NDJSON

Run "zk-stream <command> --help" for the options of a command.

${topHelp}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    // asked for, help is the output; without a command it is a usage error's message
    (command === undefined ? process.stderr : process.stdout).write(HELP((await import("./top.js")).TOP_HELP));
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`zk-stream ${version()}\n`);
    return 0;
  }
  switch (command) {
    case "top":
      return (await import("./top.js")).topCommand(rest);
    case "events":
      return (await import("./events.js")).eventsCommand(rest);
    case "conn":
      return (await import("./conn.js")).connCommand(rest);
    default:
      throw new UsageError(`unknown command "${command}" (try: zk-stream --help)`);
  }
}

// A closed stdout (`| head`) ends the run quietly; any other failure to write it (a full disk) ends
// the run at once with one line: the output is incomplete, and nothing more can reach it.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  process.stderr.write(`zk-stream: cannot write the output: ${e.message}\n`);
  process.exit(EXIT_OUTPUT);
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || (err.code ?? "").startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`zk-stream: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      process.stderr.write(`zk-stream: internal error: ${err.message}\n`);
      if (process.env.ZK_DEBUG === "1") process.stderr.write(`${err.stack}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  },
);
