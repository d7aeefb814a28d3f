// The core's conn records (src/conn.ts, layout in assembly/records.ts) decoded and written as
// conn.log rows: nanosecond times become microseconds, and 64-bit counters numbers, without a
// BigInt per field (checked against BigInt arithmetic at the edges of that shortcut); the ASCII
// rows, written as bytes straight from the records, against plain string formatting of the
// decoded fields.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeConnRecords, type ConnRecord } from "../src/conn.js";
import { CONN_RECORD_SIZE } from "../src/wasm/core.js";
import { ZeekConnWriter, ConnRowWriter, LocalNets, connObject, seconds } from "../src/format/conn.js";
import { AsciiBytes } from "../src/format/bytes.js";
import { uid } from "../src/uid.js";

interface Fields { ipVer?: number; proto?: number; state?: number; orig?: number[]; resp?: number[]; ports?: [number, number]; serial?: bigint; services?: number[]; tunnels?: bigint[]; history?: string }

/** The bytes of one record with start `ts` and duration `dur` (ns), `count` in every 64-bit counter. */
function recordBytes(ts: bigint, dur: bigint, count: bigint, f: Fields = {}): Uint8Array {
  const bytes = new Uint8Array(CONN_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = f.ipVer ?? 4;
  bytes[1] = f.proto ?? 6;
  bytes[2] = f.state ?? 2;
  view.setUint16(4, f.ports?.[0] ?? 0, true);
  view.setUint16(6, f.ports?.[1] ?? 0, true);
  view.setBigInt64(8, ts, true);
  view.setBigInt64(16, dur, true);
  view.setBigUint64(24, f.serial ?? 0n, true);
  bytes.set(f.orig ?? [], 32);
  bytes.set(f.resp ?? [], 48);
  for (const at of [64, 72, 80, 88, 96, 104, 112]) view.setBigUint64(at, count, true);
  (f.services ?? []).forEach((id, i) => { bytes[i < 4 ? 128 + i : 204 + i] = id; });
  (f.tunnels ?? []).forEach((t, i) => view.setBigUint64(i === 0 ? 120 : 200, t + 1n, true));
  const h = f.history ?? "";
  bytes[3] = h.length;
  for (let i = 0; i < h.length; i++) bytes[136 + i] = h.charCodeAt(i);
  return bytes;
}

function decoded(bytes: Uint8Array): ConnRecord {
  const out: ConnRecord[] = [];
  decodeConnRecords(bytes, new DataView(bytes.buffer), out);
  return out[0];
}

function record(ts: bigint, dur: bigint, count: bigint): ConnRecord {
  return decoded(recordBytes(ts, dur, count));
}

/** The reference: BigInt arithmetic, as the decoder did it before (start and end cut to
 *  microseconds, the duration their difference). */
const usRef = (ns: bigint) => Number(ns / 1000n);

test("start and duration: microseconds cut from nanoseconds, exact across 2^32 and 2^53 boundaries", () => {
  const starts = [
    0n, 999n, 1000n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 999n, 1_700_000_000_123_456_789n,
    (1n << 53n) + 1n, 1_999_999_999n << 32n, 2_000_000_000n << 32n, (1n << 63n) - 1_000_000n,
  ];
  const durations = [0n, 1n, 999n, 1000n, 4_294_967_295n, 4_294_967_296n, 86_400_000_000_123n];
  for (const ts of starts) {
    for (const dur of durations) {
      if (ts + dur >= 1n << 63n) continue;
      const r = record(ts, dur, 0n);
      assert.is(r.tsUs, usRef(ts), `ts ${ts}`);
      assert.is(r.durationUs, usRef(ts + dur) - usRef(ts), `ts ${ts} + ${dur}`);
    }
  }
});

test("before 1970: negative times as the reference has them", () => {
  for (const [ts, dur] of [[-1_500n, 1_000n], [-(1n << 32n) - 5n, 10n], [-1n, 1n]]) {
    const r = record(ts, dur, 0n);
    assert.is(r.tsUs, usRef(ts), `ts ${ts}`);
    assert.is(r.durationUs, usRef(ts + dur) - usRef(ts), `ts ${ts} + ${dur}`);
  }
});

test("64-bit counters above 2^32 come out exact", () => {
  for (const c of [0n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 7n, (1n << 52n) + 3n]) {
    const r = record(0n, 0n, c);
    for (const v of [r.origBytes, r.respBytes, r.missedBytes, r.origPkts, r.origIpBytes, r.respPkts, r.respIpBytes]) {
      assert.is(v, Number(c));
    }
  }
});

/** The reference row: each decoded field as a string, unset ones "-" (Zeek's ASCII log). */
function referenceRow(r: ConnRecord, local?: LocalNets): string {
  const timed = r.durationUs > 0;
  const unset = (v: string | undefined) => v ?? "-";
  return [
    seconds(r.tsUs), uid(r.serial), r.origH, String(r.origP), r.respH, String(r.respP), r.proto,
    unset(r.services.length > 0 ? r.services.join(",") : undefined),
    unset(timed ? seconds(r.durationUs) : undefined),
    unset(timed ? String(r.origBytes) : undefined),
    unset(timed ? String(r.respBytes) : undefined),
    r.connState,
    local ? (local.has(r.origH) ? "T" : "F") : "-",
    local ? (local.has(r.respH) ? "T" : "F") : "-",
    String(r.missedBytes),
    unset(r.history.length > 0 ? r.history : undefined),
    String(r.origPkts), String(r.origIpBytes), String(r.respPkts), String(r.respIpBytes),
    unset(r.tunnelParents.length > 0 ? r.tunnelParents.map(uid).join(",") : undefined),
    String(r.ipProto),
  ].join("\t") + "\n";
}

const TUPLE = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"];

/** The reference JSON row: connObject's fields (the events' conn object), ts and duration as the
 *  ASCII log's six-decimal text (a JSON number still). */
function referenceJson(r: ConnRecord, local?: LocalNets): string {
  return "{" + Object.entries(connObject(r, local)).map(([k, v]) =>
    `${JSON.stringify(k)}:${k === "ts" ? seconds(r.tsUs) : k === "duration" ? seconds(r.durationUs) : JSON.stringify(v)}`).join(",") + "}\n";
}

test("rows written from the record bytes: the decoded fields as plain strings (ASCII) and as connObject has them (JSON), at every edge", () => {
  const v4a = [...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1], v4b = [...new Array(10).fill(0), 0xff, 0xff, 192, 168, 255, 254];
  const v6a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], v6b = [0xfe, 0x80, ...new Array(13).fill(0), 0x0a];
  const shapes: Fields[] = [
    { orig: v4a, resp: v4b, ports: [65535, 80], services: [1], history: "ShADadFf", serial: 0n },
    { ipVer: 6, proto: 17, state: 12, orig: v6a, resp: v6b, ports: [0, 53], services: [1, 2, 3, 4, 5], tunnels: [3n, (1n << 40n) + 5n], serial: 1n << 40n },
    { proto: 1, state: 0, orig: v4b, resp: v4a, serial: (1n << 53n) - 1n, history: "^hADadfR" },
    { proto: 132, state: 99, orig: v4a, resp: v4a, tunnels: [0n] },
  ];
  const times: [bigint, bigint][] = [[0n, 0n], [1_700_000_000_123_456_789n, 86_400_000_000_123n], [-1_500n, 1_000n], [-(1n << 32n) - 5n, 10n], [(1n << 63n) - 1_000_000n, 999n], [999n, 1n]];
  const counts = [0n, 9n, 10n, (1n << 32n) + 7n, (1n << 53n) - 1n, 1n << 60n, (1n << 64n) - 1n];
  const local = new LocalNets(["10.0.0.0/8", "2001:db8::/32"]);
  const out = new AsciiBytes();
  let n = 0;
  for (const f of shapes) {
    for (const [ts, dur] of times) {
      for (const c of counts) {
        const bytes = recordBytes(ts, dur, c, f);
        const r = decoded(bytes);
        for (const nets of [undefined, local]) {
          const what = `shape ${shapes.indexOf(f)}, ts ${ts} + ${dur}, count ${c}`;
          new ZeekConnWriter(nets).rows(bytes, new DataView(bytes.buffer), out);
          assert.is(out.take().toString("latin1"), referenceRow(r, nets), what);
          new ConnRowWriter("json", nets).rows(bytes, new DataView(bytes.buffer), out);
          const json = out.take().toString("latin1");
          assert.is(json, referenceJson(r, nets), what);
          JSON.parse(json); // valid JSON
          if (nets === undefined) {
            // a connection_end event's fields after its tuple: connObject's, as JSON.stringify writes them
            new ConnRowWriter("event").rows(bytes, new DataView(bytes.buffer), out);
            const rest = Object.fromEntries(Object.entries(connObject(r)).filter(([k]) => !TUPLE.includes(k)));
            assert.is(out.take().toString("latin1"), "," + JSON.stringify(rest).slice(1) + "\n", what);
          }
          n++;
        }
      }
    }
  }
  // a batch of several records: their rows in order
  const batch = new Uint8Array(3 * CONN_RECORD_SIZE);
  shapes.slice(0, 3).forEach((f, i) => batch.set(recordBytes(BigInt(i) * 1_000_000_007n, 5n, BigInt(i), f), i * CONN_RECORD_SIZE));
  new ZeekConnWriter().rows(batch, new DataView(batch.buffer), out);
  const want: ConnRecord[] = [];
  decodeConnRecords(batch, new DataView(batch.buffer), want);
  assert.is(out.take().toString("latin1"), want.map((r) => referenceRow(r)).join(""));
  assert.ok(n > 300);
});

