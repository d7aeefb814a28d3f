// Feeds capture files or stdin into an engine, a chunk at a time, and reports each file's outcome.
// gzip-compressed captures (first bytes 1f 8b) are decompressed on the way.
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { Engine, FileResult } from "../engine.js";
import { EXIT_DAMAGED } from "../errors.js";

const CHUNK = 1 << 20;

export interface InputOutcome extends FileResult {
  /** Set when the file could not be opened or read at all. */
  openError?: string;
}

/** Optional hooks of feedSource: progress, output flushing, interruption. */
export interface FeedHooks {
  /** A file was opened: its size in bytes (not called for stdin). */
  onOpen?(size: number): void;
  /** Bytes read from the file itself (before any decompression). */
  onRead?(n: number): void;
  /** After each chunk went into the engine; the next chunk is read once this settles. */
  afterChunk?(): void | Promise<void>;
  /** Aborted on SIGINT/SIGTERM: stops waiting for stdin. */
  signal?: AbortSignal;
}

async function* fileChunks(name: string, hooks: FeedHooks): AsyncGenerator<Buffer> {
  const handle = await open(name, "r");
  try {
    if (hooks.onOpen) hooks.onOpen((await handle.stat()).size);
    for (;;) {
      // a fresh buffer per chunk: a consumer (gunzip) may hold on to it
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      hooks.onRead?.(bytesRead);
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Passes chunks through, or decompresses them when the stream starts with gzip's magic. */
async function* maybeGunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head: Buffer = first.value;
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  yield* Readable.from(all()).pipe(createGunzip());
}

/** Reads one named file ("-" is stdin) into the engine. */
export async function feedSource(engine: Engine, name: string, shouldStop: () => boolean, hooks: FeedHooks = {}): Promise<InputOutcome> {
  engine.beginFile();
  const label = name === "-" ? "stdin" : name;
  const source = name === "-" ? (process.stdin as AsyncIterable<Buffer>) : fileChunks(name, hooks);
  // an interruption must not wait for the next chunk of a quiet pipe
  const onAbort = () => { if (name === "-") process.stdin.destroy(); };
  hooks.signal?.addEventListener("abort", onAbort);
  try {
    for await (const chunk of maybeGunzip(source)) {
      if (!engine.write(chunk) || shouldStop()) break;
      if (hooks.afterChunk) await hooks.afterChunk();
      if (shouldStop()) break;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const result = engine.endFile(label);
    if (hooks.signal?.aborted) return result; // stdin closed by the interruption
    if (err.code === "ENOENT" || err.code === "EACCES" || err.code === "EISDIR" || err.code === "EPERM") {
      return { ...result, openError: err.code === "EISDIR" ? "is a directory" : err.code };
    }
    if (err.code?.startsWith("Z_")) {
      // the complete packets before the damaged gzip data are counted
      return { ...result, error: { code: 0, name: "gzip", layer: "gzip", offset: engine.bytesRead, reason: `${err.message} (offset in the decompressed stream)`, exitCode: EXIT_DAMAGED } };
    }
    throw e;
  } finally {
    hooks.signal?.removeEventListener("abort", onAbort);
  }
  return engine.endFile(label);
}
