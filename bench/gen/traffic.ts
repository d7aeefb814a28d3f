// The session pool. `concurrency` slots each hold one session (a TCP connection with its flights,
// a DNS exchange, a ping series, a port scan); every step picks a slot uniformly at random and
// emits that session's next packet(s), so sessions interleave as on a busy link. A finished
// session frees its slot and the next pick of that slot starts a new one. During ramp-up the
// first `concurrency` picks go to slots 0, 1, 2, ... so the pool fills at once. State is kept in
// typed arrays (about 50 bytes per slot: a million concurrent sessions fit in ~50 MB).
import { Emitter, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP, w16, w32 } from "./frame.js";
import {
  CLIENT, FLOOD, MAX_CLIENTS, MAX_SERVERS, RESOLVER, SCANNER, SERVER, ep, ephemeralBase, ephemeralSpan, epRank, ttlOf, tsOffset,
} from "./hosts.js";
import {
  K_DNS, K_HTTP, K_ICMP, K_SCAN, K_SMTP, K_SSH, K_TLS, T_A, T_AAAA,
  buildDns, buildFlight, echoDataLen, fillBody, flight, flightCount, flightDir, putEchoData, scratch,
} from "./payloads.js";
import type { Profile } from "./profiles.js";
import { Rng, Zipf, hash2, mix32 } from "./rng.js";

// session states
const S_NEW = 0;
const S_SYN = 1;
const S_SYNACK = 2;
const S_ACK = 3;
const S_DATA = 4;
const S_PUREACK = 5;
const S_FIN1 = 6;
const S_FIN2 = 7;
const S_FIN3 = 8;
const S_RST = 9;
const S_FLIGHTACK = 10; // a delayed ACK of the flight just received, before answering it

// TCP flags
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

// TCP header layouts
const OPT_TS = 0; //   32 bytes: NOP NOP timestamps (every Linux segment)
const OPT_SYN = 1; //  40 bytes: MSS, SACK permitted, timestamps, NOP, window scale 7
const OPT_NONE = 2; // 20 bytes
const OPT_MSS = 3; //  24 bytes: MSS only (nmap, SYN floods)
const HDR_LEN = [32, 40, 20, 24];

// how a TCP session ends
const TD_A_FIN = 0;
const TD_B_FIN = 1;
const TD_A_RST = 2;
const TD_B_RST = 3;

