// IP fragment reassembly against Zeek and tshark.
//  1. Captures with fragments: what each record becomes, the connections and their packets and IP
//     bytes, against tshark's reassembly (the frame that completes a datagram shows its transport)
//     and Zeek's logs (zeek-protocols/zeek__ipv6-fragmented-dns.pcap's dns.log names the
//     connections; zeek/gtp_outer_ip_fragments_http's conn.log is in tunnels.test.ts).
//  2. Hand-built fragment sequences: tshark as the reference where it reassembles as Zeek does, and
//     Zeek's rule named where the outcome is Zeek's own (overlaps, timeout, size, memory budget).
// Every case also checks the accounting: records read = decoded + skipped.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuffer, type Stats } from "../src/engine.js";
import { connRecordsOf } from "./helpers/conn.js";
import { haveTool } from "./helpers/cli.js";
import { addr4, addr6, sum16 } from "./helpers/packets.js";
import { CAPTURES, HAVE_CAPTURES, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

const TSHARK = haveTool("tshark");

/** Unordered conversation key. */
const conv = (h1: string, p1: number | string, h2: string, p2: number | string, proto: string) => {
  const a = `${h1}:${p1}`, b = `${h2}:${p2}`;
  return a < b ? `${a}<>${b}/${proto}` : `${b}<>${a}/${proto}`;
};

function accounting(s: Stats): void {
  const skipped = Object.values(s.records_skipped).reduce((a, b) => a + b, 0);
  assert.is(s.records_decoded + skipped, s.records_read, "records read = decoded + skipped");
}

/**
 * tshark with reassembly on: per TCP/UDP conversation, the frames that carry its transport header
 * (for a fragmented datagram, the frame that completed it) and their IP bytes (the reassembled
 * length where there is one).
 */
function tsharkConversations(file: string): Map<string, { frames: number; ipBytes: number }> {
  const out = execFileSync("tshark", [
    "-r", file, "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE", "-Y", "(udp || tcp) && !icmp && !icmpv6",
    "-T", "fields", "-E", "occurrence=l",
    "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "udp.srcport", "-e", "udp.dstport",
    "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "ip.len", "-e", "ip.hdr_len", "-e", "ip.reassembled.length",
    "-e", "ipv6.plen", "-e", "ipv6.reassembled.length", "-e", "ipv6.hopopts.len_oct",
  ], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString();
  const m = new Map<string, { frames: number; ipBytes: number }>();
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const f = line.split("\t");
    const v6 = f[2] !== "";
    const [src, dst] = v6 ? [f[2], f[3]] : [f[0], f[1]];
    const udp = f[4] !== "";
    const key = conv(src, udp ? f[4] : f[6], dst, udp ? f[5] : f[7], udp ? "udp" : "tcp");
    let ipBytes: number;
    // a reassembled IPv6 datagram: the fixed header, the unfragmentable hop-by-hop header, the rest
    if (v6) ipBytes = f[12] ? 40 + Number(f[13] || 0) + Number(f[12]) : 40 + Number(f[11]);
    else ipBytes = f[10] ? Number(f[9]) + Number(f[10]) : Number(f[8]);
    const e = m.get(key) ?? { frames: 0, ipBytes: 0 };
    e.frames++;
    e.ipBytes += ipBytes;
    m.set(key, e);
  }
  return m;
}

function ourConversations(pcapBytes: Buffer, ignoreChecksums = false): Map<string, { frames: number; ipBytes: number }> {
  const m = new Map<string, { frames: number; ipBytes: number }>();
  for (const r of connRecordsOf(pcapBytes, ignoreChecksums)) {
    if (r.proto !== "tcp" && r.proto !== "udp") continue;
    const key = conv(r.origH, r.origP, r.respH, r.respP, r.proto);
    const e = m.get(key) ?? { frames: 0, ipBytes: 0 };
    e.frames += r.origPkts + r.respPkts;
    e.ipBytes += r.origIpBytes + r.respIpBytes;
    m.set(key, e);
  }
  return m;
}

const sorted = (m: Map<string, { frames: number; ipBytes: number }>) => [...m].map(([k, v]) => `${k} frames=${v.frames} ip_bytes=${v.ipBytes}`).sort();

// ---- 1. captures ----

noteMissingCaptures("fragment tests");
if (HAVE_CAPTURES && !TSHARK) console.log("  SKIP fragment tests that compare with tshark: tshark is not installed");

interface CaptureCase {
  path: string;
  why: string;
  /** IP bytes per conversation where Zeek's reassembly differs from tshark's, with the reason. */
  zeekIpBytes?: { bytes: Record<string, number>; why: string };
}
const CAPTURE_CASES: CaptureCase[] = [
  {
    path: "formats/ipv4_frag-1_zeek.pcap", why: "two fragments, then a first fragment that overlaps both and fills the hole",
    zeekIpBytes: {
      bytes: { "164.1.123.163:123<>164.1.123.61:137/udp": 324 },
      why: "the third fragment (MF set, 304 bytes) reaches past the size the last one gave (164): Zeek raises the " +
        "datagram size to 304 (fragment_size_inconsistency) and analyses 20 + 304 bytes; tshark keeps 164",
    },
  },
  { path: "formats/ipv4_frag-3_zeek.pcap", why: "five fragments, all with MF set: never whole, no connection" },
  { path: "formats/ipv4_frag-syn_zeek.pcap", why: "a TCP SYN in two fragments" },
  { path: "formats/ipv6_atomic-frag_http_zeek.pcap", why: "IPv6 atomic fragments (offset 0, M=0): whole datagrams" },
  { path: "formats/ipv4_bad-fragment_PcapPlusPlus.pcap", why: "a fragment whose IP length exceeds the frame: dropped before reassembly" },
  { path: "zeek-protocols/zeek__ipv6-fragmented-dns.pcap", why: "IPv6 DNS answers in three fragments, and a lone last fragment" },
];

for (const c of CAPTURE_CASES) {
  if (!HAVE_CAPTURES || !TSHARK) break;
  const path = join(CAPTURES, c.path);
  if (!existsSync(path)) { console.log(`  SKIP ${c.path}: not found`); continue; }
  test(`${c.path}: connections, packets and IP bytes equal tshark's reassembly (${c.why})`, () => {
    const bytes = readFileSync(path);
    const { engine, file } = runBuffer(bytes);
    assert.is(file.error, undefined);
    accounting(engine.stats());
    const theirs = tsharkConversations(path);
    if (c.zeekIpBytes) {
      console.log(`    ${c.path}: IP bytes from Zeek's rule, not tshark's: ${c.zeekIpBytes.why}`);
      for (const [k, n] of Object.entries(c.zeekIpBytes.bytes)) theirs.get(k)!.ipBytes = n;
    }
    assert.equal(sorted(ourConversations(bytes, true)), sorted(theirs));
  });
}

test("zeek/gtp_outer_ip_fragments_http: the fragmented GTP packets count as one packet each, with the datagram's IP length (Zeek's conn.log, -C)", () => {
  if (!HAVE_CAPTURES) return;
  const dir = join(CAPTURES, "zeek/gtp_outer_ip_fragments_http");
  const pcapPath = join(dir, "gtp1_gn_normal_incl_fragmentation.pcap");
  const log = readZeekLog(join(dir, "conn.log"));
  const cols = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"];
  const zeek = log.rows.map((r) => cols.map((c) => r[c]).join(" ")).sort();
  const ours = connRecordsOf(readFileSync(pcapPath), true)
    .map((r) => [r.origH, r.origP, r.respH, r.respP, r.proto, r.origPkts, r.origIpBytes, r.respPkts, r.respIpBytes].join(" ")).sort();
  assert.equal(ours, zeek);
  if (!TSHARK) return;
  // held: the fragments that do not complete a datagram (tshark shows no UDP in them)
  const held = execFileSync("tshark", ["-r", pcapPath, "-o", "ip.defragment:TRUE", "-Y", "(ip.flags.mf == 1 || ip.frag_offset > 0) && !udp", "-T", "fields", "-e", "frame.number"],
    { stdio: ["ignore", "pipe", "ignore"] }).toString().trim().split("\n").filter((l) => l).length;
  const { engine } = runBuffer(readFileSync(pcapPath), { ignoreChecksums: true });
  const s = engine.stats();
  accounting(s);
  assert.is(s.records_skipped.fragment, held);
});

test("zeek__ipv6-fragmented-dns.pcap: the connections of Zeek's dns.log, the reassembled answer in its connection", () => {
  if (!HAVE_CAPTURES) return;
  const base = join(CAPTURES, "zeek-protocols/zeek__ipv6-fragmented-dns.pcap");
  const log = readZeekLog(`${base}.expected.dns.log`);
  const zeek = new Set(log.rows.map((r) => `${r.uid} ${r["id.orig_h"]} ${r["id.orig_p"]} ${r["id.resp_h"]} ${r["id.resp_p"]} ${r.proto}`));
  const tuples = new Set([...zeek].map((l) => l.split(" ").slice(1).join(" ")));
  const records = connRecordsOf(readFileSync(base), false);
  const ours = new Set(records.map((r) => `${r.origH} ${r.origP} ${r.respH} ${r.respP} ${r.proto}`));
  assert.equal([...ours].sort(), [...tuples].sort(), "one connection per dns.log uid, with its 5-tuple");
  // The answer to query 40849 (dns.log: rtt 5.084025 s, answered) came in three fragments: one packet.
  const answered = records.find((r) => r.origP === 51851)!;
  assert.is(answered.respPkts, 1, "the three fragments are one packet");
  // the datagram is processed at its last fragment: the connection lasts dns.log's rtt (query to answer)
  const rtt = log.rows.find((r) => r.trans_id === "40849" && r.rtt !== "-")!.rtt;
  assert.is((answered.durationUs / 1e6).toFixed(6), rtt);
  const { engine } = runBuffer(readFileSync(base));
  assert.equal(engine.stats().records_skipped, { fragment: 3 }, "two fragments held until the third, and a lone last fragment");
});

// ---- 2. hand-built fragments ----

const SRC = "192.0.2.1", DST = "198.51.100.2";
const SRC6 = "2001:db8::1", DST6 = "2001:db8::2";
/** A whole UDP datagram (header + data) with its checksum for the given addresses. */
function udpSeg(sport: number, dport: number, data: Buffer, v: 4 | 6 = 4, src = v === 4 ? SRC : SRC6, dst = v === 4 ? DST : DST6): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(sport, 0); u.writeUInt16BE(dport, 2); u.writeUInt16BE(8 + data.length, 4);
  const seg = Buffer.concat([u, data]);
  const pseudo = v === 4
    ? Buffer.concat([addr4(src), addr4(dst), Buffer.from([0, 17, seg.length >> 8, seg.length & 0xff])])
    : Buffer.concat([addr6(src), addr6(dst), Buffer.from([0, 0, seg.length >> 8, seg.length & 0xff, 0, 0, 0, 17])]);
  let s = ~sum16(seg, sum16(pseudo)) & 0xffff;
  if (s === 0) s = 0xffff;
  seg.writeUInt16BE(s, 6);
  return seg;
}
interface Frag4 { off: number; more: boolean; data: Buffer; id?: number; proto?: number; src?: string; dst?: string; options?: Buffer }
function frag4(f: Frag4): Buffer {
  const opts = f.options ?? Buffer.alloc(0);
  const h = Buffer.alloc(20 + opts.length);
  h[0] = 0x40 | (h.length / 4); h.writeUInt16BE(h.length + f.data.length, 2); h.writeUInt16BE(f.id ?? 0x1234, 4);
  h.writeUInt16BE((f.more ? 0x2000 : 0) | (f.off >> 3), 6); h[8] = 64; h[9] = f.proto ?? 17;
  addr4(f.src ?? SRC).copy(h, 12); addr4(f.dst ?? DST).copy(h, 16); opts.copy(h, 20);
  h.writeUInt16BE(~sum16(h) & 0xffff, 10);
  return Buffer.concat([h, f.data]);
}
/** IPv4 fragments of a datagram payload, cut at the given offsets (multiples of 8). */
function split4(payload: Buffer, cuts: number[], o: Partial<Frag4> = {}): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push(frag4({ ...o, off: bounds[i], more: i + 2 < bounds.length, data: payload.subarray(bounds[i], bounds[i + 1]) }));
  }
  return out;
}
/** IPv6 fragment: unfragmentable extension headers [type, bytes] before the fragment header. */
function frag6(off: number, more: boolean, next: number, data: Buffer, id = 7, unfrag: [number, Buffer][] = []): Buffer {
  const fh = Buffer.alloc(8);
  fh[0] = next; fh.writeUInt16BE(off | (more ? 1 : 0), 2); fh.writeUInt32BE(id, 4);
  const exts = unfrag.map(([, b]) => Buffer.from(b));
  // chain: IPv6 -> unfrag[0] -> ... -> fragment (44)
  const types = [...unfrag.map(([t]) => t), 44];
  exts.forEach((b, i) => { b[0] = types[i + 1]; });
  const body = Buffer.concat([...exts, fh, data]);
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(body.length, 4); h[6] = types[0]; h[7] = 64; addr6(SRC6).copy(h, 8); addr6(DST6).copy(h, 24);
  return Buffer.concat([h, body]);
}
const eth4 = (ip: Buffer) => Buffer.concat([Buffer.from("020000000002020000000001" + "0800", "hex"), ip]);
const eth6 = (ip: Buffer) => Buffer.concat([Buffer.from("020000000002020000000001" + "86dd", "hex"), ip]);

