// Benchmark captures from the generator (../gen.ts): in memory as a list of chunks, or as a file
// cached in /tmp keyed by the options and by a hash of the generator's sources (a changed
// generator never serves a stale capture).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateCapture, writeCaptureFile, type GenOptions, type GenResult } from "../gen.js";

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const CACHE_DIR = process.env.ZK_BENCH_CACHE ?? "/tmp/zk-bench";

/** First 10 hex digits of a SHA-1 over bench/gen.ts and bench/gen/*.ts. */
export function generatorHash(): string {
  const h = createHash("sha1");
  const files = [join(BENCH_DIR, "gen.ts"), ...readdirSync(join(BENCH_DIR, "gen")).filter((f) => f.endsWith(".ts")).sort().map((f) => join(BENCH_DIR, "gen", f))];
  for (const f of files) h.update(f.slice(BENCH_DIR.length)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 10);
}

export interface CachedCapture {
  path: string;
  result: GenResult;
  /** False when this call generated the file. */
  cached: boolean;
  /** Seconds spent generating (0 when cached). */
  seconds: number;
}

/** The capture file for these options, generated once (atomically: temp file, then rename). */
export function cachedCapture(o: GenOptions & { packets: number; seed: number }): CachedCapture {
  mkdirSync(CACHE_DIR, { recursive: true });
  const key = `${o.profile ?? "mixed"}-${o.packets}-s${o.seed}-${o.format ?? "pcap"}${o.tsresol === "ns" ? "-ns" : ""}${o.link && o.link !== "ethernet" ? `-${o.link}` : ""}` +
    `${o.rate !== undefined ? `-r${o.rate}` : ""}${o.concurrency !== undefined ? `-c${o.concurrency}` : ""}-g${generatorHash()}`;
  const path = join(CACHE_DIR, `${key}.pcap`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const result = JSON.parse(readFileSync(meta, "utf8")) as GenResult;
    if (statSync(path).size === result.bytes) return { path, result, cached: true, seconds: 0 };
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const t0 = performance.now();
  try {
    const result = writeCaptureFile(tmp, o);
    renameSync(tmp, path);
    writeFileSync(meta, JSON.stringify(result));
    return { path, result, cached: false, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

/** A whole capture in memory as ~1 MiB Buffers (the generator's own chunks, no concatenation). */
export function captureChunks(o: GenOptions, chunkSize = 1 << 20): { chunks: Buffer[]; bytes: number; result: GenResult } {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const it = generateCapture({ ...o, chunkSize, reuseBuffer: false });
  for (;;) {
    const n = it.next();
    if (n.done) return { chunks, bytes, result: n.value };
    chunks.push(n.value);
    bytes += n.value.length;
  }
}

/**
 * Calls `fn(frame)` for every record of a classic little-endian pcap split over `chunks` (records
 * may straddle chunks). Used to count what the generator made independently of the engine.
 */
export function forEachRecord(chunks: Iterable<Uint8Array>, fn: (frame: Uint8Array) => void): number {
  let carry: Uint8Array = new Uint8Array(0);
  let headerLeft = 24;
  let n = 0;
  for (const c of chunks) {
    let buf: Uint8Array = c;
    if (carry.length > 0) {
      const b = new Uint8Array(carry.length + c.length);
      b.set(carry);
      b.set(c, carry.length);
      buf = b;
    }
    let off = 0;
    if (headerLeft > 0) {
      const skip = Math.min(headerLeft, buf.length);
      if (headerLeft === 24 && buf.length >= 4 && !(buf[0] === 0xd4 && buf[1] === 0xc3 && buf[2] === 0xb2 && buf[3] === 0xa1)) {
        throw new Error("forEachRecord: not a little-endian microsecond pcap");
      }
      headerLeft -= skip;
      off = skip;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (off + 16 <= buf.length) {
      const caplen = dv.getUint32(off + 8, true);
      if (off + 16 + caplen > buf.length) break;
      fn(buf.subarray(off + 16, off + 16 + caplen));
      n++;
      off += 16 + caplen;
    }
    carry = buf.slice(off);
  }
  if (carry.length > 0) throw new Error(`forEachRecord: ${carry.length} bytes of a cut record at the end`);
  return n;
}

/** Number of distinct IPv4 source addresses of Ethernet frames (sorts one Uint32Array). */
export function distinctIPv4Sources(chunks: Iterable<Uint8Array>, packets: number): number {
  const src = new Uint32Array(packets);
  let k = 0;
  forEachRecord(chunks, (f) => {
    if (f.length >= 34 && f[12] === 0x08 && f[13] === 0x00) {
      if (k === src.length) throw new Error("distinctIPv4Sources: more packets than expected");
      src[k++] = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
    }
  });
  const s = src.subarray(0, k).sort();
  let d = k > 0 ? 1 : 0;
  for (let i = 1; i < k; i++) if (s[i] !== s[i - 1]) d++;
  return d;
}
