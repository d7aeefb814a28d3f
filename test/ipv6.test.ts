// IPv6 must be analyzed as IPv4 is: the same traffic over either gives the same connections. Every
// IPv4 TCP and UDP packet of the reference captures (Zeek's, nDPI's) is sent over IPv6 as a NAT64
// translator sends it (helpers/ipv6.ts: 64:ff9b::a.b.c.d, multicast ff0e::a.b.c.d), and every
// connection must come out as before, its addresses so mapped, column for column; only its IP
// bytes grow, by the 20 bytes an IPv6 header has more than an IPv4 one without options, a packet
// (36 with a Hop-by-Hop and a Destination Options header of 8 bytes each, the second variant).
// A connection some of whose packets are not translated (fragments, which a translator would have
// to reassemble to compute the checksum anew) is two connections then, one over each version:
// captures with IPv4 fragments are left out, and named.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MULTICAST_PREFIX, NAT64_PREFIX, toIpv6 } from "./helpers/ipv6.js";
import { addr6 } from "./helpers/packets.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { connectionRows, referenceCaptures, rowDifferences, rowKey, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("captures over IPv6");

/** An address as it was before translation: 64:ff9b::a.b.c.d and ff0e::a.b.c.d as a.b.c.d. */
function untranslated(a: string): string {
  if (!a.includes(":")) return a;
  const b = addr6(a);
  const prefix = b.subarray(0, 12);
  return prefix.equals(NAT64_PREFIX) || prefix.equals(MULTICAST_PREFIX) ? [...b.subarray(12)].join(".") : a;
}

const IP_BYTES: Record<string, string> = { orig_ip_bytes: "orig_pkts", resp_ip_bytes: "resp_pkts" };

/** `grown`: the bytes each packet's IP headers grew by, 0 for a connection still over IPv4. */
function compare(a: Row, b: Row, grown: number): string[] {
  const out: string[] = [];
  for (const f of Object.keys(a)) {
    const want = IP_BYTES[f] !== undefined ? String(Number(a[f]) + grown * Number(a[IP_BYTES[f]])) : a[f];
    if (want !== b[f]) out.push(`${f} ${a[f]} -> ${b[f]}`);
  }
  return out;
}

const VARIANTS = [
  { name: "IPv6 header only", extensions: false, grown: 20 },
  { name: "with Hop-by-Hop and Destination Options headers", extensions: true, grown: 36 },
];

if (HAVE_CAPTURES) for (const { name, extensions, grown } of VARIANTS) test(`reference captures with IPv4 TCP and UDP sent over IPv6 (NAT64), ${name}: every connection as before, ${grown} more IP bytes a packet`, () => {
  const differences: string[] = [];
  let translated = 0;
  const withFragments: string[] = [];
  for (const ref of referenceCaptures()) {
    const out = toIpv6(ref.capture, { extensions });
    if (out.fragments > 0) { withFragments.push(ref.name); continue; }
    translated += out.rewritten;
    const after = new Map<string, Row>();
    const overIpv6 = new Set<string>();
    for (const r of connectionRows(out.capture).values()) {
      const row = { ...r, "id.orig_h": untranslated(r["id.orig_h"]), "id.resp_h": untranslated(r["id.resp_h"]) };
      after.set(rowKey(row), row);
      if (row["id.orig_h"] !== r["id.orig_h"]) overIpv6.add(rowKey(row));
    }
    differences.push(...rowDifferences(ref.name, ref.rows, after, (a, b, key) => compare(a, b, overIpv6.has(key) ? grown : 0)));
  }
  console.log(`  ${translated} packets translated; left out, with IPv4 fragments: ${withFragments.join(", ")}`);
  assert.ok(translated > 10000 && withFragments.length <= 5, `only ${translated} packets translated; ${withFragments.length} captures left out`);
  assert.equal(differences.slice(0, 40), [], `${differences.length} differences`);
});

test.run();
