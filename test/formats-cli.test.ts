// Every capture of ../shared/captures/formats/ through the real command line
// (`zk-stream top --stats --format json -n 0 FILE`), with the outcome its documentation gives, never
// zk-stream's own output:
// - tshark reads it whole (INDEX.tsv `tshark` = ok): exit 0, INDEX.tsv's `packets` read, whatever
//   the file's name says (corrupt_..., trunc_...); gzip-compressed files too;
// - tshark refuses it and never opened it (its .tshark.txt has no conversation table: a header cut
//   short, a version no reader accepts, reserved link-type bits, a malformed first section header):
//   exit 2, no packet, stderr names the file, byte 0 and the capture header;
// - tshark opened it and stopped at damage (a cut, trailing garbage, an impossible length): exit 3,
//   the complete packets before the damage (INDEX.tsv's `packets`, or capinfos' "after reading N
//   packets"), and stderr names the file, the damaged record's byte offset and the layer (pcap record
//   or pcapng block). The offset is the one INDEX.tsv's header parse gives (`@N`, `TRAILING-NB`), or,
//   where that parse disagrees with the packet count, the one libpcap's message implies ("tried to
//   read N header bytes, only got M": the record starts M bytes before the end);
// - for every file: the --stats accounting holds (records_read == records_decoded + the sum of
//   records_skipped), the rows printed account for every connection, and packets skipped for an
//   unsupported link type are named in a warning.
// Plus hand-built captures with link type 147 (LINKTYPE_USER0, which no decoder claims): a warning
// naming it, exit 0.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { CAPTURES, HAVE_CAPTURES, JOINED_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { CLI, zk } from "./helpers/cli.js";
import { pcapOf } from "./helpers/packets.js";

interface Row {
  file: string;
  size: number;
  header: string;   // header_parse: format, records=N / blocks, damage @N, TRAILING-NB
  packets: string;  // a number, or capinfos' message
  exercises: string;
  tsharkOk: boolean;
}

interface Expected {
  exit: number;
  packets: number;
  offset?: number;
  layer?: string;
  why: string;
}

interface Run { code: number; stdout: string; stderr: string; ms: number }

function indexRows(): Row[] {
  const lines = readFileSync(join(CAPTURES, "INDEX.tsv"), "utf8").split("\n");
  const head = lines[0].split("\t");
  const col = (name: string) => {
    const i = head.findIndex((h) => h.startsWith(name));
    if (i < 0) throw new Error(`INDEX.tsv has no column ${name}`);
    return i;
  };
  const c = { file: col("file"), size: col("size_bytes"), header: col("header_parse"), packets: col("packets"), exercises: col("exercises"), tshark: col("tshark") };
  return lines.slice(1).map((l) => l.split("\t")).filter((r) => r[c.file]?.startsWith("formats/")).map((r) => ({
    file: r[c.file], size: Number(r[c.size]), header: r[c.header], packets: r[c.packets], exercises: r[c.exercises], tsharkOk: r[c.tshark] === "ok",
  }));
}