/** Nmap's most common ports first; a scan of more ports continues over a permutation of 1-65535. */
const TOP_PORTS = [
  80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993, 5900, 1025, 587, 8888, 199,
  1720, 465, 548, 113, 81, 6001, 10000, 514, 5060, 179, 1026, 2000, 8443, 8000, 32768, 554, 26, 1433, 49152, 2001, 515, 8008,
  49154, 1027, 5666, 646, 5000, 5631, 631, 49153, 8081, 2049, 88, 79, 5800, 106, 2121, 1110, 49155, 6000, 513, 990, 5357, 427,
  49156, 543, 544, 5101, 144, 7, 389,
];
/** TOP_PORTS, then every other port 1-65535 in a fixed shuffled order: a scan never probes a port twice. */
const SCAN_ORDER: Uint16Array = (() => {
  const order = new Uint16Array(65535);
  const top = new Set(TOP_PORTS);
  order.set(TOP_PORTS);
  let n = TOP_PORTS.length;
  for (let p = 1; p <= 65535; p++) if (!top.has(p)) order[n++] = p;
  const r = new Rng(0x5ca9);
  for (let i = 65534; i > TOP_PORTS.length; i--) {
    const j = TOP_PORTS.length + r.int(i - TOP_PORTS.length + 1);
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
})();
const OPEN_PORTS = new Set([22, 80, 443, 445, 139, 135, 3389, 8080, 5900]);
const ALT_HTTP_PORTS = [8080, 8000, 8888, 8081, 3128, 1234, 5000, 9000];

/** Counts of what was generated (sessions by kind; connections as Zeek would count them, roughly). */
export interface TrafficStats {
  sessions: Record<string, number>;
  /** TCP sessions + scan probes + DNS exchanges + ping series + flood SYNs. */
  connections: number;
  /** Packets and Ethernet frame bytes per kind. */
  packetsByKind: Record<string, number>;
  frameBytesByKind: Record<string, number>;
  v6Packets: number;
}

export class Traffic {
  private readonly p: Profile;
  private readonly rng: Rng;
  private readonly em: Emitter;
  private readonly n: number;
  private ramp = 0;
  private readonly zc: Zipf;
  private readonly zs: Zipf;
  private readonly zscan: Zipf;
  private readonly mixCum: number[];
  private readonly mixKind: number[];
  private readonly mixAlt: boolean[];
  private readonly portCtr: Uint16Array;
  private floodN = 0;
  // scratch ownership: which (slot, session, flight) header is in `scratch`
  private ownSlot = -1;
  private ownSid = 0;
  private ownF = -1;

  readonly started = new Float64Array(8);
  /** Packets and frame bytes per kind (0: SYN flood). */
  readonly kindPackets = new Float64Array(8);
  readonly kindBytes = new Float64Array(8);
  connections = 0;
  v6Packets = 0;

  // per-slot session state
  private readonly kind: Uint8Array;
  private readonly st: Uint8Array;
  private readonly v6: Uint8Array;
  private readonly aux: Uint8Array;
  private readonly btype: Uint8Array;
  private readonly una: Uint8Array;
  private readonly sid: Uint32Array;
  private readonly epA: Uint32Array;
  private readonly epB: Uint32Array;
  private readonly pA: Uint16Array;
  private readonly pB: Uint16Array;
  private readonly seqA: Uint32Array;
  private readonly seqB: Uint32Array;
  private readonly idA: Uint16Array;
  private readonly idB: Uint16Array;
  private readonly fl: Uint16Array;
  private readonly nfl: Uint16Array;
  private readonly hlen: Uint16Array;
  private readonly foff: Uint32Array;
  private readonly flen: Uint32Array;

  constructor(p: Profile, rng: Rng, em: Emitter) {
    this.p = p;
    this.rng = rng;
    this.em = em;
    const n = (this.n = Math.max(1, Math.floor(p.concurrency)));
    this.zc = new Zipf(Math.min(p.clients, MAX_CLIENTS), p.zipfClients);
    this.zs = new Zipf(Math.min(p.servers, MAX_SERVERS), p.zipfServers);
    this.zscan = new Zipf(p.scanners, 1.0);
    this.portCtr = new Uint16Array(Math.min(p.clients, MAX_CLIENTS));
    const entries: [keyof Profile["mix"], number, boolean][] = [
      ["http", K_HTTP, false], ["httpAlt", K_HTTP, true], ["tls", K_TLS, false], ["ssh", K_SSH, false],
      ["smtp", K_SMTP, false], ["dns", K_DNS, false], ["icmp", K_ICMP, false], ["scan", K_SCAN, false],
    ];
    const total = entries.reduce((a, [k]) => a + p.mix[k], 0);
    this.mixCum = [];
    this.mixKind = [];
    this.mixAlt = [];
    let acc = 0;
    for (const [k, kind, alt] of entries) {
      if (p.mix[k] <= 0) continue;
      acc += p.mix[k] / total;
      this.mixCum.push(acc);
      this.mixKind.push(kind);
      this.mixAlt.push(alt);
    }
    this.mixCum[this.mixCum.length - 1] = 1;
    this.kind = new Uint8Array(n);
    this.st = new Uint8Array(n);
    this.v6 = new Uint8Array(n);
    this.aux = new Uint8Array(n);
    this.btype = new Uint8Array(n);
    this.una = new Uint8Array(n);
    this.sid = new Uint32Array(n);
    this.epA = new Uint32Array(n);
    this.epB = new Uint32Array(n);
    this.pA = new Uint16Array(n);
    this.pB = new Uint16Array(n);
    this.seqA = new Uint32Array(n);
    this.seqB = new Uint32Array(n);
    this.idA = new Uint16Array(n);
    this.idB = new Uint16Array(n);
    this.fl = new Uint16Array(n);
    this.nfl = new Uint16Array(n);
    this.hlen = new Uint16Array(n);
    this.foff = new Uint32Array(n);
    this.flen = new Uint32Array(n);
  }

  stats(): TrafficStats {
    const names = ["synflood", "http", "tls", "ssh", "smtp", "dns", "icmp", "scan"];
    const sessions: Record<string, number> = {};
    const packetsByKind: Record<string, number> = {};
    const frameBytesByKind: Record<string, number> = {};
    for (let k = 1; k < 8; k++) if (this.started[k] > 0) sessions[names[k]] = this.started[k];
    if (this.floodN > 0) sessions.synflood = this.floodN;
    for (let k = 0; k < 8; k++) {
      if (this.kindPackets[k] === 0) continue;
      packetsByKind[names[k]] = this.kindPackets[k];
      frameBytesByKind[names[k]] = this.kindBytes[k];
    }
    return { sessions, connections: this.connections, packetsByKind, frameBytesByKind, v6Packets: this.v6Packets };
  }

  /** Emits at least one and at most `budget` packets. */
  step(budget: number): number {
    if (this.p.name === "synflood") {
      this.floodSyn();
      return 1;
    }
    const s = this.ramp < this.n ? this.ramp++ : this.rng.int(this.n);
    if (this.st[s] === S_NEW) this.start(s);
    switch (this.kind[s]) {
      case K_DNS: this.dns(s); return 1;
      case K_ICMP: this.icmp(s); return 1;
      case K_SCAN: {
        // nmap keeps many probes in flight: a scan emits a few packets per turn
        let n = 0;
        const max = Math.min(budget, 2 * this.p.burst, 32);
        do { this.scan(s); n++; } while (n < max && this.st[s] !== S_NEW && this.kind[s] === K_SCAN);
        return n;
      }
    }
    let emitted = 0;
    const max = Math.min(budget, this.p.burst, 16);
    do {
      this.tcpStep(s);
      emitted++;
    } while (emitted < max && (this.st[s] === S_PUREACK || (this.st[s] === S_DATA && this.flen[s] - this.foff[s] > 1448)));
    return emitted;
  }

  private count(s: number, frameLen: number): void {
    const k = this.kind[s];
    this.kindPackets[k]++;
    this.kindBytes[k] += frameLen;
  }

  // -------------------------------------------------------------------------------------------

  private start(s: number): void {
    const r = this.rng;
    const p = this.p;
    const u = r.float();
    let m = 0;
    while (u >= this.mixCum[m]) m++;
    const k = this.mixKind[m];
    const sid = r.u32();
    this.kind[s] = k;
    this.sid[s] = sid;
    this.v6[s] = k !== K_SCAN && r.float() < p.v6Share ? 1 : 0;
    this.fl[s] = 0;
    this.foff[s] = 0;
    this.flen[s] = 0;
    this.hlen[s] = 0;
    this.una[s] = 0;
    this.aux[s] = 0;
    this.idA[s] = r.u32();
    this.idB[s] = r.u32();
    this.started[k]++;
    this.connections++;
    const cli = this.zc.draw(r.float());
    const a = ep(CLIENT, cli);
    this.epA[s] = a;
    switch (k) {
      case K_SCAN:
        this.epA[s] = ep(SCANNER, this.zscan.draw(r.float()));
        this.epB[s] = ep(CLIENT, r.int(Math.min(p.clients, MAX_CLIENTS)));
        this.pA[s] = 1024 + r.int(64511);
        this.nfl[s] = r.logUniform(10, 1000);
        this.aux[s] = r.float() < 0.3 ? 1 : 0; // a filtered host: no replies at all
        this.connections--; // counted per probe
        this.st[s] = S_SYN;
        return;
      case K_DNS: {
        const resolver = r.float() < 0.7 ? r.int(2) : 2 + r.int(3);
        this.epB[s] = ep(RESOLVER, resolver);
        this.pA[s] = this.ephemeral(cli, a);
        this.pB[s] = 53;
        this.foff[s] = this.zs.draw(r.float()); // the name looked up: a server's
        const dual = r.float() < 0.3;
        this.nfl[s] = dual ? 4 : 2;
        this.aux[s] = dual ? 0 : r.float() < (this.v6[s] ? 0.6 : 0.15) ? 1 : 0; // 1: AAAA
        this.st[s] = S_DATA;
        return;
      }
      case K_ICMP: {
        this.epB[s] = r.float() < 0.7 ? ep(SERVER, this.zs.draw(r.float())) : ep(CLIENT, r.int(Math.min(p.clients, MAX_CLIENTS)));
        this.pA[s] = mix32(sid) & 0xffff; // echo identifier
        const pings = 1 + r.int(8);
        const dead = r.float() < 0.1;
        this.aux[s] = dead ? 1 : 0;
        this.nfl[s] = dead ? pings : 2 * pings;
        this.st[s] = S_DATA;
        return;
      }
    }
    // TCP application sessions
    this.epB[s] = ep(SERVER, this.zs.draw(r.float()));
    this.pA[s] = this.ephemeral(cli, a);
    let port = 80;
    if (k === K_HTTP && this.mixAlt[m]) port = r.float() < 0.8 ? r.pick(ALT_HTTP_PORTS) : 10000 + r.int(50000);
    else if (k === K_TLS) port = r.float() < 0.03 ? 8443 : 443;
    else if (k === K_SSH) port = r.float() < 0.05 ? 2222 : 22;
    else if (k === K_SMTP) port = 25;
    this.pB[s] = port;
    this.seqA[s] = r.u32();
    this.seqB[s] = r.u32();
    this.nfl[s] = flightCount(k, sid, p.extraRounds);
    const t = r.float();
    this.aux[s] =
      k === K_SMTP ? (t < 0.9 ? TD_B_FIN : TD_A_FIN)
      : k === K_SSH ? (t < 0.8 ? TD_A_FIN : TD_B_FIN)
      : k === K_TLS ? (t < 0.55 ? TD_A_FIN : t < 0.7 ? TD_B_FIN : t < 0.95 ? TD_A_RST : TD_B_RST)
      : t < 0.5 ? TD_A_FIN : t < 0.85 ? TD_B_FIN : t < 0.95 ? TD_A_RST : TD_B_RST;
    this.st[s] = S_SYN;
  }

  /** The client's next ephemeral port (sequential per client, as Linux and Windows allocate). */
  private ephemeral(cli: number, e: number): number {
    const c = this.portCtr[cli]++;
    return ephemeralBase(e) + ((mix32(e) + c) % ephemeralSpan(e));
  }

  // -------------------------------------------------------------------------------------------
  // TCP

  /** Writes Ethernet/IP/TCP headers of a segment of slot s; returns the payload offset. */
  private tcp(s: number, fromB: boolean, flags: number, opt: number, seq: number, ack: number, payLen: number): number {
    const v6 = this.v6[s] === 1;
    const a = this.epA[s];
    const b = this.epB[s];
    const src = fromB ? b : a;
    const dst = fromB ? a : b;
    const hl = HDR_LEN[opt];
    const ipid = fromB ? this.idB[s]++ : this.idA[s]++;
    const flow = v6 ? hash2(this.sid[s], fromB ? 2 : 1) & 0xfffff : 0;
    if (v6) this.v6Packets++;
    const em = this.em;
    const o = em.ip(v6, src, dst, PROTO_TCP, hl + payLen, ttlOf(src), ipid, flow);
    const buf = em.buf;
    w16(buf, o, fromB ? this.pB[s] : this.pA[s]);
    w16(buf, o + 2, fromB ? this.pA[s] : this.pB[s]);
    w32(buf, o + 4, seq);
    w32(buf, o + 8, ack);
    buf[o + 12] = hl << 2;
    buf[o + 13] = flags;
    const win = flags & SYN ? (v6 ? 64800 : 64240) : flags & RST ? 0 : fromB ? 509 : 502;
    w16(buf, o + 14, win);
    buf[o + 16] = 0; buf[o + 17] = 0; buf[o + 18] = 0; buf[o + 19] = 0;
    const ms = Math.floor(em.now / 1e6);
    switch (opt) {
      case OPT_TS:
        buf[o + 20] = 1; buf[o + 21] = 1; buf[o + 22] = 8; buf[o + 23] = 10;
        w32(buf, o + 24, ms + tsOffset(src));
        w32(buf, o + 28, ms - 1 + tsOffset(dst));
        break;
      case OPT_SYN:
        buf[o + 20] = 2; buf[o + 21] = 4; w16(buf, o + 22, v6 ? 1440 : 1460);
        buf[o + 24] = 4; buf[o + 25] = 2;
        buf[o + 26] = 8; buf[o + 27] = 10;
        w32(buf, o + 28, ms + tsOffset(src));
        w32(buf, o + 32, flags & ACK ? ms - 1 + tsOffset(dst) : 0);
        buf[o + 36] = 1; buf[o + 37] = 3; buf[o + 38] = 3; buf[o + 39] = 7;
        break;
      case OPT_MSS:
        buf[o + 20] = 2; buf[o + 21] = 4; w16(buf, o + 22, 1460);
        break;
    }
    return o + hl;
  }

  private tcpStep(s: number): void {
    const em = this.em;
    switch (this.st[s]) {
      case S_SYN:
        this.tcp(s, false, SYN, OPT_SYN, this.seqA[s], 0, 0);
        this.count(s, em.finish(16));
        this.seqA[s]++;
        this.st[s] = S_SYNACK;
        return;
      case S_SYNACK:
        this.tcp(s, true, SYN | ACK, OPT_SYN, this.seqB[s], this.seqA[s], 0);
        this.count(s, em.finish(16));
        this.seqB[s]++;
        this.st[s] = S_ACK;
        return;
      case S_ACK:
        this.tcp(s, false, ACK, OPT_TS, this.seqA[s], this.seqB[s], 0);
        this.count(s, em.finish(16));
        this.st[s] = S_DATA;
        return;
      case S_DATA:
        this.segment(s);
        return;
      case S_PUREACK: {
        const fromB = flightDir(this.kind[s], this.fl[s]) === 0; // the receiver acknowledges
        this.tcp(s, fromB, ACK, OPT_TS, fromB ? this.seqB[s] : this.seqA[s], fromB ? this.seqA[s] : this.seqB[s], 0);
        this.count(s, em.finish(16));
        this.una[s] = 0;
        this.st[s] = S_DATA;
        return;
      }
      case S_FLIGHTACK: {
        const fromB = flightDir(this.kind[s], this.fl[s]) === 1; // the next flight's sender
        this.tcp(s, fromB, ACK, OPT_TS, fromB ? this.seqB[s] : this.seqA[s], fromB ? this.seqA[s] : this.seqB[s], 0);
        this.count(s, em.finish(16));
        this.st[s] = S_DATA;
        return;
      }
      case S_FIN1:
      case S_FIN3: {
        const fromB = this.aux[s] === TD_B_FIN;
        const fin = this.st[s] === S_FIN1;
        this.tcp(s, fromB, fin ? FIN | ACK : ACK, OPT_TS, fromB ? this.seqB[s] : this.seqA[s], fromB ? this.seqA[s] : this.seqB[s], 0);
        this.count(s, em.finish(16));
        if (!fin) { this.st[s] = S_NEW; return; }
        if (fromB) this.seqB[s]++;
        else this.seqA[s]++;
        this.st[s] = S_FIN2;
        return;
      }
      case S_FIN2: {
        const fromB = this.aux[s] !== TD_B_FIN;
        this.tcp(s, fromB, FIN | ACK, OPT_TS, fromB ? this.seqB[s] : this.seqA[s], fromB ? this.seqA[s] : this.seqB[s], 0);
        this.count(s, em.finish(16));
        if (fromB) this.seqB[s]++;
        else this.seqA[s]++;
        this.st[s] = S_FIN3;
        return;
      }
      default: { // S_RST
        const fromB = this.aux[s] === TD_B_RST;
        this.tcp(s, fromB, RST | ACK, OPT_TS, fromB ? this.seqB[s] : this.seqA[s], fromB ? this.seqA[s] : this.seqB[s], 0);
        this.count(s, em.finish(16));
        this.st[s] = S_NEW;
      }
    }
  }

  /** One data segment of the current flight. */
  private segment(s: number): void {
    const k = this.kind[s];
    const f = this.fl[s];
    const sid = this.sid[s];
    const fromB = flightDir(k, f) === 1;
    if (this.flen[s] === 0) {
      this.build(s, sid, f);
      const h = this.hlenOfScratch;
      this.hlen[s] = h;
      this.flen[s] = h + flight.body;
      this.btype[s] = flight.bodyType;
    }
    const flen = this.flen[s];
    const off = this.foff[s];
    const mss = this.v6[s] === 1 ? 1428 : 1448;
    const len = Math.min(mss, flen - off);
    const last = off + len === flen;
    const seq = fromB ? this.seqB[s] : this.seqA[s];
    const ack = fromB ? this.seqA[s] : this.seqB[s];
    const p = this.tcp(s, fromB, last ? PSH | ACK : ACK, OPT_TS, seq, ack, len);
    const buf = this.em.buf;
    const hl = this.hlen[s];
    let o = off;
    let d = p;
    let rem = len;
    if (o < hl) {
      if (this.ownSlot !== s || this.ownSid !== sid || this.ownF !== f) this.build(s, sid, f);
      const n = Math.min(hl - o, rem);
      scratch.copy(buf, d, o, o + n);
      d += n;
      o += n;
      rem -= n;
    }
    if (rem > 0) fillBody(buf, d, this.btype[s], hash2(sid, f), o - hl, rem, flen - hl);
    this.count(s, this.em.finish(16));
    if (fromB) this.seqB[s] += len;
    else this.seqA[s] += len;
    if (last) {
      this.foff[s] = 0;
      this.flen[s] = 0;
      this.una[s] = 0;
      if (++this.fl[s] === this.nfl[s]) {
        const td = this.aux[s];
        this.st[s] = td === TD_A_FIN || td === TD_B_FIN ? S_FIN1 : S_RST;
      } else if ((hash2(sid, f) & 3) !== 0 || len > 1000) {
        this.st[s] = S_FLIGHTACK;
      }
      return;
    }
    this.foff[s] = off + len;
    // Linux quick-acks every segment early in a connection, then every second one
    if (++this.una[s] >= (f < 4 ? 1 : 2)) this.st[s] = S_PUREACK;
  }

  private hlenOfScratch = 0;

  private build(s: number, sid: number, f: number): void {
    this.hlenOfScratch = buildFlight(this.kind[s], sid, f, epRank(this.epB[s]), this.epA[s], this.pB[s]);
    this.ownSlot = s;
    this.ownSid = sid;
    this.ownF = f;
  }

  // -------------------------------------------------------------------------------------------
  // UDP: DNS

  private dns(s: number): void {
    const step = this.fl[s];
    const dual = this.nfl[s] === 4;
    const response = dual ? step >= 2 : step === 1;
    const qtype = dual ? (step & 1 ? T_AAAA : T_A) : this.aux[s] ? T_AAAA : T_A;
    const sid = this.sid[s];
    const id = hash2(sid, qtype) & 0xffff;
    const len = buildDns(response, id, this.foff[s], qtype, sid);
    this.ownSlot = -1; // scratch now holds the DNS message
    const v6 = this.v6[s] === 1;
    const src = response ? this.epB[s] : this.epA[s];
    const dst = response ? this.epA[s] : this.epB[s];
    if (v6) this.v6Packets++;
    const em = this.em;
    const o = em.ip(v6, src, dst, PROTO_UDP, 8 + len, ttlOf(src), response ? this.idB[s]++ : this.idA[s]++, v6 ? hash2(sid, response ? 2 : 1) & 0xfffff : 0);
    const buf = em.buf;
    w16(buf, o, response ? 53 : this.pA[s]);
    w16(buf, o + 2, response ? this.pA[s] : 53);
    w16(buf, o + 4, 8 + len);
    scratch.copy(buf, o + 8, 0, len);
    this.count(s, em.finish(6));
    if (++this.fl[s] === this.nfl[s]) this.st[s] = S_NEW;
  }

  // -------------------------------------------------------------------------------------------
  // ICMP echo

  private icmp(s: number): void {
    const step = this.fl[s];
    const dead = this.aux[s] === 1;
    const reply = !dead && (step & 1) === 1;
    const seqNo = (dead ? step : step >>> 1) + 1;
    const v6 = this.v6[s] === 1;
    const a = this.epA[s];
    const src = reply ? this.epB[s] : a;
    const dst = reply ? a : this.epB[s];
    const dlen = echoDataLen(a);
    if (v6) this.v6Packets++;
    const em = this.em;
    const o = em.ip(v6, src, dst, v6 ? PROTO_ICMP6 : PROTO_ICMP, 8 + dlen, ttlOf(src), reply ? this.idB[s]++ : this.idA[s]++, v6 ? hash2(this.sid[s], 1) & 0xfffff : 0);
    const buf = em.buf;
    buf[o] = v6 ? (reply ? 129 : 128) : reply ? 0 : 8;
    buf[o + 1] = 0;
    w16(buf, o + 4, this.pA[s]);
    w16(buf, o + 6, seqNo);
    if (!reply) {
      // remember the request's time: the reply echoes the same data
      const us = Math.floor(em.now / 1000);
      this.foff[s] = em.startSec + Math.floor(us / 1e6);
      this.flen[s] = us % 1e6;
    }
    putEchoData(buf, o + 8, a, this.foff[s], this.flen[s]);
    this.count(s, em.finish(2));
    if (++this.fl[s] === this.nfl[s]) this.st[s] = S_NEW;
  }

  // -------------------------------------------------------------------------------------------
  // SYN scan: one probe at a time; closed ports answer RST, open ones SYN-ACK (then the scanner's
  // RST), filtered hosts not at all.

  private scan(s: number): void {
    const i = this.fl[s];
    const sid = this.sid[s];
    const rest = 65535 - TOP_PORTS.length;
    const port = i < TOP_PORTS.length ? TOP_PORTS[i] : SCAN_ORDER[TOP_PORTS.length + ((i - TOP_PORTS.length + sid) % rest)];
    this.pB[s] = port;
    const probeSeq = hash2(sid, i);
    switch (this.st[s]) {
      case S_SYN:
        this.tcpScan(s, false, SYN, OPT_MSS, probeSeq, 0, 1024);
        this.connections++;
        if (this.aux[s] === 1) this.nextProbe(s);
        else this.st[s] = S_SYNACK;
        return;
      case S_SYNACK: {
        const open = OPEN_PORTS.has(port) && (hash2(epRank(this.epB[s]), port) & 1) === 0;
        if (open) {
          this.tcpScan(s, true, SYN | ACK, OPT_SYN, hash2(sid, i + 0x10000), (probeSeq + 1) >>> 0, 64240);
          this.st[s] = S_RST;
        } else {
          this.tcpScan(s, true, RST | ACK, OPT_NONE, 0, (probeSeq + 1) >>> 0, 0);
          this.nextProbe(s);
        }
        return;
      }
      default:
        this.tcpScan(s, false, RST, OPT_NONE, (probeSeq + 1) >>> 0, 0, 0);
        this.nextProbe(s);
    }
  }

  private nextProbe(s: number): void {
    this.st[s] = ++this.fl[s] === this.nfl[s] ? S_NEW : S_SYN;
  }

  private tcpScan(s: number, fromB: boolean, flags: number, opt: number, seq: number, ack: number, win: number): void {
    this.tcp(s, fromB, flags, opt, seq, ack, 0);
    w16(this.em.buf, this.em.l4Offset + 14, win);
    this.count(s, this.em.finish(16));
  }

  // -------------------------------------------------------------------------------------------
  // SYN flood: every packet a SYN from a new spoofed source to one of four victims

  private floodSyn(): void {
    const r = this.rng;
    const i = this.floodN++;
    this.connections++;
    const src = ep(FLOOD, i & 0x0fffffff);
    const victim = ep(CLIENT, i & 3);
    const mss = (r.u32() & 1) === 1;
    const hl = mss ? 24 : 20;
    const em = this.em;
    const o = em.ip(false, src, victim, PROTO_TCP, hl, 40 + r.int(200), r.u32() & 0xffff, 0);
    const buf = em.buf;
    w16(buf, o, 1024 + r.int(64511));
    w16(buf, o + 2, r.float() < 0.25 ? 443 : 80);
    w32(buf, o + 4, r.u32());
    w32(buf, o + 8, 0);
    buf[o + 12] = hl << 2;
    buf[o + 13] = SYN;
    w16(buf, o + 14, [512, 1024, 5840, 8192, 29200, 64240, 65535][r.int(7)]);
    buf[o + 16] = 0; buf[o + 17] = 0; buf[o + 18] = 0; buf[o + 19] = 0;
    if (mss) { buf[o + 20] = 2; buf[o + 21] = 4; w16(buf, o + 22, 1460); }
    const len = em.finish(16);
    this.kindPackets[0]++;
    this.kindBytes[0] += len;
  }
}