interface Rec { data: Buffer; ts?: number; cap?: number }
function pcap(recs: Rec[]): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6); g.writeUInt32LE(262144, 16); g.writeUInt32LE(1, 20);
  const parts = [g];
  recs.forEach((r, i) => {
    const h = Buffer.alloc(16);
    const ts = r.ts ?? 1700000000 + i / 1000;
    h.writeUInt32LE(Math.floor(ts), 0); h.writeUInt32LE(Math.round((ts - Math.floor(ts)) * 1e6), 4);
    const cap = r.cap ?? r.data.length;
    h.writeUInt32LE(cap, 8); h.writeUInt32LE(r.data.length, 12);
    parts.push(h, r.data.subarray(0, cap));
  });
  return Buffer.concat(parts);
}

const TMP = mkdtempSync(join(tmpdir(), "zk-frags-"));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

const DATA = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
const UDP = udpSeg(1111, 53, DATA); // 3008 bytes
const IPB = 20 + UDP.length;        // its datagram's IP length

interface AgreeCase { name: string; recs: Rec[]; decoded: number; fragment: number }
/** Zeek and tshark reassemble these the same way. */
const AGREE: AgreeCase[] = [
  { name: "IPv4, three fragments in order", recs: split4(UDP, [1480, 2960]).map((d) => ({ data: eth4(d) })), decoded: 1, fragment: 2 },
  { name: "IPv4, three fragments, last first", recs: split4(UDP, [1480, 2960]).reverse().map((d) => ({ data: eth4(d) })), decoded: 1, fragment: 2 },
  {
    name: "IPv4, a duplicated middle fragment (fragment_overlap, equal bytes)",
    recs: (() => { const f = split4(UDP, [1480, 2960]); return [f[0], f[1], f[1], f[2]].map((d) => ({ data: eth4(d) })); })(),
    decoded: 1, fragment: 3,
  },
  {
    name: "IPv4 with options (IHL 6), 8-byte fragments",
    recs: split4(udpSeg(2222, 53, Buffer.alloc(40, 1)), [8, 16, 24, 32, 40], { options: Buffer.from([1, 1, 1, 0]) }).map((d) => ({ data: eth4(d) })),
    decoded: 1, fragment: 5,
  },
  {
    name: "two datagrams interleaved (different IP ids)",
    recs: (() => {
      const a = split4(udpSeg(3333, 53, Buffer.alloc(2000, 3)), [1480], { id: 1 });
      const b = split4(udpSeg(4444, 53, Buffer.alloc(2000, 4)), [1480], { id: 2 });
      return [a[0], b[0], b[1], a[1]].map((d) => ({ data: eth4(d) }));
    })(),
    decoded: 2, fragment: 2,
  },
  {
    name: "IPv6 with a hop-by-hop header before and destination options after the fragment header",
    recs: (() => {
      const dstopts = Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]); // next: UDP
      const payload = Buffer.concat([dstopts, udpSeg(5555, 53, DATA, 6)]);
      const hbh = Buffer.from([0, 0, 1, 4, 0, 0, 0, 0]);
      return [
        frag6(0, true, 60, payload.subarray(0, 1448), 9, [[0, hbh]]),
        frag6(1448, false, 60, payload.subarray(1448), 9, [[0, hbh]]),
      ].map((d) => ({ data: eth6(d) }));
    })(),
    decoded: 1, fragment: 1,
  },
  {
    name: "IPv6 fragments out of order",
    recs: (() => {
      const seg = udpSeg(6666, 53, DATA, 6);
      return [frag6(2904, false, 17, seg.subarray(2904)), frag6(0, true, 17, seg.subarray(0, 1448)), frag6(1448, true, 17, seg.subarray(1448, 2904))].map((d) => ({ data: eth6(d) }));
    })(),
    decoded: 1, fragment: 2,
  },
  {
    name: "a TCP SYN in three 8-byte fragments",
    recs: (() => {
      const syn = Buffer.alloc(24); syn.writeUInt16BE(7777, 0); syn.writeUInt16BE(80, 2); syn[12] = 0x60; syn[13] = 0x02; syn.writeUInt16BE(8192, 14);
      syn.set([2, 4, 5, 0xb4], 20);
      const pseudo = Buffer.concat([addr4(SRC), addr4(DST), Buffer.from([0, 6, 0, 24])]);
      syn.writeUInt16BE(~sum16(syn, sum16(pseudo)) & 0xffff, 16);
      return split4(syn, [8, 16], { proto: 6 }).map((d) => ({ data: eth4(d) }));
    })(),
    decoded: 1, fragment: 2,
  },
];

