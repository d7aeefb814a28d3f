// An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 address in Zeek whichever header carries it:
// its IPAddr keeps every address in 16 bytes, IPv4 ones mapped, and takes the family from that
// prefix (IPAddr::GetFamily), so [::ffff:10.0.0.1] == 10.0.0.1 in its scripts. An IPv6 packet
// from ::ffff:10.0.0.1 is therefore the same connection as IPv4 packets from 10.0.0.1 on the same
// ports, is printed 10.0.0.1, counts in 10.0.0.1's rows and is local to 10.0.0.0/8. RFC 4291
// keeps such addresses off the wire; a scan or an evasion attempt may still put them there.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addr4, addr6, checksum, pcapOf, pseudoHeader } from "./helpers/packets.js";
import { asRows, runTrace } from "./helpers/conn.js";
import { zk } from "./helpers/cli.js";
import { formatAddr } from "../src/format/addr.js";

const ETH = (type: number) => Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, type >> 8, type & 0xff]);
const mapped = (a: string) => Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), addr4(a)]);

function udpHeader(sport: number, dport: number, payload: Buffer): Buffer {
  const u = Buffer.alloc(8 + payload.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  payload.copy(u, 8);
  return u;
}

function udp4(src: string, dst: string, sport: number, dport: number, payload: string): Buffer {
  const u = udpHeader(sport, dport, Buffer.from(payload)); // checksum 0: none, for IPv4
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + u.length, 2); h[8] = 64; h[9] = 17;
  addr4(src).copy(h, 12); addr4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([ETH(0x0800), h, u]);
}

function udp6(src: Buffer, dst: Buffer, sport: number, dport: number, payload: string): Buffer {
  const u = udpHeader(sport, dport, Buffer.from(payload));
  u.writeUInt16BE(checksum(Buffer.concat([pseudoHeader(src, dst, 17, u.length), u])) || 0xffff, 6);
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(u.length, 4); h[6] = 17; h[7] = 64;
  src.copy(h, 8); dst.copy(h, 24);
  return Buffer.concat([ETH(0x86dd), h, u]);
}

test("an IPv6 packet between IPv4-mapped addresses and the IPv4 reply: one connection, printed as IPv4", () => {
  const capture = pcapOf([
    udp6(mapped("10.0.0.1"), mapped("10.0.0.2"), 1234, 9999, "hello"),
    udp4("10.0.0.2", "10.0.0.1", 9999, 1234, "world!"),
  ]);
  const rows = asRows(runTrace(capture).records);
  assert.equal(rows.map((r) => `${r["id.orig_h"]}:${r["id.orig_p"]} > ${r["id.resp_h"]}:${r["id.resp_p"]} ${r.history} ${r.orig_bytes}/${r.resp_bytes}`),
    ["10.0.0.1:1234 > 10.0.0.2:9999 Dd 5/6"]);
  const ndjson = zk(["conn", "--format", "ndjson", "--local-nets", "10.0.0.0/8", "-"], capture);
  assert.is(ndjson.code, 0, ndjson.stderr);
  const record = JSON.parse(ndjson.stdout);
  assert.equal([record["id.orig_h"], record["id.resp_h"], record.local_orig, record.local_resp], ["10.0.0.1", "10.0.0.2", true, true]);
});

test("a source seen as IPv4 and as IPv4-mapped in an IPv6 header has one row, among the IPv4 ones", () => {
  const capture = pcapOf([
    udp4("10.0.0.1", "10.0.0.9", 1000, 53, "a"),
    udp6(mapped("10.0.0.1"), addr6("2001:db8::9"), 1001, 53, "b"),
    udp6(addr6("2001:db8::1"), addr6("2001:db8::9"), 1002, 53, "c"),
    udp6(addr6("2001:db8::1"), mapped("10.0.0.9"), 1003, 53, "d"),
  ]);
  const bySrc = zk(["top", "--by", "src", "--format", "zeek", "-n", "0", "-"], capture);
  assert.is(bySrc.code, 0, bySrc.stderr);
  assert.is(bySrc.stdout, "2 10.0.0.1\n2 2001:db8::1\n");
  const byDst = zk(["top", "--by", "dst,dport", "--format", "tsv", "-n", "0", "-"], capture);
  assert.is(byDst.code, 0, byDst.stderr);
  assert.is(byDst.stdout.split("\n").slice(1).join("\n"), "10.0.0.9\t53\tudp\t2\n2001:db8::9\t53\tudp\t2\n");
});

test("IPv6 addresses printed as Zeek's zeek_inet_ntop6 prints them: RFC 5952's compression, an IPv4 tail dotted after leading zeros", () => {
  // expectations from zeek/src/3rdparty/zeek_inet_ntop.c (FreeBSD's inet_ntop): the longest run of
  // two or more zero words, the first on a tie, becomes "::"; the last 32 bits are dotted when that
  // run starts the address and is 6 words long, or 7 with a last word other than 1, or 4 followed
  // by ffff:0
  const cases: [string, string][] = [
    ["2001:db8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0:0:0:0:0:0:0:2", "::0.0.0.2"],
    ["0:0:0:0:0:0:102:304", "::1.2.3.4"],
    ["0:0:0:0:0:0:1:0", "::0.1.0.0"],
    ["0:0:0:0:ffff:0:102:304", "::ffff:0:1.2.3.4"],
    ["0:0:0:0:1:0:0:0", "::1:0:0:0"],
    ["0:0:0:0:0:1:102:304", "::1:102:304"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["fe80:0:0:0:0:0:102:304", "fe80::102:304"],
  ];
  for (const [words, want] of cases) {
    const b = Buffer.alloc(16);
    words.split(":").forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), 2 * i));
    assert.is(formatAddr(6, b, 0), want, words);
  }
  // and in a conn.log row: an IPv4-compatible source
  const rows = asRows(runTrace(pcapOf([udp6(addr6("::102:304"), addr6("2001:db8::9"), 1, 2, "x")])).records);
  assert.equal(rows.map((r) => `${r["id.orig_h"]} ${r["id.resp_h"]}`), ["::1.2.3.4 2001:db8::9"]);
});

test.run();
