// Tunnel decapsulation against Zeek and tshark.
//  1. Zeek's baselines with tunnels (zeek/*/conn.log, zeek-protocols/*.expected.conn.log): our
//     conn records equal Zeek's on every column but ts, uid, local_*, service (its tunnel analyzers
//     are compared: vxlan, geneve, teredo, gtpv1, ayiya), and tunnel_parents compared through the
//     outer connection's 5-tuple (an IP tunnel's uid names no conn.log row).
//  2. The encapsulation captures in formats/ (no Zeek baseline): every connection, its packets and
//     its tunnel parent equal what tshark's dissection of each frame says (the innermost transport
//     conversation, and the UDP tunnel or IP pair around it).
//  3. Hand-built frames for what the captures lack, with tshark as the reference where Zeek agrees
//     with it, and the Zeek rule named where it does not.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuffer, type Engine, type KeyField } from "../src/engine.js";
import type { ConnRecord } from "../src/conn.js";
import { connRecordsOf, asRows, adoptBareRoles, runTrace } from "./helpers/conn.js";
import { haveTool } from "./helpers/cli.js";
import { addr4, addr6, sum16 } from "./helpers/packets.js";
import { CAPTURES, HAVE_CAPTURES, connTraces, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

const IP_TUNNEL_BASE = 2 ** 52; // assembly/decode/tunnel-ids.ts: parents of GRE/IP-in-IP tunnels
const TUNNEL_SERVICES = /\b(vxlan|geneve|teredo|gtpv1|ayiya)\b/;

const TSHARK = haveTool("tshark");

const tuple = (h1: string, p1: number | string, h2: string, p2: number | string, proto: string) => `${h1}:${p1}>${h2}:${p2}/${proto}`;
/** Unordered: the same for both directions. */
const pairKey = (h1: string, p1: number | string, h2: string, p2: number | string, proto: string) => {
  const a = `${h1}:${p1}`, b = `${h2}:${p2}`;
  return a < b ? `${a}<>${b}/${proto}` : `${b}<>${a}/${proto}`;
};

// ---- 1. Zeek's baselines ----

/** Differences from Zeek that are not about tunnels, per trace: rows (by 5-tuple) or columns to leave out. */
const DNS_TIMEOUT = "Zeek's DNS analyzer ends a DNS connection after dns_session_timeout (10 s idle): two rows there, one here until protocol detection does that";
const NOT_TUNNELS: Record<string, { rows?: Record<string, string>; columns?: Record<string, string> }> = {
  "zeek/teredo": { rows: { "192.168.2.16 1920 192.168.2.1 53 udp": DNS_TIMEOUT } },
  "zeek-protocols/zeek__tunnels_Teredo.pcap": { rows: { "192.168.2.16 1920 192.168.2.1 53 udp": DNS_TIMEOUT } },
  "zeek/gtp_outer_ip_fragments_http": {
    columns: {
      missed_bytes: "the inner TCP connection has the same 4 holes of 1440 bytes as in Zeek (the same datagrams " +
        "are reassembled: packets and IP bytes are equal), but flow/tcp.ts counts 13120 missed bytes where Zeek counts 5760",
    },
  },
};

const IGNORED = new Set(["ts", "uid", "local_orig", "local_resp", "service", "tunnel_parents"]);
const key5 = (r: Record<string, string>) => `${r["id.orig_h"]} ${r["id.orig_p"]} ${r["id.resp_h"]} ${r["id.resp_p"]} ${r.proto}`;

noteMissingCaptures("tunnel tests");
if (HAVE_CAPTURES && !TSHARK) console.log("  SKIP tunnel tests that compare with tshark: tshark is not installed");

for (const t of connTraces()) {
  const log = readZeekLog(t.connLog);
  if (!log.rows.some((r) => (r.tunnel_parents ?? "-") !== "-" || TUNNEL_SERVICES.test(r.service ?? ""))) continue;
  test(`${t.name}: connections and tunnel parents equal Zeek's conn.log${t.ignoreChecksums ? " (-C)" : ""}${t.bare ? " (-b)" : ""}`, () => {
    const records = connRecordsOf(readFileSync(t.pcap), t.ignoreChecksums);
    const skip = NOT_TUNNELS[t.name]?.rows ?? {};
    const skipColumns = NOT_TUNNELS[t.name]?.columns ?? {};
    const columns = log.fields.filter((f) => !IGNORED.has(f) && !(f in skipColumns));
    // service: the tunnel analyzers only (the others are protocol detection's, compared elsewhere)
    const tunnelServices = (r: Record<string, string>) => (r.service ?? "-").split(",").filter((x) => TUNNEL_SERVICES.test(x)).join(",") || "-";
    const render = (r: Record<string, string>) => [...columns.map((c) => `${c}=${r[c]}`), `tunnel_service=${tunnelServices(r)}`].join(" ");
    let ours = asRows(records);
    if (t.bare) {
      const adjusted = adoptBareRoles(ours, log.rows, render);
      for (const n of adjusted.notes) console.log(`    ${t.name}: ${n}`);
      ours = adjusted.rows;
    }
    // Zeek: tunnel_parents uids -> the outer connection's 5-tuple, or "IP tunnel" for a uid no row has.
    const byUid = new Map(log.rows.map((r) => [r.uid, r]));
    const zeekParents = (r: Record<string, string>): string[] => {
      const v = r.tunnel_parents ?? "-";
      if (v === "-" || v === "(empty)") return ["-"];
      return v.split(",").map((u) => (byUid.has(u) ? key5(byUid.get(u)!) : "IP tunnel")).sort();
    };
    const bySerial = new Map(records.map((r, i) => [r.serial, i]));
    const ourParent = (i: number): string => {
      const p = records[i].tunnelParent;
      if (p === undefined) return "-";
      if (p >= IP_TUNNEL_BASE) return "IP tunnel";
      const j = bySerial.get(p);
      return j === undefined ? `(serial ${p} not logged)` : key5(ours[j]);
    };
    for (const [k, why] of Object.entries({ ...skip, ...skipColumns })) console.log(`    ${t.name}: ${k} left out: ${why}`);
    const pending = ours.map((r, i) => ({ text: render(r), parent: ourParent(i), key: key5(r) })).filter((o) => !(o.key in skip));
    const missing: string[] = [];
    for (const z of log.rows.filter((r) => !(key5(r) in skip))) {
      const text = render(z);
      const parents = zeekParents(z);
      const i = pending.findIndex((o) => o.text === text && parents.includes(o.parent));
      if (i < 0) {
        missing.push(`  zeek: ${text} parents=${parents.join(",")}`);
        continue;
      }
      if (parents.length > 1) {
        console.log(`    ${t.name}: ${key5(z)}: Zeek names ${parents.length} parents (its packets came through ${parents.length} tunnels); the record names the first, ${pending[i].parent}`);
      }
      pending.splice(i, 1);
    }
    const extra = pending.map((o) => `  ours: ${o.text} parent=${o.parent}`);
    assert.equal([...missing, ...extra], [], "rows that differ");
  });
}

// ---- 2. tshark's dissection of each frame ----

interface Layer { k: "ip" | "udp" | "tcp" | "icmp" | "gre"; a?: string; b?: string; pa?: number; pb?: number }
interface FrameView { frame: number; conn: string; proto: string; parent: string }

/**
 * Per frame: the innermost transport conversation (unordered; ICMP by addresses) and what
 * encapsulates it: "-", "udp <outer conversation>" or "ip <outer address pair>".
 */
function tsharkFrames(file: string): FrameView[] {
  const out = execFileSync("tshark", [
    "-r", file, "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
    "-e", "frame.number", "-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
    "-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.srcport", "-e", "tcp.dstport",
  ], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString();
  const frames: FrameView[] = [];
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const [num, protos, ...f] = line.split("\t");
    const list = (s: string | undefined) => (s ? s.split("|") : []);
    const ip4 = { src: list(f[0]), dst: list(f[1]) }, ip6 = { src: list(f[2]), dst: list(f[3]) };
    const udp = { src: list(f[4]), dst: list(f[5]) }, tcp = { src: list(f[6]), dst: list(f[7]) };
    const used = { ip: 0, ipv6: 0, udp: 0, tcp: 0 };
    const layers: Layer[] = [];
    for (const p of protos.split(":")) {
      if (p === "ip" || p === "ipv6") {
        const src = p === "ip" ? ip4 : ip6;
        const i = used[p]++;
        layers.push({ k: "ip", a: src.src[i], b: src.dst[i] });
      } else if (p === "udp" || p === "tcp") {
        const src = p === "udp" ? udp : tcp;
        const i = used[p]++;
        layers.push({ k: p, pa: Number(src.src[i]), pb: Number(src.dst[i]) });
      } else if (p === "icmp" || p === "icmpv6") {
        layers.push({ k: "icmp" });
        break; // an ICMP error quotes a packet: not a layer
      } else if (p === "gre") {
        layers.push({ k: "gre" });
      }
    }
    // Every IP header followed by a transport is a connection (a UDP one with more layers after it
    // is a UDP tunnel); what encapsulates it is the last tunnel before it.
    const parentBefore = (j: number): string => {
      let parent = "-";
      for (let m = 0; m < j; m++) {
        const l = layers[m], n = layers[m + 1];
        if (l.k !== "ip") continue;
        if (n.k === "ip" || n.k === "gre") parent = `ip ${pairKey(l.a!, "", l.b!, "", n.k === "gre" ? "gre" : "ipip")}`;
        else if (n.k === "udp" && m + 1 < j) parent = `udp ${pairKey(l.a!, n.pa!, l.b!, n.pb!, "udp")}`;
      }
      return parent;
    };
    for (let j = 0; j + 1 < layers.length; j++) {
      const ip = layers[j], tr = layers[j + 1];
      if (ip.k !== "ip" || !["udp", "tcp", "icmp"].includes(tr.k)) continue;
      const conn = tr.k === "icmp" ? pairKey(ip.a!, "", ip.b!, "", "icmp") : pairKey(ip.a!, tr.pa!, ip.b!, tr.pb!, tr.k);
      frames.push({ frame: Number(num), conn, proto: tr.k, parent: parentBefore(j) });
    }
  }
  return frames;
}

/** Our connections, unordered, with packets and parents in tshark's terms. */
function ourConnections(records: ConnRecord[]): Map<string, { pkts: number; parents: string[]; ipTunnelIds: number[] }> {
  const bySerial = new Map(records.map((r) => [r.serial, r]));
  const keyOf = (r: ConnRecord) => (r.proto === "icmp" ? pairKey(r.origH, "", r.respH, "", "icmp") : pairKey(r.origH, r.origP, r.respH, r.respP, r.proto));
  const out = new Map<string, { pkts: number; parents: string[]; ipTunnelIds: number[] }>();
  for (const r of records) {
    const k = keyOf(r);
    const e = out.get(k) ?? { pkts: 0, parents: [], ipTunnelIds: [] };
    e.pkts += r.origPkts + r.respPkts;
    let parent = "-";
    if (r.tunnelParent !== undefined) {
      if (r.tunnelParent >= IP_TUNNEL_BASE) {
        parent = "ip";
        e.ipTunnelIds.push(r.tunnelParent);
      } else {
        const o = bySerial.get(r.tunnelParent);
        parent = o ? `udp ${keyOf(o)}` : "(unknown serial)";
      }
    }
    e.parents.push(parent);
    out.set(k, e);
  }
  return out;
}

interface TsharkCase {
  file: string;
  C?: boolean;
  /** Connections tshark has and Zeek does not, with the reason. */
  notInZeek?: Record<string, string>;
  /** Compare packets per connection (off where tshark and Zeek count differently). */
  packets?: boolean;
}

/** Compare a capture with tshark's dissection. Returns the differences (empty: equal). */
function compareWithTshark(path: string, c: TsharkCase): string[] {
  const frames = tsharkFrames(path);
  const records = connRecordsOf(readFileSync(path), !!c.C);
  const ours = ourConnections(records);
  const theirs = new Map<string, { frames: Set<number>; parent: string }>();
  for (const f of frames) {
    if (c.notInZeek?.[f.conn]) continue;
    const e = theirs.get(f.conn) ?? { frames: new Set<number>(), parent: f.parent };
    e.frames.add(f.frame);
    theirs.set(f.conn, e);
  }
  const diffs: string[] = [];
  // IP tunnels: one id per outer address pair
  const idOfPair = new Map<string, number>();
  const pairOfId = new Map<number, string>();
  for (const [k, t] of theirs) {
    const o = ours.get(k);
    if (!o) { diffs.push(`tshark has ${k}, zk-stream does not`); continue; }
    if (c.packets !== false && o.pkts !== t.frames.size) diffs.push(`${k}: tshark ${t.frames.size} frames, zk-stream ${o.pkts} packets`);
    const ourParent = o.parents[0];
    if (t.parent.startsWith("ip ")) {
      if (ourParent !== "ip") { diffs.push(`${k}: tshark's parent ${t.parent}, ours ${ourParent}`); continue; }
      const id = o.ipTunnelIds[0];
      const pair = t.parent.slice(3);
      if ((idOfPair.has(pair) && idOfPair.get(pair) !== id) || (pairOfId.has(id) && pairOfId.get(id) !== pair)) {
        diffs.push(`${k}: IP tunnel ${pair} does not have one id of its own`);
      }
      idOfPair.set(pair, id);
      pairOfId.set(id, pair);
    } else if (ourParent !== t.parent) {
      diffs.push(`${k}: tshark's parent ${t.parent}, ours ${ourParent}`);
    }
  }
  for (const k of ours.keys()) if (!theirs.has(k)) diffs.push(`zk-stream has ${k}, tshark does not`);
  return diffs;
}

const FORMATS = join(CAPTURES, "formats");
const TSHARK_CASES: TsharkCase[] = [
  { file: "gre_sample_zeek.pcap" },
  { file: "gre_erspan3-dot1q_zeek.pcap" },
  { file: "ipip_4in6_zeek.pcap" },
  { file: "ipip_6in4_zeek.pcap" },
  { file: "ipv6_srh-ext-header_tcpdump.pcap" },
  { file: "vxlan_tcpdump.pcap" },
  { file: "geneve_tcpdump.pcap" },
  { file: "geneve_ipv6_zeek.pcap" },
  { file: "trunc_snaplen176_geneve-vxlan-dns_zeek.pcap" },
  { file: "pcapng_9idb_gre-sip_ndpi.pcapng" },
  { file: "pcap_usec_BE_eth_pptp-gre_tcpdump.pcap" },
];

for (const c of TSHARK_CASES) {
  if (!HAVE_CAPTURES || !TSHARK) break;
  const path = join(FORMATS, c.file);
  if (!existsSync(path)) { console.log(`  SKIP ${c.file}: not in ${FORMATS}`); continue; }
  test(`${c.file}: connections, packets and tunnel parents equal tshark's dissection`, () => {
    assert.equal(compareWithTshark(path, c), []);
  });
}

// Zeek's own tunnel traces without a conn.log baseline: tshark's view.
const ZEEK_NO_BASELINE: TsharkCase[] = [
  { file: "zeek/gre/gre-sample.pcap" },
  { file: "zeek/ayiya/ayiya3.pcap" },
  { file: "zeek/gtp_inner_teredo/gtp8_teredo.pcap" },
];
for (const c of ZEEK_NO_BASELINE) {
  if (!HAVE_CAPTURES || !TSHARK) break;
  const path = join(CAPTURES, c.file);
  if (!existsSync(path)) { console.log(`  SKIP ${c.file}: not found`); continue; }
  test(`${c.file}: connections, packets and tunnel parents equal tshark's dissection`, () => {
    assert.equal(compareWithTshark(path, c), []);
  });
}

// ---- 3. hand-built frames ----

const SRC4 = "192.0.2.1", DST4 = "198.51.100.2";
interface IpOpts { src?: string; dst?: string; id?: number; frag?: number }
function ipv4(proto: number, payload: Buffer, o: IpOpts = {}): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h.writeUInt16BE(o.id ?? 1, 4); h.writeUInt16BE(o.frag ?? 0, 6);
  h[8] = 64; h[9] = proto; addr4(o.src ?? SRC4).copy(h, 12); addr4(o.dst ?? DST4).copy(h, 16);
  h.writeUInt16BE(~sum16(h) & 0xffff, 10);
  return Buffer.concat([h, payload]);
}
function ipv6(next: number, payload: Buffer, o: IpOpts = {}): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(payload.length, 4); h[6] = next; h[7] = 64;
  addr6(o.src ?? "2001:db8::1").copy(h, 8); addr6(o.dst ?? "2001:db8::2").copy(h, 24);
  return Buffer.concat([h, payload]);
}
/** UDP with its checksum over the pseudo-header of the IP packet it will be in. */
function udp(sport: number, dport: number, data: Buffer, ip: { v: 4 | 6; src: string; dst: string }, badSum = false): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(sport, 0); u.writeUInt16BE(dport, 2); u.writeUInt16BE(8 + data.length, 4);
  const seg = Buffer.concat([u, data]);
  const pseudo = ip.v === 4
    ? Buffer.concat([addr4(ip.src), addr4(ip.dst), Buffer.from([0, 17]), Buffer.from([seg.length >> 8, seg.length & 0xff])])
    : Buffer.concat([addr6(ip.src), addr6(ip.dst), Buffer.from([0, 0, seg.length >> 8, seg.length & 0xff, 0, 0, 0, 17])]);
  let s = ~sum16(seg, sum16(pseudo)) & 0xffff;
  if (s === 0) s = 0xffff;
  seg.writeUInt16BE(badSum ? s ^ 0x0101 : s, 6);
  return seg;
}
const udp4 = (sport: number, dport: number, data: Buffer, o: IpOpts = {}, badSum = false) =>
  ipv4(17, udp(sport, dport, data, { v: 4, src: o.src ?? SRC4, dst: o.dst ?? DST4 }, badSum), o);
