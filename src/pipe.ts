// Standard input that is a pipe (`tcpdump -w - | zk-stream top`), or a named pipe given as FILE
// (`zk-stream top <(zcat F.gz)`), read with fs.read on libuv's thread pool instead of as a stream
// on the main thread: the kernel's copy out of the pipe then
// overlaps the core's work on the previous chunk (`cat F | zk-stream top -` on the 746 MB bench
// capture: 1.5 s as a stream, 1.2 s this way), and the pipe's capacity is raised to a chunk. One
// read is in flight at a time; each returns what the pipe holds, so a live capture's packets are
// not held back.
import { read, openSync, writeSync, closeSync, constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { spawn } from "node:child_process";
import { CHUNK, takingTurns } from "./buffers.js";
import type { FeedHooks } from "./input.js";

const DEBUG = process.env.ZK_DEBUG === "1";
function debug(message: string): void {
  if (DEBUG) process.stderr.write(`zk-stream: debug: ${message}\n`);
}

/** fcntl's F_SETPIPE_SZ and F_GETPIPE_SZ (linux/fcntl.h). */
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;

/**
 * A pipe holds 64 KiB unless asked for more, so each read returns at most that: one round trip
 * through the thread pool and one wake-up of the writer per 64 KiB. Raised to CHUNK (1 MiB, what
 * Linux lets any process ask for: /proc/sys/fs/pipe-max-size), the writer runs further ahead and a
 * read returns up to a chunk: `cat F | zk-stream top --by src` on the 746 MB bench capture took
 * 1.25 s, and 0.94 s so (medians of alternating runs). Node has no fcntl: a perl one-liner (perl is
 * in every Debian and Ubuntu base system) asks, while the first reads go on. A pipe already larger
 * is left alone. Without perl, beyond the system's limits (pipe-max-size, pipe-user-pages-soft), or
 * for a pipe of another user, the pipe stays as it was. ZK_DEBUG=1 reports the outcome.
 */
function raisePipeCapacity(fd: number): void {
  const say = (what: string) => debug(`${fd === 0 ? "stdin" : `fd ${fd}`} pipe capacity ${what}`);
  // The pipe is opened anew for perl: a child's stdin is made blocking by libuv, and that flag
  // belongs to the open file, which our own stdin must keep as it is (a non-blocking one included).
  // Non-blocking open: a named pipe whose writer is gone would otherwise block it.
  let again: number;
  try {
    again = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    say(`unchanged (${(e as Error).message})`);
    return;
  }
  try {
    const script = `my $c = fcntl(STDIN, ${F_GETPIPE_SZ}, 0) || 0; if ($c >= ${CHUNK}) { print "already $c" } ` +
      `else { my $r = fcntl(STDIN, ${F_SETPIPE_SZ}, ${CHUNK}); print defined $r ? "raised to " . ($r + 0) : "unchanged ($!)" }`;
    const child = spawn("perl", ["-e", script], { stdio: [again, DEBUG ? "pipe" : "ignore", "ignore"] });
    child.on("error", (e) => say(`unchanged (${e.message})`)); // no perl
    child.stdout?.on("data", (d: Buffer) => say(d.toString()));
    child.unref();
  } catch (e) {
    say(`unchanged (${(e as Error).message})`); // spawn itself failed (ENOMEM, a sandbox's EPERM)
  } finally {
    closeSync(again);
  }
}

/**
 * A read left waiting on a quiet pipe (after an interruption, damaged input, a closed stdout)
 * cannot be cancelled, and would hold the process until the writer writes or closes: the thread
 * pool is joined at exit. One byte written into the pipe, through its other end opened from /proc,
 * ends that read. (Were the pipe shared with a later reader, that reader would find the byte.)
 */
function releasePendingRead(fd: number): void {
  try {
    const end = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    try { writeSync(end, Buffer.of(0)); } finally { closeSync(end); }
  } catch { /* the pipe is full (so the read returns anyway) or gone */ }
}

/** Resolves once `signal` aborts (never without one). */
function whenAborted(signal: AbortSignal | undefined): Promise<"aborted"> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve("aborted");
    signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
}

/**
 * A named pipe given as FILE (`<(zcat F.gz)`, /dev/stdin, a mkfifo), opened for reading; undefined
 * when `signal` aborts first. A pool thread waits in the open for a writer, if none is there yet:
 * an interruption opens the pipe for writing a moment, which ends that wait.
 */
async function openNamedPipe(path: string, signal?: AbortSignal): Promise<FileHandle | undefined> {
  const opening = open(path, "r");
  const handle = await Promise.race([opening, whenAborted(signal)]);
  if (handle !== "aborted") return handle;
  try { closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* it has a writer, or is gone */ }
  opening.then((h) => h.close(), () => {}).catch(() => {});
  return undefined;
}

/** The chunks of the named pipe at `path` (nothing when interrupted before a writer came), read as
 *  stdin's pipe is, and closed once its last read returned. */
export async function* namedPipeChunks(path: string, signal: AbortSignal | undefined, hooks: Pick<FeedHooks, "onOpen" | "onRead">): AsyncGenerator<Buffer> {
  const handle = await openNamedPipe(path, signal);
  if (!handle) return;
  hooks.onOpen?.(0); // no size: the progress line counts what was read
  for await (const chunk of pipeChunks(handle.fd, signal, () => void handle.close().catch(() => {}))) {
    hooks.onRead?.(chunk.length);
    yield chunk;
  }
}

/**
 * The chunks of a pipe (fd 0: stdin), until its end or until `signal` aborts (an interruption must
 * not wait for a quiet pipe). A non-blocking stdin (EAGAIN) is read as a stream from there on.
 * `afterLastRead` (closing the fd) runs once the read left behind has returned.
 */
export async function* pipeChunks(fd: number, signal?: AbortSignal, afterLastRead?: () => void): AsyncGenerator<Buffer> {
  let pending = 0; // reads not returned yet
  const readPipe = (into: Buffer) => new Promise<number>((resolve, reject) => {
    pending++;
    read(fd, into, 0, into.length, null, (err, n) => {
      pending--;
      if (err) reject(err);
      else resolve(n);
    });
  });
  const release = () => { if (pending > 0) releasePendingRead(fd); };
  // process.exit (a closed stdout) does not wait for the event loop: release the read there too
  process.once("exit", release);
  raisePipeCapacity(fd);
  const nextBuffer = takingTurns();
  let buffer = nextBuffer();
  let next = readPipe(buffer);
  const aborted = whenAborted(signal);
  try {
    for (;;) {
      let n: number | "aborted";
      try {
        n = await Promise.race([next, aborted]);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || fd !== 0) throw e;
        next = Promise.resolve(0);
        debug("stdin is a non-blocking pipe: read as a stream");
        // the stream must end on an interruption too
        if (signal?.aborted) return;
        signal?.addEventListener("abort", () => process.stdin.destroy(), { once: true });
        yield* process.stdin as AsyncIterable<Buffer>;
        return;
      }
      if (n === "aborted" || n === 0) return;
      const chunk = buffer.subarray(0, n);
      buffer = nextBuffer();
      next = readPipe(buffer);
      yield chunk;
    }
  } finally {
    // a read left behind may still fail: nobody waits for it
    next.catch(() => undefined).then(() => afterLastRead?.());
    release();
    process.off("exit", release);
  }
}
