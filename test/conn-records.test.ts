// Decoding the core's conn records (src/conn.ts, layout in assembly/records.ts): nanosecond times
// become microseconds, and 64-bit counters numbers, without a BigInt per field. Checked against
// BigInt arithmetic at the edges of that shortcut.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeConnRecords, type ConnRecord } from "../src/conn.js";
import { CONN_RECORD_SIZE } from "../src/wasm/core.js";

/** One record with start `ts` and duration `dur` (ns), and `count` in every 64-bit counter. */
function record(ts: bigint, dur: bigint, count: bigint): ConnRecord {
  const bytes = new Uint8Array(CONN_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = 4;
  bytes[1] = 6;
  view.setBigInt64(8, ts, true);
  view.setBigInt64(16, dur, true);
  for (const at of [64, 72, 80, 88, 96, 104, 112]) view.setBigUint64(at, count, true);
  const out: ConnRecord[] = [];
  decodeConnRecords(bytes, view, out);
  return out[0];
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

test.run();
