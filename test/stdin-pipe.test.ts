// Standard input that is a shell pipe (`tcpdump -w - | zk-stream top`) is read on the thread pool
// (src/pipe.ts). Through real shell pipes: the rows equal the file's, gzip too, a non-blocking
// pipe falls back to the stream, and a writer that stays open and quiet holds the command neither
// after an interruption nor after damaged input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, constants as zlibConstants } from "node:zlib";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, zk, sh, haveTool, until } from "./helpers/cli.js";
import { REPO } from "./helpers/captures.js";
import { pcapRecords } from "./helpers/packets.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const dir = mkdtempSync(join(tmpdir(), "zk-pipe-"));
const ZK = `'${process.execPath}' '${CLI}'`;

// Several MB, so that a pipe delivers it in many reads.
const BIG = join(dir, "big.pcap");
const gen = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "bench/gen.ts"), "--packets", "60k", "--seed", "3", "--out", BIG], { cwd: REPO });
// rows of `top --by src` read from a file: what every piped run of it must print (computed once)
const SRC_ROWS = ["top", "--by", "src", "-n", "0", "--format", "json"];
let fileRowsMemo: unknown;
const fileRows = (): unknown => (fileRowsMemo ??= JSON.parse(zk([...SRC_ROWS, BIG]).stdout));
let sampleRowsMemo: unknown;
const sampleRows = (): unknown => (sampleRowsMemo ??= JSON.parse(zk(["top", "-n", "0", "--format", "json", SAMPLE]).stdout));

test("setup: a generated capture of several MB", () => {
  assert.is(gen.status, 0, gen.stderr?.toString());
  assert.ok(readFileSync(BIG).length > 4 << 20);
});

// A pipe holds 64 KiB unless asked for more; zk-stream asks for 1 MiB (F_SETPIPE_SZ, through perl,
// which .ci/run installs; Linux grants it to any process unless pipe-max-size is lowered).
// ZK_DEBUG reports the outcome; the rows are the file's either way.
const pipeMax = existsSync("/proc/sys/fs/pipe-max-size") ? Number(readFileSync("/proc/sys/fs/pipe-max-size", "utf8")) : 0;
const canRaisePipe = haveTool("perl") && pipeMax >= 1 << 20;

test(`cat F | zk-stream top -: the same rows as the file${canRaisePipe ? "; the pipe's capacity is raised to 1 MiB" : ""}`, () => {
  const args = ["top", "--by", "src,dport", "-n", "0", "--format", "json"];
  const file = zk([...args, BIG]);
  assert.is(file.code, 0);
  const piped = sh(`cat '${BIG}' | ZK_DEBUG=1 ${ZK} ${args.join(" ")} -`);
  assert.is(piped.code, 0, piped.stderr);
  assert.ok(JSON.parse(piped.stdout).length > 100);
  assert.equal(JSON.parse(piped.stdout), JSON.parse(file.stdout));
  if (canRaisePipe) assert.match(piped.stderr, /stdin pipe capacity raised to 1048576\n/);
});

test("gzip -c F | zk-stream top -: decompressed on the way, the same rows", () => {
  const piped = sh(`gzip -c '${BIG}' | ${ZK} ${SRC_ROWS.join(" ")} -`);
  assert.is(piped.code, 0, piped.stderr);
  assert.equal(JSON.parse(piped.stdout), fileRows());
});

