#!/usr/bin/env node
// Fuzzing harness for zk-stream's input path: hostile and broken captures must end, within a time
// bound, with a result or a clear error; never a crash, a wasm trap, a hang or a packet lost
// without a trace.
//
//   npm run fuzz -- [--seconds 60 | --cases N] [--seed N] [--workers N] [--cli-every N]
//                   [--timeout-ms MS] [--max-size BYTES] [--out DIR] [--quiet]
//   npm run fuzz -- --seed N --case I [--write FILE]     one case, verbosely (reproduce a failure)
//
// Each case takes a real capture (../shared/captures: formats/, zeek/, zeek-protocols/, ndpi/, and
// the regression fixtures in test/fixtures/fuzz/; files up to --max-size), and applies one to three
// mutations: bit flips, byte overwrites, truncation, inserted/deleted bytes, trailing garbage, a
// length (or version, link type, interface id, time stamp) field of the framing or of an inner
// IP/TCP/UDP header set to an extreme, pcapng blocks / pcap records swapped, moved, repeated or
// dropped, two captures spliced, IPv4 packets wrapped in up to 10 IP-in-IP headers, repeated over
// thousands of source addresses, or cut into fragments (shuffled, repeated, overlapping, past
// 64 KiB); sometimes the result is gzip-compressed (in one member or two, cut, or followed by
// garbage), sometimes the connection table is tiny
// (--max-connections 1 to 16). A case is a pure function of (seed, case index, corpus): the same
// command line reproduces it.
//
// Every case goes through the CLI's own input path in-process (src/input.ts feedChunks: gzip
// detection, the Engine, error mapping) three times: in the CLI's 1 MiB reads, in small fixed
// chunks, in chunks of random sizes, that last run with cache warming for every batch (whose quick
// parse keys each packet ahead of the table; with ZK_WASM=build/zk.debug.wasm the core asserts
// those keys). Checked, in worker threads (a watchdog ends a worker whose
// case runs past --timeout-ms: a hang):
//   - no exception (an exception is exit code 4: a wasm trap or a bug), exit code in {0, 2, 3};
//   - accounting: records_read == records_decoded + the sum of records_skipped;
//   - nothing lost: every connection ends (new_connection == connection_end events) and writes its
//     conn record; an error names a layer and an offset inside the input; exit 2 reads no packet;
//   - identical results whatever the chunking: exit code, error, stats (bytes_read aside: it counts
//     the bytes fed until the damage was seen), top rows, the event and conn-record streams.
//   - the same (src, dport, service) counts from a run without conn records, where the core ends a
//     connection's detection early, as from one with them (two more runs, in the first chunking);
// Every --cli-every-th case also runs through the real command line (`node dist/cli/main.js top
// --stats ...`, in turn top from a file, top from stdin, conn from a file, events from stdin):
// exit code in {0, 2, 3}, no "internal error", stderr names the input, the byte offset and the
// layer on exit 2/3, the --stats accounting holds, and exit code, records read, and the rows (top),
// conn.log lines (conn) or new_connection/connection_end lines (events) equal the in-process result.
//
// Prints one summary line: "fuzz: seed S: N cases (C through the CLI) in T s (R cases/s, ...), F failures".
// Failing cases are written to --out (default: $TMPDIR/zk-fuzz) as seed<S>-case<I>.bin with a .json
// beside it; small ones become regression fixtures in test/fixtures/fuzz/ (see its README.md).
// Needs the build (npm run fuzz builds first, as npm test does).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { gzipSync } from "node:zlib";

export const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const CAPTURES = resolve(REPO, "../shared/captures");
export const FIXTURES = join(REPO, "test/fixtures/fuzz");
const CLI = join(REPO, "dist/cli/main.js");
const CLI_CHUNK = 1 << 20;   // src/input.ts reads files in 1 MiB chunks
const EVENT_SIZE = 64;       // assembly/events.ts
const ALL_EVENTS = (1 << 1) | (1 << 2) | (1 << 3);   // new_connection, connection_end, analyzer_confirmation

// ---- random numbers: xoshiro128**, seeded through splitmix32 ------------------------------------

function splitmix32(x) {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [x, (z ^ (z >>> 16)) >>> 0];
}

export class Rng {
  constructor(seed, stream = 0) {
    let x = (seed ^ Math.imul(stream + 1, 0x27d4eb2f)) | 0;
    this.s = [];
    for (let i = 0; i < 4; i++) { let v; [x, v] = splitmix32(x); this.s.push(v); }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }
  u32() {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r;
  }
  /** 0 <= n < max (max >= 1) */
  int(max) { return max <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * max); }
  range(lo, hi) { return lo + this.int(hi - lo + 1); }
  chance(p) { return this.u32() / 4294967296 < p; }
  pick(list) { return list[this.int(list.length)]; }
  /** log-uniform integer in [lo, hi] */
  logRange(lo, hi) { return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + (this.u32() / 4294967296) * (Math.log(hi + 1) - Math.log(lo))))); }
}
function rotl(x, k) { return (x << k) | (x >>> (32 - k)); }

// ---- corpus ------------------------------------------------------------------------------------

const MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1, 0x0a0d0d0a]);

function isCapture(head) {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 4 && MAGICS.has(head.readUInt32BE(0));
}

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push({ path: p, size: st.size });
  }
}

/** Capture files (recognised by their first bytes) up to maxSize bytes, sorted by path. */
export function corpusPaths({ maxSize = 256 << 10, dirs } = {}) {
  const roots = dirs ?? [...["formats", "zeek", "zeek-protocols", "ndpi"].map((d) => join(CAPTURES, d)), FIXTURES];
  const files = [];
  for (const root of roots) if (existsSync(root)) walk(root, files);
  const sample = join(REPO, "examples/sample.pcap");
  files.push({ path: sample, size: statSync(sample).size });
  const out = [];
  for (const f of files) {
    if (f.size === 0 || f.size > maxSize) continue;
    const head = readFileSync(f.path).subarray(0, 4);
    if (isCapture(head)) out.push(f.path);
  }
  return out;
}

export function loadCorpus(paths) {
  return paths.map((p) => ({ name: relative(REPO, p).startsWith("..") ? relative(CAPTURES, p) : relative(REPO, p), bytes: readFileSync(p) }));
}

// ---- the structure of a capture: where its units and fields are --------------------------------

// A field: { off, size: 1|2|4|8, le, nib: undefined | "hi" | "lo", what }
// A unit: a pcap record or a pcapng block: { off, len, type, dataOff, dataLen, link }

const LINK_IP_OFFSET = { 0: 4, 108: 4, 101: 0, 12: 0, 14: 0, 228: 0, 229: 0, 113: 16, 276: 20 };

