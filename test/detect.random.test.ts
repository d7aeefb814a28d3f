// No false confirmations: random bytes (a seeded generator) on every port an analyzer is attached
// to by default (assembly/detect/ports.ts) confirm nothing, over TCP (whole connections, both
// directions, data in several segments) and UDP (datagrams both ways). The captures are built here.
// A few of Zeek's analyzers accept arbitrary bytes by design; they are listed (LENIENT) and their
// confirmations are counted, not failed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { asRows, connRecordsOf } from "./helpers/conn.js";
import { REPO } from "./helpers/captures.js";
import { PcapBuilder, FIN, SYN, PSH, ACK, CLIENT_IP, SERVER_IP } from "./helpers/detect-pcap.js";
import { seeded } from "./helpers/seeded.js";

/** The ports of ports.ts's registrations, per transport. */
function registeredPorts(): { tcp: number[]; udp: number[] } {
  const src = readFileSync(`${REPO}/assembly/detect/ports.ts`, "utf8");
  const cases = (s: string) => [...s.matchAll(/case (\d+):/g)].map((m) => Number(m[1]));
  const t = src.indexOf("proto == 6"), u = src.indexOf("proto == 17");
  const end = src.indexOf("export function portAnalyzer2");
  return { tcp: cases(src.slice(t, u)), udp: cases(src.slice(u, end)) };
}

/** Analyzers whose Zeek grammar accepts random bytes, and why. */
const LENIENT: Record<string, string> = {
  irc: "IRC.cc confirms on any client line of 3 to 512 bytes, before it looks at the command",
  finger: "finger.spicy accepts any client request whose user part is not empty (decode() replaces bad UTF-8)",
  ntp: "mode 0 datagrams, and 48-72-byte ones of modes 1-5, parse whatever they hold",
};

const CLIENT = CLIENT_IP, SERVER = SERVER_IP;
const ROUNDS = 16; // connections per port

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function tcpConnection(p: PcapBuilder, r: () => number, sport: number, dport: number): void {
  let cs = Math.floor(r() * 2 ** 32), ss = Math.floor(r() * 2 ** 32);
  p.tcp(CLIENT, sport, SERVER, dport, cs, 0, SYN, Buffer.alloc(0));
  p.tcp(SERVER, dport, CLIENT, sport, ss, cs + 1, SYN | ACK, Buffer.alloc(0));
  cs++; ss++;
  p.tcp(CLIENT, sport, SERVER, dport, cs, ss, ACK, Buffer.alloc(0));
  // either side may speak first; several segments, some of them large
  const segments = 2 + Math.floor(r() * 8);
  let fromClient = r() < 0.7;
  for (let i = 0; i < segments; i++) {
    const d = randomBytes(r, 1 + Math.floor(r() * (r() < 0.3 ? 1400 : 120)));
    if (fromClient) { p.tcp(CLIENT, sport, SERVER, dport, cs, ss, PSH | ACK, d); cs += d.length; }
    else { p.tcp(SERVER, dport, CLIENT, sport, ss, cs, PSH | ACK, d); ss += d.length; }
    if (r() < 0.6) fromClient = !fromClient;
  }
  p.tcp(CLIENT, sport, SERVER, dport, cs, ss, FIN | ACK, Buffer.alloc(0));
  p.tcp(SERVER, dport, CLIENT, sport, ss, cs + 1, FIN | ACK, Buffer.alloc(0));
  p.tcp(CLIENT, sport, SERVER, dport, cs + 1, ss + 1, ACK, Buffer.alloc(0));
}

function udpFlow(p: PcapBuilder, r: () => number, sport: number, dport: number): void {
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const d = randomBytes(r, 1 + Math.floor(r() * (r() < 0.5 ? 64 : 600)));
    if (i % 2 === 0) p.udp(CLIENT, sport, SERVER, dport, d);
    else p.udp(SERVER, dport, CLIENT, sport, d);
  }
}

const confirmations = (pcap: Buffer): Record<string, string>[] => asRows(connRecordsOf(pcap, false));

const ports = registeredPorts();

test("ports.ts registrations are read", () => {
  assert.ok(ports.tcp.includes(80) && ports.tcp.includes(22), `tcp ${ports.tcp}`);
  assert.ok(ports.udp.includes(53) && ports.udp.includes(123), `udp ${ports.udp}`);
});

for (const [proto, list] of [["tcp", ports.tcp], ["udp", ports.udp]] as const) {
  test(`random bytes on the ${list.length} ${proto} ports of the analyzers confirm nothing`, () => {
    const p = new PcapBuilder();
    let sport = 20000;
    for (const port of list) {
      for (let round = 0; round < ROUNDS; round++) {
        const r = seeded(port * 1000 + round);
        sport = sport >= 60000 ? 20001 : sport + 1;
        if (proto === "tcp") tcpConnection(p, r, sport, port);
        else udpFlow(p, r, sport, port);
      }
    }
    const rows = confirmations(p.done());
    assert.is(rows.length, list.length * ROUNDS, "one connection per flow");
    const confirmed = rows.filter((r) => r.service && r.service !== "-");
    const lenient = new Map<string, number>();
    const wrong: string[] = [];
    for (const r of confirmed) {
      const services = r.service.split(",");
      if (services.every((s) => s in LENIENT)) for (const s of services) lenient.set(s, (lenient.get(s) ?? 0) + 1);
      else wrong.push(`${r["id.resp_p"]}/${r.proto} (seeds ${Number(r["id.resp_p"]) * 1000}+): ${r.service}`);
    }
    for (const [s, n] of lenient) console.log(`    ${s}: ${n} connections confirmed, as Zeek would: ${LENIENT[s]}`);
    assert.ok(wrong.length === 0, `confirmed on random bytes:\n  ${wrong.join("\n  ")}`);
  });
}

test.run();
