// Network time as Zeek's timer manager keeps it: every record of the capture moves it (never
// back) and dispatches the timers due, with its own time, before its packet is looked at, whatever
// the record holds (RunState.cc dispatch_packet, PQ_TimerMgr::DoAdvance). So a timer that
// reschedules itself from its dispatch time, as the DNS analyzer's does on UDP
// (DNS_Analyzer::ExpireTimer: the connection ends at a tick that finds it idle for 9 s, else the
// next tick is 10 s after this one), falls where the traffic around the connection puts it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PcapBuilder, CLIENT_IP, SERVER_IP } from "./helpers/detect-pcap.js";
import { asRows, connRecordsOf, runTrace } from "./helpers/conn.js";

const MDNS_GROUP = 0xe00000fb; // 224.0.0.251
const OTHER_HOST = 0x0a000003;
const query = Buffer.from("000000000001000000000000", "hex"); // a DNS header, one question to come

/** The mDNS connection's rows (10.0.0.1:5353 -> 224.0.0.251:5353): their packets. */
function mdnsPackets(pcap: Buffer): string[] {
  return asRows(connRecordsOf(pcap, false)).filter((r) => r["id.resp_p"] === "5353").map((r) => r.orig_pkts);
}

type Send = (b: PcapBuilder) => void;
const mdns: Send = (b) => b.udp(CLIENT_IP, 5353, MDNS_GROUP, 5353, query);
const other: Send = (b) => b.udp(OTHER_HOST, 40000, SERVER_IP, 9999, query);
const arp: Send = (b) => b.arp(OTHER_HOST, SERVER_IP);

/** A capture of frames at these times (seconds from the first), in time order. */
function timeline(events: [number, Send][]): Buffer {
  const b = new PcapBuilder();
  let at = 0; // the builder stamps each frame 1 ms after the one before, plus any wait
  for (const [t, send] of [...events].sort((x, y) => x[0] - y[0])) {
    b.wait(t - at - 0.001);
    send(b);
    at = t;
  }
  return b.done();
}

const MDNS_QUERIES: [number, Send][] = [[0, mdns], [9.5, mdns], [19, mdns]];

test("DNS timer, nothing else on the wire: the tick due at 10 s comes with the packet at 19 s and finds 9.5 s idle", () => {
  assert.equal(mdnsPackets(timeline(MDNS_QUERIES)), ["2", "1"]);
});

test("DNS timer, other traffic every 0.5 s: the tick due at 10 s comes at 10.25 s and finds 0.75 s idle, the next at 20.25 s", () => {
  const busy: [number, Send][] = Array.from({ length: 38 }, (_, k) => [0.25 + k * 0.5, other]);
  assert.equal(mdnsPackets(timeline([...MDNS_QUERIES, ...busy])), ["3"]);
});

test("DNS timer: a frame that is no IP packet dispatches the tick too (an ARP request at 10.2 s)", () => {
  assert.equal(mdnsPackets(timeline([...MDNS_QUERIES, [10.2, arp]])), ["3"]);
});

test("an ARP request 1000 s ahead moves network time: the UDP connection it passed has ended", () => {
  const b = new PcapBuilder();
  other(b);
  b.wait(1000);
  arp(b);
  b.wait(-970); // back to 30 s after the start: more than 5 s late
  other(b);
  const run = runTrace(b.done(), { by: ["src"] });
  const rows = asRows(run.records).filter((r) => r["id.resp_p"] === "9999");
  assert.equal(rows.map((r) => r.orig_pkts), ["1", "1"], "its inactivity timer fired at the ARP request");
  assert.is(run.engine.stats().late_packets, 1);
});

test.run();
