// gzip's framing, read by src/gunzip.ts: members one after another, their headers' optional fields,
// their trailers' checks, and what follows the last member. zlib's own reader (gunzipSync) is the
// reference for what a member holds and for the words of each kind of damage.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync } from "node:zlib";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipMembers } from "../src/gunzip.js";
import { REPO } from "./helpers/captures.js";
import { zk } from "./helpers/cli.js";
import { udpFlows } from "./helpers/packets.js";
// @ts-expect-error: a plain ES module without types
import { runInProcess } from "../scripts/fuzz.mjs";

const SAMPLE = readFileSync(join(REPO, "examples/sample.pcap"));
const SAMPLE_PACKETS = 136; // examples/SOURCE.md
const CHUNKS = [1, 7, 4096, 1 << 20];

interface Result { exit: number; error: { layer: string; offset: number; reason: string } | null; stats: { records_read: number }; rows: string }
const inProcess = (bytes: Buffer, chunk: number): Promise<Result> => runInProcess({ bytes, ignoreChecksums: false }, { kind: "fixed", size: chunk });

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };

/** A gzip member written field by field (RFC 1952), with every optional header field. */
function member(data: Buffer, damage: { headerCrc?: boolean; method?: number; flags?: number; length?: boolean } = {}): Buffer {
  const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;
  const header = Buffer.concat([
    Buffer.from([0x1f, 0x8b, damage.method ?? 8, (damage.flags ?? 0) | FHCRC | FEXTRA | FNAME | FCOMMENT, 0, 0, 0, 0, 0, 3]),
    Buffer.from([6, 0]), Buffer.from("ZK\x02\x00\x00\x01"),           // FEXTRA: one 6-byte subfield
    Buffer.from("sample.pcap\0"), Buffer.from("a comment\0"),
  ]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE((crc32(header) ^ (damage.headerCrc ? 1 : 0)) & 0xffff);
  return Buffer.concat([header, hcrc, deflateRawSync(data), u32(crc32(data)), u32(data.length + (damage.length ? 1 : 0))]);
}

function zlibMessage(bytes: Buffer): string {
  try {
    gunzipSync(bytes);
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

test("a member with every optional header field (extra, name, comment, header CRC) inflates to what zlib reads", async () => {
  const gz = member(SAMPLE);
  assert.ok(gunzipSync(gz).equals(SAMPLE), "zlib reads the member as written");
  const plain = await inProcess(SAMPLE, 1 << 20);
  for (const chunk of CHUNKS) {
    const r = await inProcess(gz, chunk);
    assert.equal([r.exit, r.error, r.stats, r.rows], [0, null, plain.stats, plain.rows], `chunks of ${chunk}`);
  }
});

test("members one after another (a split capture, as bgzip or pigz --independent write, and an empty member) read as the whole", async () => {
  const gz = Buffer.concat([gzipSync(SAMPLE.subarray(0, 1000)), gzipSync(Buffer.alloc(0)), member(SAMPLE.subarray(1000, 20_001)), gzipSync(SAMPLE.subarray(20_001))]);
  assert.ok(gunzipSync(gz).equals(SAMPLE), "zlib reads the members as the whole");
  const plain = await inProcess(SAMPLE, 1 << 20);
  for (const chunk of CHUNKS) {
    const r = await inProcess(gz, chunk);
    assert.equal([r.exit, r.error, r.stats, r.rows], [0, null, plain.stats, plain.rows], `chunks of ${chunk}`);
  }
  const padded = await inProcess(Buffer.concat([gz, Buffer.alloc(3000)]), 4096);
  assert.equal([padded.exit, padded.error, padded.stats], [0, null, plain.stats], "zero bytes after the last member are padding");
});

test("damage in gzip's framing: zlib's words for it, exit 3, and every packet inflated before it counted, in any chunking", async () => {
  const whole = member(SAMPLE);
  const cases: [string, Buffer, number][] = [
    ["header CRC", member(SAMPLE, { headerCrc: true }), 0],
    ["compression method", member(SAMPLE, { method: 7 }), 0],
    ["reserved flag", member(SAMPLE, { flags: 0x20 }), 0],
    ["header cut", whole.subarray(0, 15), 0],
    ["length in the trailer", member(SAMPLE, { length: true }), SAMPLE.length],
    ["CRC in the trailer", Buffer.concat([whole.subarray(0, -8), u32(crc32(SAMPLE) ^ 4), whole.subarray(-4)]), SAMPLE.length],
    ["trailer cut", whole.subarray(0, -3), SAMPLE.length],
  ];
  for (const [name, bytes, inflated] of cases) {
    const words = zlibMessage(bytes);
    assert.ok(words !== "", `${name}: zlib finds it`);
    for (const chunk of CHUNKS) {
      const r = await inProcess(bytes, chunk);
      assert.is(r.exit, 3, `${name}, chunks of ${chunk}`);
      assert.equal([r.error?.layer, r.error?.offset], ["gzip", inflated], `${name}, chunks of ${chunk}`);
      assert.is(r.error!.reason, `${words} (offset in the decompressed stream)`, name);
      assert.is(r.stats.records_read, inflated === 0 ? 0 : SAMPLE_PACKETS, `${name}, chunks of ${chunk}`);
    }
  }
});

test("trailing garbage after a complete gzip stream: every packet counted, then exit 3 naming where the gzip data ends, from a file, a pipe and any chunking", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-gunzip-"));
  try {
    for (const [name, plain] of [["sample", SAMPLE], ["udp flows", udpFlows(60_000)]] as const) {
      const gz = gzipSync(plain);
      const bytes = Buffer.concat([gz, Buffer.from("appended by a transfer tool\n"), Buffer.alloc(100)]);
      assert.ok(zlibMessage(bytes) !== "", `${name}: zlib's gunzip fails on it`);
      const whole = zk(["top", "--stats", "--no-progress", "-"], plain);
      const packets = JSON.parse(whole.stderr.trim().split("\n").pop()!).records_read;
      const message = `byte ${plain.length}: gzip: trailing garbage from compressed byte ${gz.length}, after gzip data whose checks passed (not another gzip member) (offset in the decompressed stream)`;
      const file = join(dir, "appended.pcap.gz");
      writeFileSync(file, bytes);
      for (const [how, run] of [["file", zk(["top", "--stats", "--no-progress", file])], ["pipe", zk(["top", "--stats", "--no-progress", "-"], bytes)]] as const) {
        assert.is(run.code, 3, `${name} from a ${how}: ${run.stderr}`);
        assert.ok(run.stderr.includes(message), `${name} from a ${how}: ${run.stderr}`);
        assert.is(JSON.parse(run.stderr.trim().split("\n").pop()!).records_read, packets, `${name} from a ${how}: every packet`);
        assert.is(run.stdout, whole.stdout, `${name} from a ${how}: the rows of the whole`);
      }
      for (const chunk of name === "sample" ? CHUNKS : [1 << 20]) {
        const r = await inProcess(bytes, chunk);
        assert.equal([r.exit, r.error?.offset, r.stats.records_read], [3, plain.length, packets], `${name}, chunks of ${chunk}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("damaged deflate data met while zlib is paused for a slow reader: every byte zlib put out before it is still handed on", async () => {
  // 1.5 MB whose deflate data ends in a sync flush exactly at a 64 KiB piece of the compressed
  // stream (the extra field pads the header), then an invalid block type: zlib fails on the first
  // call of the next piece. A reader slower than zlib keeps more than 1 MiB queued, so zlib is
  // paused and holds its last window of the piece before, which the error must not take with it.
  let seed = 1;
  const data = Buffer.from(Array.from({ length: 1_500_000 }, () => 0x41 + (((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) % 4)));
  const body = deflateRawSync(data, { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
  const xlen = 65536 * Math.ceil((body.length + 12) / 65536) - 12 - body.length;
  const header = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, xlen & 0xff, xlen >> 8]);
  const bytes = Buffer.concat([header, Buffer.alloc(xlen), body, Buffer.from([0x07]), Buffer.alloc(8)]);
  assert.match(zlibMessage(bytes), /invalid block type/);
  for (const pause of [0, 3]) {
    let out = 0;
    let failure = "";
    async function* chunks() { for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536); }
    try {
      for await (const d of gunzipMembers(Buffer.alloc(0), chunks(), 16 << 10)) {
        out += d.length;
        if (pause) await sleep(pause);
      }
    } catch (e) {
      failure = (e as Error).message;
    }
    assert.equal([out, failure], [data.length, "invalid block type"], `a reader pausing ${pause} ms a window`);
  }
});

test.run();
