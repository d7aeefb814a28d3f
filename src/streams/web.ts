// Web streams: a TransformStream-shaped pair (for pipeThrough) from capture bytes to events.
import { ReadableStream, WritableStream } from "node:stream/web";
import type { ZkEvent } from "../events.js";
import { EventStream, type EventsOptions } from "./events.js";

export interface EventsWebPair {
  readable: ReadableStream<ZkEvent>;
  writable: WritableStream<Uint8Array>;
}

/**
 * `bytes.pipeThrough(eventsWeb())`: the events Transform behind web streams. The readable side has
 * a highWaterMark of 0, so an event is produced when it is asked for and an error arrives after
 * every event before it (a web stream's error would drop queued chunks).
 */
export function eventsWeb(options: EventsOptions = {}): EventsWebPair {
  const stream = new EventStream(options);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<ZkEvent>;
  let failed: unknown;
  stream.on("error", (e) => { failed = e; });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        stream.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        if (failed) return reject(failed);
        stream.end();
        const done = () => { cleanup(); resolve(); };
        const fail = (e: unknown) => { cleanup(); reject(e); };
        const cleanup = () => { stream.off("finish", done); stream.off("error", fail); };
        stream.once("finish", done);
        stream.once("error", fail);
      });
    },
    abort(reason) {
      stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    },
  });
  const readable = new ReadableStream<ZkEvent>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await it.return?.();
    },
  }, { highWaterMark: 0 });
  return { readable, writable };
}
