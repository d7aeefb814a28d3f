// Anything a user may hand us as capture bytes, as a Node Readable.
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** Capture bytes: a file path, a Buffer, a Node or readable-stream Readable, a web ReadableStream, or any (async) iterable of byte chunks. */
export type CaptureSource =
  | string
  | Uint8Array
  | NodeJS.ReadableStream
  | WebReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

export function isCaptureSource(x: unknown): x is CaptureSource {
  if (typeof x === "string" || x instanceof Uint8Array) return true;
  if (x === null || typeof x !== "object") return false;
  const o = x as Record<PropertyKey, unknown>;
  return typeof o.pipe === "function" || typeof o.getReader === "function"
    || typeof o[Symbol.asyncIterator] === "function" || typeof o[Symbol.iterator] === "function";
}

/** A Readable of the source's bytes (the source itself when it already is a stream). A path is
 *  read as the command line reads a file instead (zk.events, zk.top: src/input.ts). */
export function toReadable(source: Exclude<CaptureSource, string>): NodeJS.ReadableStream {
  if (source instanceof Uint8Array) return Readable.from([source], { objectMode: false });
  const o = source as unknown as Record<PropertyKey, unknown>;
  if (typeof o.pipe === "function") return source as NodeJS.ReadableStream;
  if (typeof o.getReader === "function") return Readable.fromWeb(source as WebReadableStream<Uint8Array>, { objectMode: false });
  return Readable.from(source as AsyncIterable<Uint8Array>, { objectMode: false });
}
