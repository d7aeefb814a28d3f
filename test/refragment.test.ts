// Zeek reassembles IP fragments before anything else reads a packet, and counts a reassembled
// datagram as one packet of its whole length. So the reference captures (Zeek's, nDPI's) with every
// datagram sent in fragments (helpers/refragment.ts) must give every connection's conn.log row as
// before, column for column (its uid aside): services, bytes, packets, IP bytes, history, state.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { refragment, type Arrange, type Cuts } from "./helpers/refragment.js";
import { seeded } from "./helpers/seeded.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { compareRewritten, type Row } from "./helpers/rewritten.js";

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

/** Every column but the uid. */
function compare(a: Row, b: Row): string[] {
  const { uid: _a, ...x } = a, { uid: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y) ? [] : [`\n  ${JSON.stringify(x)}\n  ${JSON.stringify(y)}`];
}

if (HAVE_CAPTURES) {
  for (const variant of VARIANTS) {
    test(`re-fragmented reference captures, ${variant.name}: every conn.log row as before`, () => {
      const { differences, rewritten } = compareRewritten((c) => refragment(c, variant.cuts(), variant.arrange), compare);
      assert.ok(rewritten > 10000, `only ${rewritten} datagrams fragmented`);
      assert.equal(differences, []);
    });
  }
}

test.run();