const udp6 = (sport: number, dport: number, data: Buffer, o: IpOpts = {}) =>
  ipv6(17, udp(sport, dport, data, { v: 6, src: o.src ?? "2001:db8::1", dst: o.dst ?? "2001:db8::2" }), o);
function tcpSyn(sport: number, dport: number, ip: { v: 4 | 6; src: string; dst: string }): Buffer {
  const t = Buffer.alloc(20);
  t.writeUInt16BE(sport, 0); t.writeUInt16BE(dport, 2); t.writeUInt32BE(1000, 4); t[12] = 0x50; t[13] = 0x02; t.writeUInt16BE(8192, 14);
  const pseudo = ip.v === 4
    ? Buffer.concat([addr4(ip.src), addr4(ip.dst), Buffer.from([0, 6, 0, 20])])
    : Buffer.concat([addr6(ip.src), addr6(ip.dst), Buffer.from([0, 0, 0, 20, 0, 0, 0, 6])]);
  t.writeUInt16BE(~sum16(t, sum16(pseudo)) & 0xffff, 16);
  return t;
}
const syn4 = (sport: number, dport: number, o: IpOpts = {}) => ipv4(6, tcpSyn(sport, dport, { v: 4, src: o.src ?? SRC4, dst: o.dst ?? DST4 }), o);
const syn6 = (sport: number, dport: number, o: IpOpts = {}) => ipv6(6, tcpSyn(sport, dport, { v: 6, src: o.src ?? "2001:db8::1", dst: o.dst ?? "2001:db8::2" }), o);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const eth = (type: string, payload: Buffer) => Buffer.concat([hex(`020000000002 020000000001 ${type}`), payload]);
const gre = (flagsVer: number, type: number, extra: Buffer, payload: Buffer) => {
  const h = Buffer.alloc(4); h.writeUInt16BE(flagsVer, 0); h.writeUInt16BE(type, 2);
  return Buffer.concat([h, extra, payload]);
};
const vxlan = (payload: Buffer, flags = 0x08) => Buffer.concat([Buffer.from([flags, 0, 0, 0, 0, 0, 0x2a, 0]), payload]);
const geneve = (type: number, payload: Buffer, opts = Buffer.alloc(0)) => {
  const h = Buffer.alloc(8); h[0] = opts.length / 4; h.writeUInt16BE(type, 2); h[6] = 7;
  return Buffer.concat([h, opts, payload]);
};
/** GTPv1-U G-PDU, optionally with the sequence field and one extension header. */
const gtpu = (payload: Buffer, o: { seq?: boolean; ext?: boolean; version?: number; msg?: number } = {}) => {
  let flags = ((o.version ?? 1) << 5) | 0x10;
  let opt = Buffer.alloc(0);
  if (o.seq || o.ext) { flags |= (o.seq ? 0x02 : 0) | (o.ext ? 0x04 : 0); opt = Buffer.from([0, 1, 0, o.ext ? 0x85 : 0]); }
  const ext = o.ext ? Buffer.from([1, 0x10, 0]) : Buffer.alloc(0); // PDU session container: 4 bytes, next type 0
  const body = Buffer.concat([opt, o.ext ? Buffer.concat([ext, Buffer.from([0])]) : Buffer.alloc(0), payload]);
  const h = Buffer.alloc(8); h[0] = flags; h[1] = o.msg ?? 255; h.writeUInt16BE(body.length, 2); h.writeUInt32BE(0x11223344, 4);
  return Buffer.concat([h, body]);
};
/** AYIYA forward (op 1): identity 16 bytes (IPv6), no signature. */
const ayiya = (next: number, payload: Buffer, op = 1) => Buffer.concat([Buffer.from([0x42, 0x00, 0x10 | op, next, 0, 0, 0, 0]), Buffer.alloc(16), payload]);

