// The core's Internet checksums (assembly/decode/checksum.ts) against a plain JavaScript sum, on
// every length the vector loops and their tails can see: UDP over IPv4 and IPv6 with payloads of
// 0 to 700 bytes and a few jumbo ones, ICMP echoes of 0 to 130, and IPv4 headers with 0 to 40
// bytes of options. Each packet
// comes once intact and once with one byte changed: the core must accept every intact one and
// refuse every changed one. Payloads are random, all 0xff (carries in every word) or all 0x00.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBuffer } from "../src/engine.js";
import { addr4, addr6, pcapOf, sum16 } from "./helpers/packets.js";

/** A deterministic byte source (xorshift32), so that a failure can be replayed. */
function bytes(n: number, seed: number, fill: "random" | "ff" | "00"): Buffer {
  if (fill !== "random") return Buffer.alloc(n, fill === "ff" ? 0xff : 0);
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const ETH4 = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00]);
const ETH6 = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x86, 0xdd]);

/** A UDP datagram from port sport to 9 with a valid checksum over the pseudo-header. */
function udp(version: 4 | 6, sport: number, payload: Buffer): Buffer {
  const src = version === 4 ? addr4("10.0.0.1") : addr6("2001:db8::1");
  const dst = version === 4 ? addr4("10.0.0.2") : addr6("2001:db8::2");
  const u = Buffer.alloc(8 + payload.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(9, 2);
  u.writeUInt16BE(u.length, 4);
  payload.copy(u, 8);
  const pseudo = Buffer.alloc(version === 4 ? 12 : 40);
  if (version === 4) {
    src.copy(pseudo, 0); dst.copy(pseudo, 4); pseudo[9] = 17; pseudo.writeUInt16BE(u.length, 10);
  } else {
    src.copy(pseudo, 0); dst.copy(pseudo, 16); pseudo.writeUInt32BE(u.length, 32); pseudo[39] = 17;
  }
  const sum = ~sum16(u, sum16(pseudo)) & 0xffff;
  u.writeUInt16BE(sum === 0 ? 0xffff : sum, 6); // 0 would mean "no checksum"
  if (version === 6) {
    const ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(u.length, 4);
    ip[6] = 17;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
    return Buffer.concat([ETH6, ip, u]);
  }
  return Buffer.concat([ETH4, ipv4(17, u, 0), u]);
}

/** An IPv4 header for a payload, with optionBytes (a multiple of 4) of NOP options. */
function ipv4(proto: number, payload: Buffer, optionBytes: number): Buffer {
  const h = Buffer.alloc(20 + optionBytes, 1); // options: NOPs
  h[0] = 0x40 | ((20 + optionBytes) >> 2);
  h[1] = 0;
  h.writeUInt16BE(h.length + payload.length, 2);
  h.writeUInt32BE(0, 4);
  h[8] = 64;
  h[9] = proto;
  h.writeUInt16BE(0, 10);
  addr4("10.0.0.1").copy(h, 12);
  addr4("10.0.0.2").copy(h, 16);
  h.writeUInt16BE(~sum16(h) & 0xffff, 10);
  return h;
}

/** The frame with one byte changed at offset `at` (from the frame's start). */
function changed(frame: Buffer, at: number): Buffer {
  const f = Buffer.from(frame);
  f[at] ^= 0x5a;
  return f;
}

test("TCP/UDP and ICMP checksums: every payload length from 0 to 700 and jumbo ones, IPv4 and IPv6", () => {
  const frames: Buffer[] = [];
  let bad = 0;
  const lengths = [...Array(701).keys(), 1472, 1473, 8000, 8001, 8191];
  let sport = 1024;
  for (const version of [4, 6] as const) {
    const ipLen = version === 4 ? 20 : 40;
    for (const len of lengths) {
      for (const fill of ["random", "ff", "00"] as const) {
        if (fill !== "random" && len > 80 && len % 7 !== 0) continue; // the patterns on fewer lengths
        const f = udp(version, sport++, bytes(len, len * 31 + version, fill));
        frames.push(f);
        // the changed byte in the payload, or in the ports when there is none (not in the length,
        // which the decoder checks first)
        const at = len > 0 ? 8 + (len * 7919 + version) % len : (len + version) % 4;
        frames.push(changed(f, 14 + ipLen + at));
        bad++;
      }
    }
  }
  // ICMPv4: the sum starts from 0 (no pseudo-header)
  for (let len = 0; len <= 130; len++) {
    const icmp = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 1, 0, len]), bytes(len, len * 17 + 1, len % 3 === 0 ? "ff" : "random")]);
    icmp.writeUInt16BE(~sum16(icmp) & 0xffff, 2);
    const f = Buffer.concat([ETH4, ipv4(1, icmp, 0), icmp]);
    frames.push(f);
    frames.push(changed(f, 14 + 20 + (len > 0 ? 8 + (len * 7919) % len : 4)));
    bad++;
  }
  const { engine, file } = runBuffer(pcapOf(frames));
  assert.is(file.error, undefined);
  const s = engine.stats();
  assert.is(s.records_read, frames.length);
  assert.is(s.records_decoded, frames.length, JSON.stringify(s.records_skipped));
  assert.is(s.bad_transport_checksums, bad);
});

test("IPv4 header checksums: headers of 20 to 60 bytes", () => {
  const frames: Buffer[] = [];
  let bad = 0;
  for (let options = 0; options <= 40; options += 4) {
    for (let k = 0; k < 3; k++) {
      const u = Buffer.alloc(8 + k * 3);
      u.writeUInt16BE(2000 + options * 4 + k, 0);
      u.writeUInt16BE(9, 2);
      u.writeUInt16BE(u.length, 4); // the UDP checksum stays 0: none (IPv4)
      const ip = ipv4(17, u, options);
      ip[4] = k * 37; // vary the words summed
      ip[5] = options;
      ip.writeUInt16BE(0, 10);
      ip.writeUInt16BE(~sum16(ip) & 0xffff, 10);
      const f = Buffer.concat([ETH4, ip, u]);
      frames.push(f);
      // the changed byte in the addresses or the options (the other fields are checked first)
      frames.push(changed(f, 14 + 12 + (options * 5 + k * 11) % (ip.length - 12)));
      bad++;
    }
  }
  const { engine } = runBuffer(pcapOf(frames));
  const s = engine.stats();
  assert.is(s.records_read, frames.length);
  assert.is(s.records_skipped.bad_IP_checksum ?? 0, bad, JSON.stringify(s.records_skipped));
  assert.is(s.records_decoded, frames.length - bad);
  assert.is(s.bad_transport_checksums, 0);
});

test.run();