test("a named pipe as FILE (<(zcat F.gz), /dev/stdin, mkfifo): read as it comes, the same rows, damaged gzip too", async () => {
  // a pipe cannot be read at an offset: these ended as an internal error (ESPIPE), exit 4
  const bash = (script: string) => {
    const r = spawnSync("bash", ["-c", script], { maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  const substituted = bash(`${ZK} ${SRC_ROWS.join(" ")} <(gzip -c '${BIG}')`);
  assert.is(substituted.code, 0, substituted.stderr);
  assert.equal(JSON.parse(substituted.stdout), fileRows());
  const devStdin = sh(`cat '${BIG}' | ${ZK} ${SRC_ROWS.join(" ")} /dev/stdin`);
  assert.is(devStdin.code, 0, devStdin.stderr);
  assert.equal(JSON.parse(devStdin.stdout), fileRows());
  // damaged gzip through a pipe: 16 KiB windows, as a file's count at damage (it is not read twice)
  const fixture = join(REPO, "test/fixtures/fuzz/gzip-data-error.pcap.gz");
  const asFile = zk(["top", "--stats", "-n", "0", fixture]);
  const asPipe = bash(`${ZK} top --stats -n 0 <(cat '${fixture}')`);
  assert.is(asPipe.code, 3, asPipe.stderr);
  assert.is(asPipe.stdout, asFile.stdout);
  assert.is(asPipe.stderr.replace(/\/dev\/fd\/\d+/g, "F"), asFile.stderr.replaceAll(fixture, "F"));
  // the API, given the path of a named pipe another process writes
  const fifo = join(dir, "fifo");
  assert.is(spawnSync("mkfifo", [fifo]).status, 0);
  const writer = spawn("bash", ["-c", `cat '${SAMPLE}' > '${fifo}'`]);
  const written = new Promise((resolve) => writer.on("close", resolve));
  try {
    const { zk: api } = await import("../src/index.js");
    const rows = await api.top(fifo, { limit: 0 });
    assert.is(await written, 0);
    assert.equal(rows, api.topSync(readFileSync(SAMPLE), { limit: 0 }));
  } finally {
    writer.kill("SIGKILL");
  }
});

if (process.platform === "linux") test("Ctrl-C while a named pipe's writer is open and quiet: the results at once, exit 0", async () => {
  // the read left waiting on the pipe is released (pipe.ts), as stdin's is
  const fifo = join(dir, "quiet-fifo");
  assert.is(spawnSync("mkfifo", [fifo]).status, 0);
  const writer = spawn("bash", ["-c", `exec 3> '${fifo}'; cat '${SAMPLE}' >&3; sleep 60`], { detached: true, stdio: "ignore" });
  // a table every 100 ms (one JSON array a line): SIGINT once one holds the whole sample
  const child = spawn(process.execPath, [CLI, "top", "-n", "0", "--format", "json", "--interval", "100ms", fifo], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  const code = new Promise<number | null>((resolve) => child.on("close", resolve));
  const lastTable = () => { const lines = out.trim().split("\n"); return lines[lines.length - 1] ?? ""; };
  try {
    await until("a table of the whole sample", () => lastTable() === JSON.stringify(sampleRows()), 20000, () => out);
    const sent = Date.now();
    child.kill("SIGINT");
    const exit = await Promise.race([code, sleep(5000).then(() => "hung")]);
    assert.is(exit, 0, `exit ${exit} after ${Date.now() - sent} ms`);
    assert.equal(JSON.parse(lastTable()), sampleRows());
  } finally {
    child.kill("SIGKILL");
    try { process.kill(-writer.pid!, "SIGKILL"); } catch { /* gone */ }
  }
});

if (process.platform === "linux") test("zk.events(path of a named pipe): a consumer that stops early while the writer is open and quiet frees the pipe", async () => {
  const fifo = join(dir, "api-fifo");
  assert.is(spawnSync("mkfifo", [fifo]).status, 0);
  const writer = spawn("bash", ["-c", `exec 3> '${fifo}'; cat '${SAMPLE}' >&3; sleep 60`], { detached: true, stdio: "ignore" });
  const onFifo = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === fifo; } catch { return false; } }).length;
  try {
    const { zk: api } = await import("../src/index.js");
    let first: unknown;
    for await (const ev of api.events(fifo, { events: ["new_connection"] })) { first = ev; break; }
    assert.ok(first, "an event came");
    // the read left waiting on the quiet pipe is released and the pipe closed (pipe.ts), as the
    // command line's is: a read left behind would hold the process until the writer closes
    await until("the named pipe closed", () => onFifo() === 0, 5000, () => `${onFifo()} descriptors open`);
  } finally {
    try { process.kill(-writer.pid!, "SIGKILL"); } catch { /* gone */ }
  }
});

interface Piped {
  read(name: string): string;
  stop(): void;
}

/**
 * Runs `writer | [wrap] zk-stream args -` in the background under bash; zk-stream's pid, exit
 * code, stdout and stderr land in files of `at` ("pid", "code", "out", "err"). `stdout` is the
 * redirection of zk-stream's stdout. (A background job gets /dev/null for stdin: hence fd 3.)
 */
function pipeInto(at: string, writer: string, args: string[], opts: { wrap?: string; stdout?: string; env?: string } = {}): Piped {
  const stdout = opts.stdout ?? `> '${at}/out'`;
  const script = `(${writer}) | { exec 3<&0; ${opts.env ?? ""} ${opts.wrap ?? ""} ${ZK} ${args.join(" ")} - <&3 3<&- ${stdout} 2> '${at}/err' & echo $! > '${at}/pid'; wait $!; echo $? > '${at}/code'; }`;
  const shell = spawn("bash", ["-c", script], { detached: true, stdio: "ignore" });
  return {
    read: (name: string) => (existsSync(join(at, name)) ? readFileSync(join(at, name), "utf8") : ""),
    stop: () => { try { process.kill(-shell.pid!, "SIGKILL"); } catch { /* gone */ } },
  };
}

const exited = (run: Piped) => run.read("code").trim() !== "";

if (haveTool("perl")) {
  test("a non-blocking pipe (the first read finds it empty: EAGAIN) is read as a stream: the same rows", async () => {
    const at = mkdtempSync(join(dir, "nonblock-"));
    const nonBlocking = `perl -MFcntl -e 'fcntl(STDIN, F_SETFL, fcntl(STDIN, F_GETFL, 0) | O_NONBLOCK) or die; exec @ARGV or die'`;
    // the writer waits until zk-stream has found the pipe empty and said so
    const go = join(at, "go");
    const run = pipeInto(at, `while [ ! -e '${go}' ]; do sleep 0.02; done; cat '${BIG}'`, SRC_ROWS, { wrap: nonBlocking, env: "ZK_DEBUG=1" });
    try {
      await until("the fallback", () => /non-blocking pipe: read as a stream/.test(run.read("err")), 15000);
      writeFileSync(go, "");
      await until("the exit code", () => exited(run), 30000);
      assert.is(run.read("code").trim(), "0", run.read("err"));
      assert.equal(JSON.parse(run.read("out")), fileRows());
    } finally {
      run.stop();
    }
  });
}

test("| head -1 while the pipe's writer is open and quiet: zk-stream ends at once, exit 0", async () => {
  const at = mkdtempSync(join(dir, "head-"));
  const run = pipeInto(at, `cat '${SAMPLE}'; sleep 60`, ["top", "-n", "0", "--format", "json", "--interval", "100ms"], { stdout: `> >(head -1 > '${at}/out')` });
  try {
    await until("the exit code", () => exited(run), 10000);
    assert.is(run.read("code").trim(), "0");
    assert.ok(Array.isArray(JSON.parse(run.read("out"))));
  } finally {
    run.stop();
  }
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} while the pipe's writer is open and quiet: the final rows at once, exit 0`, async () => {
    const at = mkdtempSync(join(dir, "sig-"));
    const run = pipeInto(at, `cat '${SAMPLE}'; sleep 60`, ["top", "-n", "0", "--format", "json", "--interval", "100ms"]);
    try {
      await until("a tick", () => run.read("out").includes("\n"), 15000);
      const sent = Date.now();
      process.kill(Number(run.read("pid")), signal);
      await until("the exit code", () => exited(run), 10000);
      assert.ok(Date.now() - sent < 5000, `exited ${Date.now() - sent} ms after ${signal}`);
      assert.is(run.read("code").trim(), "0");
      const lines = run.read("out").trimEnd().split("\n");
      assert.equal(JSON.parse(lines[lines.length - 1]), sampleRows());
      assert.is(run.read("err"), "");
    } finally {
      run.stop();
    }
  });
}

