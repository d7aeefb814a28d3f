// Decoding (assembly/decode/) against the link-type and encapsulation captures in
// ../shared/captures/formats: what each record becomes (decoded, or skipped for which reason), and
// the TCP/UDP conversations, compared with tshark's (the F.tshark.txt files, and tshark run live).
//
// Expected values come from the reference files (INDEX.tsv, F.tshark.txt) or from tshark display
// filters counted live, never from zk-stream's own output. Where zk-stream follows Zeek and Zeek
// differs from tshark, the case says so and why.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuffer, type Stats } from "../src/engine.js";
import { haveTool } from "./helpers/cli.js";
import { sum16 } from "./helpers/packets.js";
import { CAPTURES, HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";

const FORMATS = join(CAPTURES, "formats");

const TSHARK = HAVE_CAPTURES && haveTool("tshark");

/** Frames of a capture that match a tshark display filter (checksum validation on, so that
 *  ip.checksum.status and friends mean something). */
const tsharkCache = new Map<string, number>();
function tsharkCount(file: string, filter: string): number {
  const key = `${file}\n${filter}`;
  let n = tsharkCache.get(key);
  if (n === undefined) {
    const out = execFileSync("tshark", [
      "-r", join(FORMATS, file), "-o", "ip.check_checksum:TRUE", "-Y", filter, "-T", "fields", "-e", "frame.number",
    ], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }).toString();
    n = out.split("\n").filter((l) => l.trim() !== "").length;
    tsharkCache.set(key, n);
  }
  return n;
}

/** Packets per file from INDEX.tsv (the `packets` column). */
const indexPackets = new Map<string, number>();
if (HAVE_CAPTURES) {
  const lines = readFileSync(join(CAPTURES, "INDEX.tsv"), "utf8").split("\n");
  const cols = lines[0].split("\t");
  const fileCol = cols.indexOf("file");
  const pktCol = cols.indexOf("packets");
  for (const line of lines.slice(1)) {
    const c = line.split("\t");
    if (c[fileCol]?.startsWith("formats/")) indexPackets.set(c[fileCol].slice(8), Number(c[pktCol]));
  }
}

/** An expected count: a number read from a reference file, or a tshark display filter counted live. */
type Expect = number | { tshark: string };

const REASONS = [
  "unsupported_link_type", "not_ip", "truncated_link_header", "truncated_IP", "bad_IP_checksum",
  "bogus_IP_header", "truncated_transport_header", "fragment", "bad_transport_header", "tunnel",
  "no_connection",
] as const;
type Reason = (typeof REASONS)[number];

interface Case {
  file: string;
  /** Run with checksums ignored (Zeek's -C). */
  C?: boolean;
  decoded: Expect;
  skipped?: Partial<Record<Reason, Expect>>;
  /** Why the expectation is what it is (a Zeek rule, an INDEX.tsv note). */
  why?: string;
}

// Most link types: every IP frame is decoded and everything else is not IP.
const IP = { tshark: "ip || ipv6" };
const NOT_IP = { tshark: "!(ip || ipv6)" };