interface Rec { data: Buffer; ts?: number; cap?: number }
function pcap(recs: Rec[], link = 1): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6); g.writeUInt32LE(262144, 16); g.writeUInt32LE(link, 20);
  const parts = [g];
  recs.forEach((r, i) => {
    const h = Buffer.alloc(16);
    const ts = r.ts ?? 1700000000 + i;
    h.writeUInt32LE(Math.floor(ts), 0); h.writeUInt32LE(Math.round((ts % 1) * 1e6), 4);
    const cap = r.cap ?? r.data.length;
    h.writeUInt32LE(cap, 8); h.writeUInt32LE(r.data.length, 12);
    parts.push(h, r.data.subarray(0, cap));
  });
  return Buffer.concat(parts);
}

const TMP = mkdtempSync(join(tmpdir(), "zk-tunnels-"));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

const O1 = { src: "10.0.0.1", dst: "10.0.0.2" }; // outer addresses
const O2 = { src: "10.0.0.2", dst: "10.0.0.1" };
const inner4 = { v: 4 as const, src: SRC4, dst: DST4 };

interface BuiltCase { name: string; recs: Rec[] }
/** Built captures where Zeek and tshark agree: compared with tshark's dissection. */
const BUILT_AGREE: BuiltCase[] = [
  { name: "IPv4 in IPv4 (proto 4)", recs: [{ data: eth("0800", ipv4(4, syn4(1234, 80), O1)) }] },
  { name: "IPv6 in IPv6 (proto 41)", recs: [{ data: eth("86dd", ipv6(41, syn6(1234, 80), { src: "2001:db8:ff::1", dst: "2001:db8:ff::2" })) }] },
  {
    name: "GRE with checksum, key and sequence number, IPv4, both directions",
    recs: [
      { data: eth("0800", ipv4(47, gre(0xb000, 0x0800, Buffer.alloc(12), udp4(5000, 53, Buffer.from("query"))), O1)) },
      { data: eth("0800", ipv4(47, gre(0xb000, 0x0800, Buffer.alloc(12), udp4(53, 5000, Buffer.from("reply"), { src: DST4, dst: SRC4 })), O2)) },
    ],
  },
  { name: "GRE carrying IPv6", recs: [{ data: eth("0800", ipv4(47, gre(0x0000, 0x86dd, Buffer.alloc(0), syn6(1234, 443)), O1)) }] },
  { name: "GRE transparent Ethernet bridging", recs: [{ data: eth("0800", ipv4(47, gre(0x2000, 0x6558, Buffer.alloc(4), eth("0800", syn4(1234, 22))), O1)) }] },
  {
    name: "GRE ERSPAN type II (sequence number, 8-byte header)",
    recs: [{ data: eth("0800", ipv4(47, gre(0x1000, 0x88be, Buffer.alloc(4), Buffer.concat([hex("1001 0002 0000 0000"), eth("0800", syn4(1234, 25))])), O1)) }],
  },
  {
    name: "PPTP enhanced GRE (version 1) with PPP and IPv4",
    recs: [{ data: eth("0800", ipv4(47, gre(0x3001, 0x880b, hex("0000 0000 00000001"), Buffer.concat([hex("ff03 0021"), udp4(5060, 5060, Buffer.from("SIP/2.0"))])), O1)) }],
  },
  {
    name: "two GRE tunnels between different address pairs",
    recs: [
      { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(1111, 80)), O1)) },
      { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(2222, 80)), { src: "10.9.0.1", dst: "10.9.0.2" })) },
      { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(3333, 80)), O2)) },
    ],
  },
  {
    name: "VXLAN (4789) both directions",
    recs: [
      { data: eth("0800", udp4(40000, 4789, vxlan(eth("0800", udp4(1234, 53, Buffer.from("q")))), O1)) },
      { data: eth("0800", udp4(40001, 4789, vxlan(eth("0800", udp4(53, 1234, Buffer.from("r"), { src: DST4, dst: SRC4 }))), O2)) },
    ],
  },
  { name: "Geneve (6081) with options, inner IPv4 (0x0800)", recs: [{ data: eth("0800", udp4(40000, 6081, geneve(0x0800, syn4(1234, 80), Buffer.alloc(8)), O1)) }] },
  {
    name: "GTPv1-U (2152) with a sequence number and an extension header",
    recs: [{ data: eth("0800", udp4(2152, 2152, gtpu(syn4(1234, 80), { seq: true, ext: true }), O1)) }],
  },
  { name: "GTPv1 G-PDU on the GTP-C port (2123)", recs: [{ data: eth("0800", udp4(40000, 2123, gtpu(syn4(1234, 80)), O1)) }] },
  {
    name: "Teredo (3544) with an origin indication",
    recs: [{ data: eth("0800", udp4(40000, 3544, Buffer.concat([hex("0000 1234 a1b2c3d4"), udp6(1234, 5353, Buffer.from("x"), { src: "2001:0:4136:e378::1", dst: "2001:db8::9" })]), O1)) }],
  },
  { name: "AYIYA (5072) carrying IPv6", recs: [{ data: eth("0800", udp4(40000, 5072, ayiya(41, syn6(1234, 80)), O1)) }] },
  {
    name: "VXLAN inside GRE (tunnel parents nest)",
    recs: [{ data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), udp4(40000, 4789, vxlan(eth("0800", syn4(1234, 80))), { src: "10.1.0.1", dst: "10.1.0.2" })), O1)) }],
  },
  {
    name: "GRE inside VXLAN",
    recs: [{ data: eth("0800", udp4(40000, 4789, vxlan(eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(1234, 80)), { src: "10.1.0.1", dst: "10.1.0.2" }))), O1)) }],
  },
  {
    name: "four encapsulations: IP-in-IP, GRE, VXLAN, Geneve",
    recs: [{
      data: eth("0800", ipv4(4, ipv4(47, gre(0, 0x0800, Buffer.alloc(0),
        udp4(40000, 4789, vxlan(eth("0800", udp4(40001, 6081, geneve(0x0800, syn4(1234, 80)), { src: "10.3.0.1", dst: "10.3.0.2" }))), { src: "10.2.0.1", dst: "10.2.0.2" })),
        { src: "10.1.0.1", dst: "10.1.0.2" }), O1)),
    }],
  },
];

