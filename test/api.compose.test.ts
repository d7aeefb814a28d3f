// Composition: through2 (readable-stream, not node:stream) on both sides, web streams both ways,
// top() and the streaming top, the sync helpers, and the package entry as built.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import through2 from "through2";
import { transform as webTransform } from "through2/web";
import { zk, ZkError, type ZkEvent, type Row } from "../src/index.js";
import { REPO, CAPTURES, HAVE_CAPTURES, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const sample = readFileSync(SAMPLE);
const SAMPLE_CONN_LOG = join(CAPTURES, "zeek/http_dns_wikipedia/conn.log");
const CUT = join(CAPTURES, "formats/DERIVED_cut-mid-block_zeek-multi-interface.pcapng");

function collector(out: unknown[]): Writable {
  return new Writable({ objectMode: true, write(x, _e, cb) { out.push(x); cb(); } });
}

async function readAll<T>(r: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = r.getReader();
  for (let x = await reader.read(); !x.done; x = await reader.read()) out.push(x.value);
  return out;
}

/** Zeek's counts per key from a conn.log: "key count" lines, sorted. */
function connLogCounts(keyOf: (r: Record<string, string>) => string): string[] {
  const counts = new Map<string, number>();
  for (const r of readZeekLog(SAMPLE_CONN_LOG).rows) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).sort();
}

test("through2.obj downstream: pipeline(file, zk.events(), through2 filter, sink)", async () => {
  const got: ZkEvent[] = [];
  await pipeline(
    createReadStream(SAMPLE),
    zk.events(),
    through2.obj((ev: ZkEvent, _e: BufferEncoding, cb: (err: null, x?: ZkEvent) => void) => cb(null, ev.event === "new_connection" ? ev : undefined)),
    collector(got),
  );
  const expected = zk.eventsSync(sample).filter((e) => e.event === "new_connection");
  assert.ok(expected.length > 30);
  assert.equal(got, expected);
});

test("through2 upstream: bytes through a readable-stream Transform into zk.events(), and .pipe() chains", async () => {
  const got: ZkEvent[] = [];
  // a byte pass-through that re-chunks into 100-byte pieces
  const rechunk = through2(function (this: { push(b: Buffer): void }, chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    for (let o = 0; o < chunk.length; o += 100) this.push(chunk.subarray(o, o + 100));
    cb();
  });
  await pipeline(createReadStream(SAMPLE), rechunk, zk.events(), collector(got));
  assert.equal(got, zk.eventsSync(sample));
  const piped: ZkEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink = collector(piped).on("finish", resolve).on("error", reject);
    createReadStream(SAMPLE).pipe(through2()).pipe(zk.events()).pipe(through2.obj()).pipe(sink);
  });
  assert.equal(piped, zk.eventsSync(sample));
});

test("web streams: Readable.toWeb(zk.events(file)) through a through2/web TransformStream", async () => {
  const web = Readable.toWeb(zk.events(SAMPLE)) as unknown as ReadableStream<ZkEvent>;
  const uids = await readAll(web.pipeThrough(webTransform(async (ev: ZkEvent) => (ev.event === "connection_end" ? ev.uid : undefined))));
  const expected = zk.eventsSync(sample).flatMap((e) => (e.event === "connection_end" ? [e.uid] : []));
  assert.equal(uids, expected);
});

test("web streams: a web byte stream piped through zk.eventsWeb()", async () => {
  const bytes = Readable.toWeb(createReadStream(SAMPLE, { highWaterMark: 999 })) as unknown as ReadableStream<Uint8Array>;
  const evs = await readAll(bytes.pipeThrough(zk.eventsWeb({ events: ["new_connection", "zeek_done"] }) as unknown as ReadableWritablePair<ZkEvent, Uint8Array>));
  assert.equal(evs, zk.eventsSync(sample, { events: ["new_connection", "zeek_done"] }));
});

