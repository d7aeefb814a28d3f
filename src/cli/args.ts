// Option values shared by the commands: key fields, limits, metrics, durations.
import { KEY_FIELDS, METRICS, type KeyField, type Metric } from "../engine.js";
import { UsageError } from "./common.js";

export function parseBy(text: string): KeyField[] {
  const by = text.split(",").map((s) => s.trim());
  // `--by "$KEYS"` with KEYS unset must not read as a capture with no talkers
  if (by.some((f) => f === "")) throw new UsageError(`--by: an empty key field in "${text}" (known: ${KEY_FIELDS.join(", ")})`);
  for (const f of by) {
    if (!(KEY_FIELDS as readonly string[]).includes(f)) throw new UsageError(`--by: unknown key field "${f}" (known: ${KEY_FIELDS.join(", ")})`);
  }
  if (new Set(by).size !== by.length) throw new UsageError("--by: a key field is repeated");
  return by as KeyField[];
}

export function parseLimit(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`-n: not a number: "${text}"`);
  return Number(text);
}

export function parseMetric(text: string): Metric {
  if (!(METRICS as readonly string[]).includes(text)) throw new UsageError(`--metric: one of ${METRICS.join(", ")}`);
  return text as Metric;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "5s", "1.5s", "1m", "1h"; a bare number is seconds. From 10ms to 24h: a timer of more
 *  than 2^31 - 1 ms fires at once in Node, which would redraw the table a thousand times a second. */
export function parseDuration(text: string, option = "--interval"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: not a duration: "${text}" (examples: 500ms, 5s, 1m)`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? "s"];
  if (!(ms >= 10)) throw new UsageError(`${option}: at least 10ms`);
  if (ms > UNIT_MS.h * 24) throw new UsageError(`${option}: at most 24h`);
  return Math.round(ms);
}

/** --threads: a number of threads from 1 to 64. */
export function parseThreads(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 64) throw new UsageError(`--threads: a number from 1 to 64, not "${text}"`);
  return Number(text);
}
