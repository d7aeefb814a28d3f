// Hosts of the synthetic network: an endpoint is a 32-bit number (class << 28 | rank). Its IPv4
// and IPv6 addresses, MAC, TTL and TCP timestamp clock are pure functions of it, so sessions store
// only the number. Captured at the edge of a client LAN: internal hosts have their own MAC, every
// outside host is seen through the gateway's MAC.
import { hash2, mix32, permute } from "./rng.js";

export const CLIENT = 1; //   10.16.0.0/12 and 2001:db8:10::/48, up to 2^20 hosts
export const SERVER = 2; //   public /16s and /32s, up to 2^20 hosts
export const RESOLVER = 3; // 0,1 internal; 2.. public
export const SCANNER = 4; //  outside scanners
export const FLOOD = 5; //    spoofed SYN-flood sources: 16.0.0.0/4, up to 2^28

export const ep = (cls: number, rank: number): number => (cls * 0x10000000 + rank) >>> 0;
export const epClass = (e: number): number => e >>> 28;
export const epRank = (e: number): number => e & 0x0fffffff;
export const MAX_CLIENTS = 1 << 20;
export const MAX_SERVERS = 1 << 20;

// Prefixes of large content and cloud networks (the high 16 bits of a server's IPv4 address).
const SERVER4 = [
  0x17c0, 0x2275, 0x3454, 0x6810, 0x8efa, 0x9765, 0xb9c7, 0xc7e8, 0x5db8, 0x0d6b, 0x14be, 0x8c52,
  0xacd9, 0x68f4, 0x2356, 0x3346, 0x9d3c, 0xa29f, 0xb0c5, 0xd83a, 0x1f0d, 0x2d39, 0x4a7d, 0x5fb1,
];
const SERVER6 = [
  0x26064700, 0x2a001450, 0x262001ec, 0x2a032880, 0x26009000, 0x24048000, 0x2a0498c0, 0x26201000,
];
const SCANNER4 = [0x2d94, 0xb9dc, 0x59f8, 0xc1a3, 0xa28e, 0xa75e, 0x4782, 0x5b5c];
const RESOLVER4 = [0x0a000035, 0x0a000036, 0x08080808, 0x01010101, 0x09090909];
const RESOLVER6: number[][] = [
  [0xfd000000, 0, 0, 0x53],
  [0xfd000000, 0, 0, 0x54],
  [0x20014860, 0x48600000, 0, 0x8888],
  [0x26064700, 0x47000000, 0, 0x1111],
  [0x262000fe, 0, 0, 0xfe],
];
export const N_RESOLVERS = RESOLVER4.length;

export function addr4(e: number): number {
  const r = epRank(e);
  switch (epClass(e)) {
    case CLIENT:
      return (0x0a100000 | permute(r, 20, 0x5bd1)) >>> 0;
    case SERVER: {
      const x = permute(r, 20, 0x51);
      return ((SERVER4[x % SERVER4.length] << 16) | hostPart16(Math.floor(x / SERVER4.length))) >>> 0;
    }
    case RESOLVER:
      return RESOLVER4[r % RESOLVER4.length];
    case SCANNER: {
      const x = permute(r, 16, 0x77);
      return ((SCANNER4[x % SCANNER4.length] << 16) | hostPart16(Math.floor(x / SCANNER4.length))) >>> 0;
    }
    default: // FLOOD
      return (0x10000000 | permute(r, 28, 0x3f1)) >>> 0;
  }
}

