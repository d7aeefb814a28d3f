// QUIC (Zeek: src/analyzer/protocol/quic, Spicy QUIC.spicy with decrypt_crypto.cc). The client's
// INITIAL packets of QUIC v1 (RFC 9001) and v2 (RFC 9369) are protected with keys derived from
// their destination connection id alone: the analyzer removes the header protection, decrypts the
// payload (like Zeek, without checking the AEAD tag) and parses its frames (PADDING, PING, ACK,
// CRYPTO, CONNECTION_CLOSE). An INITIAL that parses confirms QUIC; a frame that does not, or a
// payload shorter than Zeek's checks allow, is a violation. The CRYPTO data is the TLS handshake,
// which Zeek hands to its SSL analyzer: once the CRYPTO frames (of one or more INITIALs, in any
// order) cover a whole ClientHello with an acceptable version, SSL confirms too (quic,ssl).
// Once the server answered, the client's INITIALs are no longer decrypted (they use the server's
// connection id). Other versions, short headers and the server's packets decide nothing here.
import { aConfirm, aConfirmAs, aViolate, aDone } from "./ctx";
import { A_SSL } from "./analyzers";
import { hkdfExtract, hkdfExpandLabel, aesExpand, aesEncrypt } from "./crypto";
import { be32 } from "./lines";
import { versionOk } from "./ssl";

const V1: u32 = 0x00000001;
const V2: u32 = 0x6b3343cf;

const SALT_V1: StaticArray<u8> = [0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a];
const SALT_V2: StaticArray<u8> = [0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9];

const MAX_PLAIN: u32 = 2048;
const INITIAL_SECRET: usize = memory.data(32);
const CLIENT_SECRET: usize = memory.data(32);
const KEY: usize = memory.data(16);
const IV: usize = memory.data(12);
const HP: usize = memory.data(16);
const RK: usize = memory.data(176);
const MASK: usize = memory.data(16);
const CTR: usize = memory.data(16);
const KS: usize = memory.data(16);
const PLAIN: usize = memory.data(MAX_PLAIN);

// state: u8 SSL decided at 0; u8 ranges at 1; u8 header bytes known (bit per byte 0..5) at 2;
// 6 ClientHello header bytes at 3; u8 the server answered at 9; 10 × (u32 start, u32 end) CRYPTO ranges received at 16
const S_DONE: usize = 0;
const S_NRANGES: usize = 1;
const S_HAVE: usize = 2;
const S_HDR: usize = 3;
const S_SERVER: usize = 9;
const S_RANGES: usize = 16;
const MAX_RANGES: u32 = 10;

export function quicInit(st: usize): void {}

// varint reading: the value, and the offset after it (-1: it does not fit)
let vEnd: i32 = 0;
function varint(p: usize, off: i32, end: i32): u64 {
  if (off >= end) { vEnd = -1; return 0; }
  const b = <u32>load<u8>(p + <usize>off);
  const len: i32 = 1 << (b >> 6);
  if (off + len > end) { vEnd = -1; return 0; }
  let v = <u64>(b & 0x3f);
  for (let i: i32 = 1; i < len; i++) v = (v << 8) | <u64>load<u8>(p + <usize>(off + i));
  vEnd = off + len;
  return v;
}

