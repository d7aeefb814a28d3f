// Inflates a gzip stream member by member: each member's header and trailer are read here, its
// deflate data by zlib's raw inflate on the thread pool. Knowing where a member ends is the point:
// Node's gunzip tries whatever follows a member as the next one within the same call, and when that
// fails it drops the call's output, so trailing garbage cost the last window of intact packets.
import type { InflateRaw } from "node:zlib";

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

  /** Returns the unused end of a piece taken last. */
  putBack(b: Buffer): void {
    this.held = this.held.length === 0 ? b : Buffer.concat([b, this.held]);
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

type Crc32 = (data: Uint8Array, value?: number) => number;

/**
 * Inflates a gzip stream in `window`-byte calls (zlib's chunkSize: what a call that fails loses),
 * member after member. Between members and after the last, zero bytes are padding (Node takes
 * them so, gzip with a warning); anything else after a member is trailing garbage, reported after
 * every byte before it. Two guarantees Node's piped streams lack: every byte zlib hands out before
 * an error is yielded before the error is thrown, and the result does not depend on how the input
 * was chunked (zlib's pieces are cut at fixed offsets of the compressed stream). Memory: zlib is
 * paused once GZ_HIGH of its output waits, so about GZ_HIGH plus a window or two and one piece.
 */
export async function* gunzipMembers(head: Buffer, rest: AsyncIterator<Buffer>, window: number): AsyncGenerator<Buffer> {
  try {
    // loaded for gzip input only (start-up time)
    const { createInflateRaw, crc32 } = await import("node:zlib");
    const input = new CompressedInput(head, rest);
    for (;;) {
      await readHeader(input, crc32);
      const check = { crc: 0, size: 0 };
      yield* inflateRaw(input, createInflateRaw({ chunkSize: window }), (d) => {
        check.crc = crc32(d, check.crc);
        check.size += d.length;
      });
      await readTrailer(input, check);
      if (!(await anotherMember(input))) return;
    }
  } finally {
    rest.return?.()?.catch(() => {});   // not awaited: a read of a quiet pipe may be waiting
  }
}

/** Reads a member's header (RFC 1952, 2.3), checking what zlib checks. */
async function readHeader(input: CompressedInput, crc32: Crc32): Promise<void> {
  if (!(await input.need(10))) throw cutShort();
  const fixed = input.take(10);
  if (fixed[2] !== 8) throw new GzipFramingError("unknown compression method");
  const flags = fixed[3];
  if (flags & 0xe0) throw new GzipFramingError("unknown header flags set");
  let headerCrc = crc32(fixed);
  const take = async (n: number) => {
    if (!(await input.need(n))) throw cutShort();
    const b = input.take(n);
    headerCrc = crc32(b, headerCrc);
    return b;
  };
  if (flags & 4) {                                   // FEXTRA: a length, then that many bytes
    const xlen = (await take(2)).readUInt16LE(0);
    await take(xlen);
  }
  for (const flag of [8, 16]) {                      // FNAME, FCOMMENT: zero-terminated, any length
    if (!(flags & flag)) continue;
    for (let part: Buffer = Buffer.alloc(0); part.at(-1) !== 0;) {
      if (!(await input.need(1))) throw cutShort();
      part = input.takeToZero();
      headerCrc = crc32(part, headerCrc);
    }
  }
  if (flags & 2) {                                   // FHCRC: the low half of the header's CRC-32
    const want = headerCrc & 0xffff;
    if ((await take(2)).readUInt16LE(0) !== want) throw new GzipFramingError("header crc mismatch");
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
 * Inflates one member's deflate data, yielding zlib's output and handing each piece to `onOutput`
 * first. zlib stops taking input at the data's end: what it left of the last piece goes back to
 * `input`, for the trailer.
 */
async function* inflateRaw(input: CompressedInput, z: InflateRaw, onOutput: (d: Buffer) => void): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let failure: Error | undefined;      // zlib's error: damaged or cut deflate data
  let sourceError: unknown;            // reading the compressed input failed
  let ended = false;
  let stopped = false;
  let waiters: (() => void)[] = [];
  const notify = () => { const w = waiters; waiters = []; for (const f of w) f(); };
  const until = async (ready: () => boolean) => { while (!ready()) await new Promise<void>((r) => waiters.push(r)); };
  const halted = () => failure !== undefined || stopped;
  z.on("data", (d: Buffer) => {
    onOutput(d);
    queue.push(d);
    queued += d.length;
    if (queued > GZ_HIGH) z.pause(); // resumed as the engine takes the queue (a pause only delays zlib's calls)
    notify();
  });
  z.on("error", (e) => { failure = e; notify(); });
  z.on("end", () => { ended = true; notify(); });

  /** Writes a piece and waits until zlib is through with it: the count of bytes it took. */
  const send = async (piece: Buffer): Promise<number> => {
    const before = z.bytesWritten;
    let written = false;
    z.write(piece, () => { written = true; notify(); });
    await until(() => written || halted()); // a paused zlib (GZ_HIGH waiting) holds the write
    return z.bytesWritten - before;
  };
  const pump = async () => {
    while (!halted()) {
      const piece = await input.takeUpTo(GZ_PIECE - (input.offset % GZ_PIECE));
      if (piece.length === 0 || halted()) break;
      const took = await send(piece);
      if (halted()) return;
      // zlib takes all of a piece unless the data ended in it; at a piece's end, it takes none of the next
      if (took < piece.length) {
        input.putBack(piece.subarray(took));
        return; // zlib ends its output itself (the stream ended with input left)
      }
    }
    if (!halted()) z.end(); // no input left: zlib ends, or finds the data cut (Z_BUF_ERROR)
  };
  const pumped = pump().catch((e: unknown) => { sourceError = e; notify(); });

  try {
    for (;;) {
      const d = queue.shift();
      if (d) {
        queued -= d.length;
        if (queued <= GZ_HIGH && z.isPaused()) z.resume();
        notify();
        yield d;
        continue;
      }
      if (failure) throw failure;
      if (sourceError !== undefined) throw sourceError;
      if (ended) {
        await pumped; // it may still be putting back what follows the data, for the trailer
        return;
      }
      await until(() => queue.length > 0 || failure !== undefined || sourceError !== undefined || ended);
    }
  } finally {
    stopped = true;
    notify();
    z.destroy();
  }
}