test("AsciiBytes: every kind of write across its growth, from a 1-byte buffer up, as the same text built as a string", () => {
  let seed = 7;
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:,-\t";
  for (const size of [1, 7, 16, 64]) {
    const out = new AsciiBytes(size);
    let want = "";
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2000; i++) {
        switch (rand(5)) {
          case 0: { // a string of 0 to 200 characters: both of text()'s ways
            let s = "";
            for (let n = rand(200); n > 0; n--) s += letters[rand(letters.length)];
            out.text(s); want += s;
            break;
          }
          case 1: { // integers up to 2^64, past 2^53 where String() takes over
            const n = [rand(10), rand(1e6), 2 ** 32 + rand(1e6), 2 ** 53 - 1 - rand(10), 2 ** 53 + 2 * rand(1e6), 2 ** 64][rand(6)];
            out.uint(n); want += String(n);
            break;
          }
          case 2: { const n = rand(1e6); out.padded(n, 6); want += String(n).padStart(6, "0"); break; }
          case 3: { const c = 0x20 + rand(95); out.byte(c); want += String.fromCharCode(c); break; }
          default: {
            const from = Buffer.from(letters, "latin1"), a = rand(from.length), b = a + rand(from.length - a + 1);
            out.copy(from, a, b); want += letters.slice(a, b);
          }
        }
      }
      assert.is(out.take().toString("latin1"), want, `first buffer of ${size} bytes, round ${round}`);
      want = ""; // take() empties it; the grown buffer is kept
    }
  }
});

test.run();
