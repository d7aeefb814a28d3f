// Anything a user may hand us as capture bytes, as a Node Readable.
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { freshBuffers } from "../buffers.js";
import { fileChunks } from "../file-chunks.js";

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

/** A Readable of the source's bytes (the source itself when it already is a stream). */
export function toReadable(source: CaptureSource): NodeJS.ReadableStream {
  // a path: 1 MiB reads with the next in flight; each chunk its own, since a stream may hold it
  if (typeof source === "string") return Readable.from(fileChunks(source, { nextBuffer: freshBuffers() }), { objectMode: false });
  if (source instanceof Uint8Array) return Readable.from([source], { objectMode: false });
  const o = source as unknown as Record<PropertyKey, unknown>;
  if (typeof o.pipe === "function") return source as NodeJS.ReadableStream;
  if (typeof o.getReader === "function") return Readable.fromWeb(source as WebReadableStream<Uint8Array>, { objectMode: false });
  return Readable.from(source as AsyncIterable<Uint8Array>, { objectMode: false });
}
