// Capture framing (assembly/capture/) against the reference captures:
// - every capture tshark reads whole: read whole, no error, as many records as INDEX.tsv's `packets`;
// - every pcapng-test-generator file: as many records as its EPB + SPB + PB blocks (.expected.txt);
// - every capture tshark refuses: the same exit class (2: nothing readable, 3: damage after a valid
//   header), every complete packet before the damage read, the damage at the offset INDEX.tsv gives;
// - identical results for chunks of 1, 7, 64, 1500 and 65536 bytes;
// - hand-built captures for the checks no reference capture exercises (expectations from the
//   pcap/pcapng specifications and Wireshark's reader, never from zk-stream's output).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { runBuffer } from "../src/engine.js";
import { CAPTURES, HAVE_CAPTURES, JOINED_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";

const CHUNK_SIZES = [1, 7, 64, 1500, 65536];

/** Captures tshark reads that the core cannot, and why; the test reads them the way that works. */
const KNOWN_GAPS: Record<string, string> = {
  "formats/other_gzip-compressed_pcapng_scapy.pcapng.gz":
    "gzip-compressed: tshark inflates it; the core sees gzip's magic (the TS input layer must gunzip)",
};

interface Row {
  file: string;
  size: number;
  header: string;    // INDEX.tsv header_parse: magic, versions, records=N, blocks, damage@offset
  packets: string;   // INDEX.tsv packets: a number, or capinfos' message
  tsharkOk: boolean;
}

function indexRows(): Row[] {
  if (!HAVE_CAPTURES) return [];
  const lines = readFileSync(join(CAPTURES, "INDEX.tsv"), "utf8").split("\n");
  const head = lines[0].split("\t");
  const col = (name: string) => {
    const i = head.findIndex((h) => h.startsWith(name));
    if (i < 0) throw new Error(`INDEX.tsv has no column ${name}`);
    return i;
  };
  const iFile = col("file"), iSize = col("size_bytes"), iHeader = col("header_parse"), iPackets = col("packets"), iTshark = col("tshark");
  const rows: Row[] = [];
  for (const line of lines.slice(1)) {
    const c = line.split("\t");
    if (!c[iFile]) continue;
    rows.push({ file: c[iFile], size: Number(c[iSize]), header: c[iHeader], packets: c[iPackets], tsharkOk: c[iTshark] === "ok" });
  }
  return rows;
}

function run(buf: Uint8Array, chunk = 1 << 20) {
  const { engine, file } = runBuffer(buf, {}, chunk);
  // bytes_read counts the bytes fed until the damage was seen: it depends on the chunk size.
  const { bytes_read: _, ...stats } = engine.stats();
  return { stats, error: file.error };
}

function errText(e: { name: string; offset: number; reason: string } | undefined): string {
  return e ? `${e.name} at byte ${e.offset}: ${e.reason}` : "none";
}

/** What tshark's refusal of a file says we must do (from INDEX.tsv and the file's .tshark.txt). */
function expectedDamage(row: Row): { exit: number; packets: number; cut: boolean; offset?: number } {
  const tshark = readFileSync(join(CAPTURES, `${row.file}.tshark.txt`), "utf8");
  const cut = /cut short in the middle/.test(tshark);
  // tshark prints its conversation tables only once it has opened the file: the header was valid.
  const opened = /^={20,}$/m.test(tshark);
  if (!opened) return { exit: 2, packets: 0, cut };
  let packets: number;
  const after = /after reading (\d+) packets/.exec(row.packets);
  const records = /records=(\d+)/.exec(row.header);
  const blocks = /'EPB': (\d+)/.exec(row.header);
  if (/^\d+$/.test(row.packets)) packets = Number(row.packets);
  else if (after) packets = Number(after[1]);
  else if (records) packets = Number(records[1]);
  else throw new Error(`${row.file}: INDEX.tsv gives no packet count`);
  // Where the damage is, when the header parse in INDEX.tsv agrees with tshark's packet count
  // (it does not for corrupt_fuzzed-header: it ignores the caplen/len swap of pcap 2.0).
  const parsed = records ? Number(records[1]) : blocks ? Number(blocks[1]) : -1;
  let offset: number | undefined;
  const at = /@(\d+)/.exec(row.header);
  const trailing = /TRAILING-(\d+)B/.exec(row.header);
  if (parsed === packets) {
    if (at) offset = Number(at[1]);
    else if (trailing) offset = row.size - Number(trailing[1]);
  }
  return { exit: 3, packets, cut, offset };
}

const rows = indexRows();
if (!HAVE_CAPTURES) {
  noteMissingCaptures("framing tests on reference captures");
}

for (const row of rows) {
  const path = join(CAPTURES, row.file);
  if (!existsSync(path)) continue;
  const gap = KNOWN_GAPS[row.file];

  if (row.tsharkOk) {
    test(`${row.file}: read whole, ${row.packets} packets (as tshark)`, () => {
      let buf: Uint8Array = readFileSync(path);
      if (gap) {
        console.log(`  NOTE ${row.file}: ${gap}`);
        buf = gunzipSync(buf);
      }
      const { stats, error } = run(buf);
      assert.is(errText(error), "none");
      assert.is(stats.records_read, Number(row.packets));
    });
  } else {
    test(`${row.file}: refused as tshark does, complete packets before the damage read`, () => {
      const want = expectedDamage(row);
      if (JOINED_CAPTURES.has(row.file)) {
        assert.is(want.offset !== undefined, true, "INDEX.tsv gives the offset tshark reports");
        want.offset = want.offset! - 16;
      }
      const { stats, error } = run(readFileSync(path));
      assert.ok(error, "an error is reported");
      assert.is(error!.name === "joined_captures", JOINED_CAPTURES.has(row.file), `joined captures named as such (${errText(error)})`);
      assert.is(error!.exitCode, want.exit, `exit class (${errText(error)})`);
      assert.is(stats.records_read, want.packets, "complete packets before the damage");
      assert.is(error!.name.endsWith("_cut"), want.cut, `a cut is reported as a cut (${errText(error)})`);
      if (want.offset !== undefined) assert.is(error!.offset, want.offset, "offset of the damaged record");
    });
  }

  test(`${row.file}: same result in chunks of ${CHUNK_SIZES.join(", ")} bytes`, () => {
    let buf: Uint8Array = readFileSync(path);
    if (gap) buf = gunzipSync(buf);
    const whole = run(buf);
    const wholeText = JSON.stringify([whole.stats, whole.error ?? null]);
    for (const size of CHUNK_SIZES) {
      const r = run(buf, size);
      assert.is(JSON.stringify([r.stats, r.error ?? null]), wholeText, `chunks of ${size}`);
    }
  });
}

// pcapng-test-generator files: packets = EPB + SPB (+ obsolete PB) blocks listed in .expected.txt.
for (const row of rows.filter((r) => /\/pcapng_testgen_/.test(r.file))) {
  const expectedPath = join(CAPTURES, `${row.file}.expected.txt`);
  if (!existsSync(expectedPath)) continue;
  test(`${row.file}: packet blocks of .expected.txt`, () => {
    const text = readFileSync(expectedPath, "utf8");
    let packets = 0;
    for (const m of text.matchAll(/^\s+(EPB|SPB|PB):\s*(\d+)\s*$/gm)) packets += Number(m[2]);
    const { stats, error } = run(readFileSync(join(CAPTURES, row.file)));
    assert.is(errText(error), "none");
    assert.is(stats.records_read, packets);
  });
}

// ---- hand-built captures ----------------------------------------------------------------------

function u32le(...v: number[]): Buffer {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i));
  return b;
}
function u32be(...v: number[]): Buffer {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
}
/** A pcapng block: type, total length, body padded to 4, total length. */
function block(type: number, body: Buffer, be = false): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const u = be ? u32be : u32le;
  return Buffer.concat([u(type, len), body, Buffer.alloc(pad), u(len)]);
}
function option(code: number, data: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(code, 0);
  h.writeUInt16LE(data.length, 2);
  return Buffer.concat([h, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}
const SHB = block(0x0a0d0d0a, Buffer.concat([u32le(0x1a2b3c4d), Buffer.from([1, 0, 0, 0]), Buffer.alloc(8, 0xff)]));
const SHB_BE = block(0x0a0d0d0a, Buffer.concat([u32be(0x1a2b3c4d), Buffer.from([0, 1, 0, 0]), Buffer.alloc(8, 0xff)]), true);
const idb = (link: number, snap: number, opts = Buffer.alloc(0)) => block(1, Buffer.concat([Buffer.from([link, 0, 0, 0]), u32le(snap), opts]));
const IDB_BE = block(1, Buffer.concat([Buffer.from([0, 1, 0, 0]), u32be(0)]), true);
const DATA = Buffer.from("0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab");
const epb = (ifId: number, data = DATA, capLen = data.length) => block(6, Buffer.concat([u32le(ifId, 0, 1, capLen, data.length), data]));
const EPB_BE = block(6, Buffer.concat([u32be(0, 0, 1, DATA.length, DATA.length), DATA]), true);
const spb = (len: number, data = DATA) => block(3, Buffer.concat([u32le(len), data]));
function withTrailer(b: Buffer, trailer: number): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32LE(trailer, c.length - 4);
  return c;
}

function pcapHeader(linkType = 1): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(linkType >>> 0, 20);
  return h;
}
const record = (capLen: number, data = DATA.subarray(0, Math.min(capLen, DATA.length))) => Buffer.concat([u32le(1, 2, capLen, capLen), data]);

