// Synchronous helpers for a capture already in memory.
import { Engine } from "../engine.js";
import { EVENT_NAMES, checkEventNames, decodeEvents, doneEvent, eventMask, type Row, type ZkEvent } from "../events.js";
import type { EventsOptions } from "./events.js";
import { rowsOf, type TopOptions } from "./top.js";
import { ZkError } from "./error.js";

const SLICE = 1 << 20;

/** A ZkError from a sync helper, with what was decoded before the damage. */
export interface ZkSyncError extends ZkError { events?: ZkEvent[]; rows?: Row[] }

function feed(engine: Engine, buf: Uint8Array): void {
  engine.beginFile();
  for (let off = 0; off < buf.length; off += SLICE) {
    if (!engine.write(buf.subarray(off, Math.min(buf.length, off + SLICE)))) break;
  }
}

/**
 * Every event of a capture in a Buffer, zeek_done last. Throws a ZkError carrying `events`
 * (everything up to the damage, then the final ones) when the capture is unreadable or damaged.
 */
export function eventsSync(buf: Uint8Array, options: EventsOptions = {}): ZkEvent[] {
  const names = checkEventNames(options.events ?? EVENT_NAMES);
  const mask = eventMask(names);
  const out: ZkEvent[] = [];
  const engine = new Engine({
    by: options.by ? [...options.by] : undefined,
    ignoreChecksums: options.ignoreChecksums,
    eventKinds: mask,
    onEvents: mask === 0 ? undefined : (batch, view) => decodeEvents(batch, view, mask, (ev) => out.push(ev), () => engine.takeEndRecord()),
  });
  feed(engine, buf);
  const label = options.name ?? "input";
  const file = engine.endFile(label);
  engine.end();
  const metric = options.metric ?? "conns";
  if (names.includes("zeek_done")) out.push(doneEvent(engine.by, metric, engine.top(options.limit ?? 0, metric), engine.stats()));
  if (file.error) {
    const err = new ZkError(file.error, label) as ZkSyncError;
    err.events = out;
    throw err;
  }
  return out;
}

/** The top rows of a capture in a Buffer. Throws a ZkError carrying `rows` on damage. */
export function topSync(buf: Uint8Array, options: TopOptions = {}): Row[] {
  const engine = new Engine({ by: options.by ? [...options.by] : undefined, ignoreChecksums: options.ignoreChecksums });
  feed(engine, buf);
  const label = options.name ?? "input";
  const file = engine.endFile(label);
  engine.end();
  const rows = rowsOf(engine, options.limit ?? 10, options.metric ?? "conns");
  if (file.error) {
    const err = new ZkError(file.error, label) as ZkSyncError;
    err.rows = rows;
    throw err;
  }
  return rows;
}
