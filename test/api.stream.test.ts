// The events Transform as a Node stream (csv-parse's api.stream.* facets): chunkings down to one
// byte, backpressure with a slow consumer and bounded memory, destroy, errors after the events of
// every complete packet, finished(), async iteration over every kind of source.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createReadStream, readFileSync, writeFileSync, mkdtempSync, rmSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { zk, ZkError, type ZkEvent, type ConnFields } from "../src/index.js";
import { REPO, CAPTURES, HAVE_CAPTURES } from "./helpers/captures.js";
import { haveTool } from "./helpers/cli.js";
import { pcapRecords, udpFlows } from "./helpers/packets.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const sample = readFileSync(SAMPLE);


/** A byte source that counts what was pulled from it, in chunks of `chunk` bytes. */
function countingSource(buf: Buffer, chunk = 64 * 1024): Readable & { pulled: number } {
  let off = 0;
  const src = new Readable({
    read() {
      if (off >= buf.length) return void this.push(null);
      const end = Math.min(buf.length, off + chunk);
      (src as Readable & { pulled: number }).pulled = end;
      this.push(buf.subarray(off, end));
      off = end;
    },
  }) as Readable & { pulled: number };
  src.pulled = 0;
  return src;
}

async function collect(stream: AsyncIterable<ZkEvent>): Promise<ZkEvent[]> {
  const out: ZkEvent[] = [];
  for await (const ev of stream) out.push(ev);
  return out;
}

async function writeInChunks(bytes: Buffer, size: number): Promise<ZkEvent[]> {
  const s = zk.events();
  const got = collect(s);
  for (let off = 0; off < bytes.length; off += size) {
    if (!s.write(bytes.subarray(off, off + size))) await new Promise((r) => s.once("drain", r));
  }
  s.end();
  return got;
}

test("chunkings from 1 byte to the whole file give the same events as the sync helper", async () => {
  const whole = zk.eventsSync(sample);
  assert.ok(whole.length > 60);
  for (const size of [1, 7, 100, 4096, 65536, sample.length]) {
    assert.equal(await writeInChunks(sample, size), whole, `chunk size ${size}`);
  }
});

test("the same events from every kind of source", async () => {
  const expected = zk.eventsSync(sample);
  assert.equal(await collect(zk.events(SAMPLE)), expected, "a path");
  assert.equal(await collect(zk.events(sample)), expected, "a Buffer");
  assert.equal(await collect(zk.events(createReadStream(SAMPLE, { highWaterMark: 1000 }))), expected, "a Node Readable");
  async function* gen() { for (let o = 0; o < sample.length; o += 333) yield sample.subarray(o, o + 333); }
  assert.equal(await collect(zk.events(gen())), expected, "an async generator");
  assert.equal(await collect(zk.events(Readable.toWeb(createReadStream(SAMPLE)) as any)), expected, "a web ReadableStream");
});