export function parseCapture(buf) {
  const s = { format: "other", headerLen: 0, units: [], fields: [] };
  if (buf.length < 4) return s;
  const m = buf.readUInt32LE(0);
  const pcapMagic = { 0xa1b2c3d4: [true, 16], 0xa1b23c4d: [true, 16], 0xa1b2cd34: [true, 24], 0xd4c3b2a1: [false, 16], 0x4d3cb2a1: [false, 16], 0x34cdb2a1: [false, 24] }[m];
  if (pcapMagic) parsePcap(buf, s, pcapMagic[0], pcapMagic[1]);
  else if (m === 0x0a0d0d0a) parsePcapng(buf, s);
  return s;
}

const rd = (buf, off, size, le) => size === 1 ? buf[off] : size === 2 ? (le ? buf.readUInt16LE(off) : buf.readUInt16BE(off)) : (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));

function parsePcap(buf, s, le, recHdr) {
  s.format = "pcap";
  if (buf.length < 24) return;
  s.headerLen = 24;
  const f = (off, size, what) => s.fields.push({ off, size, le, what });
  f(4, 2, "pcap major version"); f(6, 2, "pcap minor version"); f(16, 4, "pcap snaplen"); f(20, 4, "pcap link type");
  const major = rd(buf, 4, 2, le), minor = rd(buf, 6, 2, le);
  const link = rd(buf, 20, 4, le) & 0xffff;
  let off = 24;
  while (off + recHdr <= buf.length && s.units.length < 100000) {
    let cap = rd(buf, off + 8, 4, le), wire = rd(buf, off + 12, 4, le);
    if ((major === 2 && minor < 3) || (major === 2 && minor === 3 && cap > wire)) [cap, wire] = [wire, cap];
    if (cap > 262144 || off + recHdr + cap > buf.length) break;
    s.units.push({ off, len: recHdr + cap, type: 0, dataOff: off + recHdr, dataLen: cap, link });
    f(off, 4, "record ts seconds"); f(off + 4, 4, "record ts fraction"); f(off + 8, 4, "record caplen"); f(off + 12, 4, "record wire length");
    innerFields(buf, s, off + recHdr, cap, link);
    off += recHdr + cap;
  }
}

function parsePcapng(buf, s) {
  s.format = "pcapng";
  let off = 0;
  let le = true;
  let links = [];
  while (off + 12 <= buf.length && s.units.length < 100000) {
    if (buf.readUInt32LE(off) === 0x0a0d0d0a) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true; else if (bom === 0x4d3c2b1a) le = false; else break;
      links = [];
    }
    const type = rd(buf, off, 4, le), len = rd(buf, off + 4, 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) break;
    const f = (o, size, what) => s.fields.push({ off: o, size, le, what });
    f(off + 4, 4, "block length"); f(off + len - 4, 4, "block trailing length");
    const unit = { off, len, type, dataOff: 0, dataLen: 0, link: 1, le };
    const end = off + len - 4;
    if (type === 0x0a0d0d0a && len >= 28) {
      if (off === 0) s.headerLen = len;
      f(off + 12, 2, "SHB major version"); f(off + 14, 2, "SHB minor version"); f(off + 16, 4, "SHB section length"); f(off + 20, 4, "SHB section length (high)");
      optionFields(buf, s, off + 24, end, le);
    } else if (type === 1 && len >= 20) {
      links.push(rd(buf, off + 8, 2, le));
      f(off + 8, 2, "IDB link type"); f(off + 12, 4, "IDB snaplen");
      optionFields(buf, s, off + 16, end, le);
    } else if ((type === 6 || type === 2) && len >= 32) {
      const ifId = type === 6 ? rd(buf, off + 8, 4, le) : rd(buf, off + 8, 2, le);
      const cap = rd(buf, off + 20, 4, le);
      f(off + 8, type === 6 ? 4 : 2, "packet interface id"); f(off + 12, 4, "packet ts high"); f(off + 16, 4, "packet ts low");
      f(off + 20, 4, "packet caplen"); f(off + 24, 4, "packet original length");
      if (off + 28 + cap <= end) {
        unit.dataOff = off + 28; unit.dataLen = cap; unit.link = links[ifId] ?? 1;
        innerFields(buf, s, unit.dataOff, cap, unit.link);
        optionFields(buf, s, off + 28 + ((cap + 3) & ~3), end, le);
      }
    } else if (type === 3 && len >= 16) {
      f(off + 8, 4, "SPB original length");
      unit.dataOff = off + 12; unit.dataLen = Math.min(rd(buf, off + 8, 4, le), len - 16); unit.link = links[0] ?? 1;
      innerFields(buf, s, unit.dataOff, unit.dataLen, unit.link);
    } else if (type === 5 && len >= 20) {
      f(off + 8, 4, "ISB interface id");
      optionFields(buf, s, off + 20, end, le);
    }
    s.units.push(unit);
    off += len;
  }
}

function optionFields(buf, s, p, end, le) {
  for (let n = 0; p + 4 <= end && n < 64; n++) {
    const code = rd(buf, p, 2, le), olen = rd(buf, p + 2, 2, le);
    s.fields.push({ off: p + 2, size: 2, le, what: `option ${code} length` });
    if (code === 0) return;
    p += 4 + ((olen + 3) & ~3);
  }
}

/** Length and type fields of the IP and TCP/UDP headers inside a packet (network byte order). */
function innerFields(buf, s, data, cap, link) {
  let ip = LINK_IP_OFFSET[link];
  if (link === 1) {
    ip = 14;
    let et = cap >= 14 ? buf.readUInt16BE(data + 12) : 0;
    while ((et === 0x8100 || et === 0x88a8) && ip + 4 <= cap) { et = buf.readUInt16BE(data + ip + 2); ip += 4; }
    if (et !== 0x0800 && et !== 0x86dd) return;
  }
  if (ip === undefined || ip + 20 > cap) return;
  const p = data + ip;
  const f = (off, size, what, nib) => s.fields.push({ off, size, le: false, nib, what });
  const ver = buf[p] >> 4;
  let tp = -1, proto = -1;
  if (ver === 4) {
    f(p, 1, "IPv4 version", "hi"); f(p, 1, "IPv4 header length", "lo"); f(p + 2, 2, "IPv4 total length");
    f(p + 6, 2, "IPv4 fragment offset"); f(p + 9, 1, "IPv4 protocol");
    tp = p + (buf[p] & 15) * 4; proto = buf[p + 9];
  } else if (ver === 6 && ip + 40 <= cap) {
    f(p, 1, "IPv6 version", "hi"); f(p + 4, 2, "IPv6 payload length"); f(p + 6, 1, "IPv6 next header");
    tp = p + 40; proto = buf[p + 6];
  }
  if (tp < 0 || tp + 8 > data + cap) return;
  if (proto === 6 && tp + 20 <= data + cap) { f(tp + 12, 1, "TCP data offset", "hi"); f(tp + 13, 1, "TCP flags"); f(tp + 4, 4, "TCP sequence number"); }
  else if (proto === 17) { f(tp + 4, 2, "UDP length"); f(tp + 2, 2, "UDP destination port"); }
}