const CASES: Case[] = [
  // Linux cooked captures
  { file: "sll113_http-ldap-log4j_ndpi.pcap", decoded: IP, skipped: { not_ip: NOT_IP } },
  { file: "sll113_irc-starttls_zeek.pcap", decoded: IP },
  { file: "sll113_snaplen128-sliced_PcapPlusPlus.pcap", decoded: IP, why: "a sliced payload still decodes" },
  { file: "pcap_nsec_LE_sll113_tcp-handshake_tcpdump.pcap", decoded: IP },
  { file: "pcapng_sll113_isb_ndpi-http2.pcapng", decoded: IP },
  { file: "sll2_276_PcapPlusPlus.pcap", decoded: IP },
  { file: "sll2_276_arp+udp_zeek.pcap", decoded: IP, skipped: { not_ip: { tshark: "arp" } } },
  { file: "sll2_276_tls-openjdk_zeek.pcap", decoded: IP },
  // BSD loopback
  { file: "null0_loopback-http_gopacket.pcap", decoded: IP },
  { file: "null0_rdp_ndpi.pcap", decoded: IP },
  {
    file: "null0_3pkts_PcapPlusPlus.pcap", decoded: 2, skipped: { not_ip: 1 },
    why: "INDEX.tsv: the 3rd packet is Cisco-HDLC framed (0f 00 08 00); its 'family' is no AF_ value, so " +
      "Zeek's NULL analyzer finds no IP (tshark takes the low 16 bits as an ethertype)",
  },
  { file: "pcapng_null0_named-.pcap_PcapPlusPlus.pcap", decoded: 2, skipped: { not_ip: 1 }, why: "same packets as null0_3pkts" },
  { file: "DERIVED_loop108_from-null0_PcapPlusPlus.pcap", decoded: IP, skipped: { not_ip: NOT_IP } },
  { file: "trunc_snaplen256_null0_quic_tcpdump.pcap", decoded: IP, why: "payloads cut by the snaplen still decode" },
  // Raw IP
  { file: "raw101_http-dns-tls_ndpi-ocs.pcap", decoded: IP },
  { file: "raw101_ipv4_tcpdump.pcap", decoded: IP },
  { file: "raw101_ipv6_tcpdump.pcap", decoded: IP },
  { file: "raw101_snaplen1024-sliced_syslog_ndpi.pcap", decoded: IP },
  { file: "raw12_ipv6-http-streams_PcapPlusPlus.pcap", decoded: IP },
  { file: "DERIVED_raw14_from-raw12_PcapPlusPlus.pcap", decoded: IP },
  { file: "pcap_named-.pcapng_raw101_ndpi-bets.pcapng", decoded: IP },
  { file: "pcapng_BE_obsolete-PB-blocks_raw101_named-.pcap_scapy-pfcp.pcap", decoded: IP },
  { file: "ipv4-228_tcpdump.pcap", decoded: IP },
  {
    file: "ipv4-228_holding-ipv6_invalid_tcpdump.pcap", decoded: { tshark: "ipv6" },
    why: "the IP version comes from the packet, as in Zeek (and tshark): decoded as IPv6, not as IPv4",
  },
  { file: "ipv6-229_tcpdump.pcap", decoded: IP },
  // PPP, NFLOG, 802.11, FDDI
  { file: "other_ppp9_quic_ndpi.pcap", decoded: IP },
  { file: "other_nflog239_http_zeek.pcap", decoded: IP },
  { file: "other_radiotap127_zeek.pcap", decoded: IP },
  { file: "other_fddi10_dns_zeek.pcap", decoded: IP },
  {
    file: "other_ppi192_http_libpcap.pcap", decoded: 0, skipped: { unsupported_link_type: 5 },
    why: "INDEX.tsv: linktype 192 (PPI), 5 packets: not a supported link type",
  },
  // Mixed link types in one pcapng
  { file: "pcapng_11idb_eth+null0+raw12_PcapPlusPlus.pcapng", decoded: IP, skipped: { not_ip: NOT_IP } },
  { file: "pcapng_2idb_eth+sll113_snaplen0_PcapPlusPlus.pcapng", decoded: IP, skipped: { not_ip: NOT_IP } },
  // VLAN, QinQ, MPLS, PPPoE
  { file: "vlan_8021ad-qinq_tcpdump.pcap", decoded: 0, skipped: { not_ip: { tshark: "arp" } } },
  { file: "vlan_dot1ad_arkime.pcap", decoded: IP },
  { file: "vlan_dot1q_icmp_zeek.pcap", decoded: IP, skipped: { not_ip: { tshark: "arp" } } },
  { file: "vlan_pcp-dei_zeek.pcapng", decoded: IP },
  {
    file: "mpls_basic_arkime.pcap", decoded: IP, skipped: { not_ip: NOT_IP },
    why: "an MPLS payload that is not IP (here Ethernet loopback) and CDP are not IP",
  },
  {
    file: "mpls-in-vlan_zeek.pcap", decoded: 0, skipped: { bad_IP_checksum: { tshark: "ip.checksum.status == 0" } },
    why: "bad IPv4 header checksums drop the packet (Zeek's baseline for this trace was made with -C)",
  },
  { file: "mpls-in-vlan_zeek.pcap", C: true, decoded: IP },
  { file: "pppoe_session_tcpdump.pcap", decoded: 0, skipped: { not_ip: { tshark: "lcp" } } },
  { file: "pppoe_discovery_tcpdump.pcap", decoded: 0, skipped: { not_ip: { tshark: "pppoed" } } },
  // IPv6 extension headers
  { file: "ipv6_atomic-frag_http_zeek.pcap", decoded: IP, why: "atomic fragments (offset 0, M=0) are whole datagrams" },
  { file: "ipv6_ext-headers_libpcap.pcap", decoded: IP },
  { file: "ipv6_hbh+routing0_zeek.pcap", decoded: IP },
  { file: "ipv6_routing-header_tcpdump.pcap", decoded: IP },
  {
    file: "ipv6_mobility+dstopts_zeek.pcap", decoded: 2, skipped: { bogus_IP_header: 1 },
    why: "packet 2's destination options header (40 bytes) is longer than the payload length (36): " +
      "Zeek's invalid_IP_header_size (tshark: 'Possible bad payload length')",
  },
  {
    file: "ipv6_srh-ext-header_tcpdump.pcap", decoded: { tshark: "ipv6.routing.nxt == 41" },
    why: "a segment routing header in front of an inner IPv6 packet: IPv6-in-IPv6, decapsulated",
  },
  // Truncation (INDEX.tsv describes each; one packet each unless said)
  { file: "trunc_snaplen1_zeek.pcap", decoded: 0, skipped: { truncated_link_header: 1 }, why: "1 byte of the frame captured" },
  { file: "trunc_ip4-header_zeek.pcap", decoded: 0, skipped: { truncated_IP: 1 }, why: "IPv4 header cut by the snaplen" },
  { file: "trunc_ip6-header_zeek.pcap", decoded: 0, skipped: { truncated_IP: 1 }, why: "IPv6 header cut by the snaplen" },
  {
    file: "trunc_ip6-ext-header_zeek.pcap", decoded: 0, skipped: { truncated_IP: 1 },
    why: "the frame ends after the IPv6 header: wire length < IP total length (Zeek's truncated_IP_len)",
  },
  {
    file: "trunc_ipv4-len-bigger-than-caplen_zeek.pcap", decoded: 0, skipped: { bogus_IP_header: { tshark: "ip.hdr_len > ip.len" } },
    why: "IHL says 60 bytes, the total length 20 (which the frame holds): Zeek's invalid_IP_header_size",
  },
  { file: "trunc_icmp-payload_zeek.pcap", decoded: IP, why: "a truncated ICMP payload still makes the connection" },
  { file: "trunc_snaplen96_tcp_zeek.pcap", decoded: IP, why: "TCP headers whole, payloads cut: decoded" },
  { file: "trunc_udp-contents-oob_zeek.pcap", decoded: IP, why: "UDP header whole, payload cut: decoded" },
  {
    file: "trunc_snaplen176_geneve-vxlan-dns_zeek.pcap", decoded: IP,
    why: "the outer UDP (Geneve) packets are connections; the packets they carry belong to the same records",
  },
  { file: "ipv4_bad-fragment_PcapPlusPlus.pcap", decoded: 0, skipped: { truncated_IP: { tshark: "ip" } }, why: "IP total length > frame" },
  {
    file: "corrupt_ip-bogus-header-len_zeek.pcap", decoded: 0, skipped: { bogus_IP_header: 1 },
    why: "IPv4 total length 0: Zeek's ip_hdr_len_zero drops the packet unless checksums are ignored",
  },
  {
    file: "corrupt_ip-bogus-header-len_zeek.pcap", C: true, decoded: 1,
    why: "with -C Zeek takes the captured length as the IP length",
  },
  // Fragments: held until the datagram is whole; the record that completes it is decoded (tshark
  // shows the transport in that frame). Tunnels: the outer GRE and IP-in-IP packets are no
  // connections, the packets they carry are.
  { file: "ipv4_frag-1_zeek.pcap", decoded: { tshark: "udp || tcp" }, skipped: { fragment: { tshark: "(ip.flags.mf == 1 || ip.frag_offset > 0) && !(udp || tcp)" } } },
  { file: "ipv4_frag-3_zeek.pcap", decoded: { tshark: "udp || tcp" }, skipped: { fragment: { tshark: "(ip.flags.mf == 1 || ip.frag_offset > 0) && !(udp || tcp)" } }, why: "every fragment has MF set: never whole" },
  { file: "ipv4_frag-syn_zeek.pcap", decoded: { tshark: "udp || tcp" }, skipped: { fragment: { tshark: "(ip.flags.mf == 1 || ip.frag_offset > 0) && !(udp || tcp)" } } },
  { file: "gre_sample_zeek.pcap", decoded: { tshark: "gre" }, why: "the packets inside GRE are decoded" },
  { file: "ipip_6in4_zeek.pcap", decoded: 1, why: "IPv6 in IPv4 (proto 41), decapsulated" },
  { file: "ipip_4in6_zeek.pcap", decoded: 1, why: "IPv4 in IPv6 (proto 4), decapsulated" },
  // Protocols Zeek analyses without a connection
  {
    file: "pcapng_nrb_5898pkts_wireshark-samples_pcapparser.pcapng", decoded: { tshark: "(ip || ipv6) && !igmp" },
    skipped: { not_ip: NOT_IP, no_connection: { tshark: "igmp" } }, why: "IGMP makes no connection in Zeek",
  },
  // ICMP
  { file: "icmp_5-pings_zeek.pcap", decoded: IP },
  { file: "icmp6_ping_zeek.pcap", decoded: IP },
  { file: "icmp_destunreach-udp_zeek.pcap", decoded: IP },
  { file: "icmp6_destunreach-ip6ext-udp_zeek.pcap", decoded: IP },
];

