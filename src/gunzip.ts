// Inflates a gzip stream member by member: each member's header and trailer are read here, its
// deflate data by zlib's raw inflate on the thread pool. Knowing where a member ends is the point:
// Node's gunzip tries whatever follows a member as the next one within the same call, and when that
// fails it drops the call's output, so trailing garbage cost the last window of intact packets.
import type { InflateRaw, crc32 } from "node:zlib";

/** Compressed bytes go to zlib in pieces cut at multiples of this offset of the compressed stream. */
const GZ_PIECE = 64 << 10;
/** Decompressed bytes waiting for the engine at which zlib is paused. */
const GZ_HIGH = 1 << 20;

/**
 * Damage in gzip's own framing (a header, a trailer, what follows the last member), found once
 * every byte decompressed before it was handed on: reading the stream again cannot recover more.
 * Its code is zlib's for the same damage, so it is reported as zlib's errors are.
 */
export class GzipFramingError extends Error {
  constructor(message: string, readonly code: "Z_DATA_ERROR" | "Z_BUF_ERROR" = "Z_DATA_ERROR") {
    super(message);
  }
}

const cutShort = () => new GzipFramingError("unexpected end of file", "Z_BUF_ERROR");

/** The compressed input as it arrives, with bytes read ahead and not yet used held in front. */
class CompressedInput {
  /** Offset in the compressed stream of held[0]. */
  offset = 0;
  private ended = false;
  constructor(private held: Buffer, private readonly rest: AsyncIterator<Buffer>) {}

  /** Holds at least `n` bytes; false when the input ends first. */
  async need(n: number): Promise<boolean> {
    while (this.held.length < n && !this.ended) {
      const r = await this.rest.next();
      // the sources reuse a chunk's memory once the next is asked for: concat copies it
      if (r.done) this.ended = true;
      else this.held = Buffer.concat([this.held, r.value]);
    }
    return this.held.length >= n;
  }

  /** The next `n` bytes, which `need` made sure of. */
  take(n: number): Buffer {
    const b = this.held.subarray(0, n);
    this.held = this.held.subarray(n);
    this.offset += n;
    return b;
  }

  /** At most `n` bytes, fewer only at the end of the input. */
  async takeUpTo(n: number): Promise<Buffer> {
    await this.need(n);
    return this.take(Math.min(n, this.held.length));
  }

  /** Returns the unused end of the piece taken last: it lies just before what is held, in the
   *  same memory (nothing was read in between), so the view widens back over it without a copy. */
  putBack(b: Buffer): void {
    const adjacent = b.buffer === this.held.buffer && b.byteOffset + b.length === this.held.byteOffset;
    this.held = adjacent ? Buffer.from(b.buffer, b.byteOffset, b.length + this.held.length) : Buffer.concat([b, this.held]);
    this.offset -= b.length;
  }

  /** The held bytes up to and including the first zero byte, or all of them when none is zero. */
  takeToZero(): Buffer {
    const end = this.held.indexOf(0);
    return this.take(end < 0 ? this.held.length : end + 1);
  }

  peekByte(i: number): number {
    return this.held[i];
  }
}

/**
 * Inflates a gzip stream in `window`-byte calls (zlib's chunkSize: what a call that fails loses),
 * member after member. Zero bytes after the last member are padding (Node takes them so, gzip
 * with a warning); anything else after a member, zero bytes before another member included, is
 * trailing garbage, reported after every byte before it (gzip warns and ignores it too). Two
 * guarantees Node's piped streams lack: every byte zlib hands out before an error is yielded
 * before the error is thrown, and the result does not depend on how the input was chunked (zlib's
 * pieces are cut at fixed offsets of the compressed stream). Memory: zlib is paused once GZ_HIGH
 * of its output waits, so about GZ_HIGH plus a window or two and one piece.
 */
export async function* gunzipMembers(head: Buffer, rest: AsyncIterator<Buffer>, window: number): AsyncGenerator<Buffer> {
  const output = new Output();
  try {
    // loaded for gzip input only (start-up time)
    const { createInflateRaw, crc32 } = await import("node:zlib");
    if (typeof crc32 !== "function") throw new Error(`reading gzip needs Node.js 20.15 or later (zlib.crc32); this is ${process.version}`);
    const input = new CompressedInput(head, rest);
    // members are read on while the reader takes the output: zlib's thread keeps busy across them
    const produce = async () => {
      for (;;) {
        await readHeader(input, crc32);
        const check = { crc: 0, size: 0 };
        await inflateMember(input, createInflateRaw({ chunkSize: window }), output, (d) => {
          check.crc = crc32(d, check.crc);
          check.size += d.length;
        });
        if (output.stopped) return;
        await readTrailer(input, check);
        if (!(await anotherMember(input))) return;
      }
    };
    produce().then(() => output.end(), (e: unknown) => output.fail(e));
    yield* output.drain();
  } finally {
    output.stop();
    rest.return?.()?.catch(() => {});   // not awaited: a read of a quiet pipe may be waiting
  }
}

