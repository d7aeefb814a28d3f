// Application payloads: what each TCP flight (the bytes one side sends before the other answers)
// contains, plus DNS messages and ICMP echo data. Every builder is a pure function of
// (session seed, flight index, hosts), so a flight's header can be rebuilt byte-identically when a
// later segment needs it; bodies come from fixed pools (random bytes for compressed/encrypted data,
// base64 text for mail) with protocol framing (TLS record headers, SMTP's final dot) patched in.
import { SERVER, addr4, domainOf, ep, hostname, isWindows, putAddr6 } from "./hosts.js";
import { Rng, hash2, mix32 } from "./rng.js";

export const K_HTTP = 1;
export const K_TLS = 2;
export const K_SSH = 3;
export const K_SMTP = 4;
export const K_DNS = 5;
export const K_ICMP = 6;
export const K_SCAN = 7;
export const KIND_NAMES = ["", "http", "tls", "ssh", "smtp", "dns", "icmp", "scan"] as const;

export const BODY_RAND = 1;
export const BODY_TEXT = 2;
export const BODY_TLS = 3;
export const BODY_SMTP = 4;
export const BODY_PNG = 5; // random image data ending in the IDAT CRC and an IEND chunk

/** Result of a flight builder besides the header bytes it writes. */
export const flight = { body: 0, bodyType: BODY_RAND };

// ---------------------------------------------------------------------------------------------
// Pools

const POOL = 1 << 20;
const TAIL = 4096;
/** Random bytes (stand-in for compressed and encrypted data); the tail repeats the head. */
export const RAND_POOL: Buffer = (() => {
  const b = Buffer.allocUnsafe(POOL + TAIL);
  const r = new Rng(0x5eed);
  for (let i = 0; i < POOL; i += 4) {
    const v = r.u32();
    b[i] = v; b[i + 1] = v >>> 8; b[i + 2] = v >>> 16; b[i + 3] = v >>> 24;
  }
  b.copy(b, POOL, 0, TAIL);
  return b;
})();

const LINE = 78; // 76 base64 characters + CRLF
const TEXT_LINES = 13443;
const TEXT_LEN = LINE * TEXT_LINES;
/** Base64 lines (mail attachments, form posts); the tail repeats the head. */
const TEXT_POOL: Buffer = (() => {
  const alphabet = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "latin1");
  const b = Buffer.allocUnsafe(TEXT_LEN + TAIL);
  const r = new Rng(0x7e47);
  for (let l = 0; l < TEXT_LINES; l++) {
    const o = l * LINE;
    for (let i = 0; i < 76; i++) b[o + i] = alphabet[r.u32() & 63];
    b[o + 76] = 13; b[o + 77] = 10;
  }
  b.copy(b, TEXT_LEN, 0, TAIL);
  return b;
})();