/** Where the IP header of a packet unit starts (absolute), and its version; undefined if none. */
function ipOf(buf, u) {
  if (!u.dataLen) return undefined;
  let ip = LINK_IP_OFFSET[u.link];
  if (u.link === 1) {
    if (u.dataLen < 14 || buf.readUInt16BE(u.dataOff + 12) !== 0x0800 && buf.readUInt16BE(u.dataOff + 12) !== 0x86dd) return undefined;
    ip = 14;
  }
  if (ip === undefined || ip + 20 > u.dataLen) return undefined;
  const version = buf[u.dataOff + ip] >> 4;
  if (version !== 4 && version !== 6) return undefined;
  return { at: u.dataOff + ip, rel: ip, version };
}

function ipv4HeaderChecksum(b, ip) {
  const ihl = Math.min((b[ip] & 15) * 4, (b.length - ip) & ~1);
  if (ihl < 20) return;
  b.writeUInt16BE(0, ip + 10);
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += b.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(0xffff - sum, ip + 10);
}

/** Recomputes the TCP or UDP checksum of an IPv4 packet whose bytes are all in b[ip, end). */
function ipv4TransportChecksum(b, ip, end) {
  const ihl = (b[ip] & 15) * 4;
  const proto = b[ip + 9];
  const total = b.readUInt16BE(ip + 2);
  const tp = ip + ihl;
  if ((proto !== 6 && proto !== 17) || ihl < 20 || ip + total > Math.min(end, b.length) || total < ihl + 8) return;
  const at = tp + (proto === 6 ? 16 : 6);
  if (proto === 6 && total < ihl + 20) return;
  b.writeUInt16BE(0, at);
  let sum = proto + (total - ihl);
  for (let i = 12; i < 20; i += 2) sum += b.readUInt16BE(ip + i);
  for (let i = tp; i + 1 < ip + total; i += 2) sum += b.readUInt16BE(i);
  if ((total - ihl) & 1) sum += b[ip + total - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(0xffff - sum || (proto === 17 ? 0xffff : 0), at);
}

/** A packet unit with new packet data (pcap record or pcapng EPB); other units are returned as they are. */
function rebuildUnit(buf, u, data) {
  if (u.type === 0) {
    const h = Buffer.from(buf.subarray(u.off, u.dataOff));
    const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d || buf.readUInt32LE(0) === 0xa1b2cd34;
    const w = (v, o) => le ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o);
    w(data.length, 8); w(data.length, 12);
    return Buffer.concat([h, data]);
  }
  if (u.type === 6) {
    const head = Buffer.from(buf.subarray(u.off, u.off + 28));
    const pad = (4 - (data.length % 4)) % 4;
    const len = 28 + data.length + pad + 4;
    const w = (v, o, b = head) => u.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o);
    w(len, 4); w(data.length, 20); w(data.length, 24);
    const tail = Buffer.alloc(4);
    w(len, 0, tail);
    return Buffer.concat([head, data, Buffer.alloc(pad), tail]);
  }
  return buf.subarray(u.off, u.off + u.len);
}

function replaceUnits(buf, s, replaced) {
  const parts = [buf.subarray(0, s.units[0].off)];
  for (const u of s.units) parts.push(...(replaced.get(u) ?? [buf.subarray(u.off, u.off + u.len)]));
  const last = s.units[s.units.length - 1];
  parts.push(buf.subarray(last.off + last.len));
  return Buffer.concat(parts);
}

// ---- mutations ---------------------------------------------------------------------------------

const EXTREME32 = [0, 1, 2, 3, 4, 7, 8, 11, 12, 16, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0xfffffff0, 65535, 65536, 262144, 262145, 16 << 20, (16 << 20) + 4, (16 << 20) + 1];
const EXTREME16 = [0, 1, 2, 4, 0x7fff, 0x8000, 0xfffc, 0xffff];
const EXTREME8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff];

function writeField(buf, fld, v) {
  const { off, size, le } = fld;
  if (off + size > buf.length) return;
  if (fld.nib === "hi") buf[off] = (buf[off] & 0x0f) | ((v & 15) << 4);
  else if (fld.nib === "lo") buf[off] = (buf[off] & 0xf0) | (v & 15);
  else if (size === 1) buf[off] = v & 0xff;
  else if (size === 2) le ? buf.writeUInt16LE(v & 0xffff, off) : buf.writeUInt16BE(v & 0xffff, off);
  else le ? buf.writeUInt32LE(v >>> 0, off) : buf.writeUInt32BE(v >>> 0, off);
}

function extremeFor(rng, buf, fld) {
  if (fld.nib) return rng.int(16);
  const cur = rd(buf, fld.off, fld.size, fld.le);
  const near = [cur + 1, cur - 1, cur + 4, cur - 4, cur * 2, cur >>> 1, rng.u32()];
  const pool = fld.size === 1 ? EXTREME8 : fld.size === 2 ? EXTREME16 : EXTREME32;
  return rng.chance(0.6) ? rng.pick(pool) : rng.pick(near);
}

const interesting = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x45, 0x60, 0x06, 0x11];