/** 16 host bits avoiding .0 and .255 in the last octet (bijective for i < 65024). */
function hostPart16(i: number): number {
  return (Math.floor(i / 254) << 8) | ((i % 254) + 1);
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

export function putAddr6(b: Uint8Array, o: number, e: number): void {
  const r = epRank(e);
  switch (epClass(e)) {
    case CLIENT:
      put32(b, o, 0x20010db8);
      put32(b, o + 4, 0x00100000 | (r >>> 16));
      put32(b, o + 8, mix32(r ^ 0x6c1) | 0x02000000);
      put32(b, o + 12, permute(r, 32, 0x1d));
      return;
    case RESOLVER: {
      const a = RESOLVER6[r % RESOLVER6.length];
      put32(b, o, a[0]);
      put32(b, o + 4, a[1]);
      put32(b, o + 8, a[2]);
      put32(b, o + 12, a[3]);
      return;
    }
    default: {
      const pfx = epClass(e) === SERVER ? SERVER6[r % SERVER6.length] : 0x2a0e97c0;
      put32(b, o, pfx);
      put32(b, o + 4, mix32(r ^ 0x9a7) & 0xffff0fff);
      put32(b, o + 8, 0);
      put32(b, o + 12, permute(r, 32, 0x2b));
      return;
    }
  }
}

// Vendor OUIs for internal hosts; the gateway is a Cisco HSRP virtual MAC.
const OUI = [0x3c22fb, 0xf01898, 0x005056, 0x8c8590, 0xdca632, 0x00155d, 0xa483e7, 0x482ae3];
const GATEWAY_HI = 0x00000c07;
const GATEWAY_LO = 0xac01;

export function isLocal(e: number): boolean {
  const c = epClass(e);
  return c === CLIENT || (c === RESOLVER && epRank(e) < 2);
}

export function putMac(b: Uint8Array, o: number, e: number): void {
  if (!isLocal(e)) {
    put32(b, o, GATEWAY_HI);
    b[o + 4] = GATEWAY_LO >>> 8;
    b[o + 5] = GATEWAY_LO;
    return;
  }
  const h = mix32(e ^ 0xa5a5);
  const oui = OUI[h & 7];
  const n = permute(((epClass(e) << 20) | (epRank(e) & 0xfffff)) & 0xffffff, 24, 0x77);
  b[o] = oui >>> 16;
  b[o + 1] = oui >>> 8;
  b[o + 2] = oui;
  b[o + 3] = n >>> 16;
  b[o + 4] = n >>> 8;
  b[o + 5] = n;
}

/** Windows clients: TTL 128, their own ephemeral range and ping payload. */
export function isWindows(e: number): boolean {
  return epClass(e) === CLIENT && (mix32(e ^ 0x3ee) & 3) === 0;
}

/** TTL (hop limit) as seen at the capture point. */
export function ttlOf(e: number): number {
  if (isLocal(e)) return isWindows(e) ? 128 : 64;
  const h = mix32(e ^ 0x717);
  const init = (h & 7) === 0 ? 128 : 64;
  return init - 6 - (h >>> 8) % 18;
}

/** Offset of a host's TCP timestamp clock (milliseconds). */
export function tsOffset(e: number): number {
  return mix32(e ^ 0x7e5);
}

/** First ephemeral port and range size of a client. */
export function ephemeralBase(e: number): number {
  return isWindows(e) ? 49152 : 32768;
}
export function ephemeralSpan(e: number): number {
  return isWindows(e) ? 16384 : 28232;
}

// Host names: a server rank always has the same name, so DNS answers, HTTP Host and TLS SNI agree.
const SUB = ["www", "api", "cdn", "static", "img", "login", "m", "assets", "app", "media", "edge", "news"];
const SYL = ["ka", "lo", "mi", "ne", "to", "ra", "vi", "su", "pe", "do", "za", "bel", "mar", "tor", "lin",
  "fen", "gal", "ost", "qua", "ri", "den", "sol", "vek", "hu", "no", "pix", "tra", "wen", "cor", "ly"];
const TLD = ["com", "com", "com", "net", "org", "io", "de", "co.uk", "fr", "jp", "com.br", "nl"];
const nameCache = new Map<number, string>();

export function hostname(serverRank: number): string {
  let n = nameCache.get(serverRank);
  if (n !== undefined) return n;
  const h = hash2(serverRank, 0x4e41);
  const g = mix32(h);
  let base = SYL[h % SYL.length] + SYL[(h >>> 8) % SYL.length];
  if (g & 1) base += SYL[(g >>> 4) % SYL.length];
  if ((g & 6) === 0) base += String((g >>> 12) % 100);
  n = `${SUB[(h >>> 16) % SUB.length]}.${base}.${TLD[(h >>> 24) % TLD.length]}`;
  if (nameCache.size < 200000) nameCache.set(serverRank, n);
  return n;
}

/** Domain part (no first label) of a server's name, for mail addresses. */
export function domainOf(serverRank: number): string {
  const h = hostname(serverRank);
  return h.slice(h.indexOf(".") + 1);
}
