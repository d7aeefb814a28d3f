// Protocol detection against nDPI (a second opinion; Zeek stays the reference): on the captures in
// ndpi/, each flow that nDPI's expected output classifies by DPI (`Confidence: DPI`) as a protocol
// Zeek has an analyzer for is confirmed as that protocol by us. Agreement is printed per protocol;
// every disagreement must be one of the known ones below, where Zeek's rule and nDPI's differ (the
// README's "Protocol detection" section explains them).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { connRecordsOf, asRows } from "./helpers/conn.js";
import { CAPTURES, HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";

type Row = Record<string, string>;

/** nDPI master protocol → the services Zeek's analyzers write for it (per transport when it matters). */
const MAP: Record<string, string[]> = {
  HTTP: ["http"], TLS: ["ssl"], IMAPS: ["ssl"], POPS: ["ssl"], SMTPS: ["ssl"], DNS: ["dns"], MDNS: ["dns"],
  SSH: ["ssh"], POP3: ["pop3"], IMAP: ["imap"], SMTP: ["smtp"], FTP_CONTROL: ["ftp"], IRC: ["irc"],
  Jabber: ["xmpp"], MySQL: ["mysql"], SIP: ["sip"], "TCP DCERPC": ["dce_rpc"], Kerberos: ["krb", "krb_tcp"],
  Modbus: ["modbus"], DNP3: ["dnp3_tcp", "dnp3_udp"], MQTT: ["mqtt"], NTP: ["ntp"], Radius: ["radius"],
  RDP: ["rdp", "rdpeudp"], VNC: ["rfb"], SOCKS: ["socks"], Syslog: ["syslog", "syslog_tcp"], DHCP: ["dhcp"],
  QUIC: ["quic"], LDAP: ["ldap_tcp", "ldap_udp"], PostgreSQL: ["postgresql"], Redis: ["redis"], SNMP: ["snmp"],
  SMBv1: ["smb"], SMBv23: ["smb"],
};

/** Tunnels Zeek decapsulates (nDPI writes the inner flow as `TUNNEL:inner`); CAPWAP is not one. */
const ZEEK_TUNNELS = new Set(["VXLAN", "GRE"]);

/** Analyzers not written yet: their flows are reported, not failed. */
const PENDING = new Set<string>();

/** Where Zeek's rule and nDPI's differ: capture, nDPI protocol, why we (as Zeek) do not confirm. */
const KNOWN: { file: string; proto: string; port?: string; why: string }[] = [
  { file: "6in4tunnel.pcap", proto: "IMAPS", why: "seen mid-stream (no SYN): Zeek's SSL analyzer does not parse partial connections" },
  { file: "tls_cipher_lens.pcap", proto: "TLS", why: "client hellos without their SYN: Zeek's SSL analyzer does not parse partial connections" },
  { file: "whatsapp_login_chat.pcap", proto: "TLS", why: "seen mid-stream, application data only: partial connections are not parsed" },
  { file: "kerberos.pcap", proto: "Kerberos", why: "TCP flows without SYN: Zeek's KRB_TCP does not parse partial connections" },
  { file: "imap.pcap", proto: "IMAP", why: "confirmed, then the FETCH response's literal lines are a violation of Zeek's binpac IMAP grammar, which takes the service away (under 10 KB)" },
  { file: "jabber.pcap", proto: "Jabber", port: "5222", why: "confirmed at the client's <stream:stream>, then character data (<mechanism>PLAIN</mechanism>) is a violation of Zeek's binpac XMPP grammar, which takes only tags: the service goes (under 10 KB)" },
  { file: "jabber.pcap", proto: "Jabber", port: "5223", why: "a proprietary binary protocol on 5223, one of Zeek's SSL ports: SSL violates and no signature matches" },
  { file: "fuzz-2020-02-16-11740.pcap", proto: "Radius", why: "fuzzed messages whose attributes overrun the datagram: a violation in Zeek's RADIUS grammar (nDPI checks the header only)" },
  { file: "syslog.pcap", proto: "Syslog", port: "52173", why: "syslog over TCP on port 52173: Zeek has no syslog signature and attaches SYSLOG by port (514) only" },
  { file: "quic_interop_V.pcapng", proto: "QUIC", why: "clients offering the reserved version 0x0a0a0a0a, answered by version negotiation: Zeek's QUIC analyzer decrypts v1 and v2 only" },
  { file: "quic-29.pcap", proto: "QUIC", why: "QUIC draft-29 (0xff00001d): Zeek's QUIC analyzer decrypts v1 and v2 only" },
  { file: "dlt_ppp.pcap", proto: "QUIC", why: "QUIC draft-29 (0xff00001d): Zeek's QUIC analyzer decrypts v1 and v2 only" },
  { file: "gquic.pcap", proto: "QUIC", why: "Google QUIC Q050, not IETF QUIC: Zeek has no analyzer for it" },
  { file: "radius_false_positive.pcapng", proto: "QUIC", why: "only the server's short-header packets: no client INITIAL to decrypt" },
  { file: "rdp.pcap", proto: "RDP", why: "RDP negotiates TLS (HYBRID_EX): Zeek's RDP hands the stream to SSL and does not confirm itself, conn.log says ssl" },
];

function known(file: string, proto: string, ports: string[]): string | undefined {
  return KNOWN.find((k) => k.file === file && k.proto === proto && (!k.port || ports.includes(k.port)))?.why;
}

/** IPv6 addresses in one spelling (nDPI and Zeek compress zeros differently). */
function addr(h: string): string {
  h = h.replace(/^\[|\]$/g, "");
  if (!h.includes(":")) return h;
  const [x, y] = h.split("::");
  const a = x ? x.split(":") : [];
  const b = y === undefined ? [] : y ? y.split(":") : [];
  const all = y === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill("0"), ...b];
  return all.map((g) => parseInt(g, 16).toString(16)).join(":");
}