export function quicDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (n < 7) return;
  const b0 = <u32>load<u8>(p);
  if ((b0 & 0x80) == 0) return; // a short header
  const version = be32(p + 1);
  if (version != V1 && version != V2) return; // Zeek handles v1 and v2 only
  const type = (b0 >> 4) & 3;
  if (!isOrig) {
    // once the server answered (other than with a Retry) the client's INITIALs use its connection
    // id: they are no longer decrypted
    // and nothing here can confirm or violate any more: done
    if (type != (version == V1 ? 3 : 0)) { store<u8>(st + S_SERVER, 1); aDone(); }
    return;
  }
  if (load<u8>(st + S_SERVER) != 0) return;
  if (type != (version == V1 ? 0 : 1)) return; // not an INITIAL
  const end = <i32>n;
  let off: i32 = 5;
  const dcidLen = <i32>load<u8>(p + 5);
  const dcid = p + 6;
  off = 6 + dcidLen;
  if (off >= end) { aViolate(); return; }
  off += 1 + <i32>load<u8>(p + <usize>off); // source connection id
  const tokenLen = varint(p, off, end);
  if (vEnd < 0 || <u64>vEnd + tokenLen > <u64>end) { aViolate(); return; }
  off = vEnd + <i32>tokenLen;
  const payloadLen = varint(p, off, end);
  if (vEnd < 0) { aViolate(); return; }
  const pnOff = vEnd;
  // decrypt_crypto.cc's checks
  if (payloadLen < 20 || <u64>pnOff + payloadLen > <u64>n || pnOff + 4 + 16 > end) { aViolate(); return; }

  // keys from the destination connection id
  hkdfExtract(changetype<usize>(version == V1 ? SALT_V1 : SALT_V2), 20, dcid, <u32>dcidLen, INITIAL_SECRET);
  hkdfExpandLabel(INITIAL_SECRET, "client in", 32, CLIENT_SECRET);
  hkdfExpandLabel(CLIENT_SECRET, version == V1 ? "quic key" : "quicv2 key", 16, KEY);
  hkdfExpandLabel(CLIENT_SECRET, version == V1 ? "quic iv" : "quicv2 iv", 12, IV);
  hkdfExpandLabel(CLIENT_SECRET, version == V1 ? "quic hp" : "quicv2 hp", 16, HP);

  // header protection: a mask from the sample 4 bytes after the packet number's start
  aesExpand(HP, RK);
  aesEncrypt(RK, p + <usize>pnOff + 4, MASK);
  const first = b0 ^ (<u32>load<u8>(MASK) & 0x0f);
  const pnLen = <i32>(first & 3) + 1;
  let pn: u64 = 0;
  for (let i: i32 = 0; i < pnLen; i++) pn = (pn << 8) | <u64>(load<u8>(p + <usize>(pnOff + i)) ^ load<u8>(MASK + 1 + <usize>i));
  const ctLen = <i64>payloadLen - <i64>pnLen - 16;
  if (ctLen < 0) { aViolate(); return; }
  if (<u64>ctLen > <u64>MAX_PLAIN) return;

  // AES-128-GCM: counter mode from nonce || 2 (the tag is not checked, as in Zeek)
  aesExpand(KEY, RK);
  memory.copy(CTR, IV, 12);
  for (let i = 0; i < 8; i++) store<u8>(CTR + 11 - <usize>i, load<u8>(CTR + 11 - <usize>i) ^ <u8>(pn >> (<u64>i * 8)));
  const ct = p + <usize>(pnOff + pnLen);
  const len = <u32>ctLen;
  let counter: u32 = 2;
  for (let i: u32 = 0; i < len; i += 16) {
    store<u32>(CTR + 12, bswap<u32>(counter++));
    aesEncrypt(RK, CTR, KS);
    const m = len - i < 16 ? len - i : 16;
    for (let k: u32 = 0; k < m; k++) store<u8>(PLAIN + i + k, load<u8>(ct + i + k) ^ load<u8>(KS + k));
  }
  if (!frames(st, PLAIN, <i32>len)) { aViolate(); return; }
  aConfirm();
  clientHello(st);
}