/** Each mutator: (buf: Buffer, rng, ctx) => [Buffer, description]. `buf` may be modified in place. */
const MUTATORS = {
  bitflip(buf, rng) {
    if (buf.length === 0) return [buf, "bitflip (empty)"];
    const n = rng.logRange(1, 32);
    const s = parseCapture(buf);
    const at = [];
    for (let i = 0; i < n; i++) {
      let pos;
      if (s.units.length > 0 && rng.chance(0.5)) {
        const u = rng.pick(s.units);   // near a unit's start: headers and lengths
        pos = u.off + rng.int(Math.min(u.len, 64));
      } else pos = rng.int(buf.length);
      buf[pos] ^= 1 << rng.int(8);
      at.push(pos);
    }
    return [buf, `bitflip x${n} at ${at.slice(0, 4).join(",")}${n > 4 ? ",..." : ""}`];
  },
  bytes(buf, rng) {
    if (buf.length === 0) return [buf, "bytes (empty)"];
    const n = rng.range(1, 8);
    const pos = rng.int(buf.length);
    for (let i = 0; i < n && pos + i < buf.length; i++) buf[pos + i] = rng.chance(0.5) ? rng.pick(interesting) : rng.int(256);
    return [buf, `${n} bytes overwritten at ${pos}`];
  },
  field(buf, rng) {
    const s = parseCapture(buf);
    if (s.fields.length === 0) return MUTATORS.bitflip(buf, rng);
    const fld = rng.pick(s.fields);
    const v = extremeFor(rng, buf, fld);
    writeField(buf, fld, v);
    // pcapng block lengths: keep the trailer in step half the time, to reach the body checks
    if (fld.what === "block length" && rng.chance(0.5)) {
      const u = s.units.find((x) => x.off + 4 === fld.off);
      if (u) writeField(buf, { off: u.off + u.len - 4, size: 4, le: fld.le }, v);
    }
    return [buf, `${fld.what} at ${fld.off} := ${v >>> 0}`];
  },
  timestamp(buf, rng) {
    const s = parseCapture(buf);
    const ts = s.fields.filter((f) => /ts /.test(f.what));
    if (ts.length === 0) return MUTATORS.field(buf, rng);
    const fld = rng.pick(ts);
    const v = rng.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 999999999, 1000000000, rng.u32(), rd(buf, fld.off, 4, fld.le) - rng.int(100000)]);
    writeField(buf, fld, v);
    return [buf, `${fld.what} at ${fld.off} := ${v >>> 0}`];
  },
  truncate(buf, rng) {
    const s = parseCapture(buf);
    let at;
    const r = rng.int(10);
    if (r < 4 && s.units.length > 0) at = Math.max(0, rng.pick(s.units).off + rng.range(-20, 20));
    else if (r < 5) at = rng.int(Math.min(buf.length, 40));
    else at = rng.int(buf.length);
    return [buf.subarray(0, Math.min(at, buf.length)), `truncated to ${Math.min(at, buf.length)}`];
  },
  insert(buf, rng) {
    const at = rng.int(buf.length + 1);
    const n = rng.logRange(1, 64);
    const junk = Buffer.alloc(n);
    for (let i = 0; i < n; i++) junk[i] = rng.chance(0.3) ? 0 : rng.int(256);
    return [Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]), `${n} bytes inserted at ${at}`];
  },
  remove(buf, rng) {
    const at = rng.int(buf.length);
    const n = Math.min(rng.logRange(1, 256), buf.length - at);
    return [Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]), `${n} bytes removed at ${at}`];
  },
  garbage(buf, rng) {
    const n = rng.logRange(1, 300);
    const kind = rng.int(3);
    const tail = kind === 0 ? Buffer.alloc(n) : kind === 1 ? Buffer.alloc(n, 0xff) : Buffer.from(Array.from({ length: n }, () => rng.int(256)));
    return [Buffer.concat([buf, tail]), `${n} bytes of ${["zeros", "0xff", "random bytes"][kind]} appended`];
  },
  reorder(buf, rng) {
    const s = parseCapture(buf);
    const units = s.units;
    if (units.length < 2) return MUTATORS.truncate(buf, rng);
    const head = buf.subarray(0, units[0].off);
    const tail = buf.subarray(units[units.length - 1].off + units[units.length - 1].len);
    let parts = units.map((u) => buf.subarray(u.off, u.off + u.len));
    const i = rng.int(parts.length), j = rng.int(parts.length);
    const op = rng.int(6);
    let what;
    if (op === 0) { [parts[i], parts[j]] = [parts[j], parts[i]]; what = `units ${i} and ${j} swapped`; }
    else if (op === 1) { const [u] = parts.splice(i, 1); parts.splice(j, 0, u); what = `unit ${i} moved to ${j}`; }
    else if (op === 2) { const n = rng.logRange(1, 2000); parts.splice(i, 0, ...Array(n).fill(parts[i])); what = `unit ${i} repeated ${n} times`; }
    else if (op === 3) { parts.splice(i, 1); what = `unit ${i} dropped`; }
    else if (op === 4) { parts = [parts[0], ...parts.slice(1).reverse()]; what = "units after the first reversed"; }
    else { for (let k = parts.length - 1; k > 0; k--) { const r = rng.int(k + 1); [parts[k], parts[r]] = [parts[r], parts[k]]; } what = "units shuffled"; }
    return [Buffer.concat([head, ...parts, tail]), `${s.format} ${what}`];
  },
  // IP packets wrapped in 1 to 10 more IPv4 headers (IP-in-IP, protocol 4 or 41), lengths and
  // checksums right: tunnels nested deeper than Zeek follows
  nest(buf, rng) {
    const s = parseCapture(buf);
    const units = s.units.filter((u) => (u.type === 0 || u.type === 6) && ipOf(buf, u));
    if (units.length === 0) return MUTATORS.field(buf, rng);
    const depth = rng.range(1, 10);
    const replaced = new Map();
    const chosen = rng.chance(0.5) ? units : [rng.pick(units)];
    for (const u of chosen) {
      const ip = ipOf(buf, u);
      let inner = Buffer.from(buf.subarray(ip.at, u.dataOff + u.dataLen));
      let version = ip.version;
      for (let d = 0; d < depth; d++) {
        const h = Buffer.alloc(20);
        h[0] = 0x45; h.writeUInt16BE(Math.min(0xffff, 20 + inner.length), 2); h[8] = 64; h[9] = version === 4 ? 4 : 41;
        h.writeUInt32BE(0x0a630000 + d, 12); h.writeUInt32BE(0x0a640000 + d, 16);
        ipv4HeaderChecksum(h, 0);
        inner = Buffer.concat([h, inner]);
        version = 4;
      }
      const link = Buffer.from(buf.subarray(u.dataOff, ip.at));
      if (u.link === 1) link.writeUInt16BE(0x0800, 12);
      if (u.link === 113) link.writeUInt16BE(0x0800, 14);
      if (u.link === 276) link.writeUInt16BE(0x0800, 0);
      if (u.link === 0 || u.link === 108) { link.writeUInt32LE(2, 0); if (u.link === 108) link.writeUInt32BE(2, 0); }
      replaced.set(u, [rebuildUnit(buf, u, Buffer.concat([link, inner]))]);
    }
    return [replaceUnits(buf, s, replaced), `${chosen.length} packets wrapped in ${depth} IPv4 headers`];
  },
  // one IPv4 packet repeated with a new source address each time (checksums right): many connections
  spray(buf, rng) {
    const s = parseCapture(buf);
    const units = s.units.filter((u) => (u.type === 0 || u.type === 6) && ipOf(buf, u)?.version === 4);
    if (units.length === 0) return MUTATORS.reorder(buf, rng);
    const u = rng.pick(units);
    const ip = ipOf(buf, u);
    const n = rng.logRange(10, 3000);
    const copies = [buf.subarray(u.off, u.off + u.len)];
    const ipAt = ip.at - u.off;
    for (let i = 1; i <= n; i++) {
      const c = Buffer.from(buf.subarray(u.off, u.off + u.len));
      c.writeUInt32BE((c.readUInt32BE(ipAt + 12) + i) >>> 0, ipAt + 12);
      ipv4HeaderChecksum(c, ipAt);
      ipv4TransportChecksum(c, ipAt, u.dataOff - u.off + u.dataLen);
      copies.push(c);
    }
    return [replaceUnits(buf, s, new Map([[u, copies]])), `unit at ${u.off} sprayed over ${n} source addresses`];
  },
  // an IPv4 packet cut into fragments, then shuffled, repeated, overlapped or pushed past 64 KiB
  fragment(buf, rng) {
    const s = parseCapture(buf);
    const units = s.units.filter((u) => (u.type === 0 || u.type === 6) && ipOf(buf, u)?.version === 4);
    if (units.length === 0) return MUTATORS.nest(buf, rng);
    const u = rng.pick(units);
    const ip = ipOf(buf, u);
    const end = u.dataOff + u.dataLen;
    const ihl = Math.max(20, Math.min((buf[ip.at] & 15) * 4, end - ip.at));
    const payload = buf.subarray(Math.min(end, ip.at + ihl), end);
    const link = buf.subarray(u.dataOff, ip.at);
    const frags = [];
    for (let off = 0; off < payload.length || frags.length === 0;) {
      const size = Math.min(payload.length - off, 8 * rng.range(1, 64));
      frags.push({ off, data: payload.subarray(off, off + size), more: off + size < payload.length });
      off += Math.max(size, 8);
      if (size === 0) break;
    }
    const what = [];
    const op = rng.int(6);
    if (op === 1) { for (let k = frags.length - 1; k > 0; k--) { const r = rng.int(k + 1); [frags[k], frags[r]] = [frags[r], frags[k]]; } what.push("shuffled"); }
    if (op === 2) { const f = rng.pick(frags); frags.push({ ...f }); what.push("one repeated"); }
    if (op === 3) { const f = rng.pick(frags); frags.push({ off: Math.max(0, f.off - 8), data: Buffer.from(f.data).fill(0x41), more: true }); what.push("one overlapped with other bytes"); }
    if (op === 4) { frags.push({ off: 0xfff8, data: payload.subarray(0, 64), more: rng.chance(0.5) }); what.push("one at offset 65528"); }
    if (op === 5) { frags.forEach((f) => { f.more = true; }); what.push("no last fragment"); }
    const id = rng.int(65536);
    const records = frags.map((f) => {
      const h = Buffer.from(buf.subarray(ip.at, ip.at + ihl));
      h.writeUInt16BE(Math.min(0xffff, ihl + f.data.length), 2);
      h.writeUInt16BE(id, 4);
      h.writeUInt16BE((f.more ? 0x2000 : 0) | ((f.off >> 3) & 0x1fff), 6);
      ipv4HeaderChecksum(h, 0);
      return rebuildUnit(buf, u, Buffer.concat([link, h, f.data]));
    });
    return [replaceUnits(buf, s, new Map([[u, records]])), `unit at ${u.off} cut into ${frags.length} fragments${what.length ? `, ${what.join(", ")}` : ""}`];
  },
  splice(buf, rng, ctx) {
    const other = rng.pick(ctx.corpus);
    const b = other.bytes;
    const op = rng.int(4);
    if (op === 0) return [Buffer.concat([buf, b]), `followed by ${other.name}`];
    if (op === 1) {
      const i = rng.int(buf.length + 1), j = rng.int(b.length + 1);
      return [Buffer.concat([buf.subarray(0, i), b.subarray(j)]), `first ${i} bytes, then ${other.name} from byte ${j}`];
    }
    // at unit boundaries: a prefix of this capture's units, then units of the other
    const sa = parseCapture(buf), sb = parseCapture(b);
    if (sa.units.length === 0 || sb.units.length === 0) return [Buffer.concat([buf, b]), `followed by ${other.name}`];
    const ua = sa.units[rng.int(sa.units.length)], ub = sb.units[rng.int(sb.units.length)];
    const cutA = op === 2 ? ua.off + ua.len : ua.off;
    return [Buffer.concat([buf.subarray(0, cutA), b.subarray(ub.off)]), `units up to byte ${cutA}, then ${other.name}'s from byte ${ub.off}`];
  },
};

