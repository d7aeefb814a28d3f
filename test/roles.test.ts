// Roles decided after a connection's first packet by an analyzer, as Zeek does: its DNS analyzer
// flips a UDP connection whose first DNS message is a response sent by the originator, unless the
// responder is a multicast address (DNS_Interpreter::ParseMessage). The roles decide every count:
// the flip happens whether or not protocols are detected. Captures are built here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Engine } from "../src/engine.js";
import type { ConnRecord } from "../src/conn.js";
import { asRows, collectRecords } from "./helpers/conn.js";
import { PcapBuilder } from "./helpers/detect-pcap.js";

const A = 0x0a000001, B = 0x0a000002, MDNS = 0xe00000fb; // 10.0.0.1, 10.0.0.2, 224.0.0.251

/** A DNS message: 12-byte header (QR bit as given), one question for example.com A IN. */
function dns(response: boolean): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(response ? 0x8180 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  const q = Buffer.from([7, ...Buffer.from("example"), 3, ...Buffer.from("com"), 0, 0, 1, 0, 1]);
  return Buffer.concat([h, q]);
}

function run(pcap: Buffer, by: ("src" | "service")[]) {
  const records: ConnRecord[] = [];
  const engine = new Engine({ by, onRecords: collectRecords(records) });
  engine.beginFile();
  engine.write(pcap);
  engine.endFile("roles");
  const top = engine.top(10);
  engine.end();
  return { rows: asRows(records), top };
}

test("DNS: a response first from the originator flips the roles (history D^, packets swapped)", () => {
  const p = new PcapBuilder();
  p.udp(A, 40000, B, 53, dns(true));   // a response to port 53 opens the connection
  p.udp(B, 53, A, 40000, dns(false));
  for (const by of [["src"], ["src", "service"]] as ("src" | "service")[][]) {
    const { rows, top } = run(p.done(), by);
    assert.is(rows.length, 1);
    const r = rows[0];
    assert.equal([r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"]], ["10.0.0.2", "53", "10.0.0.1", "40000"], `--by ${by}`);
    assert.is(r.history, "D^");
    assert.equal([r.orig_pkts, r.resp_pkts], ["1", "1"]);
    assert.is((top[0] as { src: string }).src, "10.0.0.2", `--by ${by}: counted for the new originator`);
  }
});

test("DNS: a query first or a response to a multicast responder: no flip; a short payload is no first message", () => {
  const query = new PcapBuilder();
  query.udp(A, 40000, B, 53, dns(false));
  query.udp(B, 53, A, 40000, dns(true));
  assert.is(run(query.done(), ["src"]).rows[0]["id.orig_h"], "10.0.0.1");

  const mdns = new PcapBuilder();
  mdns.udp(A, 5353, MDNS, 5353, dns(true));
  const m = run(mdns.done(), ["src"]).rows[0];
  assert.equal([m["id.orig_h"], m.history], ["10.0.0.1", "D"]);

  // 11 bytes are no DNS message (Zeek returns before the header): the response after them is
  // the first message, and flips
  const short = new PcapBuilder();
  short.udp(A, 40000, B, 53, Buffer.alloc(11));
  short.udp(A, 40000, B, 53, dns(true));
  const s = run(short.done(), ["src"]).rows[0];
  assert.equal([s["id.orig_h"], s.history], ["10.0.0.2", "D^"]);
});

test("DNS: Zeek's IPv4 multicast is 224.x.x.x only (IPAddr::IsMulticast): a responder in 239.x does not keep the roles", () => {
  for (const [responder, flips] of [[0xe00000fc, false], [0xeffffffa, true]] as [number, boolean][]) {
    const p = new PcapBuilder();
    p.udp(A, 5355, responder, 5355, dns(true));
    const r = run(p.done(), ["src"]).rows[0];
    assert.is(r["id.orig_h"] !== "10.0.0.1", flips, `responder ${r["id.resp_h"]} ${r["id.orig_h"]}`);
  }
});

test("at creation, the limited broadcast address never becomes the originator, over TCP as over UDP (IPBasedAnalyzer::NewConn)", () => {
  const BROADCAST = 0xffffffff;
  const p = new PcapBuilder();
  p.tcp(A, 80, BROADCAST, 40000, 1, 1, 0x10, Buffer.alloc(0)); // an ACK from a server port: a flip, but not to the broadcast address
  p.udp(A, 53, BROADCAST, 40001, Buffer.alloc(0));
  p.tcp(A, 80, B, 40002, 1, 1, 0x10, Buffer.alloc(0));         // the same to a unicast address flips
  const rows = run(p.done(), ["src"]).rows.map((r) => `${r.proto} ${r["id.orig_h"]}:${r["id.orig_p"]}`).sort();
  assert.equal(rows, ["tcp 10.0.0.1:80", "tcp 10.0.0.2:40002", "udp 10.0.0.1:53"]);
});

test.run();
