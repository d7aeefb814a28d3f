// A capture taken with a snaplen (tcpdump -s 96, a sensor's slicing) shows each packet's headers
// but only the first bytes of its payload. Zeek counts such a packet by its length on the wire:
// TCP's bytes come from sequence numbers, the IP bytes from the IP header, and a payload cut short
// is a content gap to the analyzers (TCP_Endpoint::DataSent delivers only a segment captured
// whole). So every connection must keep its time, duration, bytes, state, packets and history;
// what the payload showed may go: its services, missed_bytes and the G letters of a gap.
//
// The reference captures (Zeek's, nDPI's) are rewritten with every TCP payload cut (helpers/
// snaplen.ts): to nothing, to its first byte, at random. Both runs ignore checksums (-C): a
// checksum over a payload cut short cannot be checked, so such a segment is analyzed where the
// whole capture's bad checksum set it aside. With nothing of any payload left, no TCP connection
// may confirm a service.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cutPayloads, type Keep } from "./helpers/snaplen.js";
import { messagesInTurn } from "./helpers/detect-pcap.js";
import { asRows, runTrace } from "./helpers/conn.js";
import { seeded } from "./helpers/seeded.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, compareRewritten, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("captures cut by a snaplen");

/** What a payload shows: set aside in the comparison. */
const FROM_PAYLOAD = ["uid", "service", "missed_bytes", "history"];
const withoutGaps = (history: string) => history.replace(/[Gg]/g, "");

function compare(a: Row, b: Row): string[] {
  const out = changedFields(a, b, FROM_PAYLOAD);
  if (withoutGaps(a.history) !== withoutGaps(b.history)) out.push(`history ${a.history} -> ${b.history}`);
  return out;
}

const VARIANTS: { name: string; keep: () => Keep; noService?: boolean }[] = [
  { name: "headers only", keep: () => () => 0, noService: true },
  { name: "the payload's first byte", keep: () => (n) => (n > 1 ? 1 : 0) },
  { name: "at random", keep: () => { const r = seeded(42); return (n) => Math.floor(r() * n); } },
];

if (HAVE_CAPTURES) {
  for (const variant of VARIANTS) {
    test(`reference captures with TCP payloads cut, ${variant.name}: every connection as before but what its payload showed`, () => {
      const keep = variant.keep();
      const services: string[] = [];
      const { differences, rewritten } = compareRewritten((c) => cutPayloads(c, keep), (a, b, file) => {
        if (variant.noService && b.proto === "tcp" && b.service !== "-" && b.tunnel_parents === "-") services.push(`${file}: ${a["id.orig_h"]}:${a["id.orig_p"]} > ${a["id.resp_h"]}:${a["id.resp_p"]} ${b.service}`);
        return compare(a, b);
      }, { ignoreChecksums: true });
      assert.ok(rewritten > 5000, `only ${rewritten} segments cut`);
      assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
      assert.equal(services, [], "services confirmed with no payload captured");
    });
  }
}

// A pcap record longer than the file header's snaplen (a file whose writer set the snaplen wrong:
// libpcap's "BUFMOD problem") is cut to the snaplen by libpcap, which Zeek reads through, while
// tshark shows it whole: as Zeek, the packets are counted, their payloads past the snaplen are not
// there, and an HTTP exchange whose payloads are cut confirms nothing.
test("a pcap record longer than the header's snaplen is cut to it, as libpcap cuts it for Zeek", () => {
  const capture = messagesInTurn(80, [
    [true, Buffer.from("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")],
    [false, Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")],
  ]);
  const withSnaplen = (snaplen: number) => {
    const c = Buffer.from(capture);
    c.writeUInt32LE(snaplen, 16);
    const { records, engine } = runTrace(c, { by: ["src", "service"] });
    const [r] = asRows(records);
    return `${r.service} ${r.orig_bytes}/${r.resp_bytes} ${r.orig_pkts}/${r.resp_pkts} ${r.missed_bytes} ${engine.stats().records_read}`;
  };
  assert.is(withSnaplen(65535), "http 37/38 5/3 0 8");
  assert.is(withSnaplen(0), "http 37/38 5/3 0 8", "0: no snaplen (the link type's maximum)");
  assert.is(withSnaplen(54), "- 37/38 5/3 75 8", "54: Ethernet, IPv4 and TCP headers only");
});

test.run();