function expected(file: string, e: Expect): number {
  return typeof e === "number" ? e : tsharkCount(file, e.tshark);
}

function needsTshark(c: Case): boolean {
  const all: Expect[] = [c.decoded, ...Object.values(c.skipped ?? {})];
  return all.some((e) => typeof e !== "number");
}

/** Skip counts by reason; a reason the engine does not name yet is what the named ones leave over. */
function skippedBy(s: Stats): Record<string, number> {
  const out: Record<string, number> = { ...s.records_skipped };
  const named = Object.values(s.records_skipped).reduce((a, b) => a + b, 0);
  const rest = s.records_read - s.records_decoded - named;
  if (rest > 0 && out.no_connection === undefined) out.no_connection = rest;
  return out;
}

noteMissingCaptures("decode tests");
if (HAVE_CAPTURES && !TSHARK) console.log("  SKIP decode cases that count frames with tshark: tshark is not installed");

for (const c of CASES) {
  if (!HAVE_CAPTURES) break;
  if (!existsSync(join(FORMATS, c.file))) {
    console.log(`  SKIP ${c.file}: not in ${FORMATS}`);
    continue;
  }
  if (needsTshark(c) && !TSHARK) continue;
  test(`${c.file}${c.C ? " (-C)" : ""}: decoded and skipped records`, () => {
    const { engine, file } = runBuffer(readFileSync(join(FORMATS, c.file)), { ignoreChecksums: !!c.C });
    assert.is(file.error, undefined, file.error && `${file.error.layer}: ${file.error.reason}`);
    const s = engine.stats();
    const why = c.why ? ` (${c.why})` : "";
    const packets = indexPackets.get(c.file);
    if (packets !== undefined) assert.is(s.records_read, packets, `records read vs INDEX.tsv packets${why}`);
    const got = skippedBy(s);
    const want: Record<string, number> = {};
    for (const [reason, e] of Object.entries(c.skipped ?? {})) {
      const n = expected(c.file, e as Expect);
      if (n > 0) want[reason] = n;
    }
    assert.equal({ decoded: s.records_decoded, ...got }, { decoded: expected(c.file, c.decoded), ...want }, `outcomes${why}`);
    if (c.skipped?.unsupported_link_type) {
      const link = /linktype=(\d+)/.exec(readFileSync(join(CAPTURES, "INDEX.tsv"), "utf8").split("\n").find((l) => l.startsWith(`formats/${c.file}\t`)) ?? "");
      assert.ok(link, "INDEX.tsv names the link type");
      assert.is(s.unsupported_link_type, Number(link![1]), "the unsupported link type is reported");
    }
  });
}

