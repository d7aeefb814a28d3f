// Small pieces every command shares: usage errors, stdout writes, warnings about skipped records.
import type { Engine } from "../engine.js";
import { errorWhere, EXIT_DAMAGED, EXIT_UNREADABLE } from "../errors.js";
import type { InputOutcome } from "../input.js";
import { isatty } from "node:tty";

export class UsageError extends Error {}

/** The capture files of a command: its arguments, or stdin ("-") when there are none. A terminal
 *  never supplies a capture: waiting on one would look like a hang (a forgotten file name). */
export function inputFiles(positionals: string[], command: string): string[] {
  const files = positionals.length > 0 ? positionals : ["-"];
  // isatty, not process.stdin.isTTY: creating process.stdin makes a pipe non-blocking (src/pipe.ts)
  if (files.includes("-") && isatty(0)) {
    throw new UsageError(`stdin is a terminal, not a capture: name a capture file, or pipe one in (tcpdump -U -w - | zk-stream ${command})`);
  }
  return files;
}

export function write(text: string): void {
  if (text.length > 0) process.stdout.write(text);
}

/** Records we could not use are never dropped silently. */
export function warnAboutSkips(engine: Engine, ignoreChecksums: boolean): void {
  const s = engine.stats();
  if (s.bad_transport_checksums > 0 && !ignoreChecksums) {
    const many = s.bad_transport_checksums * 10 >= s.records_decoded;
    process.stderr.write(`zk-stream: warning: ${s.bad_transport_checksums} packets with a bad TCP/UDP/ICMP checksum: their content is ignored, as Zeek does${many ? " (many: a loopback capture or checksum offloading? rerun with -C)" : ""}\n`);
  }
  if (s.late_packets > 0) {
    process.stderr.write(`zk-stream: warning: ${s.late_packets} packets more than 5 s older than packets read before them: ` +
      `network time does not go back, so their connections may have been counted more than once ` +
      `(files out of time order? give them oldest first, or merge them: mergecap -w - FILES | zk-stream ...; ` +
      `reordercap sorts a file's packets; or a time stamp damaged into the future, which does the same to every ` +
      `packet after it)\n`);
  }
  if (s.connections_evicted > 0) {
    process.stderr.write(`zk-stream: warning: ${s.connections_evicted} connections ended early: the table was full (--max-connections) or their buffers passed 1 GiB\n`);
  }
  if (s.connections_uncounted) {
    process.stderr.write(`zk-stream: warning: ${s.connections_uncounted} connections are in no row: more than 16777216 distinct keys\n`);
  }
  const skipped = s.records_skipped;
  if (skipped.unsupported_link_type) {
    process.stderr.write(`zk-stream: warning: link type ${s.unsupported_link_type} not supported: ${skipped.unsupported_link_type} packets skipped\n`);
  }
  const bad = skipped.bad_IP_checksum ?? 0;
  if (bad > 0 && !ignoreChecksums) {
    const hint = bad * 10 >= s.records_read
      ? " (many: checksum offloading on the capturing host? rerun with -C to keep them)"
      : " (as Zeek does; -C keeps them)";
    process.stderr.write(`zk-stream: warning: ${bad} packets dropped for a bad IPv4 header checksum${hint}\n`);
  }
}

/**
 * SIGINT and SIGTERM end the input early; the command still prints its results and exits 0.
 * A second signal gets Node's default (the process ends at once).
 */
export class Interruption {
  private readonly controller = new AbortController();
  private readonly handler = () => this.controller.abort();

  constructor() {
    process.once("SIGINT", this.handler);
    process.once("SIGTERM", this.handler);
  }

  get stopped(): boolean { return this.controller.signal.aborted; }
  get signal(): AbortSignal { return this.controller.signal; }

  dispose(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }
}

/** What went wrong with one input: its message after the file's name, and its exit code. */
export interface Problem { text: string; code: number }

/**
 * Prints what went wrong with one input and returns it (undefined: nothing, exit code 0). After
 * an interruption a record cut short is the interruption's doing, not damage.
 */
export function reportOutcome(outcome: InputOutcome, name: string, interrupted: boolean): Problem | undefined {
  let problem: Problem | undefined;
  if (outcome.openError) problem = { text: `cannot read: ${outcome.openError}`, code: EXIT_UNREADABLE };
  else if (outcome.error && !(interrupted && outcome.error.exitCode === EXIT_DAMAGED)) {
    problem = { text: errorWhere(outcome.error), code: outcome.error.exitCode };
  }
  if (problem) process.stderr.write(`zk-stream: ${name === "-" ? "stdin" : name}: ${problem.text}\n`);
  return problem;
}

/** --max-connections: a count (0: no limit), or the default. */
export function parseMaxConnections(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-connections: not a number: "${text}"`);
  return Number(text);
}

export const MAX_CONNECTIONS_HELP = "  --max-connections N     most live connections kept (default 1000000, 0: the most the table holds, 2000000); at the limit\n                          the one whose timeout comes first ends early (counted in --stats), as when the\n                          live connections' buffers pass 1 GiB\n";
