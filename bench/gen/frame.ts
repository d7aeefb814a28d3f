// Capture framing and packet headers: one large reusable Buffer that records are written into
// directly (no per-packet allocation), classic pcap or pcapng framing, the clock, the link header
// (Ethernet; Linux cooked capture v2 as `tcpdump -i any` writes; or Ethernet inside VXLAN, as cloud
// traffic mirroring delivers it, or inside GRE with ERSPAN type II, as a switch's remote SPAN session
// does), IPv4/IPv6 headers and the Internet checksums (IPv4 header, TCP/UDP/ICMPv6 with pseudo-header, ICMP).
import { addr4, putAddr6, putMac } from "./hosts.js";
import type { Rng } from "./rng.js";

export type Format = "pcap" | "pcapng";
export type TsResolution = "us" | "ns";
export type Link = "ethernet" | "sll2" | "vxlan" | "erspan" | "gtp";

export const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL2 = 276;
const LINKTYPES: Record<Link, number> = { ethernet: LINKTYPE_ETHERNET, sll2: LINKTYPE_LINUX_SLL2, vxlan: LINKTYPE_ETHERNET, erspan: LINKTYPE_ETHERNET, gtp: LINKTYPE_ETHERNET };
/** VXLAN: the mirroring session's outer Ethernet, IPv4, UDP and VXLAN headers before each frame;
 *  ERSPAN: its outer Ethernet, IPv4, GRE (with a sequence number) and ERSPAN type II headers;
 *  GTP: the tunnel's outer Ethernet, IPv4, UDP and GTPv1 headers before each IP packet. */
const MIRROR_OUTER = 14 + 20 + 8 + 8;
const MIRROR_SOURCE_MAC = [0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a];
const MIRROR_TARGET_MAC = [0x0e, 0x00, 0x00, 0x00, 0x00, 0x14];
export const SNAPLEN = 262144;
/** Largest record we ever write: pcapng block overhead + a 1514-byte frame, with room to spare. */
const MAX_RECORD = 2048;
/** Room kept free at the end of a chunk: a step may emit a burst of up to 32 packets. */
const SLACK = 32 * MAX_RECORD;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
const PROTO_GRE = 47;
export const PROTO_ICMP6 = 58;