// ---- conversations ----

interface Conversation { proto: "tcp" | "udp"; a: string; pa: number; b: string; pb: number; frames: number }

/** `tshark -q -z conv,tcp -z conv,udp` output: address:port <-> address:port, frames both ways. */
function readConversations(path: string): Conversation[] {
  const out: Conversation[] = [];
  let proto: "tcp" | "udp" | undefined;
  const endpoint = (s: string): [string, number] => {
    const i = s.lastIndexOf(":");
    return [s.slice(0, i), Number(s.slice(i + 1))];
  };
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("TCP Conversations")) proto = "tcp";
    else if (line.startsWith("UDP Conversations")) proto = "udp";
    const t = line.trim().split(/\s+/);
    if (!proto || t[1] !== "<->" || t.length < 10) continue;
    const [a, pa] = endpoint(t[0]);
    const [b, pb] = endpoint(t[2]);
    out.push({ proto, a, pa, b, pb, frames: Number(t[9]) });
  }
  return out;
}

interface ConvCase {
  file: string;
  /** tshark conversations zk-stream does not have, with the reason ("a:pa b:pb"). */
  missing?: Record<string, string>;
  /** Compare packets per conversation (off where tshark and Zeek count differently). */
  packets?: boolean;
}

const CONV_CASES: ConvCase[] = [
  { file: "sll113_http-ldap-log4j_ndpi.pcap", packets: true },
  { file: "sll113_irc-starttls_zeek.pcap", packets: true },
  { file: "sll113_snaplen128-sliced_PcapPlusPlus.pcap", packets: true },
  { file: "sll2_276_PcapPlusPlus.pcap", packets: true },
  { file: "sll2_276_tls-openjdk_zeek.pcap", packets: true },
  { file: "pcapng_sll113_isb_ndpi-http2.pcapng", packets: true },
  { file: "null0_loopback-http_gopacket.pcap", packets: true },
  { file: "null0_rdp_ndpi.pcap", packets: true },
  {
    file: "null0_3pkts_PcapPlusPlus.pcap", packets: true,
    missing: { "10.0.0.138:53 10.0.0.1:58125": "Cisco-HDLC framed packet on a NULL link: no AF_ family, not IP for Zeek" },
  },
  { file: "DERIVED_loop108_from-null0_PcapPlusPlus.pcap", packets: true },
  { file: "trunc_snaplen256_null0_quic_tcpdump.pcap", packets: true },
  { file: "raw101_http-dns-tls_ndpi-ocs.pcap", packets: true },
  { file: "raw101_snaplen1024-sliced_syslog_ndpi.pcap", packets: true },
  { file: "raw12_ipv6-http-streams_PcapPlusPlus.pcap", packets: true },
  { file: "DERIVED_raw14_from-raw12_PcapPlusPlus.pcap", packets: true },
  { file: "pcap_named-.pcapng_raw101_ndpi-bets.pcapng", packets: true },
  { file: "ipv4-228_tcpdump.pcap", packets: true },
  { file: "ipv4-228_holding-ipv6_invalid_tcpdump.pcap", packets: true },
  { file: "ipv6-229_tcpdump.pcap", packets: true },
  { file: "other_ppp9_quic_ndpi.pcap", packets: true },
  { file: "other_nflog239_http_zeek.pcap", packets: true },
  { file: "other_radiotap127_zeek.pcap", packets: true },
  { file: "other_fddi10_dns_zeek.pcap", packets: true },
  { file: "vlan_pcp-dei_zeek.pcapng", packets: true },
  { file: "mpls_basic_arkime.pcap", packets: true },
  { file: "mpls-in-vlan_zeek.pcap", packets: true },
  { file: "ipv6_atomic-frag_http_zeek.pcap", packets: true },
  { file: "ipv6_ext-headers_libpcap.pcap", packets: true },
  { file: "ipv6_hbh+routing0_zeek.pcap", packets: true },
  { file: "ipv6_routing-header_tcpdump.pcap", packets: true },
  { file: "trunc_snaplen96_tcp_zeek.pcap", packets: true },
  { file: "trunc_udp-contents-oob_zeek.pcap", packets: true },
  { file: "pcapng_11idb_eth+null0+raw12_PcapPlusPlus.pcapng", packets: true },
  { file: "pcapng_2idb_eth+sll113_snaplen0_PcapPlusPlus.pcapng", packets: true },
];

