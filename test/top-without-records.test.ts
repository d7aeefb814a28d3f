// A `top` run writes no conn records, so it skips the work only they show: the TCP reassembler's
// gap tracking ('G' in the history, missed_bytes; assembly/flow/tcp.ts) and, counting connections,
// the protocol detection nothing could still change (test/detect.release.test.ts). Every capture
// of ../shared/captures, and a generated one with gaps, must give the same rows without conn
// records as with them; the conn records themselves are checked against Zeek's (golden-conn).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { EngineOptions } from "../src/engine.js";
import { CAPTURES, HAVE_CAPTURES, capturesUnder, noteMissingCaptures } from "./helpers/captures.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";
import { asRows, runTrace, withAndWithoutRecords } from "./helpers/conn.js";
import { pcapRecords } from "./helpers/packets.js";

const KEYS: EngineOptions[] = [
  { by: ["src"] },
  { by: ["src", "dport"], metrics: ["conns"] },
];

function sameRows(pcap: Uint8Array, options: EngineOptions, name: string): void {
  const { without, withRecords } = withAndWithoutRecords(pcap, options);
  assert.equal(without.top(1_000_000), withRecords.top(1_000_000), `${name} ${JSON.stringify(options)}`);
}

test("a generated capture, whose packets skip sequence numbers: the same rows with and without conn records", () => {
  // drop every 50th packet: the TCP streams get holes, which the reassembler counts as gaps (the
  // first packets are mostly sessions starting: 80,000 give about 100 connections with a gap)
  const { data } = generateCaptureBuffer({ packets: 80_000, seed: 7 });
  const kept: Buffer[] = [Buffer.from(data.subarray(0, 24))];
  pcapRecords(data).forEach(({ offset, length }, i) => {
    if (i % 50 !== 49) kept.push(Buffer.from(data.subarray(offset, offset + length)));
  });
  const holed = Buffer.concat(kept);
  const conns = asRows(runTrace(holed).records);
  const gapped = conns.filter((r) => Number(r.missed_bytes) > 0 && /g/i.test(r.history)).length;
  assert.ok(gapped >= 50, `${gapped} connections with gaps in conn.log`);
  for (const options of KEYS) sameRows(holed, options, "generated, holed");
});

if (!HAVE_CAPTURES) {
  noteMissingCaptures("top-without-records.test.ts");
} else {
  test("every capture: the same rows with and without conn records", () => {
    const files = capturesUnder(CAPTURES);
    assert.ok(files.length > 200, `${files.length} captures under ${CAPTURES}`);
    for (const file of files) {
      const pcap = readFileSync(file);
      for (const options of KEYS) sameRows(pcap, options, relative(CAPTURES, file));
    }
  });
}

test.run();