for (const b of BUILT_AGREE) {
  if (!TSHARK) break;
  test(`built: ${b.name}: connections and tunnel parents equal tshark's dissection`, () => {
    const file = join(TMP, `${b.name.replace(/[^A-Za-z0-9]+/g, "_")}.pcap`);
    writeFileSync(file, pcap(b.recs));
    const diffs = compareWithTshark(file, { file: b.name });
    assert.equal(diffs, []);
    const { engine } = runBuffer(readFileSync(file));
    const s = engine.stats();
    assert.is(s.records_decoded, b.recs.length, `every record decoded (${JSON.stringify(s.records_skipped)})`);
  });
}

test("built: the warming loads the packet inside VXLAN, Geneve and GTP-U (optional fields, an extension header)", () => {
  // the table hashes a UDP tunnel's inner packet itself: the warming's parse is only counted here
  for (const name of ["VXLAN (4789) both directions", "Geneve (6081) with options, inner IPv4 (0x0800)",
    "GTPv1-U (2152) with a sequence number and an extension header"]) {
    const recs = BUILT_AGREE.find((b) => b.name === name)!.recs;
    const { engine } = runTrace(pcap(recs), { warming: "always" });
    assert.is(engine.warmedTunnelled(), recs.length, name);
  }
});

/** Our connections of a built capture as "tuple parent" lines (parent: the outer tuple, "IP tunnel" or "-"). */
function connLines(recs: Rec[], ignoreChecksums = false): string[] {
  const records = connRecordsOf(pcap(recs), ignoreChecksums);
  const bySerial = new Map(records.map((r) => [r.serial, r]));
  return records.map((r) => {
    const p = r.tunnelParent;
    const parent = p === undefined ? "-" : p >= IP_TUNNEL_BASE ? "IP tunnel" : (() => { const o = bySerial.get(p)!; return tuple(o.origH, o.origP, o.respH, o.respP, o.proto); })();
    return `${tuple(r.origH, r.origP, r.respH, r.respP, r.proto)} ${parent}`;
  }).sort();
}
const IN = `${SRC4}:1234>${DST4}:80/tcp`;

