// Feeds capture files or stdin into an engine, a chunk at a time, and reports each file's outcome.
// gzip-compressed captures (first bytes 1f 8b) are decompressed on the way.
import { fstatSync, readFileSync, statSync } from "node:fs";
import type { Engine, FileResult } from "./engine.js";
import { EXIT_DAMAGED, type CaptureError } from "./errors.js";
import { freshBuffers, takingTurns } from "./buffers.js";
import { fileChunks } from "./file-chunks.js";
import { GzipFramingError, gunzipMembers } from "./gunzip.js";

/** Where Node's words for why a file could not be read say it less plainly. */
const OPEN_ERRORS: Record<string, string> = {
  ENOENT: "no such file (ENOENT)",
  EISDIR: "is a directory",
};

/**
 * The words for a system's refusal to open or read a file (exit 2), or undefined for any other
 * error: any error of a file system call (EACCES, ENOTDIR, ELOOP, EIO, ...) is a file that cannot
 * be read, in the words of Node's message and with the system's code for searches.
 */
function cannotRead(err: NodeJS.ErrnoException): string | undefined {
  const code = err.code ?? "";
  if (!err.syscall || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  if (OPEN_ERRORS[code]) return OPEN_ERRORS[code];
  const words = new RegExp(`^${code}: (.*?), ${err.syscall}\\b`).exec(err.message)?.[1];
  return words ? `${words} (${code})` : code;
}

export interface InputOutcome extends FileResult {
  /** Set when the file could not be opened or read at all. */
  openError?: string;
  /** And the error that said so. */
  openCause?: Error;
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

/**
 * Passes chunks through, or decompresses them when the stream starts with gzip's magic. The
 * sources reuse a chunk's memory once the next chunk is asked for: what is held across that (a
 * first chunk too short to show the magic, zlib's input) is copied here.
 */
async function* maybeGunzip(input: Input, gzip: { seen: boolean }, shouldStop: () => boolean): AsyncGenerator<Buffer> {
  const it = input.chunks[Symbol.asyncIterator]();
  // the magic is two bytes: a first chunk of one byte (a pipe may deliver that) must not hide it
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) {
      if (head.length > 0) yield head;
      return;
    }
    head = Buffer.concat([head, r.value]);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    gzip.seen = true;
    yield* gunzipChunks(head, it, input.reread, shouldStop);
    return;
  }
  try {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } finally {
    await it.return?.();   // the reader stopped early (damage): close the file, release stdin
  }
}

/** zlib's output per call (chunkSize): what a call that fails loses. Each call is a round trip
 *  between zlib's thread and ours: a file is inflated in large windows, and again in small ones
 *  only when it is damaged (gunzipChunks). */
const GZ_SMALL_WINDOW = 16 << 10;
const GZ_LARGE_WINDOW = 256 << 10;

/**
 * gunzip: at damage, at most one 16 KiB window of decompressed data before it is lost (zlib drops
 * the output of the call that fails). A source that can be read again from its start (`reread`, a
 * file) is inflated in 256 KiB windows, whose round trips cost less (the bench capture gzipped:
 * 6.93 -> 4.70 s); if zlib fails on the deflate data, it is inflated again from the start in
 * 16 KiB windows and what passes the bytes already handed on goes on to the engine. A small
 * window's calls end wherever a large window's do (the same compressed pieces, and 256 KiB a
 * multiple of 16 KiB), so the result is the 16 KiB windows' own, whatever the source. A cut file,
 * and damage in gzip's framing (a header, a bad CRC in a trailer, trailing garbage: gunzip.ts),
 * need no second pass: nothing before them was lost. Other sources (a pipe) are inflated in 16 KiB
 * windows from the start. `shouldStop`: an interruption ends the second pass while it skips what
 * was handed on.
 */
async function* gunzipChunks(head: Buffer, rest: AsyncIterator<Buffer>, reread: (() => AsyncIterable<Buffer>) | undefined, shouldStop: () => boolean): AsyncGenerator<Buffer> {
  if (!reread) {
    yield* gunzipMembers(head, rest, GZ_SMALL_WINDOW);
    return;
  }
  let handedOn = 0;
  let damage: unknown;
  try {
    for await (const d of gunzipMembers(head, rest, GZ_LARGE_WINDOW)) {
      handedOn += d.length;
      yield d;
    }
    return;
  } catch (e) {
    // a cut, or damage in gzip's framing, loses no output: only zlib's failed calls do
    if (!isZlibError(e) || e instanceof GzipFramingError || (e as NodeJS.ErrnoException).code === "Z_BUF_ERROR") throw e;
    damage = e;
  }
  let skip = handedOn;
  try {
    for await (const d of gunzipMembers(Buffer.alloc(0), reread()[Symbol.asyncIterator](), GZ_SMALL_WINDOW)) {
      if (skip >= d.length) {
        skip -= d.length;
        if (shouldStop()) return;
        continue;
      }
      yield skip > 0 ? d.subarray(skip) : d;
      skip = 0;
    }
  } catch (e) {
    // the file gone or unreadable the second time: the damage is what the first pass found
    throw isZlibError(e) ? e : damage;
  }
  throw damage; // the file changed between the passes: the damage is still what the first found
}

