// Time stamps finer than the microsecond, as Zeek sees them. Zeek reads a capture through libpcap
// at microsecond precision (pcap_open_offline), which cuts a nanosecond pcap's or a pcapng
// interface's finer fraction down to the microsecond; every timer then runs on that time. So a
// capture written at a finer resolution, with any part below the microsecond, must give every
// conn.log row its microsecond pcap gives, uid included.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh } from "./helpers/cli.js";
import { udpFlows } from "./helpers/packets.js";
import { seeded } from "./helpers/seeded.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, connectionRows, referenceCaptures, rowDifferences, type Row } from "./helpers/rewritten.js";
import { asNanosecondPcap, asPcapng, type Jitter } from "./helpers/timestamps.js";

noteMissingCaptures("reference captures at finer time stamp resolutions");

/** The ways a microsecond pcap is written finer: each with the nanoseconds it adds. */
function variants(usPcap: Buffer, jitter: Jitter): [string, Buffer][] {
  return [
    ["nanosecond pcap", asNanosecondPcap(usPcap, jitter)],
    ["nanosecond pcap, big-endian", asNanosecondPcap(usPcap, jitter, false)],
    ["pcapng at 10^-9 s with if_tsoffset", asPcapng(usPcap, { exp: 9 }, jitter, { offset: true })],
    ["pcapng at 2^-30 s, big-endian", asPcapng(usPcap, { exp: 30, binary: true }, jitter, { le: false })],
  ];
}

const everyField = (a: Row, b: Row) => changedFields(a, b);

test("a UDP gap of 60 s in microseconds and 59.999999001 s in nanoseconds ends the connection, as Zeek's timer", () => {
  // one UDP packet to port 9999 (no analyzer's timer), then the same one 60 s later
  const one = udpFlows(1, 1_700_000_000);
  one.writeUInt16BE(9999, 24 + 16 + 14 + 22);
  const second = Buffer.from(one.subarray(24));
  second.writeUInt32LE(1_700_000_060, 0);
  const usPcap = Buffer.concat([one, second]);
  const usRows = connectionRows(usPcap);
  assert.is(usRows.size, 2, "60 s of inactivity: a second connection");
  // the first packet 999 ns into its microsecond, the second 0: 59.999999001 s apart
  for (const [name, capture] of variants(usPcap, (i) => (i === 0 ? 999 : 0))) {
    assert.equal(rowDifferences(name, usRows, connectionRows(capture), everyField), [], name);
  }
});

if (HAVE_CAPTURES) test("reference captures at nanosecond and 2^-30 s resolutions, any part below the microsecond: every conn.log row", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-timestamps-"));
  const differences: string[] = [], unconverted: string[] = [];
  let captures = 0;
  try {
    for (const ref of referenceCaptures()) {
      // the capture as a microsecond pcap (editcap refuses a pcapng with several link types)
      const usFile = join(dir, "us.pcap");
      const r = sh(`editcap -F pcap '${ref.file}' '${usFile}'`);
      if (r.code !== 0) { unconverted.push(ref.name); continue; }
      const usPcap = readFileSync(usFile);
      const usRows = connectionRows(usPcap);
      captures++;
      const random = seeded(captures), alternating: Jitter = (i) => (i % 2 === 0 ? 999 : 0);
      const randomJitter: Jitter = () => Math.floor(random() * 1000);
      for (const [jitterName, jitter] of [["random", randomJitter], ["999 ns, 0 in turn", alternating]] as const) {
        for (const [name, capture] of variants(usPcap, jitter)) {
          differences.push(...rowDifferences(`${ref.name} as ${name} (${jitterName})`, usRows, connectionRows(capture), everyField));
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  ${captures} captures, 8 variants each; not converted (several link types): ${unconverted.join(", ") || "none"}`);
  assert.ok(captures > 90, `only ${captures} captures converted`);
  assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
});

test.run();