for (const c of AGREE) {
  test(`built: ${c.name}`, () => {
    const bytes = pcap(c.recs);
    const { engine } = runBuffer(bytes);
    const s = engine.stats();
    accounting(s);
    assert.equal({ decoded: s.records_decoded, ...s.records_skipped }, { decoded: c.decoded, fragment: c.fragment });
    if (!TSHARK) return;
    const file = join(TMP, `${c.name.replace(/[^A-Za-z0-9]+/g, "_")}.pcap`);
    writeFileSync(file, bytes);
    assert.equal(sorted(ourConversations(bytes)), sorted(tsharkConversations(file)), "tshark's reassembled conversations");
  });
}

/** Our connections of a built capture, "tuple pkts ip_bytes history". */
function conns(recs: Rec[]): string[] {
  return connRecordsOf(pcap(recs), false).map((r) => `${r.origH}:${r.origP}>${r.respH}:${r.respP}/${r.proto} ${r.origPkts + r.respPkts} ${r.origIpBytes + r.respIpBytes} ${r.history}`).sort();
}

test("overlapping fragments with different bytes: the bytes that came first stay (Zeek's reassembler; fragment_inconsistency)", () => {
  const a = udpSeg(1111, 53, Buffer.alloc(100, 1));
  const b = udpSeg(2222, 53, Buffer.alloc(100, 1)); // same length, other ports
  const lines = conns([
    { data: eth4(frag4({ off: 0, more: true, data: a.subarray(0, 56) })) },
    { data: eth4(frag4({ off: 0, more: true, data: b.subarray(0, 56) })) },
    { data: eth4(frag4({ off: 56, more: false, data: a.subarray(56) })) },
  ]);
  assert.equal(lines, [`${SRC}:1111>${DST}:53/udp 1 128 D`]);
});