/** zlib's error on damaged or cut gzip data (Z_DATA_ERROR, Z_BUF_ERROR, ...). */
function isZlibError(e: unknown): boolean {
  return typeof (e as NodeJS.ErrnoException)?.code === "string" && (e as NodeJS.ErrnoException).code!.startsWith("Z_");
}

/**
 * Standard input redirected from a regular file (`< capture.pcap`) is read as that file, from the
 * offset the shell left it at, in large chunks with a read in flight; a pipe is read on the thread
 * pool (pipe.ts); a terminal or socket is read as a stream. Linux only (/proc, and pipes tested
 * there); elsewhere stdin is always a stream. `stream`: process.stdin is what is read.
 */
function stdinChunks(signal: AbortSignal | undefined): Input & { stream: boolean } {
  try {
    if (process.platform === "linux") {
      const st = fstatSync(0);
      if (st.isFile()) {
        const pos = /^pos:\s*(\d+)/m.exec(readFileSync("/proc/self/fdinfo/0", "latin1"));
        if (pos) return { ...regularFileInput("/proc/self/fd/0", {}, Number(pos[1])), stream: false };
      }
      if (st.isFIFO()) return { chunks: stdinPipeChunks(signal), stream: false };
    }
  } catch { /* not a file we can reopen: read it as a stream */ }
  return { chunks: process.stdin as AsyncIterable<Buffer>, stream: true };
}

// pipe.ts's readers are loaded for a pipe only (start-up time)
async function* stdinPipeChunks(signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const { pipeChunks } = await import("./pipe.js");
  yield* pipeChunks(0, signal);
}

async function* namedPipeInput(name: string, signal: AbortSignal | undefined, hooks: FeedHooks): AsyncGenerator<Buffer> {
  const { namedPipeChunks } = await import("./pipe.js");
  yield* namedPipeChunks(name, signal, hooks);
}

/** Chunks of one input; `reread` reads it again from its start, where it can (a file). */
export interface Input {
  chunks: AsyncIterable<Buffer>;
  reread?: () => AsyncIterable<Buffer>;
}

/**
 * The input of a named file: a regular file (which can be read a second time, for gzip's second
 * pass), a named pipe (`<(zcat F.gz)`, /dev/stdin: read as stdin's pipe is, as it comes, and not
 * waited for after an interruption; pipe.ts reaches pipes through /proc: Linux), or anything else.
 * `ownChunks`: each chunk in a buffer of its own, for a consumer that may hold it (a stream);
 * else the command line's buffers taking turns.
 */
function fileInput(name: string, hooks: FeedHooks, signal: AbortSignal | undefined, ownChunks = false): Input {
  let kind: "file" | "pipe" | "other" = "other"; // missing or unreadable: opening it reports that
  try {
    const st = statSync(name);
    kind = st.isFile() ? "file" : st.isFIFO() ? "pipe" : "other";
  } catch { /* as "other" */ }
  if (kind === "file") return regularFileInput(name, hooks, 0, ownChunks);
  if (kind === "pipe" && process.platform === "linux") {
    const chunks = namedPipeInput(name, signal, hooks);
    return { chunks: ownChunks ? copied(chunks) : chunks }; // pipe.ts's buffers take turns
  }
  return { chunks: fileChunks(name, { nextBuffer: ownChunks ? freshBuffers() : takingTurns(), onOpen: hooks.onOpen, onRead: hooks.onRead }) };
}

/** A regular file from offset `start`: it can be read a second time (gzip's second pass). */
function regularFileInput(name: string, hooks: FeedHooks, start: number, ownChunks = false): Input {
  const buffers = ownChunks ? freshBuffers : takingTurns;
  return {
    chunks: fileChunks(name, { nextBuffer: buffers(), start, onOpen: hooks.onOpen, onRead: hooks.onRead }),
    reread: () => fileChunks(name, { nextBuffer: buffers(), start }),
  };
}