const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
function crc32(b: Uint8Array, from: number, to: number): number {
  let c = -1;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** TLS application data: records of at most 16401 bytes of ciphertext (16384 + tag + type). */
const TLS_STRIDE = 5 + 16401;

/** Keeps the last TLS record at least 6 bytes long. */
function tlsBodyLen(n: number): number {
  const r = n % TLS_STRIDE;
  return r > 0 && r < 6 ? n + 6 : n;
}

/** Writes body bytes [off, off+len) of a body of `total` bytes. `key` picks the pool position. */
export function fillBody(b: Uint8Array, dst: number, type: number, key: number, off: number, len: number, total: number): void {
  if (type === BODY_TEXT || type === BODY_SMTP) {
    const p = ((key % TEXT_LINES) * LINE + off) % TEXT_LEN;
    TEXT_POOL.copy(b, dst, p, p + len);
    if (type === BODY_SMTP && off + len > total - 5) {
      const end = ".\r\n";
      // the body ends "\r\n.\r\n"
      for (let i = Math.max(off, total - 5); i < off + len; i++) {
        const j = i - (total - 5);
        b[dst + i - off] = j < 2 ? (j === 0 ? 13 : 10) : end.charCodeAt(j - 2);
      }
    }
    return;
  }
  const p = (key + off) % POOL;
  RAND_POOL.copy(b, dst, p, p + len);
  if (type === BODY_PNG && off + len > total - 12) {
    for (let i = Math.max(off, total - 12); i < off + len; i++) b[dst + i - off] = IEND[i - (total - 12)];
  }
  if (type === BODY_TLS) {
    for (let start = Math.floor(off / TLS_STRIDE) * TLS_STRIDE; start < off + len; start += TLS_STRIDE) {
      const rl = Math.min(TLS_STRIDE, total - start) - 5;
      for (let j = 0; j < 5; j++) {
        const at = start + j;
        if (at < off || at >= off + len) continue;
        b[dst + at - off] = j === 0 ? 0x17 : j < 3 ? 0x03 : j === 3 ? rl >>> 8 : rl & 0xff;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A small cursor writer into the scratch buffer

export const scratch: Buffer = Buffer.alloc(64 * 1024);
let q = 0;
const u8 = (v: number): void => { scratch[q++] = v; };
const u16 = (v: number): void => { scratch[q++] = v >>> 8; scratch[q++] = v; };
const u24 = (v: number): void => { scratch[q++] = v >>> 16; scratch[q++] = v >>> 8; scratch[q++] = v; };
const u32 = (v: number): void => { u16(v >>> 16); u16(v & 0xffff); };
const str = (s: string): void => { q += scratch.write(s, q, "latin1"); };
const rand = (r: Rng, n: number): void => { for (let i = 0; i < n; i++) scratch[q++] = r.u32(); };
/** Back-patches a big-endian length of `size` bytes at `at` covering everything after it. */
const patchLen = (at: number, size: number): void => {
  const n = q - at - size;
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) scratch[at + i] = v & 0xff;
};

const R = new Rng(0); // content randomness, reseeded per (session, flight)

// ---------------------------------------------------------------------------------------------
// Web objects (shared by HTTP and TLS): what is fetched and how big it is

interface Res { type: string; lo: number; hi: number; w: number; path: (r: Rng) => string }
const WORDS = ["user", "items", "search", "cart", "feed", "session", "events", "config", "profile", "orders"];
const hex = (r: Rng, n: number): string => { let s = ""; for (let i = 0; i < n; i++) s += "0123456789abcdef"[r.u32() & 15]; return s; };
const RES: Res[] = [
  { type: "application/json", lo: 60, hi: 4000, w: 50, path: (r) => `/api/v1/${r.pick(WORDS)}?id=${r.int(1e6)}` },
  { type: "text/html; charset=utf-8", lo: 1500, hi: 30000, w: 6, path: (r) => r.pick(["/", "/index.html", `/news/${r.int(1e5)}`, `/products/${r.int(1e4)}.html`]) },
  { type: "application/javascript", lo: 800, hi: 40000, w: 6, path: (r) => `/static/js/${r.pick(["main", "vendor", "chunk", "app"])}.${hex(r, 8)}.js` },
  { type: "text/css", lo: 600, hi: 15000, w: 3, path: (r) => `/static/css/${r.pick(["site", "theme", "main"])}.${hex(r, 8)}.css` },
  { type: "image/webp", lo: 1000, hi: 60000, w: 8, path: (r) => `/images/${r.int(1e6)}.webp` },
  { type: "image/png", lo: 150, hi: 6000, w: 16, path: (r) => `/img/icons/${r.pick(WORDS)}-${r.int(64)}.png` },
  { type: "video/iso.segment", lo: 100000, hi: 1000000, w: 0.35, path: (r) => `/video/${hex(r, 12)}/seg-${r.int(900)}.m4s` },
  { type: "application/octet-stream", lo: 1000000, hi: 10000000, w: 0.03, path: (r) => `/downloads/${r.pick(["update", "setup", "dataset", "backup"])}-${r.int(100)}.bin` },
];
const RES_TOTAL = RES.reduce((a, x) => a + x.w, 0);
function pickRes(r: Rng): Res {
  let u = r.float() * RES_TOTAL;
  for (const x of RES) if ((u -= x.w) < 0) return x;
  return RES[0];
}

const UA_LINUX = [
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "curl/8.5.0",
  "Wget/1.21.4",
  "python-requests/2.31.0",
  "Debian APT-HTTP/1.3 (2.7.14)",
];
const UA_WIN = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Microsoft-CryptoAPI/10.0",
  "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50",
];
const SERVERS = ["nginx/1.24.0", "Apache/2.4.58 (Ubuntu)", "cloudflare", "Microsoft-IIS/10.0", "AmazonS3", "gws", "envoy"];
const DATE = "Wed, 01 May 2024 12:00:00 GMT";

// ---------------------------------------------------------------------------------------------
// Flights per session

/** Number of flights of a TCP session; a pure function of the kind and session seed. */
export function flightCount(kind: number, sid: number, extraRounds: number): number {
  const h = hash2(sid, 0xf1);
  const extra = extraRounds > 0 ? mix32(h) % (extraRounds + 1) : 0;
  switch (kind) {
    case K_HTTP: return 2 * (1 + geo(h, 8) + extra);
    case K_TLS: return chatty(sid) ? 2 + 2 * (4 + (h >>> 8) % 16 + extra) : 2 + 2 * (1 + geo(h, 8) + extra);
    case K_SSH: return (h & 7) < 2 ? 10 : 6 + 2 * (4 + (h >>> 8) % 40);
    default: return 13; // K_SMTP
  }
}

/**
 * A long-lived TLS connection exchanging small messages (push notifications, WebSocket, MQTT over
 * TLS, HTTP/2 with HPACK-compressed requests): 40-150 byte records both ways.
 */
function chatty(sid: number): boolean {
  return (hash2(sid, 0xc4a7) & 15) < 3;
}

/** Extra rounds: each further one with probability 0.35, drawn from the hash chain of h. */
function geo(h: number, cap: number): number {
  let n = 0;
  while (n < cap && (h = mix32(h ^ 0x9e37)) < 0.35 * 4294967296) n++;
  return n;
}

/** Which side sends flight f: 0 the originator, 1 the responder (SSH and SMTP servers talk first). */
export function flightDir(kind: number, f: number): number {
  return kind === K_SSH || kind === K_SMTP ? (f + 1) & 1 : f & 1;
}

/**
 * Builds flight f's header bytes into `scratch` and returns their length; sets flight.body and
 * flight.bodyType for the bytes that follow. `srv`, `cli` are ranks, `cliEp` the client endpoint.
 */
export function buildFlight(kind: number, sid: number, f: number, srv: number, cliEp: number, port: number): number {
  q = 0;
  flight.body = 0;
  flight.bodyType = BODY_RAND;
  switch (kind) {
    case K_HTTP: http(sid, f, srv, cliEp, port); break;
    case K_TLS: tls(sid, f, srv); break;
    case K_SSH: ssh(sid, f, cliEp); break;
    default: smtp(sid, f, srv, cliEp); break;
  }
  return q;
}

function http(sid: number, f: number, srv: number, cliEp: number, port: number): void {
  R.reseed(sid, f >>> 1); // request and response of one round share their draws
  const res = pickRes(R);
  const path = res.path(R);
  const post = res === RES[0] && R.float() < 0.25;
  const postLen = post ? R.logUniform(40, 4000) : 0;
  const u = R.float();
  const status = post ? 200 : u < 0.86 ? 200 : u < 0.93 ? 304 : u < 0.97 ? 302 : 404;
  const size = R.logUniform(res.lo, res.hi);
  const win = isWindows(cliEp);
  const ua = win ? UA_WIN[mix32(cliEp) % UA_WIN.length] : UA_LINUX[mix32(cliEp) % UA_LINUX.length];
  const host = port === 80 ? hostname(srv) : `${hostname(srv)}:${port}`;
  if ((f & 1) === 0) {
    str(`${post ? "POST" : "GET"} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\n`);
    str(`Accept: ${res.type.startsWith("image") ? "image/avif,image/webp,*/*" : "*/*"}\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate\r\n`);
    if (post) str(`Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${postLen}\r\n`);
    str("Connection: keep-alive\r\n\r\n");
    flight.body = postLen;
    flight.bodyType = BODY_TEXT;
    return;
  }
  const server = SERVERS[mix32(srv ^ 0x5e) % SERVERS.length];
  const body = status === 200 ? size : status === 404 ? 150 + (size % 400) : 0;
  const reason = status === 200 ? "OK" : status === 304 ? "Not Modified" : status === 302 ? "Found" : "Not Found";
  str(`HTTP/1.1 ${status} ${reason}\r\nDate: ${DATE}\r\nServer: ${server}\r\n`);
  if (status === 302) str(`Location: https://${hostname(srv)}${path}\r\n`);
  if (status !== 304) str(`Content-Type: ${status === 200 ? res.type : "text/html"}\r\nContent-Length: ${body}\r\n`);
  if (status === 200) str(`Cache-Control: max-age=${R.int(86400)}\r\nETag: "${hex(R, 16)}"\r\n`);
  str("Connection: keep-alive\r\n\r\n");
  flight.body = body;
  if (status === 200 && res.type === "image/png") {
    // PNG signature, IHDR, the IDAT chunk's header; the body is its data, CRC and IEND
    const start = q;
    u32(0x89504e47); u32(0x0d0a1a0a);
    u32(13);
    const ihdr = q;
    str("IHDR"); u32(16 + R.int(497)); u32(16 + R.int(497)); u8(8); u8(6); u8(0); u8(0); u8(0);
    u32(crc32(scratch, ihdr, q));
    const idat = body - (q - start) - 8 - 4 - 12;
    u32(idat); str("IDAT");
    flight.body = body - (q - start);
    flight.bodyType = BODY_PNG;
  }
}

const CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function tls(sid: number, f: number, srv: number): void {
  R.reseed(sid, f);
  if (f === 0) { clientHello(sid, hostname(srv)); return; }
  if (f === 1) {
    // ServerHello (TLS 1.3: supported_versions + key_share), ChangeCipherSpec, then the encrypted
    // EncryptedExtensions/Certificate/CertificateVerify/Finished as application data.
    u8(0x16); u16(0x0303); const rec = q; u16(0);
    u8(0x02); const hs = q; u24(0);
    u16(0x0303); rand(R, 32);
    u8(32); sessionId(sid); // legacy_session_id echoes the ClientHello's
    u16(0x1301); u8(0);
    const ext = q; u16(0);
    u16(0x002b); u16(2); u16(0x0304);
    u16(0x0033); u16(36); u16(0x001d); u16(32); rand(R, 32);
    patchLen(ext, 2); patchLen(hs, 3); patchLen(rec, 2);
    u8(0x14); u16(0x0303); u16(1); u8(1);
    flight.body = tlsBodyLen(R.logUniform(1500, 4500));
    flight.bodyType = BODY_TLS;
    return;
  }
  if (f === 2) {
    u8(0x14); u16(0x0303); u16(1); u8(1); // ChangeCipherSpec, then Finished + first request
    flight.body = tlsBodyLen(58 + R.logUniform(80, 900));
    flight.bodyType = BODY_TLS;
    return;
  }
  flight.bodyType = BODY_TLS;
  if (chatty(sid) || ((f & 1) === 0 && R.float() < 0.5)) { flight.body = tlsBodyLen(R.logUniform(40, 150)); return; }
  if ((f & 1) === 0) { flight.body = tlsBodyLen(R.logUniform(150, 900)); return; }
  const res = pickRes(R);
  const n = R.logUniform(res.lo, res.hi);
  flight.body = tlsBodyLen(n + 22 * Math.ceil(n / 16384));
}

const SIDR = new Rng(0);
/** legacy_session_id: the same 32 bytes in the ClientHello and the ServerHello. */
function sessionId(sid: number): void {
  SIDR.reseed(sid, 0x5e55);
  rand(SIDR, 32);
}

function clientHello(sid: number, sni: string): void {
  u8(0x16); u16(0x0301); const rec = q; u16(0);
  u8(0x01); const hs = q; u24(0);
  u16(0x0303); rand(R, 32);
  u8(32); sessionId(sid);
  u16(CIPHERS.length * 2); for (const c of CIPHERS) u16(c);
  u8(1); u8(0);
  const ext = q; u16(0);
  u16(0x0000); const sn = q; u16(0); const snl = q; u16(0); u8(0); u16(sni.length); str(sni); patchLen(snl, 2); patchLen(sn, 2);
  u16(0x0017); u16(0); // extended_master_secret
  u16(0xff01); u16(1); u8(0); // renegotiation_info
  u16(0x000a); u16(8); u16(6); u16(0x001d); u16(0x0017); u16(0x0018); // supported_groups
  u16(0x000b); u16(2); u8(1); u8(0); // ec_point_formats
  u16(0x0023); u16(0); // session_ticket
  u16(0x0010); u16(14); u16(12); u8(2); str("h2"); u8(8); str("http/1.1"); // ALPN
  u16(0x0005); u16(5); u8(1); u16(0); u16(0); // status_request
  u16(0x000d); u16(2 + SIGALGS.length * 2); u16(SIGALGS.length * 2); for (const s of SIGALGS) u16(s);
  u16(0x0033); u16(38); u16(36); u16(0x001d); u16(32); rand(R, 32); // key_share x25519
  u16(0x002d); u16(2); u8(1); u8(1); // psk_key_exchange_modes
  u16(0x002b); u16(5); u8(4); u16(0x0304); u16(0x0303); // supported_versions
  // padding (RFC 7685) up to a 512-byte handshake message, as OpenSSL and Chrome do
  const hsLen = q - hs - 3 + 4;
  if (hsLen < 512) { const n = 512 - hsLen; u16(0x0015); u16(n); scratch.fill(0, q, q + n); q += n; }
  patchLen(ext, 2); patchLen(hs, 3); patchLen(rec, 2);
}

const KEX_C = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com";
const KEX_S = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com";
const HOSTKEY_C = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";
const HOSTKEY_S = "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519";
const CIPH = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
const MACS = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
const SSH_CLIENTS = ["SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "SSH-2.0-OpenSSH_9.8", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"];
const SSH_CLIENTS_WIN = ["SSH-2.0-PuTTY_Release_0.80", "SSH-2.0-OpenSSH_for_Windows_9.5"];
const SSH_SERVERS = ["SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "SSH-2.0-dropbear_2022.83", "SSH-2.0-OpenSSH_7.4"];

/** An SSH binary packet (RFC 4253 6) around the payload written by `payload`. */
function sshPacket(payload: () => void): void {
  const start = q;
  q += 5;
  payload();
  const plen = q - start - 5;
  let pad = 8 - ((plen + 5) % 8);
  if (pad < 4) pad += 8;
  rand(R, pad);
  const total = q - start - 4;
  scratch[start] = total >>> 24; scratch[start + 1] = total >>> 16; scratch[start + 2] = total >>> 8; scratch[start + 3] = total;
  scratch[start + 4] = pad;
}
const sshString = (s: string): void => { u32(s.length); str(s); };

function ssh(sid: number, f: number, cliEp: number): void {
  R.reseed(sid, f);
  const h = hash2(sid, 0x55);
  const bulk = (hash2(sid, 0xf1) & 7) < 2; // as in flightCount
  const kexinit = (client: boolean): void => sshPacket(() => {
    u8(20); rand(R, 16);
    sshString(client ? KEX_C : KEX_S);
    sshString(client ? HOSTKEY_C : HOSTKEY_S);
    sshString(CIPH); sshString(CIPH); sshString(MACS); sshString(MACS);
    sshString("none,zlib@openssh.com"); sshString("none,zlib@openssh.com");
    sshString(""); sshString("");
    u8(0); u32(0);
  });
  switch (f) {
    case 0: str(`${SSH_SERVERS[h % SSH_SERVERS.length]}\r\n`); return;
    case 1: {
      const list = isWindows(cliEp) ? SSH_CLIENTS_WIN : SSH_CLIENTS;
      str(`${list[(h >>> 4) % list.length]}\r\n`);
      kexinit(true);
      return;
    }
    case 2: kexinit(false); return;
    case 3: sshPacket(() => { u8(30); u32(32); rand(R, 32); }); return; // KEX_ECDH_INIT
    case 4:
      sshPacket(() => { // KEX_ECDH_REPLY: host key, server ephemeral key, signature
        u8(31);
        u32(51); sshString("ssh-ed25519"); u32(32); rand(R, 32);
        u32(32); rand(R, 32);
        u32(83); sshString("ssh-ed25519"); u32(64); rand(R, 64);
      });
      sshPacket(() => u8(21)); // NEWKEYS
      return;
    case 5:
      sshPacket(() => u8(21)); // NEWKEYS, then the encrypted service request
      flight.body = 44;
      return;
  }
  // Encrypted traffic (chacha20-poly1305 packets: 20 + 8n bytes): keystrokes and output, or one
  // bulk copy (scp) either way.
  let n = 36 + 8 * R.int(8);
  if (bulk) {
    const upload = (h & 8) !== 0;
    if ((f === 6 && upload) || (f === 7 && !upload)) n = 20 + 8 * Math.floor(R.logUniform(20000, 5000000) / 8);
  } else if ((f & 1) === 1 && R.float() < 0.3) {
    n = 20 + 8 * Math.floor(R.logUniform(40, 4000) / 8); // command output
  }
  // no tiny last segment (tshark takes a short segment for a whole encrypted packet)
  if (n % 1448 < 24 || n % 1428 < 24) n += 24;
  flight.body = n;
}

const MAILERS = ["Postfix (Ubuntu)", "Exim 4.97", "Microsoft ESMTP MAIL Service ready", "ESMTP Sendmail 8.17.1"];
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "noreply", "billing", "support"];

function smtp(sid: number, f: number, srv: number, cliEp: number): void {
  R.reseed(sid, 0); // one set of draws for the whole session
  const mx = `mx${1 + (srv % 3)}.${domainOf(srv)}`;
  const me = `host-${cliEp & 0xffff}.corp.example`;
  const from = `${R.pick(USERS)}@corp.example`;
  const to = `${R.pick(USERS)}@${domainOf(srv)}`;
  const size = R.logUniform(300, 150000);
  const qid = hex(R, 10).toUpperCase();
  const msgid = hex(R, 24);
  switch (f) {
    case 0: str(`220 ${mx} ${MAILERS[mix32(srv) % MAILERS.length]}\r\n`); return;
    case 1: str(`EHLO ${me}\r\n`); return;
    case 2: str(`250-${mx}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n`); return;
    case 3: str(`MAIL FROM:<${from}> SIZE=${size + 600}\r\n`); return;
    case 4: str("250 2.1.0 Ok\r\n"); return;
    case 5: str(`RCPT TO:<${to}>\r\n`); return;
    case 6: str("250 2.1.5 Ok\r\n"); return;
    case 7: str("DATA\r\n"); return;
    case 8: str("354 End data with <CR><LF>.<CR><LF>\r\n"); return;
    case 9:
      str(`From: <${from}>\r\nTo: <${to}>\r\nSubject: Report ${qid.slice(0, 4)}\r\nDate: ${DATE}\r\n`);
      str(`Message-ID: <${msgid}@corp.example>\r\nMIME-Version: 1.0\r\n`);
      str(`Content-Type: application/octet-stream; name="report.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
      flight.body = size;
      flight.bodyType = BODY_SMTP;
      return;
    case 10: str(`250 2.0.0 Ok: queued as ${qid}\r\n`); return;
    case 11: str("QUIT\r\n"); return;
    default: str("221 2.0.0 Bye\r\n"); return;
  }
}

// ---------------------------------------------------------------------------------------------
// DNS

export const T_A = 1;
export const T_AAAA = 28;
const CDN = ["edge.cdnvendor.net", "a.akadns-like.net", "d1.cloudfront-like.net", "ghs.googlehosted-like.com"];

function qname(name: string): void {
  for (const label of name.split(".")) { u8(label.length); str(label); }
  u8(0);
}

/**
 * A DNS query (response = false) or its response, into scratch; returns the length. The answer
 * is the queried server's own address, so later traffic to it matches the lookup.
 */
export function buildDns(response: boolean, id: number, srv: number, qtype: number, sid: number): number {
  q = 0;
  const name = hostname(srv);
  const h = hash2(sid, qtype);
  const nx = (h & 31) === 0;
  const cname = !nx && (h & 6) === 0;
  u16(id);
  u16(response ? (nx ? 0x8183 : 0x8180) : 0x0100);
  u16(1);
  u16(response && !nx ? (cname ? 2 : 1) : 0);
  u16(0);
  u16(1);
  qname(name);
  u16(qtype); u16(1);
  if (response && !nx) {
    const ttl = 30 + (h >>> 8) % 3600;
    let owner = 0xc00c;
    if (cname) {
      u16(0xc00c); u16(5); u16(1); u32(ttl);
      const rd = q; u16(0);
      const target = q;
      qname(`e${(h >>> 12) % 9000}.${CDN[(h >>> 20) % CDN.length]}`);
      patchLen(rd, 2);
      owner = 0xc000 | target;
    }
    u16(owner); u16(qtype); u16(1); u32(cname ? 20 : ttl);
    u16(qtype === T_A ? 4 : 16);
    const server = ep(SERVER, srv);
    if (qtype === T_A) u32(addr4(server));
    else { putAddr6(scratch, q, server); q += 16; }
  }
  // EDNS0 OPT record, 1232-byte UDP payload
  u8(0); u16(41); u16(1232); u32(0); u16(0);
  return q;
}

// ---------------------------------------------------------------------------------------------
// ICMP echo data: Linux ping (timeval + 0x10..0x37), Windows ping (the alphabet)

const WIN_PING = Buffer.from("abcdefghijklmnopqrstuvwabcdefghi", "latin1");

export function echoDataLen(cliEp: number): number {
  return isWindows(cliEp) ? 32 : 56;
}

export function putEchoData(b: Uint8Array, o: number, cliEp: number, sec: number, usec: number): void {
  if (isWindows(cliEp)) { WIN_PING.copy(b, o); return; }
  b[o] = sec; b[o + 1] = sec >>> 8; b[o + 2] = sec >>> 16; b[o + 3] = sec >>> 24;
  b[o + 4] = 0; b[o + 5] = 0; b[o + 6] = 0; b[o + 7] = 0;
  b[o + 8] = usec; b[o + 9] = usec >>> 8; b[o + 10] = usec >>> 16; b[o + 11] = 0;
  b[o + 12] = 0; b[o + 13] = 0; b[o + 14] = 0; b[o + 15] = 0;
  for (let i = 16; i < 56; i++) b[o + i] = i;
}
