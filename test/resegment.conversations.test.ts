// The analyzers the reference captures lack or barely cover (PostgreSQL, LDAP, Finger, Redis,
// WebSocket, RFB, RDP, ...), on conversations built from their specifications
// (helpers/conversations.ts), with their messages cut into segments in many ways: Zeek reads each
// as a stream, so the services must not change. (test/resegment.test.ts does the same to the
// reference captures.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf } from "./helpers/conn.js";
import { messagesInTurn } from "./helpers/detect-pcap.js";
import { conversations, type Convo, type Msg } from "./helpers/conversations.js";
import { seeded } from "./helpers/seeded.js";
import { pieceBounds } from "./helpers/rewrite-frames.js";

const services = (port: number, msgs: Msg[]) =>
  servicesOf(messagesInTurn(port, msgs)).map((s) => s.split(",").sort().join(",")).join(" ");

/** The messages with message i cut at cuts[i] (offsets in (0, its length)). */
function cutAt(msgs: Msg[], cuts: number[][]): Msg[] {
  return msgs.flatMap(([fromClient, b], i) => {
    const bounds = pieceBounds(cuts[i] ?? [], b.length) ?? [0, b.length];
    return bounds.slice(1).map((end, j): Msg => [fromClient, b.subarray(bounds[j], end)]);
  });
}

/** Where Zeek itself reads per segment: the services expected for these cuts. WebSocket: the LF of
 *  the 101 reply's last CRLF, in a segment of its own, reaches the WebSocket analyzer (Zeek's
 *  content lines end a line at a CR that ends a segment), whose frame header it breaks. */
function expected(c: Convo, cuts: number[][]): string {
  const sorted = c.expect.split(",").sort().join(",");
  if (c.name === "websocket" && (cuts[1] ?? []).includes(c.msgs[1][1].length - 1)) return "http";
  return sorted;
}

const integers = (n: number) => [...Array(n).keys()];
const everyByte = (n: number) => integers(n - 1).map((k) => k + 1);

for (const c of conversations()) {
  test(`${c.name} on port ${c.port}: the same services however its messages are cut into segments`, () => {
    const failed: string[] = [];
    const check = (what: string, cuts: number[][]) => {
      const want = expected(c, cuts), got = services(c.port, cutAt(c.msgs, cuts));
      if (got !== want) failed.push(`${what}: ${got}, expected ${want}`);
    };
    check("whole", []);
    c.msgs.forEach(([, b], m) => {
      const only = (k: number[]) => c.msgs.map((_, i) => (i === m ? k : []));
      for (let k = 1; k < b.length; k++) check(`message ${m} cut at ${k}`, only([k]));
      check(`message ${m} a byte a segment`, only(everyByte(b.length)));
    });
    const all = (f: (n: number) => number[]) => c.msgs.map(([, b]) => f(b.length));
    check("every message's first byte alone", all(() => [1]));
    check("every message's last byte alone", all((n) => [n - 1]));
    check("every message a byte a segment", all(everyByte));
    for (let seed = 1; seed <= 10; seed++) {
      const r = seeded(seed);
      const cuts = all((n) => integers(1 + Math.floor(r() * 4)).map(() => 1 + Math.floor(r() * (n - 1))));
      check(`random cuts ${JSON.stringify(cuts)}`, cuts);
    }
    assert.equal(failed, []);
  });
}

test.run();
