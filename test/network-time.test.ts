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

/** The mDNS connection's rows (10.0.0.1:5353 -> 224.0.0.251:5353): start offset and packets. */
function mdnsRows(pcap: Buffer): { pkts: string; duration: string }[] {
  return asRows(connRecordsOf(pcap, false))
    .filter((r) => r["id.resp_p"] === "5353")
    .map((r) => ({ pkts: r.orig_pkts, duration: r.duration }));
}

/** mDNS queries from 10.0.0.1 at 0, 9.5 and 19 s (and a ms each), `between` run before each wait. */
function mdnsAt(between: (b: PcapBuilder, from: number, to: number) => void = () => {}): Buffer {
  const b = new PcapBuilder();
  const times = [0, 9.5, 19];
  times.forEach((t, i) => {
    if (i > 0) between(b, times[i - 1], t);
    b.udp(CLIENT_IP, 5353, MDNS_GROUP, 5353, query);
  });
  return b.done();
}

test("DNS timer, nothing else on the wire: the first tick comes with the packet at 19 s and finds 9.5 s idle", () => {
  // the tick due at 10 s is dispatched by the next record, at 19 s: 19 - 9.5 >= 9, the connection ends
  assert.equal(mdnsRows(mdnsAt((b, from, to) => b.wait(to - from - 0.001))).map((r) => r.pkts), ["2", "1"]);
});

test("DNS timer, other traffic every 0.5 s: the tick at 10 s finds 0.5 s idle, the next comes at 20 s", () => {
  const busy = mdnsAt((b, from, to) => {
    for (let t = from + 0.5; t < to; t += 0.5) {
      b.wait(0.5 - 0.001);
      b.udp(OTHER_HOST, 40000, SERVER_IP, 9999, query);
    }
    b.wait(to - Math.floor((to - from) / 0.5) * 0.5 - from - 0.001);
  });
  assert.equal(mdnsRows(busy).map((r) => r.pkts), ["3"]);
});

test("DNS timer: a frame that is no IP packet dispatches the tick too (an ARP request at 10.2 s)", () => {
  const withArp = mdnsAt((b, from, to) => {
    if (from === 9.5) { b.wait(0.7 - 0.001); b.arp(OTHER_HOST, SERVER_IP); b.wait(to - 10.2 - 0.001); } else b.wait(to - from - 0.001);
  });
  assert.equal(mdnsRows(withArp).map((r) => r.pkts), ["3"]);
});

test("an ARP request 1000 s ahead moves network time: the UDP connection it passed has ended", () => {
  const b = new PcapBuilder();
  b.udp(CLIENT_IP, 40000, SERVER_IP, 9999, query);
  b.wait(1000);
  b.arp(OTHER_HOST, SERVER_IP);
  b.wait(-970); // back to 30 s after the start: more than 5 s late
  b.udp(CLIENT_IP, 40000, SERVER_IP, 9999, query);
  const run = runTrace(b.done(), { by: ["src"] });
  const rows = asRows(run.records).filter((r) => r["id.resp_p"] === "9999");
  assert.equal(rows.map((r) => r.orig_pkts), ["1", "1"], "its inactivity timer fired at the ARP request");
  assert.is(run.engine.stats().late_packets, 1);
});

test.run();