/** The outcome the file's documentation gives (INDEX.tsv, tshark's and libpcap's messages). */
function expected(row: Row): Expected {
  if (row.tsharkOk) {
    if (!/^\d+$/.test(row.packets)) throw new Error(`${row.file}: tshark reads it, but INDEX.tsv gives no packet count`);
    return { exit: 0, packets: Number(row.packets), why: `tshark reads it whole: ${row.packets} packets` };
  }
  const tshark = readFileSync(join(CAPTURES, `${row.file}.tshark.txt`), "utf8");
  const libpcap = existsSync(join(CAPTURES, `${row.file}.ndpi.txt`)) ? readFileSync(join(CAPTURES, `${row.file}.ndpi.txt`), "utf8") : "";
  // tshark prints its conversation tables only once it has opened the file: the header was valid
  if (!/Conversations/.test(tshark)) {
    return { exit: 2, packets: 0, offset: 0, layer: "capture header", why: `tshark cannot open it (${row.exercises})` };
  }
  const after = /after reading (\d+) packets/.exec(row.packets);
  const packets = /^\d+$/.test(row.packets) ? Number(row.packets) : after ? Number(after[1]) : NaN;
  if (Number.isNaN(packets)) throw new Error(`${row.file}: INDEX.tsv gives no packet count`);
  const pcapng = row.header.startsWith("pcapng");
  const parsed = Number((/records=(\d+)/.exec(row.header) ?? /'EPB': (\d+)/.exec(row.header) ?? [])[1] ?? -1);
  const at = /@(\d+)/.exec(row.header);
  const trailing = /TRAILING-(\d+)B/.exec(row.header);
  const short = /tried to read \d+ (header |captured )?bytes, only got (\d+)/.exec(libpcap);
  let offset: number | undefined;
  if (parsed === packets && at) offset = Number(at[1]);
  else if (parsed === packets && trailing) offset = row.size - Number(trailing[1]);
  else if (short) {
    // the damaged record starts where the bytes libpcap got begin, before its header if it got one
    const got = Number(short[2]);
    offset = row.size - got - (short[1] === "captured " ? 16 : short[1] === undefined && pcapng ? 8 : 0);
  }
  if (offset === undefined) throw new Error(`${row.file}: its documentation gives no damage offset`);
  if (JOINED_CAPTURES.has(row.file)) {
    return { exit: 3, packets, offset: offset - 16, layer: "capture header", why: `tshark stops 16 bytes past a second file header after ${packets} packets (${row.exercises})` };
  }
  return { exit: 3, packets, offset, layer: pcapng ? "pcapng block" : "pcap record", why: `tshark stops at damage after ${packets} packets (${row.exercises})` };
}

function runCli(args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Runs every job, `width` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i](); }
  }));
  return out;
}

interface Stats { records_read: number; records_decoded: number; records_skipped: Record<string, number>; connections: number; unsupported_link_type?: number }

function statsOf(r: Run): Stats {
  const line = r.stderr.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  assert.ok(line, `a --stats line on stderr (${r.stderr.slice(0, 300)})`);
  return JSON.parse(line!) as Stats;
}

function checkAccounting(s: Stats, what: string): void {
  const skipped = Object.values(s.records_skipped).reduce((a, b) => a + b, 0);
  assert.is(s.records_read, s.records_decoded + skipped, `${what}: records_read == records_decoded + skipped (${JSON.stringify(s)})`);
}

/** Rows printed with --by src -n 0: one count per connection, by its originator. */
function checkRows(r: Run, s: Stats, what: string): void {
  let rows: { src: string; count: number }[];
  try {
    rows = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`${what}: stdout is a JSON array (${r.stdout.slice(0, 200)})`);
    return;
  }
  assert.is(rows.reduce((a, x) => a + x.count, 0), s.connections, `${what}: the rows count every connection`);
}

function checkWarnings(r: Run, s: Stats, what: string): void {
  const unsupported = s.records_skipped.unsupported_link_type ?? 0;
  if (unsupported > 0) {
    assert.match(r.stderr, new RegExp(`warning: link type ${s.unsupported_link_type} not supported: ${unsupported} packets skipped`), `${what}: a warning names the link type`);
  }
}

const ARGS = ["top", "--stats", "--format", "json", "-n", "0", "--no-progress"];