test("a fragment that imputes a larger datagram than the last one raises its size (fragment_size_inconsistency)", () => {
  // frag-1's pattern: a short first fragment, the last one, then a long first fragment covering both
  const seg = udpSeg(1111, 53, Buffer.alloc(296, 5));
  const lines = conns([
    { data: eth4(frag4({ off: 0, more: true, data: seg.subarray(0, 16) })) },
    { data: eth4(frag4({ off: 48, more: false, data: seg.subarray(48, 160) })) },
    { data: eth4(frag4({ off: 0, more: true, data: seg })) },
  ]);
  assert.equal(lines, [`${SRC}:1111>${DST}:53/udp 1 ${20 + seg.length} D`]);
});

test("never completed: the fragments are held and counted, no connection", () => {
  const f = split4(UDP, [1480, 2960]);
  const { engine } = runBuffer(pcap([f[0], f[2]].map((d) => ({ data: eth4(d) }))));
  const s = engine.stats();
  accounting(s);
  assert.equal({ decoded: s.records_decoded, ...s.records_skipped, connections: s.connections }, { decoded: 0, fragment: 2, connections: 0 });
});

test("frag_timeout (5 min of packet time from the first fragment): later fragments start a new datagram", () => {
  const f = split4(UDP, [1480, 2960]);
  const t0 = 1700000000;
  const late = conns([{ data: eth4(f[0]), ts: t0 }, { data: eth4(f[1]), ts: t0 + 200 }, { data: eth4(f[2]), ts: t0 + 300 }]);
  assert.equal(late, [], "the last fragment arrives 300 s after the first: the datagram expired");
  const inTime = conns([{ data: eth4(f[0]), ts: t0 }, { data: eth4(f[1]), ts: t0 + 200 }, { data: eth4(f[2]), ts: t0 + 299.9 }]);
  assert.equal(inTime, [`${SRC}:1111>${DST}:53/udp 1 ${IPB} D`]);
  const again = conns([
    { data: eth4(f[0]), ts: t0 }, { data: eth4(f[0]), ts: t0 + 301 }, { data: eth4(f[1]), ts: t0 + 302 }, { data: eth4(f[2]), ts: t0 + 303 },
  ]);
  assert.equal(again, [`${SRC}:1111>${DST}:53/udp 1 ${IPB} D`], "after the timeout the same fragments reassemble anew");
});