for (const c of CONV_CASES) {
  if (!HAVE_CAPTURES) break;
  const ref = join(FORMATS, `${c.file}.tshark.txt`);
  if (!existsSync(join(FORMATS, c.file)) || !existsSync(ref)) {
    console.log(`  SKIP ${c.file}: capture or its .tshark.txt missing`);
    continue;
  }
  test(`${c.file}: tshark's TCP/UDP conversations are zk-stream's connections`, () => {
    // Checksums ignored: tshark counts frames whatever their checksums.
    const { engine } = runBuffer(readFileSync(join(FORMATS, c.file)), { by: ["src", "dst", "dport"], ignoreChecksums: true });
    const ours = new Map<string, number>();
    for (const r of engine.top(0, "pkts")) {
      if (r.proto !== "tcp" && r.proto !== "udp") continue;
      ours.set(`${r.proto} ${r.src} ${r.dst} ${r.dport}`, r.pkts);
    }
    // A conversation is a connection whose originator is either end: key (a, b, pb) or (b, a, pa).
    // Conversations that share a key (several client ports to one server port) form one group;
    // a group's frames must equal the packets of its keys (whatever way the roles went).
    const convs = readConversations(ref).filter((v) => !c.missing?.[`${v.a}:${v.pa} ${v.b}:${v.pb}`]);
    const parent = convs.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    const keyConv = new Map<string, number>();
    const keysOf = (v: Conversation) => [`${v.proto} ${v.a} ${v.b} ${v.pb}`, `${v.proto} ${v.b} ${v.a} ${v.pa}`];
    convs.forEach((v, i) => {
      for (const k of keysOf(v)) {
        const j = keyConv.get(k);
        if (j === undefined) keyConv.set(k, i);
        else parent[find(j)] = find(i);
      }
    });
    const unmatched = convs.filter((v) => !keysOf(v).some((k) => ours.has(k))).map((v) => `${v.proto} ${v.a}:${v.pa} <-> ${v.b}:${v.pb}`);
    assert.equal(unmatched, [], "tshark conversations without a connection");
    assert.equal([...ours.keys()].filter((k) => !keyConv.has(k)).sort(), [], "connections tshark does not have");
    if (c.packets) {
      const frames = new Map<number, number>();
      const pkts = new Map<number, number>();
      const names = new Map<number, string>();
      convs.forEach((v, i) => {
        const g = find(i);
        frames.set(g, (frames.get(g) ?? 0) + v.frames);
        if (!names.has(g)) names.set(g, `${v.proto} ${v.a}:${v.pa} <-> ${v.b}:${v.pb}`);
      });
      for (const [k, n] of ours) {
        const g = find(keyConv.get(k)!);
        pkts.set(g, (pkts.get(g) ?? 0) + n);
      }
      const diff = [...frames].filter(([g, n]) => pkts.get(g) !== n).map(([g, n]) => `${names.get(g)}: tshark ${n}, ours ${pkts.get(g)}`);
      assert.equal(diff, [], "packets per conversation");
    }
  });
}


