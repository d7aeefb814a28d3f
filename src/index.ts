// zk-stream's public API: capture bytes in, Zeek's events and top tables out.
//
//   import { zk } from "zk-stream";
//   await pipeline(createReadStream("c.pcap"), zk.events({ events: ["new_connection"] }), sink);
//   for await (const ev of zk.events(process.stdin)) { ... }
//   const rows = await zk.top("c.pcap", { by: ["src", "dport"], limit: 10 });
import { pipeline, Readable } from "node:stream";
import { EventStream, setFileInput, type EventsOptions, type FileInput } from "./streams/events.js";
import { TopStream, top, type TopOptions, type ZkTopError } from "./streams/top.js";
import { eventsSync, topSync, type ZkSyncError } from "./streams/sync.js";
import { eventsWeb, type EventsWebPair } from "./streams/web.js";
import { isCaptureSource, toReadable, type CaptureSource } from "./streams/source.js";
import { ZkError } from "./streams/error.js";
import { uid } from "./uid.js";
import { captureFileChunks } from "./input.js";

/**
 * The events Transform: write capture bytes (pcap or pcapng) to it, read event objects from it.
 * Given a source, the source is piped into it (errors and destroy propagate both ways), so the
 * result can be iterated directly: `for await (const ev of events(process.stdin))`.
 */
function events(options?: EventsOptions): EventStream;
function events(source: CaptureSource, options?: EventsOptions): EventStream;
function events(a?: CaptureSource | EventsOptions, b?: EventsOptions): EventStream {
  if (typeof a === "string") {
    // a path names the input in error messages, and is read as the command line reads a file,
    // gzipped too (each chunk in a buffer of its own: the stream may hold it)
    const stream = new EventStream({ name: a, ...b });
    const input: FileInput = { gzip: { seen: false } };
    setFileInput(stream, input);
    // a named pipe's read is given up once the stream is gone (a consumer that stopped early)
    const gone = new AbortController();
    stream.once("close", () => gone.abort());
    const chunks = captureFileChunks(a, input.gzip, (damage) => { input.damage = damage; }, gone.signal);
    pipeline(Readable.from(chunks, { objectMode: false }), stream, () => { /* errors reach the consumer through `stream` */ });
    return stream;
  }
  if (a !== undefined && isCaptureSource(a)) {
    const stream = new EventStream(b);
    pipeline(toReadable(a), stream, () => { /* errors reach the consumer through `stream` */ });
    return stream;
  }
  return new EventStream(a as EventsOptions | undefined);
}

/** A Writable sink whose `rows()` gives the current top-N at any time. */
function topStream(options?: TopOptions): TopStream {
  return new TopStream(options);
}

export const zk = { events, eventsSync, eventsWeb, top, topSync, topStream, uid };
export default zk;

export { events, eventsSync, eventsWeb, top, topSync, topStream, uid, EventStream, TopStream, ZkError };
export type { EventsOptions, TopOptions, CaptureSource, EventsWebPair, ZkTopError, ZkSyncError };
export type {
  ZkEvent, NewConnectionEvent, ConnectionEndEvent, AnalyzerConfirmationEvent, ZeekDoneEvent,
  Row, ConnFields, Proto, EventName,
} from "./events.js";
export { EVENT_NAMES } from "./events.js";
export type { KeyField, Metric, Stats } from "./engine.js";
