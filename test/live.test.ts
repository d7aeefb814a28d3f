// Live use of the command line, with real processes and pipes: zk-stream events as NDJSON and a
// closed stdout, --interval ticks (TTY and not), progress, --each, SIGINT/SIGTERM on an open pipe,
// and the real tcpdump: on a file and capturing loopback traffic this test generates.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSocket } from "node:dgram";
import { createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CLI, zk, haveTool, until } from "./helpers/cli.js";
import { udpFlows } from "./helpers/packets.js";
import { eventsSync } from "../src/streams/sync.js";
import { REPO, CAPTURES, HAVE_CAPTURES, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const SAMPLE_CONN_LOG = join(CAPTURES, "zeek/http_dns_wikipedia/conn.log");
const POP3 = join(CAPTURES, "zeek/pop3");
const TMP = mkdtempSync(join(tmpdir(), "zk-live-"));


/** Zeek's counts per key from a conn.log, as sorted "key count" strings. */
function connLogCounts(path: string, keyOf: (r: Record<string, string>) => string): string[] {
  const counts = new Map<string, number>();
  for (const r of readZeekLog(path).rows) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).sort();
}

interface Running { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> }

/** Spawns a process, collecting its output (unless `passOn`: its stdout then feeds another process). */
function run(cmd: string, args: string[], stdin: "pipe" | "ignore" | NodeJS.ReadableStream = "pipe", passOn = false): Running {
  const child = spawn(cmd, args, { stdio: [stdin as "pipe", "pipe", "pipe"] });
  let out = "", err = "";
  if (!passOn) child.stdout!.on("data", (d) => { out += d; });
  child.stderr!.on("data", (d) => { err += d; });
  // "close" waits for stdout to be read to its end, which is another process's job with passOn
  const exit = new Promise<number | null>((resolve) => child.on(passOn ? "exit" : "close", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

/** Runs a command under script(1), so that its stdout and stderr are a terminal. */
function underTty(command: string): string {
  const r = spawnSync("script", ["-qec", command, "/dev/null"], { input: "", maxBuffer: 16 << 20 });
  return r.stdout.toString();
}

const SAMPLE_BY_SRC = HAVE_CAPTURES ? connLogCounts(SAMPLE_CONN_LOG, (r) => r["id.orig_h"]) : [];
const rowsOf = (json: string) => (JSON.parse(json) as { src: string; count: number }[]).map((r) => `${r.src} ${r.count}`).sort();

// ---- zk-stream events ----

/** `zk-stream events` of a capture, its lines checked against JSON.stringify of the API's events
 *  (eventsSync): the command writes them as bytes straight from the core's records
 *  (src/format/events.ts). Returns the lines, zeek_done (JSON.stringify's own) last. */
function eventLinesAsApi(path: string, what: string): string[] {
  const r = zk(["events", path]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const api = eventsSync(readFileSync(path)).filter((e) => e.event !== "zeek_done").map((e) => JSON.stringify(e));
  assert.equal(lines.slice(0, -1), api, what);
  return lines;
}

if (HAVE_CAPTURES) {
  test("events: NDJSON, one object per line; new_connection tuples equal Zeek's conn.log", () => {
    const r = zk(["events", SAMPLE]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, "");
    const lines = r.stdout.trimEnd().split("\n");
    const evs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const tuple = (e: Record<string, unknown>) => [e["id.orig_h"], e["id.orig_p"], e["id.resp_h"], e["id.resp_p"], e.proto].join(" ");
    const news = evs.filter((e) => e.event === "new_connection");
    assert.equal(news.map(tuple).sort(), readZeekLog(SAMPLE_CONN_LOG).rows.map(tuple).sort());
    assert.is(evs.filter((e) => e.event === "connection_end").length, news.length);
    assert.is(evs[evs.length - 1].event, "zeek_done");
    const only = zk(["events", "--events", "new_connection", SAMPLE]).stdout.trimEnd().split("\n");
    assert.equal(only, lines.filter((l) => l.startsWith('{"event":"new_connection"')));
    assert.is(zk(["events", "--events", "bogus", SAMPLE]).code, 1);
  });

  test("events: each line is the API's event (eventsSync) as JSON.stringify writes it: tunnels, IPv6, services", () => {
    const dirs = ["http_dns_wikipedia", "teredo", "gtp_inner_teredo", "ftp_ipv6_ftpdata", "vxlan_http_confirmation", "pop3", "ssl_pppoe_over_qinq"];
    let checked = 0;
    for (const dir of dirs) {
      const trace = readdirSync(join(CAPTURES, "zeek", dir)).find((f) => /\.(pcap|pcapng|trace)$/.test(f));
      if (!trace) continue;
      const lines = eventLinesAsApi(join(CAPTURES, "zeek", dir, trace), dir);
      assert.ok(lines.some((l) => l.includes('"service"') || l.includes('"tunnel_parents"')), dir);
      checked++;
    }
    assert.is(checked, dirs.length);
  });

  if (haveTool("tcpdump")) {
    test("events: tcpdump -r F -w - | zk-stream events gives the file's events", () => {
      const fromFile = zk(["events", SAMPLE]);
      const piped = spawnSync("bash", ["-c", `tcpdump -r '${SAMPLE}' -w - 2>/dev/null | '${process.execPath}' '${CLI}' events`], { maxBuffer: 16 << 20 });
      assert.is(piped.status, 0);
      // zeek_done's bytes_read differs: tcpdump writes its own capture header
      const strip = (s: string) => s.trimEnd().split("\n").slice(0, -1);
      assert.equal(strip(piped.stdout.toString()), strip(fromFile.stdout));
    });
  }
}

test("events on the sample capture: each line is the API's event as JSON.stringify writes it; connection_end's fields are the conn record's", () => {
  const lines = eventLinesAsApi(SAMPLE, "sample");
  // which record each connection_end took, checked apart from the event path: conn's own rows
  const conn = new Map(zk(["conn", "--format", "ndjson", SAMPLE]).stdout.trimEnd().split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>).map((c) => [c.uid, c]));
  const ends = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === "connection_end");
  assert.is(ends.length, conn.size);
  for (const e of ends) {
    const c = conn.get(e.uid)!;
    assert.ok(c, `no conn record for ${String(e.uid)}`);
    for (const [k, v] of Object.entries(c)) {
      if (k !== "ts") assert.equal(e[k], v, `${String(e.uid)} ${k}`); // an event's ts is the last packet's
    }
  }
  assert.ok(ends.some((e) => e.service !== undefined) && ends.some((e) => e.duration !== undefined));
});

test("events | head -1: a closed stdout ends quietly with exit 0 (PIPESTATUS)", () => {
  const big = join(TMP, "flows.pcap");
  writeFileSync(big, udpFlows(150_000)); // about 9 MB of capture, 50 MB of NDJSON
  const r = spawnSync("bash", ["-c", `'${process.execPath}' '${CLI}' events '${big}' | head -1; echo "status \${PIPESTATUS[*]}" >&2`], { maxBuffer: 16 << 20 });
  const first = JSON.parse(r.stdout.toString().trim()) as Record<string, unknown>;
  assert.is(first.event, "new_connection");
  assert.is(first["id.orig_h"], "10.0.0.0");
  assert.is(r.stderr.toString(), "status 0 0\n");
});

// ---- --interval ----

test("--interval on a pipe: one complete JSON array per tick, the final one last; ends with its input", async () => {
  const zkRun = run(process.execPath, [CLI, "top", "--interval", "150ms", "--format", "json", "-n", "0"]);
  zkRun.child.stdin!.write(readFileSync(SAMPLE));
  await until("three ticks", () => zkRun.out().split("\n").filter(Boolean).length >= 3);
  zkRun.child.stdin!.end();
  assert.is(await zkRun.exit, 0);
  const lines = zkRun.out().trimEnd().split("\n");
  assert.ok(lines.length >= 4, `${lines.length} lines`);
  for (const l of lines) assert.equal(rowsOf(l), rowsOf(lines[lines.length - 1]));
  if (HAVE_CAPTURES) assert.equal(rowsOf(lines[lines.length - 1]), SAMPLE_BY_SRC);
  assert.is(zkRun.err(), "");
});

test("--interval with tables off a TTY: complete tables separated by blank lines, no escape codes", async () => {
  const zkRun = run(process.execPath, [CLI, "top", "--interval", "100ms", "-n", "2"]);
  zkRun.child.stdin!.write(readFileSync(SAMPLE));
  await until("two ticks", () => zkRun.out().split("\n\n").length >= 2);
  zkRun.child.stdin!.end();
  assert.is(await zkRun.exit, 0);
  const tables = zkRun.out().trimEnd().split("\n\n");
  assert.ok(tables.length >= 3);
  for (const t of tables) assert.match(t, /^src\s+count\n\S+\s+\d+\n\S+\s+\d+$/);
  assert.not.match(zkRun.out(), /\x1b/);
});

test("usage: --interval needs a duration from 10ms to 24h", () => {
  for (const bad of ["0", "fast", "5x", "-1s", "9ms"]) assert.is(zk(["top", "--interval", bad, SAMPLE]).code, 1, bad);
  // beyond Node's timer limit (2^31 - 1 ms) a timer fires at once: a thousand tables a second
  for (const long of ["25h", "40000m", "99999999999"]) {
    const r = zk(["top", "--interval", long, SAMPLE]);
    assert.is(r.code, 1, long);
    assert.is(r.stderr, "zk-stream: --interval: at most 24h\n", long);
  }
  assert.is(zk(["top", "--interval", "24h", SAMPLE, "-n", "1"]).code, 0);
});

if (haveTool("script")) {
  test("--interval on a TTY redraws in place (cursor up, clear), the heading counts packets", () => {
    const out = underTty(`(cat '${SAMPLE}'; sleep 1.2) | '${process.execPath}' '${CLI}' top -n 2 --interval 150ms`);
    const redraws = out.match(/\x1b\[(\d+)F\x1b\[J/g) ?? [];
    assert.ok(redraws.length >= 2, `redraws: ${redraws.length}\n${JSON.stringify(out)}`);
    // every redraw goes back over the previous drawing: heading, column names, 2 rows
    for (const r of redraws) assert.is(r, "\x1b[4F\x1b[J");
    assert.match(out, /zk-stream top --by src · .* · 136 packets · 34 connections/);
  });

  // ---- progress ----

  test("progress on stderr for a file on a TTY; none with --no-progress, none off a TTY", () => {
    const withBar = underTty(`'${process.execPath}' '${CLI}' top -n 1 '${SAMPLE}'`);
    const size = readFileSync(SAMPLE).length;
    assert.match(withBar, /\r\x1b\[K\S*sample\.pcap {2}0\.0 MiB \/ 0\.0 MiB \(100%\) {2}136 packets/);
    assert.ok(withBar.includes("\r\x1b[K"), "the line is erased before the results");
    const noBar = underTty(`'${process.execPath}' '${CLI}' top -n 1 --no-progress '${SAMPLE}'`);
    assert.not.match(noBar, /\x1b\[K|packets/);
    const stdinOnly = underTty(`cat '${SAMPLE}' | '${process.execPath}' '${CLI}' top -n 1`);
    assert.not.match(stdinOnly, /packets/, "stdin has no size: no progress");
    const piped = zk(["top", "-n", "1", SAMPLE]);
    assert.is(piped.stderr, "");
    assert.ok(size > 0);
  });
} else {
  console.log("  SKIP TTY tests: script(1) not installed (util-linux)");
}

// ---- --each ----

if (HAVE_CAPTURES) {
  test("--each: one table per file, headed by its name, counts from each file's conn.log", () => {
    const pop3 = join(POP3, "pop3.pcap");
    const expectedPop3 = connLogCounts(join(POP3, "conn.log"), (r) => r["id.orig_h"]);
    const r = zk(["top", "--each", "-n", "0", "--format", "zeek", SAMPLE, pop3]);
    assert.is(r.code, 0, r.stderr);
    const parts = r.stdout.split("\n\n");
    assert.is(parts.length, 2);
    const table = (part: string, name: string) => {
      const [head, ...lines] = part.trimEnd().split("\n");
      assert.is(head, `==> ${name} <==`);
      return lines.map((l) => { const [n, k] = l.split(" "); return `${k} ${n}`; }).sort();
    };
    assert.equal(table(parts[0], SAMPLE), SAMPLE_BY_SRC);
    assert.equal(table(parts[1], pop3), expectedPop3);
    // without --each the two files are one capture: the counts add up
    const together = zk(["top", "-n", "0", "--format", "json", SAMPLE, pop3]);
    const sum = (rows: string[]) => rows.reduce((n, x) => n + Number(x.split(" ").pop()), 0);
    assert.is(sum(rowsOf(together.stdout)), sum(SAMPLE_BY_SRC) + sum(expectedPop3));
    // json: one object per file and line
    const json = zk(["top", "--each", "-n", "0", "--format", "json", SAMPLE, pop3]).stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { file: string; rows: unknown[] });
    assert.equal(json.map((o) => o.file), [SAMPLE, pop3]);
    assert.equal(rowsOf(JSON.stringify(json[1].rows)), expectedPop3);
    assert.ok(json.every((o) => !("error" in o)), "no error key for files read whole");
  });
}

test("--each --format json: a file not read whole carries stderr's message as \"error\", not only an empty or short table", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-each-"));
  try {
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, readFileSync(SAMPLE).subarray(0, 500));
    const missing = join(dir, "missing.pcap");
    const r = zk(["top", "--each", "-n", "0", "--format", "json", cut, missing, SAMPLE]);
    assert.is(r.code, 3, r.stderr);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { file: string; error?: string; rows: unknown[] });
    const messages = r.stderr.trimEnd().split("\n");
    assert.equal(lines.map((o) => o.file), [cut, missing, SAMPLE]);
    assert.is(`zk-stream: ${cut}: ${lines[0].error}`, messages[0]);
    assert.match(lines[0].error!, /^byte 356: pcap record: input ends inside a record/);
    assert.ok(lines[0].rows.length > 0, "the complete packets before the cut are counted");
    assert.is(`zk-stream: ${missing}: ${lines[1].error}`, messages[1]);
    assert.is(lines[1].error, "cannot read: no such file (ENOENT)");
    assert.ok(!("error" in lines[2]));
    // the other formats end such a file's table with the same message
    for (const format of ["table", "tsv", "csv", "zeek"]) {
      const other = zk(["top", "--each", "-n", "0", "--format", format, cut, missing, SAMPLE]);
      const tables = other.stdout.split(/^==> .* <==\n/m).slice(1);
      assert.is(tables.length, 3, format);
      assert.ok(tables[0].endsWith(`(not read to its end: ${lines[0].error})\n\n`), `${format}: ${tables[0]}`);
      assert.ok(tables[1].endsWith(`(not read to its end: ${lines[1].error})\n\n`), `${format}: ${tables[1]}`);
      assert.ok(!tables[2].includes("not read"), format);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- SIGINT / SIGTERM ----

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} on an open pipe: the final table is printed, exit 0`, async () => {
    const zkRun = run(process.execPath, [CLI, "top", "-n", "0", "--format", "json", "--interval", "100ms"]);
    zkRun.child.stdin!.write(readFileSync(SAMPLE)); // and the pipe stays open
    await until("a tick", () => zkRun.out().includes("\n"));
    zkRun.child.kill(signal);
    assert.is(await zkRun.exit, 0);
    const lines = zkRun.out().trimEnd().split("\n");
    if (HAVE_CAPTURES) assert.equal(rowsOf(lines[lines.length - 1]), SAMPLE_BY_SRC);
    assert.is(zkRun.err(), "");
    zkRun.child.stdin!.destroy();
  });
}

if (haveTool("tcpdump")) {
  test("SIGINT with a record cut by the interruption: no damage, the complete packets counted (tcpdump)", async () => {
    const sample = readFileSync(SAMPLE);
    const cut = sample.subarray(0, 20000); // 20000 is inside a record
    const cutFile = join(TMP, "cut.pcap");
    writeFileSync(cutFile, cut);
    const complete = spawnSync("sh", ["-c", `tcpdump -r '${cutFile}' -w - 2>/dev/null`]).stdout;
    const expected = zk(["top", "-n", "0", "--format", "json"], complete);
    assert.is(expected.code, 0);
    const zkRun = run(process.execPath, [CLI, "top", "-n", "0", "--format", "json", "--interval", "100ms"]);
    zkRun.child.stdin!.write(cut);
    await until("a tick with the complete packets", () => zkRun.out().split("\n").includes(expected.stdout.trimEnd()));
    zkRun.child.kill("SIGINT");
    assert.is(await zkRun.exit, 0);
    assert.is(zkRun.out().trimEnd().split("\n").pop(), expected.stdout.trimEnd());
    assert.is(zkRun.err(), "");
    zkRun.child.stdin!.destroy();
  });

  test("events on SIGINT: the pending connection ends and zeek_done are printed, exit 0", async () => {
    const zkRun = run(process.execPath, [CLI, "events", "--events", "new_connection,connection_end,zeek_done"]);
    zkRun.child.stdin!.write(readFileSync(SAMPLE));
    // the events of a chunk are written when it has been read: then the pipe stays open, quiet
    await until("the first events", () => zkRun.out().includes("new_connection"));
    zkRun.child.kill("SIGINT");
    assert.is(await zkRun.exit, 0);
    const evs = zkRun.out().trimEnd().split("\n").map((l) => JSON.parse(l) as { event: string });
    assert.is(evs[evs.length - 1].event, "zeek_done");
    if (HAVE_CAPTURES) assert.is(evs.filter((e) => e.event === "connection_end").length, readZeekLog(SAMPLE_CONN_LOG).rows.length);
    zkRun.child.stdin!.destroy();
  });
}

// ---- the real tcpdump, live on loopback ----

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** A UDP and an HTTP server on loopback, tcpdump capturing their traffic, and zk-stream reading tcpdump's pipe. */
async function loopback(zkArgs: string[], body: (l: { udpPort: number; httpPort: number; zkRun: Running; udp(n: number): Promise<void>; http(n: number): Promise<void> }) => Promise<void>): Promise<void> {
  const udpServer = createSocket("udp4");
  await new Promise<void>((r) => udpServer.bind(0, "127.0.0.1", () => r()));
  const udpPort = (udpServer.address() as AddressInfo).port;
  const server: Server = createServer((_req, res) => res.end("ok\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const httpPort = (server.address() as AddressInfo).port;
  const dump = run("tcpdump", ["-i", "lo", "-U", "-w", "-", `(udp and port ${udpPort}) or (tcp and port ${httpPort})`], "ignore", true);
  const zkRun = run(process.execPath, [CLI, ...zkArgs], dump.child.stdout!);
  try {
    await until("tcpdump listening", () => /listening on/.test(dump.err()));
    await body({
      udpPort, httpPort, zkRun,
      async udp(n) {
        for (let i = 0; i < n; i++) {
          const s = createSocket("udp4"); // a new socket, a new source port: a new connection
          await new Promise<void>((r) => s.send(`datagram ${i}`, udpPort, "127.0.0.1", () => r()));
          s.close();
        }
      },
      async http(n) {
        for (let i = 0; i < n; i++) {
          await new Promise<void>((resolve, reject) => {
            httpGet({ host: "127.0.0.1", port: httpPort, path: "/", agent: false }, (res) => { res.resume(); res.on("end", resolve); }).on("error", reject);
          });
        }
      },
    });
  } finally {
    zkRun.child.kill("SIGKILL");
    dump.child.kill("SIGINT");
    await dump.exit;
    udpServer.close();
    server.close();
  }
}

/** The last complete line of a running process's output (a read may end inside one). */
const lastLine = (r: Running, empty = "") => r.out().slice(0, Math.max(0, r.out().lastIndexOf("\n"))).split("\n").pop() || empty;

if (haveTool("tcpdump") && isRoot) {
  // -C in both: loopback packets leave their TCP checksums to an offload that never happens, and
  // Zeek (so zk-stream) ignores TCP segments with a bad checksum unless told not to
  test("live: tcpdump -i lo -U -w - | zk-stream top; SIGINT prints the traffic this test sent", async () => {
    await loopback(["top", "-C", "--by", "src,dport", "-n", "0", "--format", "json", "--interval", "200ms"], async ({ udpPort, httpPort, zkRun, udp, http }) => {
      const UDP = 7, HTTP = 4;
      await udp(UDP);
      await http(HTTP);
      const want = [`127.0.0.1 ${httpPort} tcp ${HTTP}`, `127.0.0.1 ${udpPort} udp ${UDP}`].sort();
      const rows = (line: string) => (JSON.parse(line) as { src: string; dport: number; proto: string; count: number }[]).map((r) => `${r.src} ${r.dport} ${r.proto} ${r.count}`).sort();
      await until("a tick with all the traffic", () => JSON.stringify(rows(lastLine(zkRun, "[]"))) === JSON.stringify(want), 15000, () => `${lastLine(zkRun)} ${zkRun.err()}`);
      zkRun.child.kill("SIGINT");
      assert.is(await zkRun.exit, 0, zkRun.err());
      assert.equal(rows(lastLine(zkRun, "[]")), want);
      assert.is(zkRun.err(), "");
    });
  });

  test("live: zk-stream events on a quiet pipe: closed connections end by the wall clock, before SIGINT", async () => {
    await loopback(["events", "-C", "--events", "new_connection,connection_end"], async ({ httpPort, zkRun, http }) => {
      await http(2);
      const ends = () => zkRun.out().split("\n").filter((l) => l.includes('"connection_end"'));
      // Zeek removes a closed TCP connection 5 s after the close (tcp_close_delay); no packet follows
      await until("two connection ends", () => ends().length >= 2, 15000, () => zkRun.out());
      const evs = ends().map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const e of evs) {
        assert.is(e["id.orig_h"], "127.0.0.1");
        assert.is(e["id.resp_p"], httpPort);
        assert.is(e.proto, "tcp");
      }
      const starts = zkRun.out().split("\n").filter((l) => l.includes('"new_connection"')).map((l) => (JSON.parse(l) as { uid: string }).uid);
      assert.equal(evs.map((e) => e.uid).sort(), starts.sort());
      zkRun.child.kill("SIGINT");
      assert.is(await zkRun.exit, 0, zkRun.err());
    });
  });
} else {
  console.log(`  SKIP live loopback capture: ${haveTool("tcpdump") ? "needs root (CI runs as root)" : "tcpdump not installed (.ci/run installs it)"}`);
}

if (!HAVE_CAPTURES) noteMissingCaptures("live tests against conn.log");

test.after(() => rmSync(TMP, { recursive: true, force: true }));
test.run();
