// zk-stream top --threads N: real worker threads, each reading the capture files, their rows handed
// to the main thread. Every answer must be a one-thread run's, byte for byte (stdout, --stats, exit
// code), for captures with tunnels, fragments, several files, damage; and SIGINT must stop every
// thread. (test/partitions.test.ts checks the partitions themselves on every reference capture.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { CAPTURES, HAVE_CAPTURES, REPO, capturesUnder, noteMissingCaptures } from "./helpers/captures.js";
import { CLI, until, zk } from "./helpers/cli.js";
import { writeCaptureFile } from "../bench/gen/index.js";
import { EXIT_USAGE } from "../src/errors.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const TMP = mkdtempSync(join(tmpdir(), "zk-threads-"));

/** The warning for more threads than cores (3 threads on these 2-core machines are meant). */
const TOO_MANY = /^zk-stream: warning: --threads \d+ on \d+ cores: every thread reads the whole capture, so threads beyond the cores only compete for them \(and for memory\)\n/;

/** stdout, stderr (without the warning for more threads than cores) and exit code of `top` with
 *  these arguments and --threads n. */
function top(args: string[], threads: number): { code: number; stdout: string; stderr: string } {
  const r = zk(["top", ...args, "--threads", String(threads)]);
  return { ...r, stderr: r.stderr.replace(TOO_MANY, "") };
}

test("--threads beyond the cores: a warning first, the same rows", () => {
  const cores = availableParallelism();
  const args = ["-n", "0", "--format", "tsv", SAMPLE];
  const one = zk(["top", ...args]);
  const many = zk(["top", ...args, "--threads", String(cores + 1)]);
  assert.match(many.stderr, TOO_MANY);
  assert.is(many.stdout, one.stdout);
  assert.not.match(zk(["top", ...args, "--threads", String(cores)]).stderr, /warning/);
});

test("--threads 2 and 3 give a single thread's rows and stats on every Zeek trace", () => {
  if (!HAVE_CAPTURES) return noteMissingCaptures("threads");
  const files = capturesUnder(join(CAPTURES, "zeek"));
  assert.ok(files.length >= 25, `${files.length} captures`);
  for (const file of files) {
    const args = ["--by", "src,dport,service", "-n", "0", "--metric", "pkts", "--format", "tsv", "--stats", file];
    const one = top(args, 1);
    assert.is(one.code, 0, `${file}: ${one.stderr}`);
    for (const n of [2, 3]) assert.equal(top(args, n), one, `${file}, ${n} threads`);
  }
});

test("--threads: several files as one capture, and --each", () => {
  if (!HAVE_CAPTURES) return noteMissingCaptures("threads");
  const files = capturesUnder(join(CAPTURES, "zeek")).slice(0, 6);
  for (const extra of [[], ["--each"]]) {
    const args = ["--by", "src", "-n", "0", "--stats", ...extra, SAMPLE, ...files];
    assert.equal(top(args, 2), top(args, 1), extra.join(" "));
  }
});

test("--threads on a damaged file: the same rows, error (file, offset, layer) and exit code", () => {
  const bytes = readFileSync(SAMPLE);
  const cut = join(TMP, "cut.pcap");
  writeFileSync(cut, bytes.subarray(0, bytes.length - 100)); // the last record cut short
  const bad = join(TMP, "bad.pcap");
  const damaged = Buffer.from(bytes);
  damaged.writeUInt32LE(0x7fffffff, 24 + 8 + 16 * 0 + 0); // the first record's captured length
  writeFileSync(bad, damaged);
  // a pcapng block cut 32 bytes short of 1 MiB: the core's input region is left nearly full
  const cutBlock = join(TMP, "cut-block.pcapng");
  writeFileSync(cutBlock, pcapngWithCutBlock());
  for (const file of [cut, bad, cutBlock]) {
    const one = top(["--stats", file], 1);
    assert.ok(one.code !== 0, `${file}: exit ${one.code}`);
    assert.match(one.stderr, file);
    assert.equal(top(["--stats", file], 2), one, file);
  }
});

/** A pcapng file: 8 UDP packets (8 connections, so that both threads keep some), then an Enhanced
 *  Packet Block of 2 MiB cut after 1 MiB - 32 bytes. */
function pcapngWithCutBlock(): Buffer {
  const le = (...words: number[]) => Buffer.from(new Uint32Array(words).buffer);
  const shb = Buffer.concat([le(0x0a0d0d0a, 28, 0x1a2b3c4d, 1), Buffer.alloc(8, 0xff), le(28)]); // version 1.0, no length
  const idb = Buffer.concat([le(1, 20, 1, 65535), le(20)]); // Ethernet
  const blocks: Buffer[] = [shb, idb];
  for (let i = 0; i < 8; i++) {
    const ip = Buffer.from("4500002400000000401100000a0000010a000002", "hex");
    let sum = 0;
    for (let j = 0; j < 20; j += 2) sum += ip.readUInt16BE(j);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = Buffer.alloc(16);
    udp.writeUInt16BE(40000 + i, 0); udp.writeUInt16BE(9999, 2); udp.writeUInt16BE(16, 4); // checksum 0: none
    const frame = Buffer.concat([Buffer.alloc(12), Buffer.from("0800", "hex"), ip, udp]); // 50 bytes
    const len = 32 + 52;
    blocks.push(le(6, len, 0, 0, i, frame.length, frame.length), frame, Buffer.alloc(2), le(len));
  }
  blocks.push(le(6, 2 << 20), Buffer.alloc((1 << 20) - 32 - 8));
  return Buffer.concat(blocks);
}

test("--threads: stdin and --interval are refused with the reason", () => {
  const stdin = zk(["top", "--threads", "2"], readFileSync(SAMPLE));
  assert.is(stdin.code, EXIT_USAGE);
  assert.match(stdin.stderr, "stdin can be read only once");
  const live = top(["--interval", "1s", SAMPLE], 2);
  assert.is(live.code, EXIT_USAGE);
  assert.match(live.stderr, "--interval");
  for (const n of ["0", "x", "65"]) assert.is(zk(["top", "--threads", n, SAMPLE]).code, EXIT_USAGE, n);
});

test("--threads 2: SIGINT stops both threads; the rows so far are printed, exit 0", async () => {
  const file = join(TMP, "big.pcap");
  const gen = writeCaptureFile(file, { packets: 600_000, seed: 3 });
  const child = spawn(process.execPath, [CLI, "top", "--threads", "2", "--format", "json", "-n", "0", file]);
  let out = "", err = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // once the threads have read 50 MB between them (of twice the file's size), the handlers are set
  // and the work is well under way
  const readSoFar = () => { try { return Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${child.pid}/io`, "utf8"))![1]); } catch { return 0; } };
  await until("50 MB read", () => readSoFar() > 50e6 || child.exitCode !== null, 20000, () => err);
  child.kill("SIGINT");
  assert.is(await exit, 0, err);
  const rows = JSON.parse(out) as { count: number }[];
  const counted = rows.reduce((n, r) => n + r.count, 0);
  assert.ok(counted > 0 && counted < gen.connections, `${counted} of ${gen.connections} connections: interrupted`);
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