const WEIGHTS = [["bitflip", 18], ["bytes", 8], ["field", 22], ["timestamp", 6], ["truncate", 10], ["insert", 5], ["remove", 5], ["garbage", 5], ["reorder", 11], ["splice", 10], ["nest", 6], ["spray", 4], ["fragment", 6]];
const WEIGHT_SUM = WEIGHTS.reduce((a, [, w]) => a + w, 0);

function pickMutator(rng) {
  let r = rng.int(WEIGHT_SUM);
  for (const [name, w] of WEIGHTS) { if (r < w) return name; r -= w; }
  return "bitflip";
}

/** Case `index` of run `seed`: a pure function of both and of the corpus. */
export function makeCase(corpus, seed, index) {
  const rng = new Rng(seed, index);
  const base = corpus[rng.int(corpus.length)];
  let buf = Buffer.from(base.bytes);
  const ops = [];
  const n = rng.chance(0.7) ? 1 : rng.range(2, 3);
  for (let i = 0; i < n; i++) {
    const name = pickMutator(rng);
    let what;
    try {
      [buf, what] = MUTATORS[name](buf, rng, { corpus });
    } catch (e) {
      // a harness bug: visible in the case's description (and its "harness" failure), never fatal
      what = `${name} failed: ${e?.message ?? e}`;
      ops.harnessError = `${name}: ${e?.stack ?? e}`;
    }
    if (buf.length > 8 << 20) buf = buf.subarray(0, 8 << 20);   // repeats and splices stay bounded
    ops.push(what);
  }
  const gzip = !(buf[0] === 0x1f && buf[1] === 0x8b) && rng.chance(0.05);
  if (gzip) {
    if (rng.chance(0.25)) {
      const at = rng.range(0, buf.length);
      buf = Buffer.concat([gzipSync(buf.subarray(0, at)), gzipSync(buf.subarray(at))]);
      ops.push(`gzip-compressed as two members, split at ${at}`);
    } else {
      buf = gzipSync(buf);
      ops.push("gzip-compressed");
    }
    if (rng.chance(0.5)) { const at = rng.range(10, buf.length); buf = buf.subarray(0, at); ops.push(`gzip stream cut at ${at}`); }
    else if (rng.chance(0.3)) { const [tail, what] = MUTATORS.garbage(buf, rng); buf = tail; ops.push(`after the gzip stream: ${what}`); }
  }
  const ignoreChecksums = rng.chance(0.3);
  // a small connection table now and then: evictions at --max-connections must lose nothing either
  const maxConnections = rng.chance(0.2) ? rng.range(1, 16) : undefined;
  // chunk sizes: the CLI's 1 MiB; a small fixed size (1 byte only for small inputs); random sizes
  const maxChunks = 60000;
  const small = rng.pick([1, 2, 3, 5, 7, 13, 64, 100, 1500, 4096]);
  const fixed = Math.max(small, Math.ceil(buf.length / maxChunks));
  const randomMean = Math.max(rng.logRange(4, 65536), Math.ceil(buf.length / maxChunks));
  return { index, seed, source: base.name, ops, bytes: buf, ignoreChecksums, maxConnections, chunkings: [{ kind: "cli", size: CLI_CHUNK }, { kind: "fixed", size: fixed }, { kind: "random", size: randomMean, seed: rng.u32() }] };
}

// ---- running a case in-process -----------------------------------------------------------------

let modules;
async function loadModules() {
  if (!modules) {
    const engineUrl = pathToFileURL(join(REPO, "dist/engine.js")).href;
    const inputUrl = pathToFileURL(join(REPO, "dist/input.js")).href;
    if (!existsSync(fileURLToPath(inputUrl))) throw new Error("dist/ is not built: run npm run build");
    const [engine, input] = await Promise.all([import(engineUrl), import(inputUrl)]);
    if (typeof input.feedChunks !== "function") throw new Error("dist/input.js has no feedChunks: rebuild (npm run build)");
    modules = { Engine: engine.Engine, feedChunks: input.feedChunks };
  }
  return modules;
}