test("bounded memory: 64 datagrams at once; the oldest is evicted for a 65th", () => {
  const recs: Rec[] = [];
  const segs: Buffer[][] = [];
  for (let i = 0; i < 65; i++) {
    const f = split4(udpSeg(10000 + i, 53, Buffer.alloc(64, i)), [40], { id: 100 + i });
    segs.push(f);
    recs.push({ data: eth4(f[0]) });
  }
  recs.push({ data: eth4(segs[64][1]) }); // completes the newest
  recs.push({ data: eth4(segs[2][1]) });  // completes one of the old ones still held
  recs.push({ data: eth4(segs[0][1]) });  // the oldest was evicted: its last fragment starts a new datagram
  const lines = conns(recs);
  assert.equal(lines, [`${SRC}:10002>${DST}:53/udp 1 92 D`, `${SRC}:10064>${DST}:53/udp 1 92 D`]);
  const { engine } = runBuffer(pcap(recs));
  accounting(engine.stats());
});

test("a datagram over 65535 bytes is dropped (excessively_large_fragment), without harm to others", () => {
  const big = Buffer.alloc(1480, 9);
  const recs: Rec[] = [];
  for (let off = 0; off < 65536; off += 1480) recs.push({ data: eth4(frag4({ off, more: true, data: big, id: 0x99 })) });
  recs.push({ data: eth4(frag4({ off: 65520, more: false, data: Buffer.alloc(16), id: 0x99 })) });
  recs.push(...split4(UDP, [1480, 2960]).map((d) => ({ data: eth4(d) })));
  const { engine } = runBuffer(pcap(recs));
  const s = engine.stats();
  accounting(s);
  assert.is(s.records_decoded, 1, "only the normal datagram");
  assert.equal(conns(recs), [`${SRC}:1111>${DST}:53/udp 1 ${IPB} D`]);
});