export function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
export function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}
function w32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Sum of big-endian 16-bit words (odd tail padded with a zero byte), not yet folded. */
export function sum16(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  let i = off;
  const end = off + (len & ~1);
  const end8 = end - 7;
  for (; i < end8; i += 8) {
    s += ((b[i] << 8) | b[i + 1]) + ((b[i + 2] << 8) | b[i + 3]) + ((b[i + 4] << 8) | b[i + 5]) + ((b[i + 6] << 8) | b[i + 7]);
  }
  for (; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (len & 1) s += b[end] << 8;
  return s;
}

/** One's-complement fold and invert: the value to store in a checksum field. */
export function checksum(s: number): number {
  s = (s % 65536) + Math.floor(s / 65536);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export class Emitter {
  buf: Buffer;
  pos = 0;
  /** Nanoseconds since the start of the capture (an integer). */
  now = 0;
  packets = 0;
  bytesOut = 0;
  readonly ng: boolean;
  readonly nanos: boolean;
  readonly link: Link;

  private readonly chunk: number;
  private readonly flushAt: number;
  private readonly reuse: boolean;
  /** Capture start, Unix seconds. */
  readonly startSec: number;
  private readonly meanGap: number;
  private readonly rng: Rng;
  // the record being built
  private rec = 0;
  private data = 0;
  private l4 = 0;
  private l4len = 0;
  private proto = 0;
  private pseudo = 0;

  constructor(o: { chunk: number; reuse: boolean; format: Format; tsresol: TsResolution; link: Link; startSec: number; rate: number; rng: Rng }) {
    this.chunk = Math.max(o.chunk, 4 * SLACK);
    this.buf = Buffer.allocUnsafe(this.chunk);
    this.flushAt = this.chunk - SLACK;
    this.reuse = o.reuse;
    this.ng = o.format === "pcapng";
    this.nanos = o.tsresol === "ns";
    this.link = o.link;
    this.startSec = o.startSec;
    this.meanGap = 1e9 / o.rate;
    this.rng = o.rng;
  }

  /** Offset of the transport header of the packet being built. */
  get l4Offset(): number {
    return this.l4;
  }

  get full(): boolean {
    return this.pos >= this.flushAt;
  }

  /** The bytes written since the last take(). With reuse, valid only until the next write. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.bytesOut += this.pos;
    this.pos = 0;
    if (!this.reuse) this.buf = Buffer.allocUnsafe(this.chunk);
    return out;
  }

  fileHeader(): void {
    const b = this.buf;
    let p = this.pos;
    if (!this.ng) {
      w32le(b, p, this.nanos ? 0xa1b23c4d : 0xa1b2c3d4);
      b[p + 4] = 2; b[p + 5] = 0; b[p + 6] = 4; b[p + 7] = 0;
      w32le(b, p + 8, 0);
      w32le(b, p + 12, 0);
      w32le(b, p + 16, SNAPLEN);
      w32le(b, p + 20, LINKTYPES[this.link]);
      this.pos = p + 24;
      return;
    }
    // Section Header Block with shb_userappl
    const app = Buffer.from("zk-stream bench/gen", "latin1");
    const appPad = (app.length + 3) & ~3;
    const shbLen = 28 + 4 + appPad + 4;
    w32le(b, p, 0x0a0d0d0a);
    w32le(b, p + 4, shbLen);
    w32le(b, p + 8, 0x1a2b3c4d);
    b[p + 12] = 1; b[p + 13] = 0; b[p + 14] = 0; b[p + 15] = 0;
    w32le(b, p + 16, 0xffffffff);
    w32le(b, p + 20, 0xffffffff);
    let q = p + 24;
    b[q] = 4; b[q + 1] = 0; b[q + 2] = app.length; b[q + 3] = 0;
    b.fill(0, q + 4, q + 4 + appPad);
    app.copy(b, q + 4);
    q += 4 + appPad;
    w32le(b, q, 0); // opt_endofopt
    w32le(b, q + 4, shbLen);
    p += shbLen;
    // Interface Description Block: the link type, if_name, if_tsresol when nanoseconds
    const name = Buffer.from("gen0", "latin1");
    const idbLen = 16 + 8 + (this.nanos ? 8 : 0) + 4 + 4;
    w32le(b, p, 1);
    w32le(b, p + 4, idbLen);
    w32le(b, p + 8, LINKTYPES[this.link]); // the link type, then two reserved bytes
    w32le(b, p + 12, SNAPLEN);
    q = p + 16;
    b[q] = 2; b[q + 1] = 0; b[q + 2] = 4; b[q + 3] = 0;
    name.copy(b, q + 4);
    q += 8;
    if (this.nanos) {
      b[q] = 9; b[q + 1] = 0; b[q + 2] = 1; b[q + 3] = 0;
      b[q + 4] = 9; b[q + 5] = 0; b[q + 6] = 0; b[q + 7] = 0;
      q += 8;
    }
    w32le(b, q, 0);
    w32le(b, q + 4, idbLen);
    this.pos = p + idbLen;
  }

  /** Advances the clock by an exponentially distributed gap (mean 1/rate). */
  tick(): void {
    this.now += Math.floor(-Math.log(1 - this.rng.float()) * this.meanGap);
  }

  /**
   * Starts a packet: clock tick, record header space, link header and IP header (with its checksum).
   * Returns the offset of the transport header; `l4len` bytes must follow it.
   */
  ip(v6: boolean, src: number, dst: number, proto: number, l4len: number, ttl: number, ipid: number, flow: number): number {
    this.tick();
    const b = this.buf;
    this.rec = this.pos;
    let p = (this.data = this.pos + (this.ng ? 28 : 16));
    p = this.linkHeader(p, v6 ? 0x86dd : 0x0800, src, dst);
    this.proto = proto;
    this.l4len = l4len;
    if (!v6) {
      const s = addr4(src);
      const d = addr4(dst);
      b[p] = 0x45; b[p + 1] = 0;
      w16(b, p + 2, 20 + l4len);
      w16(b, p + 4, ipid);
      b[p + 6] = 0x40; b[p + 7] = 0; // DF
      b[p + 8] = ttl; b[p + 9] = proto;
      b[p + 10] = 0; b[p + 11] = 0;
      w32(b, p + 12, s);
      w32(b, p + 16, d);
      w16(b, p + 10, checksum(sum16(b, p, 20)));
      this.pseudo = (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + proto + l4len;
      this.l4 = p + 20;
    } else {
      b[p] = 0x60 | ((flow >>> 16) & 0x0f);
      b[p + 1] = flow >>> 8;
      b[p + 2] = flow;
      b[p + 3] = 0;
      w16(b, p + 4, l4len);
      b[p + 6] = proto;
      b[p + 7] = ttl;
      putAddr6(b, p + 8, src);
      putAddr6(b, p + 24, dst);
      this.pseudo = sum16(b, p + 8, 32) + l4len + proto;
      this.l4 = p + 40;
    }
    return this.l4;
  }

  /** The outer Ethernet and IPv4 headers at p of a mirroring session (or of GTP-U, between a base
   *  station and the mobile core), for IP protocol proto (finish() fills in the length and the
   *  checksum); returns where the IPv4 header starts. */
  private mirrorOuter(p: number, proto: number): number {
    const b = this.buf;
    b.set(MIRROR_TARGET_MAC, p);
    b.set(MIRROR_SOURCE_MAC, p + 6);
    w16(b, p + 12, 0x0800);
    const ip = p + 14;
    b[ip] = 0x45; b[ip + 1] = 0;
    w16(b, ip + 4, 0); b[ip + 6] = 0x40; b[ip + 7] = 0;
    b[ip + 8] = 64; b[ip + 9] = proto;
    w32(b, ip + 12, 0xac1f000a); // 172.31.0.10: the mirror source (a VPC's ENI, a switch)
    w32(b, ip + 16, 0xac1f0014); // 172.31.0.20: the mirror target (the sensor)
    return ip;
  }

  /** Writes the link header at p for a packet of this ethertype between hosts src and dst; returns
   *  where the IP header starts. */
  private linkHeader(p: number, ethertype: number, src: number, dst: number): number {
    const b = this.buf;
    if (this.link === "erspan") {
      // finish() fills in the outer IPv4 length and checksum, and GRE's sequence number
      const ip = this.mirrorOuter(p, PROTO_GRE);
      w16(b, ip + 20, 0x1000); // GRE: the S bit (a sequence number follows), version 0
      w16(b, ip + 22, 0x88be); // ERSPAN type II
      w32(b, ip + 28, 0x10000001); // ERSPAN II: version 1, VLAN 0; COS 0, session 1
      w32(b, ip + 32, 0); // index
      p += MIRROR_OUTER;
    }
    if (this.link === "vxlan") {
      // finish() fills in the outer lengths, the IPv4 checksum and the UDP source port; UDP
      // checksum 0 (none)
      const ip = this.mirrorOuter(p, PROTO_UDP);
      w16(b, ip + 22, 4789);
      w16(b, ip + 26, 0);
      b[ip + 28] = 0x08; b[ip + 29] = 0; b[ip + 30] = 0; b[ip + 31] = 0;
      w32(b, ip + 32, 0x00007b00); // VNI 123
      p += MIRROR_OUTER;
    }
    if (this.link === "gtp") {
      // GTP-U carries the IP packet itself; finish() fills in the outer lengths, the IPv4 checksum
      // and GTP's length. UDP checksum 0 (none); a G-PDU: version 1, PT 1, no optional fields
      const ip = this.mirrorOuter(p, PROTO_UDP);
      w16(b, ip + 20, 2152);
      w16(b, ip + 22, 2152);
      w16(b, ip + 26, 0);
      b[ip + 28] = 0x30; b[ip + 29] = 0xff;
      w32(b, ip + 32, 0x00010001); // TEID
      return p + MIRROR_OUTER;
    }
    if (this.link !== "sll2") {
      putMac(b, p, dst);
      putMac(b, p + 6, src);
      w16(b, p + 12, ethertype);
      return p + 14;
    }
    // SLL2: protocol, reserved, interface index, ARPHRD_ETHER, packet type (PACKET_HOST), address
    // length and the sender's address padded to 8 bytes
    w16(b, p, ethertype);
    w16(b, p + 2, 0);
    w32(b, p + 4, 2);
    w16(b, p + 8, 1);
    b[p + 10] = 0;
    b[p + 11] = 6;
    putMac(b, p + 12, src);
    b[p + 18] = 0; b[p + 19] = 0;
    return p + 20;
  }

  /** Fills the transport checksum (at l4 + csumOff) and closes the record; returns the frame length. */
  finish(csumOff: number): number {
    const b = this.buf;
    const o = this.l4;
    b[o + csumOff] = 0;
    b[o + csumOff + 1] = 0;
    let s = sum16(b, o, this.l4len);
    if (this.proto !== PROTO_ICMP) s += this.pseudo;
    let c = checksum(s);
    if (c === 0 && this.proto === PROTO_UDP) c = 0xffff;
    w16(b, o + csumOff, c);
    const len = o + this.l4len - this.data;
    if (this.link === "vxlan" || this.link === "erspan" || this.link === "gtp") {
      const ip = this.data + 14;
      w16(b, ip + 2, len - 14);
      if (this.link === "gtp") {
        w16(b, ip + 24, len - 34);
        w16(b, ip + 30, len - MIRROR_OUTER);
      } else if (this.link === "vxlan") {
        // the source port comes from the inner addresses and ports, as AWS's does: at most 16,384
        // outer connections (one mirror source, one target, one destination port)
        const addrs = this.pseudo - this.proto - this.l4len; // the inner addresses' sum (ip())
        w16(b, ip + 20, 49152 + (Math.imul(addrs ^ Math.imul(sum16(b, o, 4), 0x9e3779b1), 0x85ebca6b) >>> 18));
        w16(b, ip + 24, len - 34);
      } else {
        w32(b, ip + 24, this.packets); // GRE's sequence number
      }
      w16(b, ip + 10, 0);
      w16(b, ip + 10, checksum(sum16(b, ip, 20)));
    }
    this.end(len);
    return len;
  }

  private end(len: number): void {
    const b = this.buf;
    const r = this.rec;
    const ns = this.now;
    const secOff = Math.floor(ns / 1e9);
    const sub = ns - secOff * 1e9;
    this.packets++;
    if (!this.ng) {
      w32le(b, r, this.startSec + secOff);
      w32le(b, r + 4, this.nanos ? sub : Math.floor(sub / 1000));
      w32le(b, r + 8, len);
      w32le(b, r + 12, len);
      this.pos = r + 16 + len;
      return;
    }
    const pad = (4 - (len & 3)) & 3;
    const total = 32 + len + pad;
    let hi: number;
    let lo: number;
    if (!this.nanos) {
      const t = this.startSec * 1e6 + Math.floor(ns / 1000);
      hi = Math.floor(t / 4294967296);
      lo = t - hi * 4294967296;
    } else {
      // (sec * 1e9 + sub) exceeds 2^53: split sec in 16-bit halves to stay exact.
      const sec = this.startSec + secOff;
      const x = Math.floor(sec / 65536) * 1e9; // < 2^46
      const low = (x % 65536) * 65536 + (sec % 65536) * 1e9 + sub; // < 2^47
      const carry = Math.floor(low / 4294967296);
      lo = low - carry * 4294967296;
      hi = Math.floor(x / 65536) + carry;
    }
    w32le(b, r, 6);
    w32le(b, r + 4, total);
    w32le(b, r + 8, 0);
    w32le(b, r + 12, hi);
    w32le(b, r + 16, lo);
    w32le(b, r + 20, len);
    w32le(b, r + 24, len);
    let q = r + 28 + len;
    for (let i = 0; i < pad; i++) b[q++] = 0;
    w32le(b, q, total);
    this.pos = q + 4;
  }
}