async function* chunksOf(bytes, chunking) {
  if (chunking.kind !== "random") {
    for (let off = 0; off < bytes.length; off += chunking.size) yield bytes.subarray(off, Math.min(bytes.length, off + chunking.size));
    return;
  }
  const rng = new Rng(chunking.seed);
  for (let off = 0; off < bytes.length;) {
    const n = 1 + rng.int(2 * chunking.size);
    yield bytes.subarray(off, Math.min(bytes.length, off + n));
    off += n;
  }
}

/** One run of the CLI's input path over the case in one chunking. Throws what the CLI would turn into exit 4. */
export async function runInProcess(c, chunking, warming = "auto") {
  const { Engine, feedChunks } = await loadModules();
  const evHash = createHash("sha1"), recHash = createHash("sha1");
  const kinds = [0, 0, 0, 0];
  let records = 0;
  const engine = new Engine({
    by: ["src", "dst", "dport"],
    ignoreChecksums: c.ignoreChecksums,
    maxConnections: c.maxConnections,
    warming,
    eventKinds: ALL_EVENTS,
    onEvents: (batch) => {
      for (let off = 0; off < batch.length; off += EVENT_SIZE) {
        kinds[batch[off]] = (kinds[batch[off]] ?? 0) + 1;
        evHash.update(batch.subarray(off, off + 60));   // the last 4 bytes are reserved
      }
    },
    onRecords: (batch) => { records += batch.length / 256; recHash.update(batch); },
  });
  const started = performance.now();
  const outcome = await feedChunks(engine, "case", { chunks: chunksOf(c.bytes, chunking) }, () => false);
  engine.end();
  const ms = performance.now() - started;
  const exit = outcome.openError ? 2 : outcome.error ? outcome.error.exitCode : 0;
  const { bytes_read: _bytesRead, ...stats } = engine.stats();
  const rows = engine.top(0, "conns").map((r) => [r.src, r.dst, r.dport, r.proto, r.conns, r.pkts, r.bytes]);
  const e = outcome.error;
  let wasmBytes = 0;
  try { wasmBytes = engine.core.ex.memory.buffer.byteLength; } catch { /* private fields: best effort */ }
  return {
    exit,
    error: e ? { name: e.name, layer: e.layer, offset: e.offset, reason: e.reason } : null,
    stats,
    rows: JSON.stringify(rows),
    nRows: rows.length,
    events: { new_connection: kinds[1], connection_end: kinds[2], analyzer_confirmation: kinds[3], hash: evHash.digest("hex") },
    records: { count: records, hash: recHash.digest("hex") },
    ms,
    wasmBytes,
  };
}

const comparable = (r) => JSON.stringify({ exit: r.exit, error: r.error, stats: r.stats, rows: r.rows, events: r.events, records: r.records });

/** The (src, dport, service) connection counts of the case, from a run that writes conn records
 *  or not: without them the core ends a connection's detection once nothing it could still find
 *  would show in those counts (assembly/detect/registry.ts nothingToLearn). */
async function serviceRows(c, chunking, withRecords) {
  const { Engine, feedChunks } = await loadModules();
  const engine = new Engine({
    by: ["src", "dport", "service"],
    metrics: ["conns"],
    ignoreChecksums: c.ignoreChecksums,
    maxConnections: c.maxConnections,
    onRecords: withRecords ? () => {} : undefined,
  });
  await feedChunks(engine, "case", { chunks: chunksOf(c.bytes, chunking) }, () => false);
  engine.end();
  return JSON.stringify(engine.top(0, "conns").map((r) => [r.src, r.dport, r.proto, r.service, r.conns]));
}

/** Checks one case in every chunking; returns { failures: [...], result, ms }. */
export async function checkCase(c, { wasmLimit = 256 << 20 } = {}) {
  const failures = [];
  const results = [];
  const t0 = performance.now();
  const gzipped = c.bytes[0] === 0x1f && c.bytes[1] === 0x8b;   // offsets count decompressed bytes
  for (const [i, chunking] of c.chunkings.entries()) {
    // the last run warms every batch (flow/warm.ts keys each packet ahead of the table): the
    // results must not change
    const warming = i === c.chunkings.length - 1 ? "always" : "auto";
    const label = `${chunking.kind} chunks of ${chunking.kind === "random" ? "~" : ""}${chunking.size}${warming === "always" ? ", warmed" : ""}`;
    let r;
    try {
      r = await runInProcess(c, chunking, warming);
    } catch (e) {
      const trap = e instanceof WebAssembly.RuntimeError || e?.constructor?.name === "CoreError";
      failures.push({ kind: trap ? "wasm trap" : "exception", message: `${label}: ${e?.constructor?.name ?? "Error"}: ${e?.message ?? e}`, stack: e?.stack });
      continue;
    }
    results.push({ label, r, warming });
    const s = r.stats;
    const skipped = Object.values(s.records_skipped).reduce((a, b) => a + b, 0);
    if (![0, 2, 3].includes(r.exit)) failures.push({ kind: "exit code", message: `${label}: exit ${r.exit}` });
    if (s.records_read !== s.records_decoded + skipped) failures.push({ kind: "accounting", message: `${label}: records_read ${s.records_read} != decoded ${s.records_decoded} + skipped ${skipped}` });
    if (r.events.new_connection !== r.events.connection_end || r.events.new_connection !== s.connections || r.records.count !== s.connections) {
      failures.push({ kind: "lost connection", message: `${label}: ${s.connections} connections, ${r.events.new_connection} new_connection, ${r.events.connection_end} connection_end, ${r.records.count} conn records` });
    }
    if (r.exit === 2 && s.records_read !== 0) failures.push({ kind: "exit 2 with packets", message: `${label}: exit 2 after ${s.records_read} records` });
    if (r.exit !== 0 && (!r.error || !r.error.layer || !(r.error.offset >= 0))) failures.push({ kind: "unclear error", message: `${label}: exit ${r.exit} with ${JSON.stringify(r.error)}` });
    if (r.exit === 0 && r.error) failures.push({ kind: "unclear error", message: `${label}: exit 0 with an error ${JSON.stringify(r.error)}` });
    if (r.error && !gzipped && r.error.offset > c.bytes.length) failures.push({ kind: "bad offset", message: `${label}: offset ${r.error.offset} beyond the input's ${c.bytes.length} bytes` });
    if (r.wasmBytes > wasmLimit) failures.push({ kind: "memory", message: `${label}: wasm memory ${r.wasmBytes} bytes for a ${c.bytes.length}-byte input` });
  }
  if (results.length > 1) {
    const first = comparable(results[0].r);
    for (const { label, r, warming } of results.slice(1)) {
      // the warmed run has chunks of its own too: either may be the cause
      const kind = warming === "always" ? "chunking or warming" : "chunking";
      if (comparable(r) !== first) failures.push({ kind, message: `${results[0].label} and ${label} differ: ${diffText(results[0].r, r)}` });
    }
  }
  if (results.length === c.chunkings.length) {
    try {
      const early = await serviceRows(c, c.chunkings[0], false), full = await serviceRows(c, c.chunkings[0], true);
      if (early !== full) failures.push({ kind: "early end of detection", message: `service rows without conn records ${early.slice(0, 300)} vs with them ${full.slice(0, 300)}` });
    } catch (e) {
      failures.push({ kind: "exception", message: `service rows: ${e?.constructor?.name ?? "Error"}: ${e?.message ?? e}`, stack: e?.stack });
    }
  }
  return { failures, result: results[0]?.r, ms: performance.now() - t0 };
}