interface Case { name: string; buf: Buffer; records: number; error?: string; offset?: number; reason?: string }
const CASES: Case[] = [
  { name: "empty input", buf: Buffer.alloc(0), records: 0, error: "empty" },
  { name: "3 bytes that start no magic", buf: Buffer.from("GIF"), records: 0, error: "unknown_magic", offset: 0 },
  { name: "3 bytes of a pcap magic", buf: Buffer.from([0xd4, 0xc3, 0xb2]), records: 0, error: "header_cut", offset: 0 },
  { name: "text file", buf: Buffer.from("hello, world\n"), records: 0, error: "unknown_magic", offset: 0 },
  { name: "pcapng SHB with a bad byte-order magic", buf: block(0x0a0d0d0a, Buffer.concat([u32le(0x11223344), Buffer.alloc(12)])), records: 0, error: "unknown_magic", offset: 0 },
  { name: "pcap: link type with FCS bits (28-31, 26) is read", buf: Buffer.concat([pcapHeader(0x24000001), record(60)]), records: 1 },
  { name: "pcap: caplen 262144 is read", buf: Buffer.concat([pcapHeader(), record(262144, Buffer.alloc(262144))]), records: 1 },
  { name: "pcap: caplen 262145 refused at its record", buf: Buffer.concat([pcapHeader(), record(60), record(262145, Buffer.alloc(262145))]), records: 1, error: "record_length", offset: 24 + 76 },
  { name: "pcap: header cut", buf: pcapHeader().subarray(0, 23), records: 0, error: "header_cut", offset: 0 },
  { name: "pcapng: SHB only", buf: SHB, records: 0 },
  { name: "pcapng: EPB", buf: Buffer.concat([SHB, idb(1, 0), epb(0)]), records: 1 },
  { name: "pcapng: EPB naming an undescribed interface", buf: Buffer.concat([SHB, idb(1, 0), epb(0), epb(1)]), records: 1, error: "no_interface", offset: SHB.length + 20 + epb(0).length },
  { name: "pcapng: SPB before any IDB", buf: Buffer.concat([SHB, spb(60)]), records: 0, error: "no_interface", offset: SHB.length },
  { name: "pcapng: SPB cut to the snaplen", buf: Buffer.concat([SHB, idb(1, 16), spb(60), spb(1000)]), records: 2 },
  { name: "pcapng: SPB original length beyond the block", buf: Buffer.concat([SHB, idb(1, 0), spb(1000)]), records: 1 },
  { name: "pcapng: a new SHB forgets the interfaces", buf: Buffer.concat([SHB, idb(1, 0), epb(0), SHB, epb(0)]), records: 1, error: "no_interface", offset: 2 * SHB.length + 20 + epb(0).length },
  { name: "pcapng: big-endian section after a little-endian one", buf: Buffer.concat([SHB, idb(1, 0), epb(0), SHB_BE, IDB_BE, EPB_BE, SHB, idb(1, 0), epb(0)]), records: 3 },
  { name: "pcapng: trailer differs", buf: Buffer.concat([SHB, idb(1, 0), epb(0), withTrailer(epb(0), 4)]), records: 1, error: "block_trailer", offset: SHB.length + 20 + epb(0).length },
  { name: "pcapng: block length not a multiple of 4", buf: Buffer.concat([SHB, idb(1, 0), epb(0), u32le(6, 90), Buffer.alloc(82)]), records: 1, error: "block_length", offset: SHB.length + 20 + epb(0).length },
  { name: "pcapng: block length over 16 MiB refused from its first 8 bytes", buf: Buffer.concat([SHB, idb(1, 0), u32le(6, 32 << 20)]), records: 0, error: "block_length", offset: SHB.length + 20 },
  { name: "pcapng: EPB caplen beyond the block", buf: Buffer.concat([SHB, idb(1, 0), epb(0, DATA, 200)]), records: 0, error: "block_body", offset: SHB.length + 20 },
  { name: "pcapng: EPB caplen 262145", buf: Buffer.concat([SHB, idb(1, 0), epb(0, Buffer.alloc(262148), 262145)]), records: 0, error: "record_length", offset: SHB.length + 20 },
  { name: "pcapng: option overrunning an IDB", buf: Buffer.concat([SHB, block(1, Buffer.concat([Buffer.from([1, 0, 0, 0]), u32le(0), Buffer.from([9, 0, 200, 0])]))]), records: 0, error: "block_body", offset: SHB.length },
  { name: "pcapng: if_tsresol 10^-20 refused (as Wireshark)", buf: Buffer.concat([SHB, idb(1, 0, option(9, Buffer.from([20]))), epb(0)]), records: 0, error: "block_body", offset: SHB.length },
  { name: "pcapng: if_tsresol 2^-63 and if_tsoffset accepted", buf: Buffer.concat([SHB, idb(1, 0, Buffer.concat([option(9, Buffer.from([0x80 | 63])), option(14, Buffer.alloc(8, 1))])), epb(0)]), records: 1 },
  { name: "pcapng: cut inside a block", buf: Buffer.concat([SHB, idb(1, 0), epb(0), epb(0).subarray(0, 30)]), records: 1, error: "block_cut", offset: SHB.length + 20 + epb(0).length },
  { name: "pcapng: a later SHB with a bad byte-order magic", buf: Buffer.concat([SHB, idb(1, 0), epb(0), block(0x0a0d0d0a, Buffer.concat([u32le(0x00112233), Buffer.alloc(12)]))]), records: 1, error: "bad_section", offset: SHB.length + 20 + epb(0).length, reason: "(0x33221100)" },
  { name: "pcapng: a later SHB of version 2.0", buf: Buffer.concat([SHB, idb(1, 0), epb(0), block(0x0a0d0d0a, Buffer.concat([u32le(0x1a2b3c4d), Buffer.from([2, 0, 0, 0]), Buffer.alloc(8, 0xff)]))]), records: 1, error: "bad_section", offset: SHB.length + 20 + epb(0).length, reason: "(0x00020000)" },
  { name: "pcapng: SHB version 1.2 accepted (as Wireshark)", buf: Buffer.concat([block(0x0a0d0d0a, Buffer.concat([u32le(0x1a2b3c4d), Buffer.from([1, 0, 2, 0]), Buffer.alloc(8, 0xff)])), idb(1, 0), epb(0)]), records: 1 },
];

for (const c of CASES) {
  test(`built: ${c.name}`, () => {
    for (const size of [1, 7, 1 << 20]) {
      const { stats, error } = run(c.buf, size);
      assert.is(error?.name ?? "none", c.error ?? "none", `error, chunks of ${size} (${errText(error)})`);
      if (c.offset !== undefined) assert.is(error!.offset, c.offset, `offset, chunks of ${size}`);
      if (c.reason !== undefined) assert.ok(error!.reason.includes(c.reason), `reason, chunks of ${size}: ${errText(error)}`);
      assert.is(stats.records_read, c.records, `records, chunks of ${size}`);
    }
  });
}

test.run();