/** A little-endian pcap's first records (at most `records`, within `bytes`), then a record header
 *  that claims 2 GB: damage the framer sees as soon as it reads that header. */
function withImpossibleRecord(pcap: Buffer, { records = Infinity, bytes = Infinity }): Buffer {
  const kept = pcapRecords(pcap, Math.min(bytes, pcap.length)).slice(0, records);
  const last = kept[kept.length - 1];
  const end = last ? last.offset + last.length : 24;
  const bad = Buffer.alloc(16);
  bad.writeUInt32LE(0x7fffffff, 8);
  bad.writeUInt32LE(0x7fffffff, 12);
  return Buffer.concat([pcap.subarray(0, end), bad]);
}

test("damaged input while the pipe's writer stays open: reported at once, as from the file", async () => {
  const at = mkdtempSync(join(dir, "damage-"));
  const damaged = join(at, "damaged.pcap");
  writeFileSync(damaged, withImpossibleRecord(readFileSync(SAMPLE), { records: 10 }));
  const fromFile = zk(["top", "--by", "src", damaged]);
  assert.not.equal(fromFile.code, 0, "damage has its exit code");
  assert.match(fromFile.stderr, /byte \d+: pcap record/);
  const run = pipeInto(at, `cat '${damaged}'; sleep 60`, ["top", "--by", "src"]);
  try {
    await until("the exit code", () => exited(run), 10000);
    assert.is(Number(run.read("code")), fromFile.code);
    assert.is(run.read("out"), fromFile.stdout);
    assert.is(run.read("err"), fromFile.stderr.replace(damaged, "stdin"));
  } finally {
    run.stop();
  }
});

test("damaged pcap inside gzip while the pipe's writer stays open: reported at once, as from the file", async () => {
  const at = mkdtempSync(join(dir, "gzdamage-"));
  // gzip data cut at a multiple of the 64 KiB pieces the gzip reader hands zlib, so that all of
  // it goes to zlib while the reader then waits for the pipe: the records of the big capture
  // (up to 256 KiB), a record header claiming 2 GB, then random bytes. The deflate data is two
  // independently compressed parts, each ending in a full flush, so the damaged header is out
  // of zlib before the cut.
  const flushed = { finishFlush: zlibConstants.Z_FULL_FLUSH };
  const head = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(withImpossibleRecord(readFileSync(BIG), { bytes: 256 << 10 }), flushed)]);
  const tail = deflateRawSync(randomBytes(64 << 10), flushed);
  const cut = (head.length + (64 << 10)) & ~((64 << 10) - 1);
  assert.ok(cut < head.length + tail.length);
  const damaged = join(at, "damaged.pcap.gz");
  writeFileSync(damaged, Buffer.concat([head, tail]).subarray(0, cut));
  const fromFile = zk(["top", "--by", "src", damaged]);
  assert.is(fromFile.code, 3, fromFile.stderr);
  assert.match(fromFile.stderr, /impossible captured length .* \(offset in the decompressed stream\)/);
  const run = pipeInto(at, `cat '${damaged}'; sleep 60`, ["top", "--by", "src"]);
  try {
    await until("the exit code", () => exited(run), 15000);
    assert.is(Number(run.read("code")), fromFile.code);
    assert.is(run.read("out"), fromFile.stdout);
  } finally {
    run.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