test("Zeek's Tunnel::max_depth: a fifth encapsulation is not opened (tshark opens it)", () => {
  let pkt = syn4(1234, 80);
  for (let i = 5; i >= 1; i--) pkt = ipv4(4, pkt, { src: `10.${i}.0.1`, dst: `10.${i}.0.2` });
  const { engine } = runBuffer(pcap([{ data: eth("0800", pkt) }]));
  const s = engine.stats();
  assert.equal({ decoded: s.records_decoded, ...s.records_skipped }, { decoded: 0, tunnel: 1 }, "exceeded_tunnel_max_depth: the record yields no connection");
  let four = syn4(1234, 80);
  for (let i = 4; i >= 1; i--) four = ipv4(4, four, { src: `10.${i}.0.1`, dst: `10.${i}.0.2` });
  assert.equal(connLines([{ data: eth("0800", four) }]), [`${IN} IP tunnel`], "four encapsulations are");
});

test("UDP tunnels beyond the fourth encapsulation: the outer UDP connection exists, its payload is not opened", () => {
  let pkt = syn4(1234, 80);
  for (let i = 5; i >= 1; i--) pkt = udp4(40000 + i, 4789, vxlan(eth("0800", pkt)), { src: `10.${i}.0.1`, dst: `10.${i}.0.2` });
  const lines = connLines([{ data: eth("0800", pkt) }]);
  assert.is(lines.length, 5, "five VXLAN connections (the fifth is in the fourth encapsulation), no inner TCP");
  assert.ok(!lines.some((l) => l.startsWith(IN)));
});

