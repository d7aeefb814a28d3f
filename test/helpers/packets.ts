// Packet bytes built by hand for tests: addresses, the ones' complement sum, and a capture of many
// one-packet UDP flows.

export const addr4 = (s: string): Buffer => Buffer.from(s.split(".").map(Number));

export function addr6(s: string): Buffer {
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [], t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** Ones' complement sum of b's 16-bit words (odd length padded), folded, added to acc. */
export function sum16(b: Buffer, acc = 0): number {
  for (let i = 0; i + 1 < b.length; i += 2) acc += b.readUInt16BE(i);
  if (b.length & 1) acc += b[b.length - 1] << 8;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** The pseudo-header a TCP or UDP checksum covers: IPv4's (12 bytes) for 4-byte addresses, IPv6's
 *  (40 bytes) for 16-byte ones. */
export function pseudoHeader(src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  const v4 = src.length === 4;
  const p = Buffer.alloc(v4 ? 12 : 40);
  src.copy(p, 0);
  dst.copy(p, src.length);
  if (v4) { p[9] = proto; p.writeUInt16BE(length, 10); } else { p.writeUInt32BE(length, 32); p[39] = proto; }
  return p;
}

/** The Internet checksum of buf (ones' complement of its 16-bit sum plus `initial`). */
export function checksum(buf: Buffer, initial = 0): number {
  return ~sum16(buf, initial) & 0xffff;
}

/** A classic pcap (LE, microseconds) of the given frames of link type `link`, one a second from t0. */
export function pcapOf(frames: Buffer[], link = 1, t0 = 1_700_000_000): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(link, 20);
  const parts = [head];
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(t0 + i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    parts.push(r, f);
  });
  return Buffer.concat(parts);
}

/** A record of a classic pcap: where it starts and its length, its 16-byte header included. */
export interface PcapRecord { offset: number; length: number }

/** The complete records of a little-endian classic pcap (micro- or nanosecond) within its first
 *  `limit` bytes, in order. Throws on another byte order or format. */
export function pcapRecords(pcap: Buffer, limit = pcap.length): PcapRecord[] {
  const magic = pcap.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a little-endian classic pcap (magic 0x${magic.toString(16)})`);
  const out: PcapRecord[] = [];
  for (let off = 24; off + 16 <= limit; ) {
    const length = 16 + pcap.readUInt32LE(off + 8);
    if (off + length > limit) break;
    out.push({ offset: off, length });
    off += length;
  }
  return out;
}

/**
 * A classic pcap (LE, microseconds, Ethernet) of n one-packet UDP flows: flow i goes from
 * 10.(i>>16).(i>>8).(i&255) port 30000+(i%20000) to 192.0.2.1 port 53, at t0 + i ms.
 */
export function udpFlows(n: number, t0 = 1_700_000_000): Buffer {
  const REC = 16 + 14 + 20 + 8 + 4;
  const buf = Buffer.alloc(24 + n * REC);
  writeEthernetPcapHeader(buf);
  for (let i = 0; i < n; i++) {
    const o = 24 + i * REC;
    buf.writeUInt32LE(t0 + Math.floor(i / 1000), o);
    buf.writeUInt32LE((i % 1000) * 1000, o + 4);
    buf.writeUInt32LE(REC - 16, o + 8);
    buf.writeUInt32LE(REC - 16, o + 12);
    const e = o + 16;
    buf.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00], e);
    const ip = e + 14;
    buf.set([0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, (i >> 16) & 255, (i >> 8) & 255, i & 255, 192, 0, 2, 1], ip);
    buf.writeUInt16BE(~sum16(buf.subarray(ip, ip + 20)) & 0xffff, ip + 10);
    buf.writeUInt16BE(30000 + (i % 20000), ip + 20);
    buf.writeUInt16BE(53, ip + 22);
    buf.writeUInt16BE(12, ip + 24);
    buf.write("zk!?", ip + 28, "latin1");
  }
  return buf;
}

/**
 * A classic pcap (LE, microseconds, Ethernet) of n TCP connections that each start an SMB session:
 * SYN, SYN-ACK, ACK and the client's first 8 bytes (a NetBIOS header and "\xfeSMB", which makes
 * Zeek's SMB analyzer take an 8 KiB buffer here), from 10.(i>>16).(i>>8).(i&255):40000 to
 * 192.0.2.1:445, 5,000 connections a second from t0. TCP checksums are left 0: run with -C.
 */
export function smbSessions(n: number, t0 = 1_700_000_000): Buffer {
  const payload = Buffer.from("00000040fe534d42", "hex");
  const recLen = (data: number) => 16 + 14 + 20 + 20 + data;
  const perConn = 3 * recLen(0) + recLen(payload.length);
  const buf = Buffer.alloc(24 + n * perConn);
  writeEthernetPcapHeader(buf);
  let o = 24;
  const segment = (i: number, fromClient: boolean, seq: number, ack: number, flags: number, data: Buffer) => {
    const len = recLen(data.length) - 16;
    buf.writeUInt32LE(t0 + Math.floor(i / 5000), o);
    buf.writeUInt32LE((i % 5000) * 200, o + 4);
    buf.writeUInt32LE(len, o + 8);
    buf.writeUInt32LE(len, o + 12);
    const e = o + 16, ip = e + 14, tcp = ip + 20;
    buf.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00], e);
    const client = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255], server = [192, 0, 2, 1];
    buf.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, ...(fromClient ? client : server), ...(fromClient ? server : client)], ip);
    buf.writeUInt16BE(len - 14, ip + 2);
    buf.writeUInt16BE(~sum16(buf.subarray(ip, ip + 20)) & 0xffff, ip + 10);
    buf.writeUInt16BE(fromClient ? 40000 : 445, tcp);
    buf.writeUInt16BE(fromClient ? 445 : 40000, tcp + 2);
    buf.writeUInt32BE(seq, tcp + 4);
    buf.writeUInt32BE(ack, tcp + 8);
    buf[tcp + 12] = 0x50;
    buf[tcp + 13] = flags;
    buf.writeUInt16BE(65535, tcp + 14);
    data.copy(buf, tcp + 20);
    o += len + 16;
  };
  for (let i = 0; i < n; i++) {
    segment(i, true, 100, 0, 0x02, Buffer.alloc(0));
    segment(i, false, 500, 101, 0x12, Buffer.alloc(0));
    segment(i, true, 101, 501, 0x10, Buffer.alloc(0));
    segment(i, true, 101, 501, 0x18, payload);
  }
  return buf;
}

/** A classic pcap's global header (LE, microseconds, Ethernet) in buf's first 24 bytes. */
function writeEthernetPcapHeader(buf: Buffer): void {
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(65535, 16);
  buf.writeUInt32LE(1, 20);
}