/** Parses the decrypted frames; CRYPTO data is recorded. False: a parse error. */
function frames(st: usize, q: usize, end: i32): bool {
  let off: i32 = 0;
  // the frames are parsed first, then CRYPTO data recorded: a bad packet adds nothing
  let ok = true;
  for (let pass = 0; pass < 2 && ok; pass++) {
    off = 0;
    while (off < end) {
      const t = varint(q, off, end);
      if (vEnd < 0) { ok = false; break; }
      off = vEnd;
      if (t == 0x00 || t == 0x01) continue; // PADDING, PING
      if (t == 0x02 || t == 0x03) { // ACK
        varint(q, off, end); if (vEnd < 0) { ok = false; break; }
        varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; }
        const ranges = varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; }
        varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; }
        off = vEnd;
        if (ranges > <u64>end) { ok = false; break; }
        for (let r: u64 = 0; r < ranges * 2 && ok; r++) { varint(q, off, end); if (vEnd < 0) ok = false; else off = vEnd; }
        if (t == 0x03) for (let r = 0; r < 3 && ok; r++) { varint(q, off, end); if (vEnd < 0) ok = false; else off = vEnd; }
        continue;
      }
      if (t == 0x06) { // CRYPTO
        const at = varint(q, off, end); if (vEnd < 0) { ok = false; break; }
        const len = varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; }
        off = vEnd;
        if (<u64>off + len > <u64>end) { ok = false; break; }
        if (pass == 1) crypto(st, at, q + <usize>off, <u32>len);
        off += <i32>len;
        continue;
      }
      if (t == 0x1c || t == 0x1d) { // CONNECTION_CLOSE
        varint(q, off, end); if (vEnd < 0) { ok = false; break; }
        if (t == 0x1c) { varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; } }
        const rl = varint(q, vEnd, end); if (vEnd < 0) { ok = false; break; }
        off = vEnd;
        if (<u64>off + rl > <u64>end) { ok = false; break; }
        off += <i32>rl;
        continue;
      }
      ok = false; // no other frame belongs in an INITIAL
    }
  }
  return ok;
}

/** Records CRYPTO data at stream offset `at`: its ClientHello header bytes and its range. */
function crypto(st: usize, at: u64, d: usize, len: u32): void {
  if (len == 0 || load<u8>(st + S_DONE) != 0) return;
  for (let i: u64 = at; i < at + <u64>len && i < 6; i++) {
    store<u8>(st + S_HDR + <usize>i, load<u8>(d + <usize>(i - at)));
    store<u8>(st + S_HAVE, load<u8>(st + S_HAVE) | <u8>(1 << <u8>i));
  }
  if (at + <u64>len > 0xffffffff) return;
  let s = <u32>at, e = <u32>at + len;
  // merge with the ranges it touches
  let k = <u32>load<u8>(st + S_NRANGES);
  let i: u32 = 0;
  while (i < k) {
    const r = st + S_RANGES + (<usize>i << 3);
    const rs = load<u32>(r), re = load<u32>(r, 4);
    if (rs <= e && s <= re) {
      if (rs < s) s = rs;
      if (re > e) e = re;
      k--;
      memory.copy(r, st + S_RANGES + (<usize>k << 3), 8);
      continue;
    }
    i++;
  }
  if (k >= MAX_RANGES) { store<u8>(st + S_DONE, 1); return; } // too scattered: give up on SSL
  store<u32>(st + S_RANGES + (<usize>k << 3), s);
  store<u32>(st + S_RANGES + (<usize>k << 3), e, 4);
  store<u8>(st + S_NRANGES, <u8>(k + 1));
}

/** SSL's verdict once the CRYPTO data holds a whole ClientHello. */
function clientHello(st: usize): void {
  if (load<u8>(st + S_DONE) != 0 || load<u8>(st + S_HAVE) != 0x3f) return;
  const h = st + S_HDR;
  if (load<u8>(h) != 1) { store<u8>(st + S_DONE, 1); return; } // not a ClientHello
  const need: u32 = 4 + ((<u32>load<u8>(h + 1) << 16) | (<u32>load<u8>(h + 2) << 8) | <u32>load<u8>(h + 3));
  const k = <u32>load<u8>(st + S_NRANGES);
  for (let i: u32 = 0; i < k; i++) {
    const r = st + S_RANGES + (<usize>i << 3);
    if (load<u32>(r) == 0 && load<u32>(r, 4) >= need) {
      store<u8>(st + S_DONE, 1);
      if (versionOk((<u32>load<u8>(h + 4) << 8) | <u32>load<u8>(h + 5))) aConfirmAs(A_SSL);
      return;
    }
  }
}