test("the first fragment of a datagram not captured whole is decoded as it is; its other fragments are dropped (Zeek)", () => {
  const f = split4(UDP, [1480, 2960]);
  const recs: Rec[] = [{ data: eth4(f[0]), cap: 14 + 20 + 100 }, { data: eth4(f[1]) }, { data: eth4(f[2]) }];
  const { engine } = runBuffer(pcap(recs));
  const s = engine.stats();
  accounting(s);
  assert.equal({ decoded: s.records_decoded, ...s.records_skipped }, { decoded: 1, fragment: 2 });
  assert.equal(conns(recs), [`${SRC}:1111>${DST}:53/udp 1 1500 D`], "one packet: the first fragment's IP length");
});

test("a reassembled datagram's UDP checksum covers all of it: a corrupted fragment makes history C", () => {
  const f = split4(UDP, [1480, 2960]);
  const bad = Buffer.from(f[1]);
  bad[40] ^= 0xff; // payload byte of the middle fragment (its IP header stays valid)
  assert.equal(conns([f[0], bad, f[2]].map((d) => ({ data: eth4(d) }))), [`${SRC}:1111>${DST}:53/udp 1 ${IPB} C`]);
});

test("fragments inside a GRE tunnel are reassembled; the datagram keeps the tunnel as parent", () => {
  const outer = (inner: Buffer) => {
    const gre = Buffer.concat([Buffer.from([0, 0, 0x08, 0]), inner]);
    return frag4({ off: 0, more: false, data: gre, proto: 47, src: "10.0.0.1", dst: "10.0.0.2", id: 1 });
  };
  const recs = split4(UDP, [1480, 2960]).map((d) => ({ data: eth4(outer(d)) }));
  const records = connRecordsOf(pcap(recs), false);
  assert.is(records.length, 1);
  assert.ok(records[0].tunnelParent !== undefined && records[0].tunnelParent >= 2 ** 52, "an IP tunnel's id");
  assert.is(records[0].origIpBytes, IPB);
});

test("malformed fragments never crash; every record is decoded or skipped", () => {
  const recs: Rec[] = [];
  const d = Buffer.alloc(64, 7);
  for (const off of [0, 8, 65528, 65520, 1480]) {
    for (const more of [true, false]) {
      recs.push({ data: eth4(frag4({ off, more, data: d, id: off })) });
      recs.push({ data: eth4(frag4({ off, more, data: Buffer.alloc(0), id: off })) });
      recs.push({ data: eth6(frag6(off & 0xfff8, more, 17, d, off)) });
    }
  }
  // a fragment header cut by the snaplen, an IPv6 fragment inside the fragmentable part
  recs.push({ data: eth6(frag6(0, true, 17, d)), cap: 14 + 40 + 4 });
  recs.push({ data: eth6(frag6(0, false, 44, Buffer.concat([Buffer.from([17, 0, 0, 1, 0, 0, 0, 5]), d]), 77)) });
  const { engine, file } = runBuffer(pcap(recs));
  assert.is(file.error, undefined);
  accounting(engine.stats());
  assert.is(engine.stats().records_read, recs.length);
});

test.run();
