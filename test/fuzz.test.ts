// The fuzzing harness (scripts/fuzz.mjs) for a short fixed run, and the regression fixtures of the
// bugs it found (test/fixtures/fuzz/README.md says what each one is and what it must give).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { HAVE_CAPTURES, REPO } from "./helpers/captures.js";
import { CLI, zk } from "./helpers/cli.js";
import { pcapRecords, udpFlows } from "./helpers/packets.js";
import { Engine } from "../src/engine.js";
import { feedSource } from "../src/input.js";
// @ts-expect-error: a plain ES module without types
import { checkCase, corpusPaths, loadCorpus, makeCase, runFuzz, runInProcess, summaryLine } from "../scripts/fuzz.mjs";

const FIXTURES = join(REPO, "test/fixtures/fuzz");
const SAMPLE = readFileSync(join(REPO, "examples/sample.pcap"));
const SAMPLE_PACKETS = 136; // examples/SOURCE.md
const WINDOW = 16 << 10;    // decompressed bytes zlib hands out per call (src/input.ts)

/** Complete records of a little-endian pcap within its first `limit` bytes, and where the first incomplete one starts. */
function walk(pcap: Buffer, limit: number): { records: number; cutAt: number } {
  const records = pcapRecords(pcap, limit);
  const last = records[records.length - 1];
  return { records: records.length, cutAt: last ? last.offset + last.length : 24 };
}
const completeRecords = (pcap: Buffer, limit: number) => walk(pcap, limit).records;

interface Result { exit: number; error: { name: string; layer: string; offset: number; reason: string } | null; stats: { records_read: number }; rows: string }

async function inProcess(bytes: Buffer, chunk: number): Promise<Result> {
  return runInProcess({ bytes, ignoreChecksums: false }, { kind: "fixed", size: chunk });
}

const CHUNKS = [1, 2, 7, 100, 4096, 1 << 20];

test("fuzz: 300 cases of seed 1 (in-process in 3 chunkings, every 30th through the CLI): no failure", async () => {
  const r = await runFuzz({ seed: 1, cases: 300, cliEvery: 30, workers: 2, timeoutMs: 20000 });
  console.log(`  ${summaryLine(r)}`);
  for (const f of r.failures.slice(0, 10)) console.log(`  FAIL case ${f.index} (${f.source}: ${f.ops.join("; ")}): ${f.kind}: ${f.message}`);
  assert.is(r.cases, 300);
  if (HAVE_CAPTURES) assert.ok(r.corpus > 200, `a corpus of ${r.corpus} captures`);
  assert.ok(r.cliRuns >= 10, `${r.cliRuns} CLI runs`);
  assert.is(r.failures.length, 0, "failures (reproduce one with: npm run fuzz -- --seed 1 --case I)");
});

test("harness: a case is a pure function of seed, index and corpus; a valid capture passes every check", async () => {
  const corpus = loadCorpus(corpusPaths());
  const a = makeCase(corpus, 9, 123), b = makeCase(corpus, 9, 123), c = makeCase(corpus, 9, 124);
  assert.ok(a.bytes.equals(b.bytes));
  assert.equal([a.source, a.ops, a.chunkings], [b.source, b.ops, b.chunkings]);
  assert.ok(!a.bytes.equals(c.bytes) || a.ops.join() !== c.ops.join());
  const r = await checkCase({ bytes: SAMPLE, ignoreChecksums: false, chunkings: [{ kind: "cli", size: 1 << 20 }, { kind: "fixed", size: 13 }, { kind: "random", size: 50, seed: 3 }] });
  assert.equal(r.failures, []);
  assert.is(r.result.stats.records_read, SAMPLE_PACKETS);
});

// ---- regression fixtures --------------------------------------------------------------------

