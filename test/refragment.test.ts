// Zeek reassembles IP fragments before anything else reads a packet, and counts a reassembled
// datagram as one packet of its whole length. So the reference captures (Zeek's, nDPI's) with every
// datagram sent in fragments (helpers/refragment.ts) must give every connection's conn.log row as
// before, column for column (its uid aside): services, bytes, packets, IP bytes, history, state.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { refragment, type Arrange, type Cuts } from "./helpers/refragment.js";
import { seeded } from "./helpers/seeded.js";
import { CAPTURES, HAVE_CAPTURES, capturesUnder, noteMissingCaptures } from "./helpers/captures.js";
import { runTrace, asRows, keyOf } from "./helpers/conn.js";

noteMissingCaptures("re-fragmented captures");

const randomCuts = (seed: number, k: number): Cuts => {
  const r = seeded(seed);
  return (n) => [...Array(k).keys()].map(() => Math.floor(r() * n));
};

const VARIANTS: { name: string; cuts: () => Cuts; arrange?: Arrange }[] = [
  { name: "in two halves", cuts: () => (n) => [n >> 1] },
  // the transport header split: a TCP header's second half (flags, checksum) in the next fragment
  { name: "the first 8 bytes a fragment of their own", cuts: () => () => [8] },
  { name: "cut at three random bytes (seed 1)", cuts: () => randomCuts(1, 3) },
  { name: "cut at three random bytes (seed 2), the fragments in reverse order", cuts: () => randomCuts(2, 3), arrange: (f) => f.slice().reverse() },
  { name: "cut at three random bytes (seed 3), the first fragment twice", cuts: () => randomCuts(3, 3), arrange: (f) => [f[0], ...f] },
];

/** Each connection's conn.log row without its uid, by its key and start. */
function connections(capture: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const { uid: _uid, ...row } of asRows(runTrace(capture, { by: ["src", "service"] }).records)) {
    out.set(`${keyOf(row)} ${row.ts}`, JSON.stringify(row));
  }
  return out;
}

if (HAVE_CAPTURES) {
  const files = ["zeek", "zeek-protocols", "ndpi"].flatMap((d) => capturesUnder(join(CAPTURES, d)));
  const original = new Map(files.map((f) => [f, readFileSync(f)]));
  const before = new Map(files.map((f) => [f, connections(original.get(f)!)]));

  for (const variant of VARIANTS) {
    test(`re-fragmented reference captures, ${variant.name}: every conn.log row as before`, () => {
      const differences: string[] = [];
      let datagrams = 0;
      for (const f of files) {
        const { capture, fragmented } = refragment(original.get(f)!, variant.cuts(), variant.arrange);
        datagrams += fragmented;
        const after = connections(capture);
        const name = f.slice(CAPTURES.length + 1);
        for (const [key, a] of before.get(f)!) if (after.get(key) !== a) differences.push(`${name}: ${key}\n  ${a}\n  ${after.get(key)}`);
        for (const key of after.keys()) if (!before.get(f)!.has(key)) differences.push(`${name}: ${key} new`);
      }
      assert.ok(datagrams > 10000, `only ${datagrams} datagrams fragmented`);
      assert.equal(differences, []);
    });
  }
}

test.run();