test("VXLAN without the I flag is a violation: later packets of that connection are not opened (Zeek; tshark opens them)", () => {
  const lines = connLines([
    { data: eth("0800", udp4(40000, 4789, vxlan(eth("0800", syn4(1111, 80)), 0x00), O1)) },
    { data: eth("0800", udp4(40000, 4789, vxlan(eth("0800", syn4(2222, 80))), O1)) },
    { data: eth("0800", udp4(40002, 4789, vxlan(eth("0800", syn4(3333, 80))), O1)) },
  ]);
  assert.equal(lines, [
    `10.0.0.1:40000>10.0.0.2:4789/udp -`,
    `10.0.0.1:40002>10.0.0.2:4789/udp -`,
    `${SRC4}:3333>${DST4}:80/tcp 10.0.0.1:40002>10.0.0.2:4789/udp`,
  ].sort());
});

test("a UDP packet with a bad checksum is not opened (Zeek's UDP analyzer stops there); with -C it is", () => {
  const recs = [{ data: eth("0800", udp4(40000, 4789, vxlan(eth("0800", syn4(1234, 80))), O1, true)) }];
  assert.equal(connLines(recs), ["10.0.0.1:40000>10.0.0.2:4789/udp -"]);
  assert.equal(connLines(recs, true), ["10.0.0.1:40000>10.0.0.2:4789/udp -", `${IN} 10.0.0.1:40000>10.0.0.2:4789/udp`].sort());
});

test("GTPv1: the inner packet must fill the G-PDU exactly (GTPv1 payload length); GTP-in-GTP is refused", () => {
  const padded = gtpu(Buffer.concat([syn4(1111, 80), Buffer.alloc(4)]));
  const inGtp = gtpu(udp4(2152, 2152, gtpu(syn4(2222, 80)), { src: "10.5.0.1", dst: "10.5.0.2" }));
  const lines = connLines([
    { data: eth("0800", udp4(2152, 2152, padded, O1)) },
    { data: eth("0800", udp4(2152, 2152, inGtp, { src: "10.0.0.3", dst: "10.0.0.4" })) },
  ]);
  assert.equal(lines, [
    "10.0.0.1:2152>10.0.0.2:2152/udp -",
    "10.0.0.3:2152>10.0.0.4:2152/udp -",
    "10.5.0.1:2152>10.5.0.2:2152/udp 10.0.0.3:2152>10.0.0.4:2152/udp",
  ]);
});

test("GTPv1 control messages (no G-PDU) carry nothing to open", () => {
  const create = gtpu(hex("0e 01 10 00000001"), { msg: 16 });
  assert.equal(connLines([{ data: eth("0800", udp4(40000, 2123, create, O1)) }]), ["10.0.0.1:40000>10.0.0.2:2123/udp -"]);
});

test("Teredo found by Zeek's protocol detection on any port (a 2001:0::/32 address in the IPv6 header; tshark does not look)", () => {
  const teredo = udp6(1234, 5353, Buffer.from("x"), { src: "2001:0:4136:e378::1", dst: "2001:db8::9" });
  const plain = udp6(1234, 5353, Buffer.from("x"), { src: "2001:db8::7", dst: "2001:db8::9" });
  const lines = connLines([
    { data: eth("0800", udp4(40000, 40001, teredo, O1)) },
    { data: eth("0800", udp4(40002, 40003, plain, O1)) },
  ]);
  assert.equal(lines, [
    "10.0.0.1:40000>10.0.0.2:40001/udp -",
    "10.0.0.1:40002>10.0.0.2:40003/udp -",
    "2001:0:4136:e378::1:1234>2001:db8::9:5353/udp 10.0.0.1:40000>10.0.0.2:40001/udp",
  ]);
});

test("Teredo: a bubble (IPv6, no next header) makes no inner connection; a bad encapsulation stops the analyzer", () => {
  const bubble = ipv6(59, Buffer.alloc(0), { src: "2001:0:4136:e378::1", dst: "2001:db8::9" });
  const lines = connLines([
    { data: eth("0800", udp4(40000, 3544, bubble, O1)) },
    { data: eth("0800", udp4(40010, 3544, hex("7777 0000"), O1)) },
    { data: eth("0800", udp4(40010, 3544, udp6(1234, 5353, Buffer.from("x")), O1)) },
  ]);
  assert.equal(lines, ["10.0.0.1:40000>10.0.0.2:3544/udp -", "10.0.0.1:40010>10.0.0.2:3544/udp -"]);
});

test("AYIYA: only forward messages (op 1) carry a packet", () => {
  const lines = connLines([
    { data: eth("0800", udp4(40000, 5072, ayiya(41, syn6(1111, 80), 2), O1)) },
    { data: eth("0800", udp4(40001, 5072, ayiya(4, syn4(2222, 80)), O1)) },
  ]);
  assert.equal(lines, [
    "10.0.0.1:40000>10.0.0.2:5072/udp -",
    "10.0.0.1:40001>10.0.0.2:5072/udp -",
    `${SRC4}:2222>${DST4}:80/tcp 10.0.0.1:40001>10.0.0.2:5072/udp`,
  ]);
});