if (HAVE_CAPTURES) {
  test("web streams: damage errors the readable after every event (zk.eventsWeb)", async () => {
    const bytes = Readable.toWeb(createReadStream(CUT)) as unknown as ReadableStream<Uint8Array>;
    const out = bytes.pipeThrough(zk.eventsWeb() as unknown as ReadableWritablePair<ZkEvent, Uint8Array>);
    const got: ZkEvent[] = [];
    let err: ZkError | undefined;
    const reader = out.getReader();
    try {
      for (let x = await reader.read(); !x.done; x = await reader.read()) got.push(x.value);
    } catch (e) { err = e as ZkError; }
    assert.instance(err, ZkError);
    assert.is(err!.code, "ZK_BLOCK_CUT");
    let syncErr: (ZkError & { events?: ZkEvent[] }) | undefined;
    try { zk.eventsSync(readFileSync(CUT)); } catch (e) { syncErr = e as ZkError & { events?: ZkEvent[] }; }
    assert.is(syncErr?.code, "ZK_BLOCK_CUT");
    assert.is(syncErr?.offset, err!.offset);
    assert.equal(got, syncErr!.events);
  });

  test("zk.top() from a path, a stream, a Buffer: Zeek's conn.log counts", async () => {
    const bySrc = connLogCounts((r) => r["id.orig_h"]);
    const rows = await zk.top(SAMPLE, { by: ["src"], limit: 0 });
    assert.equal(rows.map((r) => `${r.src} ${r.conns}`).sort(), bySrc);
    const byPort = connLogCounts((r) => `${r["id.orig_h"]}/${r["id.resp_p"]}/${r.proto}`);
    const rows2 = await zk.top(createReadStream(SAMPLE), { by: ["src", "dport"], limit: 0 });
    assert.equal(rows2.map((r) => `${r.src}/${r.dport}/${r.proto} ${r.conns}`).sort(), byPort);
    assert.equal(zk.topSync(sample, { by: ["src", "dport"], limit: 0 }), rows2);
    const top3 = await zk.top(sample, { limit: 3 });
    assert.equal(top3, rows.slice(0, 3));
    assert.equal(Object.keys(top3[0]), ["src", "conns", "pkts", "bytes"]);
  });

  test("zk.top() on a damaged capture rejects with the ZkError and the rows before the damage", async () => {
    let err: (ZkError & { rows?: Row[] }) | undefined;
    try { await zk.top(CUT, { limit: 0, ignoreChecksums: true }); } catch (e) { err = e as ZkError & { rows?: Row[] }; }
    assert.instance(err, ZkError);
    assert.is(err!.code, "ZK_BLOCK_CUT");
    assert.ok(err!.message.startsWith(`${CUT}: byte `), "a path names the input");
    assert.ok((err!.rows ?? []).length > 0);
    let syncErr: (ZkError & { rows?: Row[] }) | undefined;
    try { zk.topSync(readFileSync(CUT), { limit: 0, ignoreChecksums: true }); } catch (e) { syncErr = e as ZkError & { rows?: Row[] }; }
    assert.equal(err!.rows, syncErr!.rows);
  });
} else {
  noteMissingCaptures("compose tests against conn.log");
}