function diffText(a, b) {
  const out = [];
  for (const k of ["exit", "error", "stats", "rows", "events", "records"]) {
    const x = JSON.stringify(a[k]), y = JSON.stringify(b[k]);
    if (x !== y) out.push(`${k}: ${x.slice(0, 300)} vs ${y.slice(0, 300)}`);
  }
  return out.join("; ");
}

// ---- the real command line ---------------------------------------------------------------------

/** Runs `zk-stream top --stats ...` on the case (from a file, or stdin) and checks it against the in-process result. */
export function checkCli(c, expected, { dir, viaStdin, timeoutMs, command = "top" }) {
  const file = join(dir, `case-${c.seed}-${c.index}.pcap`);
  writeFileSync(file, c.bytes);
  const commandArgs = command === "top" ? ["top", "--by", "src,dst,dport", "-n", "0", "--format", "json"] : [command];
  const args = [CLI, ...commandArgs, "--stats", ...(command === "conn" ? [] : ["--no-progress"]), ...(c.ignoreChecksums ? ["-C"] : []), ...(c.maxConnections ? ["--max-connections", String(c.maxConnections)] : []), viaStdin ? "-" : file];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: [viaStdin ? "pipe" : "ignore", "pipe", "pipe"] });
    let out = "", err = "", timedOut = false;
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    if (viaStdin) { child.stdin.on("error", () => {}); child.stdin.end(c.bytes); }
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const failures = [];
      const how = `cli ${command} (${viaStdin ? "stdin" : "file"})`;
      const fail = (kind, message) => failures.push({ kind: `${how}: ${kind}`, message });
      if (timedOut) fail("hang", `no exit within ${timeoutMs} ms`);
      else if (code === null) fail("signal", `killed by ${signal}`);
      else {
        if (![0, 2, 3].includes(code)) fail("exit code", `exit ${code}: ${err.trim().slice(0, 500)}`);
        if (/internal error|RuntimeError|at .*\.js:\d+/.test(err)) fail("internal error", err.trim().slice(0, 500));
        const statsLine = err.trim().split("\n").filter((l) => l.startsWith("{")).pop();
        let stats;
        try { stats = JSON.parse(statsLine); } catch { fail("stats", `no --stats line: ${err.slice(0, 300)}`); }
        if (stats) {
          const skipped = Object.values(stats.records_skipped).reduce((a, b) => a + b, 0);
          if (stats.records_read !== stats.records_decoded + skipped) fail("accounting", statsLine);
          if (expected && stats.records_read !== expected.stats.records_read) fail("differs", `records_read ${stats.records_read}, in-process ${expected.stats.records_read}`);
        }
        if (expected && code !== expected.exit) fail("differs", `exit ${code}, in-process ${expected.exit}: ${err.slice(0, 300)}`);
        const label = viaStdin ? "stdin" : file;
        if (code === 2 || code === 3) {
          const named = err.split("\n").some((l) => l.startsWith(`zk-stream: ${label}: byte `) && /: byte \d+: [a-z ]+: /.test(l));
          if (!named) fail("unclear error", `stderr does not name the input, a byte offset and a layer: ${err.slice(0, 300)}`);
        }
        if (expected && command === "top") {
          let rows;
          try { rows = JSON.parse(out); } catch { fail("output", `stdout is not JSON: ${out.slice(0, 200)}`); }
          const want = JSON.parse(expected.rows).map(([src, dst, dport, proto, conns]) => [src, dst, dport, proto, conns]);
          if (rows && JSON.stringify(rows.map((r) => [r.src, r.dst, r.dport, r.proto, r.count])) !== JSON.stringify(want)) fail("differs", "rows differ from the in-process result");
        }
        if (expected && command === "conn") {
          // one conn.log line per connection, every one written whatever the damage
          const lines = out.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
          if (lines !== expected.records.count) fail("differs", `${lines} conn.log lines, in-process ${expected.records.count} conn records`);
        }
        if (expected && command === "events") {
          const count = (name) => out.split("\n").filter((l) => l.startsWith(`{"event":"${name}"`)).length;
          for (const name of ["new_connection", "connection_end"]) {
            if (count(name) !== expected.events[name]) fail("differs", `${count(name)} ${name} lines, in-process ${expected.events[name]}`);
          }
          if (count("zeek_done") !== 1) fail("output", `${count("zeek_done")} zeek_done lines`);
        }
      }
      done(failures);
    });
  });
}

// ---- driver: workers, watchdog, summary ----------------------------------------------------------

/**
 * Runs the fuzzer. Options: seed, cases (a count) or seconds (a time budget), workers, cliEvery
 * (every n-th case also through the CLI; 0: never), timeoutMs (per case), maxSize (corpus files),
 * out (directory for failing cases; null: none), log (a function for progress lines).
 * Resolves to { seed, cases, cliRuns, seconds, failures: [{index, source, ops, kind, message, file}] }.
 */