test("fixture gzip-crc-damaged: exit 3 at the gzip layer after every packet, in any chunking", async () => {
  const bytes = readFileSync(join(FIXTURES, "gzip-crc-damaged.pcap.gz"));
  // the CRC is checked after the last byte (src/gunzip.ts reads the trailer itself): every
  // packet inflated is counted, as gzip -d writes every byte before it complains (Node's gunzip
  // dropped the last window with the call that found the CRC wrong)
  for (const chunk of CHUNKS) {
    const r = await inProcess(bytes, chunk);
    assert.is(r.exit, 3, `chunks of ${chunk}`);
    assert.is(r.error?.layer, "gzip");
    assert.match(r.error!.reason, /incorrect data check/);
    assert.is(r.stats.records_read, SAMPLE_PACKETS, `chunks of ${chunk}`);
    assert.is(r.error!.offset, SAMPLE.length);
  }
});

test("fixture gzip-data-error: damaged deflate data: the packets of the windows before it, the same in any chunking", async () => {
  const bytes = readFileSync(join(FIXTURES, "gzip-data-error.pcap.gz"));
  const want = completeRecords(SAMPLE, WINDOW);   // the damage is in the second window
  const first = await inProcess(bytes, 1 << 20);
  assert.is(first.exit, 3);
  assert.is(first.error?.layer, "gzip");
  assert.match(first.error!.reason, /invalid distance too far back/);
  assert.is(first.stats.records_read, want);
  for (const chunk of CHUNKS) {
    const r = await inProcess(bytes, chunk);
    assert.equal([r.exit, r.error, r.stats, r.rows], [first.exit, first.error, first.stats, first.rows], `chunks of ${chunk}`);
  }
});

test("fixture gzip-cut: a cut gzip stream: every packet zlib could decompress, the same in any chunking", async () => {
  const bytes = readFileSync(join(FIXTURES, "gzip-cut.pcap.gz"));
  const available = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).length;
  const want = completeRecords(SAMPLE, available);
  for (const chunk of CHUNKS) {
    const r = await inProcess(bytes, chunk);
    assert.is(r.exit, 3, `chunks of ${chunk}`);
    assert.is(r.error?.layer, "gzip");
    assert.match(r.error!.reason, /unexpected end of file/);
    assert.is(r.stats.records_read, want, `chunks of ${chunk}`);
    assert.is(r.error!.offset, available);
  }
  const cli = zk(["top", "--stats", join(FIXTURES, "gzip-cut.pcap.gz")]);
  assert.is(cli.code, 3);
  assert.match(cli.stderr, new RegExp(`gzip-cut\\.pcap\\.gz: byte ${available}: gzip: unexpected end of file \\(offset in the decompressed stream\\)`));
});

