// Zeek's TCP analyzers read the reassembled stream, so how a sender cut its bytes into segments
// must not change what they find. Every TCP data segment of the reference captures (Zeek's, nDPI's)
// is cut into smaller valid segments, the same bytes in the same order (helpers/resegment.ts), and
// each connection must come out as before: its services, its bytes each way, its state, missed
// bytes and duration. (Its packet counts change, and so may the number of retransmission letters in
// its history, which Zeek logs at 1, 10, 100, ... of them.) The pieces may also be captured out of
// order, or twice.
//
// Where Zeek itself reads per segment, services may differ (SEGMENT_BOUND below); nothing else may.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { resegment, type Arrange, type Cuts } from "./helpers/resegment.js";
import { seeded } from "./helpers/seeded.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { compareRewritten, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("re-segmented captures");

/** Connections whose services Zeek decides per segment, not per stream, and why. */
const SEGMENT_BOUND: { applies: (row: Row, capture: string) => boolean; why: string }[] = [
  {
    applies: (r) => /\b(imap|xmpp|mqtt|socks)\b/.test(r.service),
    why: "binpac datagram flows on TCP (IMAP, XMPP, MQTT, SOCKS): each segment is parsed on its own",
  },
  {
    applies: (r) => r["id.resp_p"] === "445" || r["id.resp_p"] === "139",
    why: "SMB starts at a segment that begins with an SMB header and confirms after three segments; what it carries (GSSAPI, KRB, NTLM, DCE-RPC) follows it",
  },
  {
    applies: (_r, capture) => capture.endsWith("http_connect_smtp/connect-with-smtp.pcap"),
    why: "HTTP CONNECT: the LF of the reply's last CRLF, when it comes in a segment of its own, is the tunnel's first byte",
  },
];

const integers = (n: number) => [...Array(n).keys()];

const randomCuts = (seed: number, k: number): Cuts => {
  const r = seeded(seed);
  return (n) => integers(k).map(() => 1 + Math.floor(r() * (n - 1)));
};

const VARIANTS: { name: string; cuts: () => Cuts; arrange?: Arrange }[] = [
  { name: "cut in two at a random byte (seed 1)", cuts: () => randomCuts(1, 1) },
  { name: "cut at three random bytes (seed 2)", cuts: () => randomCuts(2, 3) },
  { name: "the first byte a segment of its own", cuts: () => () => [1] },
  { name: "the last byte a segment of its own", cuts: () => (n) => [n - 1] },
  { name: "the first 16 bytes a segment each", cuts: () => () => integers(16).map((i) => i + 1) },
  // out of order: held above the hole until the first piece fills it (which comes first, so that a
  // connection seen without its SYN starts its sequence numbers where it did)
  { name: "cut at three random bytes (seed 3), the pieces after the first in reverse order", cuts: () => randomCuts(3, 3), arrange: (p) => [p[0], ...p.slice(1).reverse()] },
  // retransmitted: each piece again after the last
  { name: "cut at three random bytes (seed 4), each piece captured twice", cuts: () => randomCuts(4, 3), arrange: (p) => [...p, ...p] },
];

const COLUMNS = ["orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "duration"];

/** The columns that must not change, and the service unless Zeek reads it per segment. */
function compare(a: Row, b: Row, file: string): string[] {
  const out = COLUMNS.filter((c) => a[c] !== b[c]).map((c) => `${c} ${a[c]} -> ${b[c]}`);
  const bound = SEGMENT_BOUND.some((s) => s.applies(a, file) || s.applies(b, file));
  if (a.service !== b.service && !bound) out.push(`service ${a.service} -> ${b.service}`);
  return out;
}

if (HAVE_CAPTURES) {
  for (const variant of VARIANTS) {
    test(`re-segmented reference captures, ${variant.name}: the same connections, services, bytes and states`, () => {
      const { differences, rewritten } = compareRewritten((c) => resegment(c, variant.cuts(), variant.arrange), compare);
      assert.ok(rewritten > 5000, `only ${rewritten} segments cut`);
      assert.equal(differences, []);
    });
  }
}

test.run();
