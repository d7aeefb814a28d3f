// Library entry of the capture generator: deterministic, seeded, streaming. See ../gen.ts for the
// command line and the description of the profiles.
import { closeSync, openSync, writeSync } from "node:fs";
import { Emitter, type Format, type Link, type TsResolution } from "./frame.js";
import { PROFILES, profile, type Profile, type ProfileName } from "./profiles.js";
import { Rng, hash2 } from "./rng.js";
import { Traffic, type TrafficStats } from "./traffic.js";

export type { Format, TsResolution, Profile, ProfileName };
export { PROFILES, profile };

export interface GenOptions {
  /** Number of packets (default 2,000,000). */
  packets?: number;
  /** PRNG seed, an integer (default 1). Same seed and options: byte-identical output. */
  seed?: number;
  /** "pcap" (classic, little-endian; default) or "pcapng" (SHB + IDB + EPBs). */
  format?: Format;
  /** Timestamp resolution: "us" (default) or "ns" (pcap magic a1b23c4d / pcapng if_tsresol 9). */
  tsresol?: TsResolution;
  /** Link layer: "ethernet" (default), "sll2" (Linux cooked capture v2, as `tcpdump -i any`) or
   *  "vxlan" (each Ethernet frame inside VXLAN, as cloud traffic mirroring delivers it), "erspan"
   *  (inside GRE with ERSPAN type II, as a switch's remote SPAN session delivers it), "gtp" (each IP
   *  packet inside GTP-U, as captured between a mobile network's base station and its core). */
  link?: Link;
  profile?: ProfileName;
  /** Packets per second of capture time (default per profile). */
  rate?: number;
  /** Concurrent sessions (default per profile). */
  concurrency?: number;
  /** Capture start time, Unix seconds (default 1714564800, 2024-05-01 12:00:00 UTC). */
  start?: number;
  /** Size of the Buffers yielded (default 4 MiB). */
  chunkSize?: number;
  /**
   * Yield views of one internal Buffer that is overwritten on the next iteration (no allocation;
   * the consumer must be done with a chunk before asking for the next). Default false: every
   * chunk is a fresh Buffer the consumer may keep.
   */
  reuseBuffer?: boolean;
}

export interface GenResult extends TrafficStats {
  profile: ProfileName;
  packets: number;
  /** Bytes of capture file written. */
  bytes: number;
  /** Capture time covered, in seconds (last timestamp minus start). */
  duration: number;
}

export const DEFAULT_START = 1714564800;

/** Validated options with the profile's defaults filled in. */
export function resolveOptions(o: GenOptions = {}): Required<Omit<GenOptions, "profile">> & { profile: Profile } {
  const name = o.profile ?? "mixed";
  if (!PROFILES.includes(name)) throw new Error(`unknown profile "${name}" (${PROFILES.join(", ")})`);
  const p = { ...profile(name) };
  if (o.rate !== undefined) p.rate = o.rate;
  if (o.concurrency !== undefined) p.concurrency = o.concurrency;
  const r = {
    packets: o.packets ?? 2_000_000,
    seed: o.seed ?? 1,
    format: o.format ?? "pcap",
    tsresol: o.tsresol ?? "us",
    link: o.link ?? "ethernet",
    rate: p.rate,
    concurrency: p.concurrency,
    start: o.start ?? DEFAULT_START,
    chunkSize: o.chunkSize ?? 4 << 20,
    reuseBuffer: o.reuseBuffer ?? false,
    profile: p,
  };
  if (!Number.isSafeInteger(r.packets) || r.packets < 0) throw new Error(`packets must be a non-negative integer, got ${r.packets}`);
  if (!Number.isSafeInteger(r.seed)) throw new Error(`seed must be an integer, got ${r.seed}`);
  if (r.format !== "pcap" && r.format !== "pcapng") throw new Error(`format must be pcap or pcapng, got ${r.format}`);
  if (r.tsresol !== "us" && r.tsresol !== "ns") throw new Error(`tsresol must be us or ns, got ${r.tsresol}`);
  if (!["ethernet", "sll2", "vxlan", "erspan", "gtp"].includes(r.link)) throw new Error(`link must be ethernet, sll2, vxlan, erspan or gtp, got ${r.link}`);
  if (!(r.rate > 0) || !Number.isFinite(r.rate)) throw new Error(`rate must be a positive number, got ${r.rate}`);
  if (!Number.isSafeInteger(r.concurrency) || r.concurrency < 1 || r.concurrency > 16_000_000) throw new Error(`concurrency must be an integer in 1..16000000, got ${r.concurrency}`);
  if (!Number.isSafeInteger(r.start) || r.start < 0 || r.start > 0xffffffff - 1e6) throw new Error(`start must be Unix seconds, got ${r.start}`);
  return r;
}

/**
 * Yields the capture file's bytes in chunks (file header first). Memory stays constant whatever
 * the packet count; the generator's return value describes what was generated.
 */
export function* generateCapture(options: GenOptions = {}): Generator<Buffer, GenResult, undefined> {
  const o = resolveOptions(options);
  const seedLo = o.seed >>> 0;
  const seedHi = Math.floor(o.seed / 4294967296) >>> 0;
  const rng = new Rng(hash2(seedLo, seedHi ^ 0x6a09e667));
  const em = new Emitter({ chunk: o.chunkSize, reuse: o.reuseBuffer, format: o.format, tsresol: o.tsresol, link: o.link, startSec: o.start, rate: o.rate, rng });
  const traffic = new Traffic(o.profile, rng, em);
  em.fileHeader();
  let left = o.packets;
  while (left > 0) {
    left -= traffic.step(left);
    if (em.full) yield em.take();
  }
  if (em.pos > 0) yield em.take();
  return { profile: o.profile.name, packets: em.packets, bytes: em.bytesOut, duration: em.now / 1e9, ...traffic.stats() };
}

/** The whole capture as one Buffer (for small captures in tests). */
export function generateCaptureBuffer(options: GenOptions = {}): { data: Buffer; result: GenResult } {
  const chunks: Buffer[] = [];
  const it = generateCapture({ ...options, reuseBuffer: false });
  for (;;) {
    const n = it.next();
    if (n.done) return { data: Buffer.concat(chunks), result: n.value };
    chunks.push(n.value);
  }
}

/** Writes a capture file synchronously (one reusable buffer, big writes). */
export function writeCaptureFile(path: string, options: GenOptions = {}): GenResult {
  const fd = openSync(path, "w");
  try {
    const it = generateCapture({ ...options, reuseBuffer: true });
    for (;;) {
      const n = it.next();
      if (n.done) return n.value;
      let off = 0;
      while (off < n.value.length) off += writeSync(fd, n.value, off, n.value.length - off);
    }
  } finally {
    closeSync(fd);
  }
}