test("a path larger than a read: each chunk is its own while the stream holds one; the file is closed after", async () => {
  // 1 MiB reads with the next one in flight (src/file-chunks.ts): a reader that reused its buffers
  // would overwrite the chunk a paused stream still holds
  const bytes = udpFlows(60_000); // 3.7 MB: four reads
  const dir = mkdtempSync(join(tmpdir(), "zk-path-"));
  const path = join(realpathSync(dir), "flows.pcap"); // as /proc/self/fd names it
  writeFileSync(path, bytes);
  // descriptors open on the capture file (Linux: /proc/self/fd)
  const fdsOnFile = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === path; } catch { return false; } }).length;
  try {
    const expected = zk.eventsSync(bytes);
    const got: ZkEvent[] = [];
    let i = 0;
    for await (const ev of zk.events(path, { highWaterMark: 1 })) {
      got.push(ev);
      if (++i % 5000 === 0) await sleep(1); // paused mid-chunk: the next read completes meanwhile
    }
    assert.is(got.length, expected.length);
    assert.equal(got, expected);
    assert.equal(await zk.top(path, { by: ["src", "dport"], limit: 0 }), zk.topSync(bytes, { by: ["src", "dport"], limit: 0 }));
    // a consumer that stops early: the read in flight is waited for and the file closed
    for await (const ev of zk.events(path)) if (ev.event === "new_connection") break;
    if (process.platform === "linux") {
      for (let waited = 0; waited < 2000 && fdsOnFile() > 0; waited += 20) await sleep(20);
      assert.is(fdsOnFile(), 0, "the capture is still open");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("backpressure from a path or a 64 KiB stream: the events buffered stay within the highWaterMark and a slice's", async () => {
  // a chunk is fed on the next turn of the event loop, unless _read fed it meanwhile (the feeding
  // scheduled for it must then not feed the next chunk past a full readable side)
  const bytes = udpFlows(100_000); // 6.2 MB, a new_connection every 62 bytes: ~1,060 per 64 KiB slice
  const dir = mkdtempSync(join(tmpdir(), "zk-bp-"));
  try {
    const path = join(dir, "flows.pcap");
    writeFileSync(path, bytes);
    for (const [what, source] of [["a path", path], ["createReadStream", createReadStream(path)]] as const) {
      const s = zk.events(source, { events: ["new_connection"], highWaterMark: 16 });
      let most = 0, n = 0;
      for await (const _ev of s) {
        most = Math.max(most, s.readableLength);
        if (++n % 2000 === 0) await sleep(0);
      }
      assert.is(n, 100_000, what);
      assert.ok(most <= 16 + 1100, `${what}: ${most} events buffered`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a chunk is fed on the next turn of the event loop: the source's next read is asked for before it", async () => {
  // so that a source like fs.createReadStream, which reads again only once write() returned,
  // reads while the core works; its chunks still all arrive, in order
  const bytes = udpFlows(20_000); // 1.2 MB in 64 KiB chunks
  const expected = zk.eventsSync(bytes, { events: ["new_connection"] }).length;
  for (const kind of ["top", "events"] as const) {
    const sink = kind === "top" ? zk.topStream({ limit: 0 }) : zk.events({ events: ["new_connection"] });
    let pushed = 0;
    const fedWhenAsked: number[] = [];
    const src = new Readable({
      read() {
        fedWhenAsked.push(pushed - sink.engine.bytesRead); // bytes pushed but not yet fed
        setImmediate(() => {
          if (pushed >= bytes.length) return void this.push(null);
          const end = Math.min(bytes.length, pushed + 65536);
          const piece = bytes.subarray(pushed, end);
          pushed = end;
          this.push(piece);
        });
      },
    });
    let count = 0;
    if (kind === "top") {
      await pipeline(src, sink);
      count = (sink as ReturnType<typeof zk.topStream>).rows().reduce((n, r) => n + r.conns, 0);
    } else {
      await pipeline(src, sink, new Writable({ objectMode: true, write(_ev, _e, cb) { count++; cb(); } }));
    }
    assert.is(count, expected, kind);
    const ahead = fedWhenAsked.filter((n) => n > 0).length;
    assert.ok(ahead >= fedWhenAsked.length / 2, `${kind}: ${ahead} of ${fedWhenAsked.length} reads asked for before the chunk before was fed`);
  }
});

test("synthetic flows: one new_connection per flow, in packet order, with the generated tuple and time", async () => {
  const n = 5000;
  const evs = (await collect(zk.events(udpFlows(n), { events: ["new_connection"] }))) as (ConnFields & { event: string })[];
  assert.is(evs.length, n);
  for (const i of [0, 1, 255, 256, 4321, n - 1]) {
    const ev = evs[i];
    assert.is(ev["id.orig_h"], `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.is(ev["id.orig_p"], 30000 + (i % 20000));
    assert.is(ev["id.resp_h"], "192.0.2.1");
    assert.is(ev["id.resp_p"], 53);
    assert.is(ev.proto, "udp");
    assert.is(ev.ts.toFixed(6), `${1_700_000_000 + Math.floor(i / 1000)}.${String((i % 1000) * 1000).padStart(6, "0")}`);
  }
});

test("backpressure: a paused consumer stops the source; buffered events stay bounded", async () => {
  const n = 200_000; // 12.4 MB of capture
  const bytes = udpFlows(n);
  const src = countingSource(bytes, 1 << 20); // big chunks: ~17,000 events each
  const s = zk.events(src, { events: ["new_connection"], highWaterMark: 64 });
  const it = s[Symbol.asyncIterator]();
  for (let i = 0; i < 10; i++) await it.next();
  const heapBefore = process.memoryUsage().heapUsed;
  await sleep(300); // the consumer sleeps; nothing should keep reading
  assert.ok(src.pulled <= 4 << 20, `pulled ${src.pulled} of ${bytes.length} bytes while paused`);
  assert.ok(s.readableLength <= 64 + 1100, `buffered ${s.readableLength} events`);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 32 << 20, "heap grew while paused");
  // consuming resumes the source until the end
  let count = 10;
  for (let r = await it.next(); !r.done; r = await it.next()) count++;
  assert.is(count, n);
  assert.is(src.pulled, bytes.length);
});

test("backpressure at the end of input: the connections still open end a step at a time", async () => {
  const n = 8_000; // UDP flows 1 ms apart: every one still open when the input ends (DNS: 10 s)
  const s = zk.events(Readable.from([udpFlows(n)]), { events: ["connection_end"], highWaterMark: 64 });
  const it = s[Symbol.asyncIterator]();
  for (let i = 0; i < 10; i++) await it.next();
  await sleep(300); // the consumer sleeps; the end must not push every connection's end meanwhile
  assert.ok(s.readableLength <= 64 + 64, `buffered ${s.readableLength} of ${n} connection_end events`);
  let count = 10;
  for (let r = await it.next(); !r.done; r = await it.next()) count++;
  assert.is(count, n);
});

test("damage with many connections open: every connection_end (a step at a time), zeek_done, then the ZkError", async () => {
  const flows = udpFlows(500);
  const cut = flows.subarray(0, flows.length - 10); // the last record cut: 499 complete packets
  const evs: ZkEvent[] = [];
  let err: ZkError | undefined;
  try {
    for await (const ev of zk.events(Readable.from([cut]), { events: ["connection_end", "zeek_done"], highWaterMark: 1 })) {
      evs.push(ev);
      if (evs.length % 50 === 0) await sleep(1); // a slow consumer: the end pauses and resumes
    }
  } catch (e) { err = e as ZkError; }
  assert.instance(err, ZkError);
  assert.is(err!.code, "ZK_RECORD_CUT");
  assert.is(evs.filter((e) => e.event === "connection_end").length, 499);
  assert.is(evs[evs.length - 1].event, "zeek_done");
  assert.is(evs.length, 500);
});

test("destroy while the connections still open end: the stream closes, nothing more comes", async () => {
  const s = zk.events(Readable.from([udpFlows(2_000)]), { events: ["connection_end", "zeek_done"], highWaterMark: 4 });
  let seen = 0;
  for await (const ev of s) {
    assert.is(ev.event, "connection_end");
    if (++seen === 100) break; // destroys the stream in the middle of its end
  }
  assert.is(s.destroyed, true);
  let late = 0;
  s.on("data", () => late++);
  s.on("error", () => {}); // the AbortError Node's iterator destroys it with
  await sleep(50);
  assert.is(late, 0);
});

test("destroy mid-stream: breaking out of for-await destroys the stream and its source", async () => {
  const src = countingSource(udpFlows(50_000));
  const s = zk.events(src);
  let seen = 0;
  for await (const _ of s) if (++seen === 100) break;
  await sleep(10);
  assert.ok(s.destroyed);
  assert.ok(src.destroyed, "the source was destroyed too");
  assert.ok(src.pulled < udpFlows(50_000).length);
});

test("destroy(err) propagates: finished() rejects, the piped source is destroyed", async () => {
  const src = countingSource(udpFlows(50_000));
  const s = zk.events(src);
  s.once("data", () => s.destroy(new Error("consumer gave up")));
  let rejected = false;
  try { await finished(s); } catch (e) { rejected = (e as Error).message === "consumer gave up"; }
  assert.ok(rejected);
  await sleep(10);
  assert.ok(src.destroyed);
});

test("finished() resolves once the events are consumed; zeek_done comes last", async () => {
  const s = zk.events(SAMPLE);
  const evs: ZkEvent[] = [];
  s.on("data", (ev: ZkEvent) => evs.push(ev));
  await finished(s);
  assert.is(evs[evs.length - 1].event, "zeek_done");
  assert.equal(evs, zk.eventsSync(sample));
});

test("a source error reaches the consumer", async () => {
  let err: NodeJS.ErrnoException | undefined;
  try { await collect(zk.events("/nonexistent/capture.pcap")); } catch (e) { err = e as NodeJS.ErrnoException; }
  assert.is(err?.code, "ENOENT");
});

test("not a capture: ZkError ZK_UNKNOWN_MAGIC at byte 0, after the (empty) final table", async () => {
  const evs: ZkEvent[] = [];
  let err: ZkError | undefined;
  try { for await (const ev of zk.events(Buffer.from("this is not a capture, just text\n"))) evs.push(ev); } catch (e) { err = e as ZkError; }
  assert.instance(err, ZkError);
  assert.is(err!.code, "ZK_UNKNOWN_MAGIC");
  assert.is(err!.offset, 0);
  assert.is(err!.layer, "capture header");
  assert.is(err!.exitCode, 2);
  assert.equal(evs.map((e) => e.event), ["zeek_done"]);
});

/** The offset where the record containing byte `cut` starts. */
function recordStart(buf: Buffer, cut: number): number {
  const r = pcapRecords(buf).find(({ offset, length }) => offset + length > cut);
  if (!r) throw new Error(`byte ${cut} is in no record`);
  return r.offset;
}

if (haveTool("tcpdump")) {
  test("damage: every event of the complete packets first (tcpdump's reading), then ZkError with offset and layer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zk-api-"));
    const cutFile = join(dir, "cut.pcap");
    const cutAt = 20000;
    writeFileSync(cutFile, sample.subarray(0, cutAt));
    // tcpdump rewrites the packets it could read: exactly the complete ones
    const complete = spawnSync("sh", ["-c", `tcpdump -r '${cutFile}' -w - 2>/dev/null`], { maxBuffer: 1 << 24 }).stdout;
    assert.is(complete.length, recordStart(sample, cutAt));
    const expected = zk.eventsSync(complete);
    // the one difference: the cut file's stream read the cut record's bytes too
    const last = expected[expected.length - 1];
    if (last.event === "zeek_done") last.stats.bytes_read = cutAt;
    for (const hwm of [1, 64]) {
      const evs: ZkEvent[] = [];
      let err: ZkError | undefined;
      try {
        for await (const ev of zk.events(createReadStream(cutFile, { highWaterMark: 512 }), { highWaterMark: hwm })) {
          evs.push(ev);
          if (hwm === 1) await sleep(1); // a slow consumer still gets every event before the error
        }
      } catch (e) { err = e as ZkError; }
      assert.instance(err, ZkError);
      assert.is(err!.code, "ZK_RECORD_CUT");
      assert.is(err!.layer, "pcap record");
      assert.is(err!.offset, complete.length);
      assert.is(err!.exitCode, 3);
      assert.match(err!.message, new RegExp(`^input: byte ${complete.length}: pcap record: `));
      assert.equal(evs, expected, `highWaterMark ${hwm}`);
    }
    rmSync(dir, { recursive: true, force: true });
  });
}

if (HAVE_CAPTURES) {
  test("damage through pipeline(): the sink gets the events, pipeline rejects with the ZkError", async () => {
    const f = join(CAPTURES, "formats/DERIVED_cut-mid-block_zeek-multi-interface.pcapng");
    const got: ZkEvent[] = [];
    const sink = new Writable({ objectMode: true, write(ev, _e, cb) { got.push(ev); setTimeout(cb, 1); } });
    let err: ZkError | undefined;
    try { await pipeline(createReadStream(f), zk.events({ name: "multi.pcapng" }), sink); } catch (e) { err = e as ZkError; }
    assert.instance(err, ZkError);
    assert.is(err!.code, "ZK_BLOCK_CUT");
    assert.is(err!.layer, "pcapng block");
    assert.match(err!.message, /^multi\.pcapng: byte \d+: pcapng block: /);
    assert.equal(got.map((e) => e.event).slice(-1), ["zeek_done"]);
    assert.ok(got.filter((e) => e.event === "new_connection").length > 0);
  });
}

test("a clean capture ends without error through pipeline() into a slow sink", async () => {
  let n = 0;
  const sink = new Writable({ objectMode: true, highWaterMark: 1, write(_ev, _e, cb) { n++; setImmediate(cb); } });
  await pipeline(createReadStream(SAMPLE, { highWaterMark: 256 }), zk.events(), sink);
  assert.is(n, zk.eventsSync(sample).length);
});

test.run();
