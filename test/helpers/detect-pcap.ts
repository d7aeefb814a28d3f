// Small captures built in tests: classic pcap, Ethernet, IPv4, TCP and UDP with correct checksums.
import { checksum } from "./packets.js";
import { servicesOf } from "./conn.js";

/** A classic pcap (Ethernet) built packet by packet. */
export class PcapBuilder {
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
    this.frame(0x0800, Buffer.concat([ip, l4]));
  }
  /** An Ethernet frame of `ethertype`, 1 ms after the one before (and any wait). */
  private frame(ethertype: number, payload: Buffer): void {
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(ethertype, 12); eth[5] = 1; eth[11] = 2;
    const frame = Buffer.concat([eth, payload]);
    const rec = Buffer.alloc(16);
    this.t += 0.001;
    const us = Math.round(this.t * 1e6); // (a fraction rounding up to a whole second carries into it)
    rec.writeUInt32LE(Math.floor(us / 1e6), 0); rec.writeUInt32LE(us % 1_000_000, 4);
    rec.writeUInt32LE(frame.length, 8); rec.writeUInt32LE(frame.length, 12);
    this.parts.push(rec, frame);
  }
  /** The next packet comes `seconds` later than it would; a negative wait sends it back in time. */
  wait(seconds: number): void { this.t += seconds; }
  /** An ARP request from `src` for `target`: a frame that is no IP packet. */
  arp(src: number, target: number): void {
    const a = Buffer.alloc(28);
    a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(1, 6);
    a[13] = 1; a.writeUInt32BE(src, 14); a.writeUInt32BE(target, 24);
    this.frame(0x0806, a);
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

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

/** The client and server of the captures built here: 10.0.0.1 and 10.0.0.2. */
export const CLIENT_IP = 0x0a000001, SERVER_IP = 0x0a000002;

/** A connection from 10.0.0.1:40000 to 10.0.0.2 port `dport` after its handshake (ISNs 1000 and
 *  5000), or seen without it (`partial`); each side's segments at offsets into its stream,
 *  acknowledging `ack` bytes of the peer's, with ACK and `flags` (PSH unless told). */
export function session(dport: number, partial = false) {
  const p = new PcapBuilder();
  if (!partial) {
    p.tcp(CLIENT_IP, 40000, SERVER_IP, dport, 1000, 0, SYN, Buffer.alloc(0));
    p.tcp(SERVER_IP, dport, CLIENT_IP, 40000, 5000, 1001, SYN | ACK, Buffer.alloc(0));
    p.tcp(CLIENT_IP, 40000, SERVER_IP, dport, 1001, 5001, ACK, Buffer.alloc(0));
  }
  return {
    client: (off: number, ack: number, data: string | Buffer, flags = PSH) =>
      p.tcp(CLIENT_IP, 40000, SERVER_IP, dport, 1001 + off, 5001 + ack, ACK | flags, Buffer.from(data)),
    server: (off: number, ack: number, data: string | Buffer, flags = PSH) =>
      p.tcp(SERVER_IP, dport, CLIENT_IP, 40000, 5001 + off, 1001 + ack, ACK | flags, Buffer.from(data)),
    pcap: () => p.done(),
    services: () => servicesOf(p.done()),
  };
}

/** A TCP connection from 10.0.0.1 to 10.0.0.2 port dport: handshake, one in-order segment per
 *  message [from client?, bytes], then both FINs. The messages whose indexes `lost` lists are
 *  sent but missing from the capture (the peer's next segment acknowledges them). */
export function messagesInTurn(dport: number, messages: [boolean, Buffer][], lost: number[] = []): Buffer {
  const p = new PcapBuilder();
  let cs = 1000, ss = 5000;
  const sport = 49200;
  p.tcp(CLIENT_IP, sport, SERVER_IP, dport, cs, 0, SYN, Buffer.alloc(0));
  p.tcp(SERVER_IP, dport, CLIENT_IP, sport, ss, cs + 1, SYN | ACK, Buffer.alloc(0));
  cs++; ss++;
  p.tcp(CLIENT_IP, sport, SERVER_IP, dport, cs, ss, ACK, Buffer.alloc(0));
  messages.forEach(([fromClient, data], i) => {
    const captured = !lost.includes(i);
    if (fromClient) {
      if (captured) p.tcp(CLIENT_IP, sport, SERVER_IP, dport, cs, ss, PSH | ACK, data);
      cs += data.length;
    } else {
      if (captured) p.tcp(SERVER_IP, dport, CLIENT_IP, sport, ss, cs, PSH | ACK, data);
      ss += data.length;
    }
  });
  p.tcp(CLIENT_IP, sport, SERVER_IP, dport, cs, ss, FIN | ACK, Buffer.alloc(0));
  p.tcp(SERVER_IP, dport, CLIENT_IP, sport, ss, cs + 1, FIN | ACK, Buffer.alloc(0));
  p.tcp(CLIENT_IP, sport, SERVER_IP, dport, cs + 1, ss + 1, ACK, Buffer.alloc(0));
  return p.done();
}

/** A TLS 1.2 ClientHello record (no extensions). */
export function clientHello(): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0]), // version, random, session id
    Buffer.from([0, 4, 0x13, 0x01, 0xc0, 0x2f]), Buffer.from([1, 0]), // cipher suites, compression
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, (hs.length >> 8) & 0xff, hs.length & 0xff]), hs]);
}
