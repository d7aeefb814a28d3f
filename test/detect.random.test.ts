// No false confirmations: random bytes (a seeded generator) on every port an analyzer is attached
// to by default (assembly/detect/ports.ts) confirm nothing, over TCP (whole connections, both
// directions, data in several segments) and UDP (datagrams both ways). The captures are built here.
// A few of Zeek's analyzers accept arbitrary bytes by design; they are listed (LENIENT) and their
// confirmations are counted, not failed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { Engine } from "../src/engine.js";
import { decodeConnRecords, type ConnRecord } from "../src/conn.js";
import { asRows } from "./helpers/conn.js";
import { REPO } from "./helpers/captures.js";

/** The ports of ports.ts's registrations, per transport. */
function registeredPorts(): { tcp: number[]; udp: number[] } {
  const src = readFileSync(`${REPO}/assembly/detect/ports.ts`, "utf8");
  const cases = (s: string) => [...s.matchAll(/case (\d+):/g)].map((m) => Number(m[1]));
  const t = src.indexOf("proto == 6"), u = src.indexOf("proto == 17");
  const end = src.indexOf("export function portAnalyzer2");
  return { tcp: cases(src.slice(t, u)), udp: cases(src.slice(u, end)) };
}

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checksum(buf: Buffer, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** A classic pcap (Ethernet) built packet by packet. */
class PcapBuilder {
  private parts: Buffer[] = [];
  private t = 1_700_000_000;
  constructor() {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16); h.writeUInt32LE(1, 20);
    this.parts.push(h);
  }
  private ip(src: number, dst: number, proto: number, l4: Buffer): void {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45; ip.writeUInt16BE(20 + l4.length, 2); ip[8] = 64; ip[9] = proto;
    ip.writeUInt32BE(src, 12); ip.writeUInt32BE(dst, 16);
    ip.writeUInt16BE(checksum(ip), 10);
    // the transport checksum over the pseudo-header
    const pseudo = Buffer.alloc(12);
    pseudo.writeUInt32BE(src, 0); pseudo.writeUInt32BE(dst, 4); pseudo[9] = proto; pseudo.writeUInt16BE(l4.length, 10);
    const off = proto === 6 ? 16 : 6;
    l4.writeUInt16BE(0, off);
    let c = checksum(Buffer.concat([pseudo, l4]));
    if (proto === 17 && c === 0) c = 0xffff;
    l4.writeUInt16BE(c, off);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12); eth[5] = 1; eth[11] = 2;
    const frame = Buffer.concat([eth, ip, l4]);
    const rec = Buffer.alloc(16);
    this.t += 0.001;
    rec.writeUInt32LE(Math.floor(this.t), 0); rec.writeUInt32LE(Math.round((this.t % 1) * 1e6) % 1_000_000, 4);
    rec.writeUInt32LE(frame.length, 8); rec.writeUInt32LE(frame.length, 12);
    this.parts.push(rec, frame);
  }
  tcp(src: number, sport: number, dst: number, dport: number, seq: number, ack: number, flags: number, data: Buffer): void {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt32BE(seq >>> 0, 4); h.writeUInt32BE(ack >>> 0, 8);
    h[12] = 5 << 4; h[13] = flags; h.writeUInt16BE(65535, 14);
    this.ip(src, dst, 6, Buffer.concat([h, data]));
  }
  udp(src: number, sport: number, dst: number, dport: number, data: Buffer): void {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt16BE(8 + data.length, 4);
    this.ip(src, dst, 17, Buffer.concat([h, data]));
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

/** Analyzers whose Zeek grammar accepts random bytes, and why. */
const LENIENT: Record<string, string> = {
  irc: "IRC.cc confirms on any client line of 3 to 512 bytes, before it looks at the command",
  finger: "finger.spicy accepts any client request whose user part is not empty (decode() replaces bad UTF-8)",
  ntp: "mode 0 datagrams, and 48-72-byte ones of modes 1-5, parse whatever they hold",
};

const FIN = 1, SYN = 2, PSH = 8, ACK = 16;
const CLIENT = 0x0a000001, SERVER = 0x0a000002;
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

function confirmations(pcap: Buffer): Record<string, string>[] {
  const records: ConnRecord[] = [];
  const engine = new Engine({ by: ["src"], onRecords: (batch, view) => decodeConnRecords(batch, view, records) });
  engine.beginFile();
  engine.write(pcap);
  engine.endFile("random");
  engine.end();
  return asRows(records);
}

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
        const r = rng(port * 1000 + round);
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