if (!HAVE_CAPTURES) {
  noteMissingCaptures("formats through the CLI");
} else {
  const rows = indexRows();
  const runs = new Map<string, Run>();

  test.before(async () => {
    const results = await pool(rows.map((row) => () => runCli([...ARGS, join(CAPTURES, row.file)])), Math.max(2, availableParallelism()));
    rows.forEach((row, i) => runs.set(row.file, results[i]));
  });

  test("INDEX.tsv describes every capture in formats/", () => {
    const described = new Set(rows.map((r) => r.file.slice("formats/".length)));
    const files = readdirSync(join(CAPTURES, "formats")).filter((f) => !/\.(txt|out|md)$/.test(f));
    assert.equal(files.filter((f) => !described.has(f)), [], "captures without a row");
    assert.ok(rows.length >= 100, `${rows.length} rows`);
  });

  for (const row of rows) {
    const want = expected(row);
    test(`${row.file}: exit ${want.exit}, ${want.packets} packets (${want.why})`, () => {
      const path = join(CAPTURES, row.file);
      const r = runs.get(row.file)!;
      assert.is(r.code, want.exit, `exit code; stderr: ${r.stderr.trim().slice(0, 400)}`);
      assert.not.match(r.stderr, /internal error|RuntimeError|\n\s+at /, "no internal error, no stack");
      const s = statsOf(r);
      assert.is(s.records_read, want.packets, "packets read");
      checkAccounting(s, row.file);
      checkRows(r, s, row.file);
      checkWarnings(r, s, row.file);
      if (want.exit === 0) {
        assert.not.match(r.stderr, /: byte \d+: /, "no damage reported");
      } else {
        const line = `zk-stream: ${path}: byte ${want.offset}: ${want.layer}: `;
        assert.ok(r.stderr.split("\n").some((l) => l.startsWith(line)), `stderr names the file, byte ${want.offset} and the layer (${want.layer}): ${r.stderr.trim().slice(0, 400)}`);
      }
    });
  }
}

// ---- link type 147: not supported, named in a warning, exit 0 ----------------------------------

const FRAME = Buffer.from("00112233445566778899aabb08004500001c00010000401166ce0a0000010a0000023039303900080000", "hex");

/** records copies of FRAME in a pcap of link type 147. */
const pcap147 = (records: number): Buffer => pcapOf(Array.from({ length: records }, () => FRAME), 147);

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** pcapng: interface 0 Ethernet, interface 1 link type 147; one packet on 0, `n147` on 1. */
function pcapngMixed(n147: number): Buffer {
  const shb = block(0x0a0d0d0a, Buffer.from("4d3c2b1a01000000ffffffffffffffff", "hex"));
  const idb = (link: number) => { const b = Buffer.alloc(8); b.writeUInt16LE(link, 0); return block(1, b); };
  const epb = (ifId: number, i: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt32LE(ifId, 0);
    h.writeUInt32LE(0x60000 + i, 4);
    h.writeUInt32LE(FRAME.length, 12);
    h.writeUInt32LE(FRAME.length, 16);
    return block(6, Buffer.concat([h, FRAME]));
  };
  return Buffer.concat([shb, idb(1), idb(147), epb(0, 0), ...Array.from({ length: n147 }, (_, i) => epb(1, i + 1))]);
}

test("link type 147 (pcap): not supported, named in a warning, exit 0, counted in --stats", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-formats-"));
  const f = join(dir, "user0.pcap");
  writeFileSync(f, pcap147(12));
  const r = zk([...ARGS, f]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /zk-stream: warning: link type 147 not supported: 12 packets skipped/);
  const s = statsOf(r);
  assert.is(s.records_read, 12);
  assert.is(s.records_skipped.unsupported_link_type, 12);
  assert.is(s.unsupported_link_type, 147);
  checkAccounting(s, "link type 147");
  assert.is(r.stdout, "[]\n");
});

test("link type 147 on one pcapng interface: its packets named in a warning, the Ethernet one counted, exit 0", () => {
  const r = zk([...ARGS, "-"], pcapngMixed(5));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /zk-stream: warning: link type 147 not supported: 5 packets skipped/);
  const s = statsOf(r);
  assert.is(s.records_read, 6);
  assert.is(s.records_decoded, 1);
  checkAccounting(s, "pcapng with link type 147");
  assert.equal(JSON.parse(r.stdout), [{ src: "10.0.0.1", count: 1 }]);
});

test.run();