test("an IP tunnel keeps its id for 24 h of inactivity (Tunnel::ip_tunnel_timeout), then gets a new one", () => {
  const t0 = 1700000000;
  const recs = [
    { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(1111, 80)), O1)), ts: t0 },
    { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(2222, 80)), O2)), ts: t0 + 3600 },
    { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(3333, 80)), O1)), ts: t0 + 3600 + 86401 },
  ];
  const records = connRecordsOf(pcap(recs), false);
  const parent = (port: number) => records.find((r) => r.origP === port)!.tunnelParent;
  assert.is(parent(1111), parent(2222), "both directions, within the timeout: one tunnel");
  assert.ok(parent(3333)! !== parent(1111), "after 24 h idle: a new tunnel");
  assert.ok(parent(1111)! >= IP_TUNNEL_BASE);
});

// Zeek keeps every IP tunnel for 24 h of inactivity, however many there are: 3,000 GRE tunnels
// between distinct address pairs, each carrying a connection, then each a second one an hour later.
test("an IP tunnel keeps its id with 3,000 tunnels between distinct address pairs, in one run and split", () => {
  const N = 3000, t0 = 1700000000;
  const outer = (i: number) => ({ src: `10.1.${i >> 8}.${i & 255}`, dst: `10.2.${i >> 8}.${i & 255}` });
  const recs: Rec[] = [];
  for (const [round, ts] of [[0, t0], [1, t0 + 3600]]) {
    for (let i = 0; i < N; i++) {
      recs.push({ data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(10000 + round * N + i, 80)), outer(i))), ts: ts + i * 0.001 });
    }
  }
  const data = pcap(recs);
  const parents = (records: ConnRecord[]) => {
    const byPort = new Map(records.map((r) => [r.origP, r.tunnelParent]));
    return Array.from({ length: N }, (_, i) => [byPort.get(10000 + i), byPort.get(10000 + N + i)]);
  };
  const single = parents(connRecordsOf(data, false));
  assert.is(new Set(single.map(([a]) => a)).size, N, "a tunnel per address pair");
  assert.ok(single.every(([a]) => a !== undefined && a >= IP_TUNNEL_BASE));
  assert.equal(single.filter(([a, b]) => a !== b).length, 0, "each tunnel's second connection names its first one's parent");
  // every partition decodes every packet, so its tunnels have the same ids as one run's
  for (const count of [2, 3]) {
    const merged = new Map<number, number | undefined>();
    for (let index = 0; index < count; index++) {
      for (const r of runTrace(data, { partition: { index, count } }).records) merged.set(r.origP, r.tunnelParent);
    }
    assert.equal(Array.from({ length: N }, (_, i) => [merged.get(10000 + i), merged.get(10000 + N + i)]), single, `${count} partitions`);
  }
});

// The table of IP tunnels is bounded (16 MiB, assembly/decode/tunnel-ids.ts IPT_MAX): past 196,608
// tunnels the least recently seen make room, as a flood of spoofed tunnel sources would need.
test("past 196,608 IP tunnels the least recently seen make room; the recent ones keep their ids", () => {
  const N = 210_000, PROBED = 500, t0 = 1700000000;
  const outer = (i: number) => ({ src: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, dst: "192.0.2.99" });
  const probed = (i: number) => i < PROBED || i >= N - PROBED;
  const filler = syn4(9999, 80); // one inner connection for the tunnels not looked at
  const recs: Rec[] = [];
  for (let i = 0; i < N; i++) {
    const inner = probed(i) ? syn4(10000 + (i % (2 * PROBED)), 80) : filler;
    recs.push({ data: eth("0800", ipv4(4, inner, outer(i))), ts: t0 + i * 0.001 });
  }
  const later = (i: number) => ({ data: eth("0800", ipv4(4, syn4(20000 + (i % (2 * PROBED)), 80), outer(i))), ts: t0 + 3600 });
  for (let i = N - PROBED; i < N; i++) recs.push(later(i));
  for (let i = 0; i < PROBED; i++) recs.push(later(i));
  const byPort = new Map(connRecordsOf(pcap(recs), false).map((r) => [r.origP, r.tunnelParent]));
  const kept = (i: number) => byPort.get(10000 + (i % (2 * PROBED))) === byPort.get(20000 + (i % (2 * PROBED)));
  const recent = Array.from({ length: PROBED }, (_, k) => N - PROBED + k), oldest = Array.from({ length: PROBED }, (_, k) => k);
  assert.ok([...recent, ...oldest].every((i) => byPort.get(20000 + (i % (2 * PROBED))) !== undefined));
  assert.equal(recent.filter((i) => !kept(i)), [], "the most recent tunnels keep their ids");
  assert.equal(oldest.filter(kept), [], "the oldest tunnels made room: seen again, each is a new tunnel");
});

// A flood within one time stamp: no window tells the tunnels apart, and half the table stays.
test("past 196,608 IP tunnels seen at one time, half the table keeps its ids (not none)", () => {
  const N = 200_000, STEP = 200, t0 = 1700000000;
  const outer = (i: number) => ({ src: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, dst: "192.0.2.99" });
  const filler = syn4(9999, 80);
  const recs: Rec[] = [];
  for (let i = 0; i < N; i++) recs.push({ data: eth("0800", ipv4(4, i % STEP === 0 ? syn4(10000 + i / STEP, 80) : filler, outer(i))), ts: t0 });
  for (let i = 0; i < N; i += STEP) recs.push({ data: eth("0800", ipv4(4, syn4(20000 + i / STEP, 80), outer(i))), ts: t0 + 1 });
  const byPort = new Map(connRecordsOf(pcap(recs), false).map((r) => [r.origP, r.tunnelParent]));
  const probed = N / STEP;
  assert.ok(Array.from({ length: probed }, (_, k) => byPort.get(20000 + k)).every((p) => p !== undefined && p >= IP_TUNNEL_BASE));
  const kept = Array.from({ length: probed }, (_, k) => k).filter((k) => byPort.get(10000 + k) === byPort.get(20000 + k)).length;
  // the rebuild at 196,608 keeps 131,072 of them (2 in 3), and the 3,392 after it stay: about 67%
  assert.ok(kept > probed * 0.6 && kept < probed * 0.75, `${kept} of ${probed} kept their ids`);
});