/** Reads a member's header (RFC 1952, 2.3), checking what zlib checks. */
async function readHeader(input: CompressedInput, crc: typeof crc32): Promise<void> {
  if (!(await input.need(10))) throw cutShort();
  const fixed = input.take(10);
  if (fixed[2] !== 8) throw new GzipFramingError("unknown compression method");
  const flags = fixed[3];
  if (flags & 0xe0) throw new GzipFramingError("unknown header flags set");
  let headerCrc = crc(fixed);
  const takeHashed = async (n: number) => {
    if (!(await input.need(n))) throw cutShort();
    const b = input.take(n);
    headerCrc = crc(b, headerCrc);
    return b;
  };
  if (flags & 4) {                                   // FEXTRA: a length, then that many bytes
    const xlen = (await takeHashed(2)).readUInt16LE(0);
    await takeHashed(xlen);
  }
  for (const flag of [8, 16]) {                      // FNAME, FCOMMENT: zero-terminated, any length
    if (!(flags & flag)) continue;
    for (let part: Buffer = Buffer.alloc(0); part.at(-1) !== 0;) {
      if (!(await input.need(1))) throw cutShort();
      part = input.takeToZero();
      headerCrc = crc(part, headerCrc);
    }
  }
  if (flags & 2) {                                   // FHCRC: the low half of the header's CRC-32
    const want = headerCrc & 0xffff;
    if ((await takeHashed(2)).readUInt16LE(0) !== want) throw new GzipFramingError("header crc mismatch");
  }
}

/** Checks a member's trailer: the CRC-32 and the length (mod 2^32) of what it inflated to. */
async function readTrailer(input: CompressedInput, check: { crc: number; size: number }): Promise<void> {
  if (!(await input.need(8))) throw cutShort();
  const trailer = input.take(8);
  if (trailer.readUInt32LE(0) !== check.crc >>> 0) throw new GzipFramingError("incorrect data check");
  if (trailer.readUInt32LE(4) !== check.size % 2 ** 32) throw new GzipFramingError("incorrect length check");
}

/** After a member: true when another starts; false at the end, or when only zero bytes are left. */
async function anotherMember(input: CompressedInput): Promise<boolean> {
  if (!(await input.need(1))) return false;
  if (input.peekByte(0) === 0x1f && (await input.need(2)) && input.peekByte(1) === 0x8b) return true;
  const at = input.offset;
  for (;;) {
    const piece = await input.takeUpTo(GZ_PIECE);
    if (piece.length === 0) return false;
    if (piece.some((b) => b !== 0)) {
      throw new GzipFramingError(`trailing garbage from compressed byte ${at}, after gzip data whose checks passed (not another gzip member)`);
    }
  }
}

/**
 * The members' output on its way to the reader, then the end or an error, after every byte before
 * it. The member's zlib is paused while more than GZ_HIGH waits (a pause only delays its calls).
 */
class Output {
  /** The reader stopped early: the member's zlib and the members after it are given up. */
  stopped = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private outcome: { failed: boolean; error: unknown } | undefined;
  private paused: InflateRaw | undefined;
  private waiters: (() => void)[] = [];

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((r) => this.waiters.push(r));
  }

  push(d: Buffer, z: InflateRaw): void {
    this.queue.push(d);
    this.queued += d.length;
    if (this.queued > GZ_HIGH) {
      z.pause(); // resumed as the reader takes the queue
      this.paused = z;
    }
    this.notify();
  }

  /** The members are through. */
  end(): void {
    this.outcome = { failed: false, error: undefined };
    this.notify();
  }

  /** Reading the members failed: thrown once the reader took every byte before. */
  fail(error: unknown): void {
    this.outcome = { failed: true, error };
    this.notify();
  }

  stop(): void {
    this.stopped = true;
    this.notify();
  }

  async *drain(): AsyncGenerator<Buffer> {
    for (;;) {
      const d = this.queue.shift();
      if (d) {
        this.queued -= d.length;
        if (this.queued <= GZ_HIGH && this.paused) {
          this.paused.resume();
          this.paused = undefined;
        }
        yield d;
        continue;
      }
      if (this.outcome?.failed) throw this.outcome.error;
      if (this.outcome) return;
      await this.until(() => this.queue.length > 0 || this.outcome !== undefined);
    }
  }
}

/**
 * Inflates one member's deflate data into `output`, handing each piece of it to `onOutput` first;
 * resolves once zlib put out all of it (or the reader stopped). zlib stops taking input at the
 * data's end: what it left of the last piece goes back to `input`, for the trailer.
 */
async function inflateMember(input: CompressedInput, z: InflateRaw, output: Output, onOutput: (d: Buffer) => void): Promise<void> {
  let failure: Error | undefined;      // zlib's error: damaged or cut deflate data
  let ended = false;
  const halted = () => failure !== undefined || output.stopped;
  const take = (d: Buffer) => {
    onOutput(d);
    output.push(d, z);
  };
  z.on("data", take);
  z.on("error", (e) => {
    // a paused zlib still holds output of calls that succeeded: it comes before the error
    z.off("data", take);
    for (let d: Buffer | null; (d = z.read() as Buffer | null) !== null;) take(d);
    failure = e;
    output.notify();
  });
  z.on("end", () => { ended = true; output.notify(); });

  /** Writes a piece and waits until zlib is through with it: the count of bytes it took. */
  const send = async (piece: Buffer): Promise<number> => {
    const before = z.bytesWritten;
    let written = false;
    z.write(piece, () => { written = true; output.notify(); });
    await output.until(() => written || halted()); // a paused zlib holds the write
    return z.bytesWritten - before;
  };
  try {
    let dataEnded = false;
    while (!halted() && !dataEnded) {
      const piece = await input.takeUpTo(GZ_PIECE - (input.offset % GZ_PIECE));
      if (piece.length === 0) break;
      const took = await send(piece);
      // zlib takes all of a piece unless the data ended in it; at a piece's end, it takes none of the next
      if (!halted() && took < piece.length) {
        input.putBack(piece.subarray(took));
        dataEnded = true; // zlib ends its output itself (the data ended with input left)
      }
    }
    if (!halted() && !dataEnded) z.end(); // no input left: zlib ends, or finds the data cut (Z_BUF_ERROR)
    await output.until(() => ended || halted());
    if (failure) throw failure;
  } finally {
    z.destroy();
  }
}