async function* copied(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}

/** Reads one named file ("-" is stdin) into the engine. */
export function feedSource(engine: Engine, name: string, shouldStop: () => boolean, hooks: FeedHooks = {}): Promise<InputOutcome> {
  return name === "-" ? feedNamed(engine, "stdin", undefined, shouldStop, hooks) : feedNamed(engine, name, name, shouldStop, hooks);
}

/** Reads the file at `path` (a file named "-" too) into the engine, as the command line reads its
 *  files: the Node API's top(path) does. `label` names it in errors (default: the path). */
export function feedFile(engine: Engine, path: string, shouldStop: () => boolean, label = path): Promise<InputOutcome> {
  return feedNamed(engine, label, path, shouldStop, {});
}

/** Reads a file, or stdin when `path` is undefined. */
async function feedNamed(engine: Engine, label: string, path: string | undefined, shouldStop: () => boolean, hooks: FeedHooks): Promise<InputOutcome> {
  // A pipe's reader stops on an interruption, and once the input is given up for any reason
  // (damage: the gzip reader may leave a read of a quiet pipe waiting, with no one to end it).
  const done = new AbortController();
  if (hooks.signal?.aborted) done.abort();
  const stdin = path === undefined ? stdinChunks(done.signal) : undefined;
  const input = stdin ?? fileInput(path as string, hooks, done.signal);
  // an interruption must not wait for the next chunk of a quiet stdin: a stream is destroyed;
  // pipeChunks stops on `done` (its fd must stay open for the read it leaves behind)
  const onAbort = () => { if (stdin?.stream) process.stdin.destroy(); else done.abort(); };
  try {
    return await feedChunks(engine, label, input, shouldStop, hooks, onAbort);
  } finally {
    done.abort();
  }
}

/**
 * Reads one capture from any source of chunks into the engine (gunzipping it when it starts with
 * gzip's magic): feedSource's work once the input is open. The fuzz harness (scripts/fuzz.mjs)
 * calls it with chunks of varied sizes, and no `reread`.
 */
export async function feedChunks(engine: Engine, label: string, input: Input, shouldStop: () => boolean, hooks: FeedHooks = {}, onAbort: () => void = () => {}): Promise<InputOutcome> {
  engine.beginFile();
  hooks.signal?.addEventListener("abort", onAbort);
  const gzip = { seen: false };
  try {
    for await (const chunk of maybeGunzip(input, gzip, shouldStop)) {
      if (!engine.write(chunk) || shouldStop()) break;
      if (hooks.afterChunk) await hooks.afterChunk();
      if (shouldStop()) break;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const result = engine.endFile(label);
    if (hooks.signal?.aborted) return result; // stdin closed by the interruption
    const openError = cannotRead(err);
    if (openError) return { ...result, openError, openCause: err };
    if (isZlibError(err)) {
      // the complete packets before the damaged gzip data are counted
      return { ...result, error: gzipDamage(result.bytes, err) };
    }
    throw e;
  } finally {
    hooks.signal?.removeEventListener("abort", onAbort);
  }
  const result = engine.endFile(label);
  return gzip.seen && result.error ? { ...result, error: inDecompressedStream(result.error) } : result;
}

/** Damage in gzip data found `offset` decompressed bytes in. */
function gzipDamage(offset: number, err: Error): CaptureError {
  return { code: 0, name: "gzip", layer: "gzip", offset, reason: `${err.message} (offset in the decompressed stream)`, exitCode: EXIT_DAMAGED };
}

/** The capture inside gzip was damaged: its offsets count decompressed bytes, and it says so. */
export function inDecompressedStream(error: CaptureError): CaptureError {
  return { ...error, reason: `${error.reason} (offset in the decompressed stream)` };
}

/**
 * The bytes of the capture file at `path` for a stream that may hold each chunk (zk.events(path)):
 * each in a buffer of its own, inflated when the file is gzipped (`gzip.seen` then). Damage in the
 * gzip data ends them, handed to `onGzipDamage` as the command line reports it: every byte
 * decompressed before it came first. A named pipe is read as the command line reads one, and given
 * up when `signal` aborts (the consumer stopped), even while its writer is open and quiet.
 */
export async function* captureFileChunks(path: string, gzip: { seen: boolean }, onGzipDamage: (e: CaptureError) => void, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let bytes = 0;
  try {
    for await (const chunk of maybeGunzip(fileInput(path, {}, signal, true), gzip, () => false)) {
      bytes += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if (!isZlibError(e)) throw e;
    onGzipDamage(gzipDamage(bytes, e as Error));
  }
}
