// Small pieces every command shares: usage errors, stdout writes, warnings about skipped records.
import type { Engine } from "../engine.js";

export class UsageError extends Error {}

export function write(text: string): void {
  if (text.length > 0) process.stdout.write(text);
}

/** Records we could not use are never dropped silently. */
export function warnAboutSkips(engine: Engine, ignoreChecksums: boolean): void {
  const s = engine.stats();
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