test("IP-in-IP and GRE between the same addresses are different tunnels (Zeek's analyzers keep one map each)", () => {
  const records = connRecordsOf(pcap([
    { data: eth("0800", ipv4(4, syn4(1111, 80), O1)) },
    { data: eth("0800", ipv4(47, gre(0, 0x0800, Buffer.alloc(0), syn4(2222, 80)), O1)) },
  ]), false);
  const [a, b] = records.map((r) => r.tunnelParent);
  assert.ok(a !== undefined && b !== undefined && a !== b);
});

test("IP-in-IP whose inner length does not fill the outer packet is not opened (inner_IP_payload_length_mismatch)", () => {
  const { engine } = runBuffer(pcap([{ data: eth("0800", ipv4(4, Buffer.concat([syn4(1234, 80), Buffer.alloc(8)]), O1)) }]));
  const s = engine.stats();
  assert.equal({ decoded: s.records_decoded, ...s.records_skipped }, { decoded: 0, tunnel: 1 });
});

// Tunnel analyzers keep state per outer connection: a violation stops the analyzer for the rest of
// the connection, and Teredo confirms once both directions carried a valid packet. With 3,000 such
// connections open at once, each must keep its state until its next packet, and a run split among
// partitions (threads) must answer as one run.
test("tunnel states last as long as their connection, with 3,000 tunnels open at once, in one run and split", () => {
  const N = 3000;
  const recs: Rec[] = [];
  const at = () => 1700000000 + recs.length * 0.001; // all within UDP's 60 s inactivity timeout
  const teredoIn = (out: boolean) => udp6(out ? 1234 : 5353, out ? 5353 : 1234, Buffer.from("x"),
    out ? { src: "2001:0:4136:e378::1", dst: "2001:db8::9" } : { src: "2001:db8::9", dst: "2001:0:4136:e378::1" });
  for (let i = 0; i < N; i++) recs.push({ data: eth("0800", udp4(20000 + i, 4789, vxlan(eth("0800", syn4(1000 + i, 80)), 0x00), O1)), ts: at() });
  for (let i = 0; i < N; i++) recs.push({ data: eth("0800", udp4(30000 + i, 3544, teredoIn(true), O1)), ts: at() });
  for (let i = 0; i < N; i++) recs.push({ data: eth("0800", udp4(20000 + i, 4789, vxlan(eth("0800", syn4(1000 + i, 80))), O1)), ts: at() });
  for (let i = 0; i < N; i++) recs.push({ data: eth("0800", udp4(3544, 30000 + i, teredoIn(false), O2)), ts: at() });
  const data = pcap(recs);
  const records = connRecordsOf(data, false);
  const vxlans = records.filter((r) => r.respP === 4789), teredos = records.filter((r) => r.respP === 3544);
  assert.is(vxlans.length, N);
  assert.is(teredos.length, N);
  assert.equal(records.filter((r) => r.proto === "tcp").map((r) => `${r.origP}`), [], "no VXLAN connection is opened after its violation");
  assert.equal(vxlans.filter((r) => r.services.length > 0).map((r) => `${r.origP} ${r.services}`), []);
  assert.equal(teredos.filter((r) => r.services.join() !== "teredo").map((r) => `${r.origP} ${r.services}`), [], "each Teredo connection confirmed");
  // split: the partitions' connection numbers differ, their tunnel states must not
  const by: KeyField[] = ["src", "dport", "service"];
  const run = (partition?: { index: number; count: number }) => runBuffer(data, { by, partition }).engine;
  const answers = (e: Engine) => ({ conns: e.top(0, "conns"), pkts: e.top(0, "pkts"), stats: e.stats() });
  const single = answers(run());
  assert.is(single.conns.filter((row) => row.service === "teredo").reduce((n, row) => n + row.conns, 0), N, "the rows count each Teredo connection");
  for (const count of [2, 3]) {
    const first = run({ index: 0, count });
    for (let index = 1; index < count; index++) first.absorb(run({ index, count }).partitionResult());
    assert.equal(answers(first), single, `${count} partitions`);
  }
});

test("truncated and malformed tunnel headers never crash; every record is decoded or skipped", () => {
  const recs: Rec[] = [];
  const payloads = [
    gre(0, 0x0800, Buffer.alloc(0), Buffer.alloc(0)), hex("00"), gre(0x4000, 0x0800, Buffer.alloc(4), syn4(1, 2)),
    gre(0x0002, 0x0800, Buffer.alloc(0), syn4(1, 2)), gre(0x0001, 0x0800, Buffer.alloc(4), syn4(1, 2)),
    gre(0x0000, 0x22eb, Buffer.alloc(0), Buffer.alloc(20)), gre(0x1000, 0x88be, Buffer.alloc(4), Buffer.alloc(10)),
  ];
  for (const p of payloads) recs.push({ data: eth("0800", ipv4(47, p, O1)) });
  for (const port of [4789, 6081, 3544, 5072, 2152, 2123]) {
    for (const body of [Buffer.alloc(0), hex("ff"), hex("08000000 000000"), Buffer.alloc(60, 0xff), hex("30ff0004 00000000 45")]) {
      recs.push({ data: eth("0800", udp4(40000, port, body, O1)) });
    }
  }
  // cut by the snaplen in the middle of the tunnel header and of the inner packet
  const full = eth("0800", udp4(40000, 4789, vxlan(eth("0800", syn4(1234, 80))), O1));
  for (const cap of [14 + 20 + 8 + 4, 14 + 20 + 8 + 8 + 10, full.length - 10]) recs.push({ data: full, cap });
  const { engine, file } = runBuffer(pcap(recs));
  assert.is(file.error, undefined);
  const s = engine.stats();
  const skipped = Object.values(s.records_skipped).reduce((a, b) => a + b, 0);
  assert.is(s.records_decoded + skipped, s.records_read);
  assert.is(s.records_read, recs.length);
});

test.run();