function endpoint(s: string): string {
  const i = s.lastIndexOf(":");
  return `${addr(s.slice(0, i))} ${s.slice(i + 1)}`;
}

const pairOf = (a: string, b: string, l4: string) => `${a < b ? `${a} | ${b}` : `${b} | ${a}`} ${l4}`;

noteMissingCaptures("protocol detection against nDPI");

const dir = join(CAPTURES, "ndpi");
if (HAVE_CAPTURES && existsSync(dir)) {
  const agree = new Map<string, [number, number]>();
  const notes: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".expected.out")).sort()) {
    const file = f.slice(0, -".expected.out".length);
    const flows: { l4: string; a: string; b: string; proto: string; want: string[] }[] = [];
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const m = /^\s+\d+\s+(TCP|UDP)\s+(\S+) <?-> (\S+) (?:\[VLAN: \d+\])?\s*\[proto: ([^\]]+)\].*\[Confidence: DPI\]/.exec(line);
      if (!m) continue;
      const [, l4, a, b, full] = m;
      let proto = full;
      if (proto.includes(":")) {
        const [tunnel, inner] = proto.split(":");
        if (!ZEEK_TUNNELS.has(tunnel)) continue;
        proto = inner;
      }
      const [master, app] = proto.replace(/^[\d.]+\//, "").split(".");
      const name = master === "NetBIOS" && app?.startsWith("SMB") ? app : master;
      const want = MAP[name] ?? MAP[`${l4} ${name}`];
      if (want) flows.push({ l4: l4.toLowerCase(), a, b, proto: name, want });
    }
    if (flows.length === 0) continue;
    test(`ndpi/${file}: flows nDPI classifies by DPI are confirmed as the same protocol`, () => {
      const rows: Row[] = asRows(connRecordsOf(readFileSync(join(dir, file)), true));
      const byPair = new Map<string, Row[]>();
      for (const r of rows) {
        const k = pairOf(`${addr(r["id.orig_h"])} ${r["id.orig_p"]}`, `${addr(r["id.resp_h"])} ${r["id.resp_p"]}`, r.proto);
        byPair.set(k, [...(byPair.get(k) ?? []), r]);
      }
      const problems: string[] = [];
      for (const fl of flows) {
        const conns = byPair.get(pairOf(endpoint(fl.a), endpoint(fl.b), fl.l4)) ?? [];
        const ok = conns.some((r) => (r.service ?? "-").split(",").some((s) => fl.want.includes(s)));
        const st = agree.get(fl.proto) ?? [0, 0];
        st[1]++;
        if (ok) st[0]++;
        agree.set(fl.proto, st);
        if (ok) continue;
        const what = `${fl.l4} ${fl.a} <-> ${fl.b}: nDPI ${fl.proto}, ours ${conns.map((r) => r.service).join(" | ") || "(no connection)"}`;
        const why = known(file, fl.proto, [fl.a, fl.b].map((e) => e.slice(e.lastIndexOf(":") + 1)));
        if (why) notes.push(`${file} ${fl.proto}: ${why}`);
        else if (PENDING.has(fl.proto)) notes.push(`${file} ${fl.proto}: pending, the analyzer is not written yet`);
        else problems.push(what);
      }
      assert.ok(problems.length === 0, `unexplained disagreements with nDPI:\n  ${problems.join("\n  ")}`);
    });
  }
  test("nDPI agreement per protocol", () => {
    const total = [...agree.values()].reduce((s, [o, t]) => [s[0] + o, s[1] + t], [0, 0]);
    console.log(`  nDPI agreement: ${total[0]}/${total[1]} flows; per protocol: ${[...agree].sort().map(([k, [o, t]]) => `${k} ${o}/${t}`).join(", ")}`);
    const counts = new Map<string, number>();
    for (const n of notes) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const [k, n] of counts) console.log(`    ${n} × ${k}`);
    assert.ok(total[1] > 0);
  });
}

test.run();