export async function runFuzz(opts = {}) {
  if (!opts.paths && !existsSync(join(CAPTURES, "INDEX.tsv"))) {
    (opts.log ?? console.log)(`  NOTE the reference captures are not at ${CAPTURES}: the corpus is examples/sample.pcap and test/fixtures/fuzz/ only`);
  }
  const seed = opts.seed ?? 1;
  const timeoutMs = opts.timeoutMs ?? 10000;
  const cliEvery = opts.cliEvery ?? 25;
  const log = opts.log ?? (() => {});
  const paths = opts.paths ?? corpusPaths({ maxSize: opts.maxSize });
  const corpus = loadCorpus(paths);
  const nWorkers = Math.max(1, opts.workers ?? Math.min(4, availableParallelism()));
  const deadline = opts.seconds !== undefined ? Date.now() + opts.seconds * 1000 : Infinity;
  const maxCases = opts.cases ?? (opts.seconds !== undefined ? Infinity : 200);
  const outDir = opts.out === undefined ? join(tmpdir(), "zk-fuzz") : opts.out;
  const cliDir = join(tmpdir(), `zk-fuzz-cli-${process.pid}`);
  mkdirSync(cliDir, { recursive: true });
  await loadModules();   // fails early, in the main thread, when dist/ is missing

  const failures = [];
  let next = 0, done = 0, cliRuns = 0;
  const started = Date.now();
  const cliQueue = [];
  let cliBusy = Promise.resolve();

  function record(index, list) {
    if (list.length === 0) return;
    const c = makeCase(corpus, seed, index);
    let file;
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      file = join(outDir, `seed${seed}-case${index}.bin`);
      writeFileSync(file, c.bytes);
      writeFileSync(file.replace(/\.bin$/, ".json"), JSON.stringify({ seed, index, core: process.env.ZK_WASM || "build/zk.wasm", source: c.source, ops: c.ops, ignoreChecksums: c.ignoreChecksums, maxConnections: c.maxConnections, chunkings: c.chunkings, failures: list }, null, 2));
    }
    for (const f of list) {
      failures.push({ index, source: c.source, ops: c.ops, kind: f.kind, message: f.message, file });
      log(`FAIL case ${index} (${c.source}: ${c.ops.join("; ")}): ${f.kind}: ${f.message}${file ? `  [${file}]` : ""}`);
    }
  }

  function queueCli(index, expected) {
    cliBusy = cliBusy.then(async () => {
      const c = makeCase(corpus, seed, index);
      // top from a file, top from stdin, conn from a file, events from stdin, in turn
      const command = ["top", "top", "conn", "events"][cliRuns % 4];
      const list = await checkCli(c, expected, { dir: cliDir, viaStdin: (cliRuns & 1) === 1, command, timeoutMs: Math.max(timeoutMs, 15000) });
      cliRuns++;
      record(index, list);
    });
    cliQueue.push(cliBusy);
  }

  const more = () => next < maxCases && Date.now() < deadline;

  async function drive() {
    let worker;
    let current = -1;
    let timer;
    let settle;
    const start = () => {
      worker = new Worker(fileURLToPath(import.meta.url), { workerData: { fuzzWorker: true, paths, seed } });
      worker.on("message", (m) => { clearTimeout(timer); settle?.({ ok: true, m }); });
      worker.on("error", (e) => { clearTimeout(timer); settle?.({ ok: false, error: e }); });
      worker.on("exit", (code) => { clearTimeout(timer); settle?.({ ok: false, error: new Error(`worker exited with code ${code}`) }); });
    };
    start();
    while (more()) {
      current = next++;
      const reply = await new Promise((resolveReply) => {
        settle = resolveReply;
        timer = setTimeout(() => resolveReply({ ok: false, hang: true }), timeoutMs);
        worker.postMessage({ index: current });
      });
      settle = undefined;
      done++;
      if (reply.ok) {
        record(current, reply.m.failures);
        if (cliEvery > 0 && current % cliEvery === 0) queueCli(current, reply.m.failures.length === 0 ? reply.m.result : undefined);
      } else {
        record(current, [reply.hang
          ? { kind: "hang", message: `no result within ${timeoutMs} ms` }
          : { kind: "worker crash", message: String(reply.error?.stack ?? reply.error) }]);
        worker.removeAllListeners();
        await worker.terminate();
        start();
      }
      if (done % 500 === 0) log(`  ${done} cases, ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    worker.removeAllListeners();
    await worker.terminate();
  }

  await Promise.all(Array.from({ length: nWorkers }, drive));
  await Promise.all(cliQueue);
  const seconds = (Date.now() - started) / 1000;
  return { seed, cases: done, cliRuns, seconds, corpus: corpus.length, workers: nWorkers, failures };
}

export function summaryLine(r) {
  const kinds = new Map();
  for (const f of r.failures) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const failedCases = new Set(r.failures.map((f) => f.index)).size;
  const detail = kinds.size ? ` (${[...kinds].map(([k, n]) => `${k}: ${n}`).join(", ")})` : "";
  const core = process.env.ZK_WASM ? ` (core ${process.env.ZK_WASM})` : "";
  return `fuzz: seed ${r.seed}${core}: ${r.cases} cases (${r.cliRuns} through the CLI) in ${r.seconds.toFixed(1)} s (${(r.cases / r.seconds).toFixed(1)} cases/s, ${r.workers} workers, corpus of ${r.corpus}), ${failedCases} failures${detail}`;
}

// ---- worker side -------------------------------------------------------------------------------

if (!isMainThread && workerData?.fuzzWorker) {
  const corpus = loadCorpus(workerData.paths);
  parentPort.on("message", async ({ index }) => {
    let out;
    try {
      const c = makeCase(corpus, workerData.seed, index);
      out = await checkCase(c);
      if (c.ops.harnessError) out.failures.push({ kind: "harness", message: c.ops.harnessError });
    } catch (e) {
      out = { failures: [{ kind: "harness", message: String(e?.stack ?? e) }] };
    }
    parentPort.postMessage({ failures: out.failures, result: out.result, ms: out.ms });
  });
}

// ---- command line ------------------------------------------------------------------------------

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string" }, cases: { type: "string" }, seed: { type: "string", default: "1" },
      workers: { type: "string" }, "cli-every": { type: "string", default: "25" },
      "timeout-ms": { type: "string", default: "10000" }, "max-size": { type: "string", default: String(256 << 10) },
      out: { type: "string" }, case: { type: "string" }, write: { type: "string" }, quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).slice(0, 8).map((l) => l.slice(3)).join("\n") + "\n");
    return 0;
  }
  const seed = Number(values.seed);
  const maxSize = Number(values["max-size"]);
  if (values.case !== undefined) {
    const corpus = loadCorpus(corpusPaths({ maxSize }));
    const c = makeCase(corpus, seed, Number(values.case));
    console.log(`case ${c.index} of seed ${seed}: ${c.source}: ${c.ops.join("; ")} (${c.bytes.length} bytes${c.ignoreChecksums ? ", -C" : ""}${c.maxConnections ? `, --max-connections ${c.maxConnections}` : ""})`);
    if (values.write) { writeFileSync(values.write, c.bytes); console.log(`written to ${values.write}`); }
    const { failures, result } = await checkCase(c);
    if (result) console.log(JSON.stringify({ exit: result.exit, error: result.error, stats: result.stats, rows: result.nRows, events: result.events, records: result.records.count }, null, 1));
    const dir = join(tmpdir(), `zk-fuzz-cli-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    for (const [command, viaStdin] of [["top", false], ["top", true], ["conn", false], ["events", true]]) {
      failures.push(...await checkCli(c, failures.length ? undefined : result, { dir, viaStdin, command, timeoutMs: 30000 }));
    }
    for (const f of failures) console.log(`FAIL ${f.kind}: ${f.message}`);
    console.log(failures.length ? `${failures.length} failures` : "ok");
    return failures.length ? 1 : 0;
  }
  const r = await runFuzz({
    seed,
    seconds: values.seconds !== undefined ? Number(values.seconds) : values.cases === undefined ? 60 : undefined,
    cases: values.cases !== undefined ? Number(values.cases) : undefined,
    workers: values.workers !== undefined ? Number(values.workers) : undefined,
    cliEvery: Number(values["cli-every"]),
    timeoutMs: Number(values["timeout-ms"]),
    maxSize,
    out: values.out,
    log: values.quiet ? undefined : (line) => console.log(line),
  });
  console.log(summaryLine(r));
  return r.failures.length ? 1 : 0;
}

if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
}