// ---- hand-built frames: link types and encapsulations the captures lack ----
// Each frame is written to a pcap; tshark reads the same file and the expected count is the
// number of frames its display filter matches.

const SRC4 = [192, 0, 2, 1], DST4 = [198, 51, 100, 2];
const SRC6 = Buffer.from("20010db8000000000000000000000001", "hex");
const DST6 = Buffer.from("20010db8000000000000000000000002", "hex");

function ipv4(proto: number, payload: Buffer, o: { ihl?: number; frag?: number } = {}): Buffer {
  const ihl = o.ihl ?? 5;
  const h = Buffer.alloc(Math.max(ihl, 5) * 4);
  h[0] = 0x40 | ihl; h.writeUInt16BE(h.length + payload.length, 2); h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE(o.frag ?? 0, 6); h[8] = 64; h[9] = proto;
  h.set(SRC4, 12); h.set(DST4, 16);
  h.writeUInt16BE(~sum16(h) & 0xffff, 10);
  return Buffer.concat([h, payload]);
}
/** IPv6 with extension headers given as [type, bytes] (each header's next field is filled in). */
function ipv6(next: number, payload: Buffer, ext: [number, Buffer][] = []): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60; h[7] = 64; SRC6.copy(h, 8); DST6.copy(h, 24);
  const parts: Buffer[] = [];
  let first = next;
  for (let i = ext.length - 1; i >= 0; i--) { ext[i][1][0] = first; first = ext[i][0]; parts.unshift(ext[i][1]); }
  h[6] = first;
  const body = Buffer.concat([...parts, payload]);
  h.writeUInt16BE(body.length, 4);
  return Buffer.concat([h, body]);
}
function udp(data = Buffer.from("hello")): Buffer {
  const u = Buffer.alloc(8); u.writeUInt16BE(40000, 0); u.writeUInt16BE(53, 2); u.writeUInt16BE(8 + data.length, 4);
  return Buffer.concat([u, data]); // checksum 0 (none, for IPv4)
}
function tcp(doff = 5): Buffer {
  const t = Buffer.alloc(Math.max(doff, 5) * 4);
  t.writeUInt16BE(40000, 0); t.writeUInt16BE(80, 2); t[12] = doff << 4; t[13] = 0x02; t.writeUInt16BE(65535, 14);
  return t;
}
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const eth = (type: string) => hex(`020000000002 020000000001 ${type}`);
function pppoe(proto: number, payload: Buffer): Buffer {
  const h = hex("1100 0001 0000 0000");
  h.writeUInt16BE(2 + payload.length, 4); h.writeUInt16BE(proto, 6);
  return Buffer.concat([h, payload]);
}