test("a gzip file is inflated in 256 KiB windows, and again in 16 KiB ones at damage: it loses no more than the 16 KiB windows of a pipe", async () => {
  // src/input.ts gunzipChunks: the in-process runs here have no file to read again, so they
  // inflate in 16 KiB windows throughout: the CLI on a file must count exactly their packets
  const dir = mkdtempSync(join(tmpdir(), "zk-gz-"));
  try {
    const big = udpFlows(60_000);                              // 3.7 MB: 15 large windows
    const gz = gzipSync(big);
    const garbled = Buffer.from(gz);
    for (let i = 0; i < 64; i++) garbled[Math.floor(gz.length * 0.6) + i] ^= 0x5a; // deflate data 60% in
    const badCrc = Buffer.from(gz);
    badCrc[gz.length - 8] ^= 1;                                 // the trailer's CRC-32: checked at the end
    const cases: [string, Buffer][] = [
      ["whole", gz], ["cut at 70%", gz.subarray(0, Math.floor(gz.length * 0.7))], ["garbled at 60%", garbled], ["bad CRC at 100%", badCrc],
      ...["gzip-crc-damaged", "gzip-data-error", "gzip-cut"].map((f): [string, Buffer] => [f, readFileSync(join(FIXTURES, `${f}.pcap.gz`))]),
    ];
    for (const [name, bytes] of cases) {
      const small = await inProcess(bytes, 1 << 20);
      const file = join(dir, "case.pcap.gz");
      writeFileSync(file, bytes);
      const cli = zk(["top", "--stats", "--no-progress", file]);
      assert.is(cli.code, small.exit, `${name}: ${cli.stderr}`);
      const stats = JSON.parse(cli.stderr.trim().split("\n").pop()!);
      assert.is(stats.records_read, small.stats.records_read, `${name}: packets`);
      if (small.error) assert.ok(cli.stderr.includes(`: byte ${small.error.offset}: ${small.error.layer}: ${small.error.reason}`), `${name}: ${cli.stderr}`);
      if (name === "whole") assert.is(stats.records_read, 60_000);
      if (name.startsWith("cut") || name.startsWith("bad CRC")) assert.is(small.error?.layer, "gzip", name);
      if (name.endsWith("%")) assert.ok(stats.records_read > 20_000, `${name}: the large windows before the damage count (${stats.records_read} packets)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a damaged gzip file gone before its second pass: the damage the first pass found, not an open error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-gz-"));
  try {
    const file = join(dir, "cut.pcap.gz");
    const cut = readFileSync(join(FIXTURES, "gzip-cut.pcap.gz"));
    writeFileSync(file, cut);
    const engine = new Engine({ by: ["src"] });
    // the first pass has the file open; the second opens it by name
    const outcome = await feedSource(engine, file, () => false, { onOpen: () => unlinkSync(file) });
    assert.is(outcome.openError, undefined);
    assert.is(outcome.error?.layer, "gzip");
    assert.match(outcome.error!.reason, /unexpected end of file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("gzip's magic split over the first two reads is still gzip (it was read as an unknown magic)", async () => {
  const gz = gzipSync(SAMPLE);
  const r = await inProcess(gz, 1);
  assert.is(r.exit, 0, JSON.stringify(r.error));
  assert.is(r.stats.records_read, SAMPLE_PACKETS);
  // the real CLI on a pipe whose first read is one byte
  const child = spawn(process.execPath, [CLI, "top", "--stats", "-"], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  child.stdin.write(gz.subarray(0, 1));
  await new Promise((res) => setTimeout(res, 300));
  child.stdin.end(gz.subarray(1));
  const code = await new Promise((res) => child.on("close", res));
  assert.is(code, 0, err);
  assert.is(JSON.parse(err.trim().split("\n").pop()!).records_read, SAMPLE_PACKETS);
});

test("offsets in a gzip capture count its decompressed bytes, say so, and are the file's own after other files (were the run's total)", () => {
  const framing = zk(["top", "--stats", join(REPO, "examples/sample.pcap"), "-"], gzipSync(SAMPLE.subarray(0, 1000)));
  assert.is(framing.code, 3);
  const want = walk(SAMPLE, 1000).cutAt;
  assert.match(framing.stderr, new RegExp(`stdin: byte ${want}: pcap record: input ends inside a record \\(\\d+ bytes of it present\\): the file is cut short, or still being written \\(offset in the decompressed stream\\)`));
  const cut = readFileSync(join(FIXTURES, "gzip-cut.pcap.gz"));
  const available = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).length;
  const gzip = zk(["top", "--stats", join(REPO, "examples/sample.pcap"), "-"], cut);
  assert.is(gzip.code, 3);
  assert.match(gzip.stderr, new RegExp(`stdin: byte ${available}: gzip: unexpected end of file`));
});

test("damage on a pipe that stays open ends the run at once (it waited for the writer to close)", async () => {
  const child = spawn(process.execPath, [CLI, "top", "--stats", "-"], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  child.stdin.on("error", () => {});
  // two captures back to back: the second global header is damage; the writer keeps the pipe open
  child.stdin.write(Buffer.concat([SAMPLE, SAMPLE]));
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise((res) => child.on("close", res)),
    new Promise((res) => { timer = setTimeout(() => res("still running"), 10000); }),
  ]);
  clearTimeout(timer);
  child.stdin.destroy();
  if (code === "still running") child.kill();
  assert.is(code, 3, `exit code (stderr: ${err})`);
  assert.ok(Date.now() - started < 10000);
  assert.match(err, /stdin: byte 27460: capture header: another capture's file header/);
});

test.run();