test("zk.top(path) and zk.events(path) read a file as the command line does: gzipped too; a missing one rejects with ENOENT", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-top-path-"));
  try {
    const gz = join(dir, "sample.pcap.gz");
    writeFileSync(gz, gzipSync(sample));
    const rows = await zk.top(gz, { by: ["src", "dport"], limit: 0 });
    assert.ok(rows.length > 0);
    assert.equal(rows, zk.topSync(sample, { by: ["src", "dport"], limit: 0 }));
    // the streams and the sync helpers take the capture's own bytes: the error says what to do
    let gzErr: ZkError | undefined;
    try { zk.topSync(gzipSync(sample)); } catch (e) { gzErr = e as ZkError; }
    assert.is(gzErr?.code, "ZK_UNKNOWN_MAGIC");
    assert.match(gzErr!.message, "gzip data");
    let err: NodeJS.ErrnoException | undefined;
    try { await zk.top(join(dir, "missing.pcap")); } catch (e) { err = e as NodeJS.ErrnoException; }
    assert.is(err?.code, "ENOENT");
    err = undefined;
    try { for await (const _ of zk.events(join(dir, "missing.pcap"))) { /* none */ } } catch (e) { err = e as NodeJS.ErrnoException; }
    assert.is(err?.code, "ENOENT");
    // zk.events(path) reads it the same way
    const got: ZkEvent[] = [];
    for await (const ev of zk.events(gz)) got.push(ev);
    assert.equal(got, zk.eventsSync(sample));
    // damage inside the gzip stream: a ZkError of the gzip layer, with the rows before it
    const cut = gzipSync(sample);
    cut[cut.length - 5] ^= 0xff; // the length in gzip's trailer
    writeFileSync(gz, cut);
    let zerr: (ZkError & { rows?: Row[] }) | undefined;
    try { await zk.top(gz, { limit: 0 }); } catch (e) { zerr = e as ZkError & { rows?: Row[] }; }
    assert.instance(zerr, ZkError);
    assert.is(zerr!.layer, "gzip");
    assert.ok((zerr!.rows ?? []).length > 0, "the rows before the damage come with it");
    // the events stream: every event before the damage, then the same error
    const before: ZkEvent[] = [];
    let eerr: ZkError | undefined;
    try { for await (const ev of zk.events(gz, { events: ["new_connection"] })) before.push(ev); } catch (e) { eerr = e as ZkError; }
    assert.instance(eerr, ZkError);
    assert.is(eerr!.layer, "gzip");
    assert.is(eerr!.offset, zerr!.offset);
    assert.ok(before.length > 0, "the events before the damage come first");
    // a capture cut inside intact gzip data: the core's error, its offset said to be decompressed
    writeFileSync(gz, gzipSync(sample.subarray(0, sample.length - 10)));
    for (const run of [() => zk.top(gz), async () => { for await (const _ of zk.events(gz)) { /* drained */ } }]) {
      let cutErr: ZkError | undefined;
      try { await run(); } catch (e) { cutErr = e as ZkError; }
      assert.is(cutErr?.code, "ZK_RECORD_CUT");
      assert.match(cutErr!.message, "(offset in the decompressed stream)");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("zk.events(path): damage in the capture comes before later damage in its gzip data, however slow the consumer", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-events-gz-"));
  try {
    // packets past the first slice fed to the core, a record of impossible length, then random
    // bytes that the gzip data is cut inside
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(1 << 30, 8);
    bad.writeUInt32LE(1 << 30, 12);
    const head = Buffer.concat([sample, ...Array(8).fill(sample.subarray(24)), bad]);
    const gz = gzipSync(Buffer.concat([head, randomBytes(600 << 10)]));
    const path = join(dir, "damaged.pcap.gz");
    writeFileSync(path, gz.subarray(0, gz.length - (200 << 10)));
    const badAt = head.length - bad.length;
    let topErr: ZkError | undefined;
    try { await zk.top(path); } catch (e) { topErr = e as ZkError; }
    assert.is(topErr?.code, "ZK_RECORD_LENGTH");
    assert.is(topErr?.offset, badAt);
    for (const pause of [0, 300]) {
      // a consumer that waits on its first event: meanwhile the reader reaches the gzip damage
      let err: ZkError | undefined;
      let n = 0;
      try {
        for await (const _ of zk.events(path, { highWaterMark: 1 })) if (pause && n++ === 0) await sleep(pause);
      } catch (e) { err = e as ZkError; }
      assert.is(err?.code, "ZK_RECORD_LENGTH", `a consumer pausing ${pause} ms`);
      assert.is(err?.offset, badAt);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("topStream: the current table while reading, the final one after finish", async () => {
  const t = zk.topStream({ limit: 0 });
  const half = 12000;
  await new Promise<void>((r) => t.write(sample.subarray(0, half), () => r()));
  const partial = t.rows();
  assert.equal(zk.topSync(sample.subarray(0, 24), { limit: 0 }), [], "a header alone has no rows");
  assert.ok(partial.length > 0);
  const partialConns = partial.reduce((n, r) => n + r.conns, 0);
  t.end(sample.subarray(half));
  await new Promise((r) => t.on("finish", r));
  const final = t.rows();
  assert.equal(final, zk.topSync(sample, { limit: 0 }));
  assert.ok(partialConns < final.reduce((n, r) => n + r.conns, 0), "more connections after the second half");
});

test("the package entry (dist/index.js, package.json main) exports the API", async () => {
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { main: string; types: string };
  assert.is(pkg.main, "dist/index.js");
  const mod = await import(join(REPO, pkg.main));
  for (const name of ["events", "eventsSync", "eventsWeb", "top", "topSync", "topStream"]) assert.type(mod.zk[name], "function", name);
  assert.is(mod.default, mod.zk);
  const rows = await mod.zk.top(SAMPLE, { limit: 1 });
  assert.equal(rows, zk.topSync(sample, { limit: 1 }));
});

if (HAVE_CAPTURES) {
  test("the README's API example runs as written (with the sample as capture.pcap)", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The Node API"));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]
      .replace(/from "zk-stream"/g, `from ${JSON.stringify(pathToFileURL(join(REPO, "dist/index.js")).href)}`)
      .replace(/from "through2"/g, `from ${JSON.stringify(pathToFileURL(join(REPO, "node_modules/through2/through2.js")).href)}`)
      .replace(/"capture\.pcap"/g, JSON.stringify(SAMPLE));
    const dir = mkdtempSync(join(tmpdir(), "zk-readme-"));
    writeFileSync(join(dir, "example.mjs"), code);
    const env = { ...process.env, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const r = spawnSync(process.execPath, [join(dir, "example.mjs")], { encoding: "utf8", env });
    rmSync(dir, { recursive: true, force: true });
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`${readZeekLog(SAMPLE_CONN_LOG).rows.length} connections\n`), r.stdout);
    assert.match(r.stdout, /src: '141\.142\.220\.118',\s+dport: 80,\s+proto: 'tcp',\s+conns: 9/, r.stdout);
  });
}

test.run();