interface Frame { link: number; data: Buffer; cap?: number; wire?: number }
function pcapFile(f: Frame): Buffer {
  const cap = f.cap ?? f.data.length;
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6); g.writeUInt32LE(65535, 16); g.writeUInt32LE(f.link, 20);
  const r = Buffer.alloc(16);
  r.writeUInt32LE(1700000000, 0); r.writeUInt32LE(cap, 8); r.writeUInt32LE(f.wire ?? f.data.length, 12);
  return Buffer.concat([g, r, f.data.subarray(0, cap)]);
}

interface Built { name: string; frame: Frame; outcome: "decoded" | Reason; tshark?: string; why?: string }
const BUILT: Built[] = [
  { name: "PPP serial (50), HDLC framing, IPv4", frame: { link: 50, data: Buffer.concat([hex("ff030021"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "udp" },
  { name: "PPP (9) without framing, IPv6", frame: { link: 9, data: Buffer.concat([hex("0057"), ipv6(17, udp())]) }, outcome: "decoded", tshark: "ipv6 && udp" },
  {
    name: "802.11 (105) data frame, LLC/SNAP, IPv4",
    frame: { link: 105, data: Buffer.concat([hex("0801 0000 020000000002 020000000001 020000000003 0000 aaaa03000000 0800"), ipv4(17, udp())]) },
    outcome: "decoded", tshark: "udp",
  },
  {
    name: "802.11 (105) QoS data, four addresses",
    frame: { link: 105, data: Buffer.concat([hex("8803 0000 020000000002 020000000001 020000000003 0000 020000000004 0000 aaaa03000000 0800"), ipv4(17, udp())]) },
    outcome: "decoded", tshark: "udp",
  },
  { name: "802.11 (105) beacon", frame: { link: 105, data: hex("8000 0000 ffffffffffff 020000000001 020000000001 0000 " + "00".repeat(24)) }, outcome: "not_ip", tshark: "wlan.fc.type == 0" },
  { name: "NULL (0) written big-endian, AF_INET", frame: { link: 0, data: Buffer.concat([hex("00000002"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "udp" },
  { name: "NULL (0), AF_INET6 of Darwin (30)", frame: { link: 0, data: Buffer.concat([hex("1e000000"), ipv6(17, udp())]) }, outcome: "decoded", tshark: "ipv6 && udp" },
  { name: "LOOP (108), AF_INET6 of NetBSD (24)", frame: { link: 108, data: Buffer.concat([hex("00000018"), ipv6(17, udp())]) }, outcome: "decoded", tshark: "ipv6 && udp" },
  { name: "Linux SLL (113) with an 802.1Q tag", frame: { link: 113, data: Buffer.concat([hex("0000 0001 0006 020000000001 0000 8100"), hex("0064 0800"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "vlan && udp" },
  { name: "Ethernet, 0x9100 then 802.1Q tags", frame: { link: 1, data: Buffer.concat([eth("9100"), hex("0064 8100 00c8 0800"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "udp" },
  { name: "Ethernet, three 802.1ad/802.1Q tags", frame: { link: 1, data: Buffer.concat([eth("88a8"), hex("0064 88a8 00c8 8100 012c 0800"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "udp" },
  { name: "Ethernet, PPPoE session, IPv6", frame: { link: 1, data: Buffer.concat([eth("8864"), pppoe(0x0057, ipv6(17, udp()))]) }, outcome: "decoded", tshark: "pppoes && ipv6 && udp" },
  { name: "Ethernet, two MPLS labels, IPv6", frame: { link: 1, data: Buffer.concat([eth("8847"), hex("00010040 00020140"), ipv6(17, udp())]) }, outcome: "decoded", tshark: "mpls && ipv6 && udp" },
  { name: "802.3 length field, LLC/SNAP, IPv4", frame: { link: 1, data: Buffer.concat([eth("0029"), hex("aaaa03000000 0800"), ipv4(17, udp())]) }, outcome: "decoded", tshark: "llc && udp" },
  { name: "802.3 LLC spanning tree", frame: { link: 1, data: Buffer.concat([eth("0026"), hex("424203"), Buffer.alloc(35)]) }, outcome: "not_ip", tshark: "stp" },
  { name: "IPv6 ESP", frame: { link: 1, data: Buffer.concat([eth("86dd"), ipv6(50, hex("0000010000000001" + "00".repeat(16)))]) }, outcome: "no_connection", tshark: "esp", why: "Zeek stops at ESP without a connection" },
  { name: "IPv6 no next header (59)", frame: { link: 1, data: Buffer.concat([eth("86dd"), ipv6(59, Buffer.alloc(0))]) }, outcome: "no_connection", tshark: "ipv6.nxt == 59", why: "Zeek's ipv6_no_next" },
  {
    name: "IPv6 hop-by-hop, destination options, UDP",
    frame: { link: 1, data: Buffer.concat([eth("86dd"), ipv6(17, udp(), [[0, hex("0000 010400000000")], [60, hex("0000 010400000000")]])]) },
    outcome: "decoded", tshark: "ipv6.hopopts && ipv6.dstopts && udp",
  },
  {
    name: "IPv6 first fragment (offset 0, M=1), captured whole",
    frame: { link: 1, data: Buffer.concat([eth("86dd"), ipv6(17, udp(), [[44, hex("0000 0001 00000007")]])]) },
    outcome: "fragment", tshark: "ipv6.fraghdr.more == 1", why: "held for reassembly",
  },
  { name: "IPv4 with IHL 4", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(17, udp(), { ihl: 4 })]) }, outcome: "bogus_IP_header", tshark: "ip.hdr_len < 20" },
  { name: "IPv4 with a bad header checksum", frame: { link: 1, data: (() => { const b = Buffer.concat([eth("0800"), ipv4(17, udp())]); b[14 + 10] ^= 0xff; return b; })() }, outcome: "bad_IP_checksum", tshark: "ip.checksum.status == 0" },
  { name: "TCP data offset 4", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(6, tcp(4))]) }, outcome: "bad_transport_header", tshark: "tcp.hdr_len < 20" },
  {
    name: "TCP options cut by the snaplen", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(6, tcp(8))]), cap: 14 + 20 + 24 },
    outcome: "truncated_transport_header", tshark: "tcp.hdr_len == 32 && frame.cap_len < 14 + 20 + 32",
  },
  { name: "IGMP", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(2, hex("1164ee9b00000000"))]) }, outcome: "no_connection", tshark: "igmp", why: "Zeek's IGMP analyzer makes no connection" },
  { name: "ESP over IPv4", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(50, hex("0000010000000001" + "00".repeat(16)))]) }, outcome: "decoded", tshark: "esp", why: "IPv4 ESP reaches Zeek's unknown_transport" },
  {
    name: "IPv4 first fragment, not captured whole", frame: { link: 1, data: Buffer.concat([eth("0800"), ipv4(17, udp(Buffer.alloc(200)), { frag: 0x2000 })]), cap: 14 + 20 + 40 },
    outcome: "decoded", tshark: "ip.flags.mf == 1 && ip.frag_offset == 0",
    why: "Zeek analyses a first fragment that was not captured whole as it is",
  },
];

const TMP = mkdtempSync(join(tmpdir(), "zk-decode-"));
for (const b of BUILT) {
  if (!TSHARK) break;
  test(`built frame: ${b.name} -> ${b.outcome}`, () => {
    const file = join(TMP, `${b.name.replace(/[^A-Za-z0-9]+/g, "_")}.pcap`);
    const bytes = pcapFile(b.frame);
    writeFileSync(file, bytes);
    const out = execFileSync("tshark", ["-r", file, "-o", "ip.check_checksum:TRUE", "-Y", b.tshark!, "-T", "fields", "-e", "frame.number"],
      { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    assert.is(out, "1", `tshark filter "${b.tshark}" matches the frame`);
    const { engine } = runBuffer(bytes);
    const s = engine.stats();
    const got = s.records_decoded === 1 ? "decoded" : Object.keys(skippedBy(s))[0];
    assert.is(got, b.outcome, b.why);
  });
}
test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
