// A capture rotated into several files (tcpdump -C, -G; editcap -c) and named in order is one
// capture: connections carry over from one file to the next, and nothing ends at a file's end.
// Every reference capture (Zeek's, nDPI's) is split with editcap -c into files of N packets each,
// and the files read in order through one engine, as `zk-stream conn A B C` reads them, must give
// every conn.log row of the whole file, column for column (uid too: the same packets in the same
// order). N: a third of the capture, and 1 (every packet a file of its own) for captures of up to
// 300 packets.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine.js";
import type { ConnRecord } from "../src/conn.js";
import { sh } from "./helpers/cli.js";
import { asRows, collectRecords } from "./helpers/conn.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, referenceCaptures, rowDifferences, rowKey, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("captures split into files");

/** Each connection's conn.log row, by its key and start, from the files read in order. */
function rowsOfFiles(files: Buffer[]): Map<string, Row> {
  const records: ConnRecord[] = [];
  const engine = new Engine({ by: ["src", "service"], onRecords: collectRecords(records) });
  files.forEach((f, i) => {
    engine.beginFile();
    engine.write(f);
    const result = engine.endFile(`piece ${i}`);
    if (result.error) throw new Error(`piece ${i}: ${result.error.name} at byte ${result.error.offset}`);
  });
  engine.end();
  return new Map(asRows(records).map((r) => [rowKey(r), r]));
}

/** The capture split by editcap -c into files of `packets` packets, in order. */
function split(file: string, packets: number, dir: string): Buffer[] {
  rmSync(dir, { recursive: true, force: true });
  const r = sh(`mkdir -p '${dir}' && editcap -c ${packets} '${file}' '${join(dir, "piece")}'`);
  assert.is(r.code, 0, r.stderr);
  return readdirSync(dir).sort().map((name) => readFileSync(join(dir, name)));
}

if (HAVE_CAPTURES) test("reference captures split into files (editcap -c), read in order: every conn.log row of the whole file", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-split-"));
  const differences: string[] = [];
  let splits = 0;
  try {
    for (const ref of referenceCaptures()) {
      const packets = Number(sh(`capinfos -T -r -c '${ref.file}'`).stdout.trim().split("\t")[1]);
      assert.ok(packets > 0, `${ref.name}: capinfos counts its packets`);
      for (const n of [Math.ceil(packets / 3), ...(packets <= 300 ? [1] : [])]) {
        const pieces = split(ref.file, n, join(dir, "out"));
        if (pieces.length < 2) continue;
        splits++;
        differences.push(...rowDifferences(`${ref.name} in files of ${n}`, ref.rows, rowsOfFiles(pieces), (a, b) => changedFields(a, b)));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  ${splits} splits`);
  assert.ok(splits > 100, `only ${splits} captures split`);
  assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
});

test.run();
