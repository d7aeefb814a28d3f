// GSSAPI, NTLM and Kerberos tokens inside other protocols (Zeek: src/analyzer/protocol/gssapi,
// ntlm, krb). Zeek's SMB hands session-setup security blobs and DCE-RPC hands auth trailers to
// analyzers it instantiates for itself; each parses its token as one binpac datagram and confirms
// when the parse succeeds (GSSAPI and NTLM call ProtocolConfirmation after every token that
// parses, KRB after a message), or violates. Their services join the connection's (smb,gssapi,
// ntlm). The caller keeps one byte of flags per parent analyzer (below): after a violation a
// nested analyzer is not fed again, and it confirms once.
//
// GSSAPI (gssapi-protocol.pac): an ASN.1 header; tokens 04 04 / 05 04 (Kerberos MIC and wrap) are
// taken whole; otherwise 0x60 starts a NegTokenInit (mechanism OID, [0] wrapper, SEQUENCE of
// [0] mechTypes, [1] reqFlags, [2] mechToken, [3] mechListMIC) and anything else a NegTokenResp
// (SEQUENCE of [0] negState, [1] supportedMech, [2] responseToken, [3] mechListMIC); another
// index, or a length past the data, is an exception. A mech token starting "NTLMSSP" goes to
// NTLM; one starting 0x60 is a Kerberos blob (header, OID, 2-byte token id, message) for KRB.
//
// NTLM (ntlm-protocol.pac): an 8-byte signature, the message type, then NEGOTIATE (flags, domain
// and workstation fields), CHALLENGE (target name, flags, challenge, target info) or AUTHENTICATE
// (six fields, flags); the strings they announce must lie within the message, with the version
// (8 bytes) when flagged; CHALLENGE's target info is a list of AV pairs ended by id 0.
import { aConfirmAs, aViolateAs } from "./ctx";
import { A_GSSAPI, A_NTLM, A_KRB } from "./analyzers";
import { berAt, berTag, berLen, berHdr } from "./asn1";

// flags byte kept by the parent, per nested analyzer: confirmed, dead
export const G_CONF: u8 = 1, G_DEAD: u8 = 2;   // GSSAPI
export const N_CONF: u8 = 4, N_DEAD: u8 = 8;   // NTLM
export const K_CONF: u8 = 16, K_DEAD: u8 = 32; // KRB

function report(flags: usize, ok: bool, conf: u8, dead: u8, id: u32): void {
  const f = load<u8>(flags);
  if (f & dead) return;
  if (ok) {
    if ((f & conf) == 0) { store<u8>(flags, f | conf); aConfirmAs(id); }
  } else {
    store<u8>(flags, f | dead);
    aViolateAs(id);
  }
}

// ---------------------------------------------------------------- ASN.1 as Zeek's asn1.pac reads it
// ASN1EncodingMeta: tag, length byte, then (long form) that many length bytes; the index of a
// context tag is tag - 0xa0.

let mTag: u32 = 0;
let mLen: u64 = 0;
let mEnd: i64 = 0; // offset after the header

function meta(p: usize, off: i64, end: i64): bool {
  if (off + 2 > end) return false;
  mTag = <u32>load<u8>(p + <usize>off);
  const l = <u32>load<u8>(p + <usize>off + 1);
  let o = off + 2;
  if (l & 0x80) {
    const k = <i64>(l & 0x7f);
    if (o + k > end) return false;
    let v: u64 = 0;
    for (let i: i64 = 0; i < k; i++) v = (v << 8) | <u64>load<u8>(p + <usize>(o + i));
    mLen = v;
    o += k;
  } else {
    mLen = <u64>l;
  }
  mEnd = o;
  return true;
}

/** An ASN1Encoding (header and content) at off; the offset after it, or -1. */
function encoding(p: usize, off: i64, end: i64): i64 {
  if (!meta(p, off, end)) return -1;
  if (mLen > <u64>(end - mEnd)) return -1;
  return mEnd + <i64>mLen;
}

// ---------------------------------------------------------------- GSSAPI

/** A GSSAPI token from the parent (flags: the parent's byte of nested-analyzer flags). */
export function gssapiToken(flags: usize, p: usize, n: u32): void {
  if (load<u8>(flags) & G_DEAD) return;
  report(flags, gssapiParse(flags, p, <i64>n), G_CONF, G_DEAD, A_GSSAPI);
}

function gssapiParse(flags: usize, p: usize, end: i64): bool {
  if (!meta(p, 0, end)) return false;
  const tag = mTag;
  const tokId = (tag << 8) | <u32>load<u8>(p + 1);
  if (tokId == 0x0404 || tokId == 0x0504) return true; // MIC / wrap blobs: the rest of the data
  let off = mEnd;
  const init = tag == 0x60;
  if (init) {
    off = encoding(p, off, end); // the mechanism OID
    if (off < 0 || !meta(p, off, end)) return false; // the [0] wrapper
    off = mEnd;
  }
  if (!meta(p, off, end)) return false; // the SEQUENCE
  off = mEnd;
  // its arguments, to the end of the data
  while (off < end) {
    if (!meta(p, off, end)) return false;
    const index = (mTag - 0xa0) & 0xff;
    const argEnd = mEnd + <i64>mLen;
    if (mLen > <u64>(end - mEnd) || index > 3) return false;
    const a = mEnd;
    if (index == 2) {
      if (!mechToken(flags, p, a, argEnd)) return false;
    } else if (index == 0 && !init) {
      if (encoding(p, a, argEnd) < 0) return false; // negState: an integer
    } else {
      if (encoding(p, a, argEnd) < 0) return false;
    }
    off = argEnd;
  }
  return true;
}

/** GSSAPI_NEG_TOKEN_MECH_TOKEN: an octet string whose content goes to NTLM or KRB. */
function mechToken(flags: usize, p: usize, off: i64, end: i64): bool {
  if (!meta(p, off, end)) return false;
  if (mLen > <u64>(end - mEnd)) return false;
  const t = p + <usize>mEnd;
  const n = <i64>mLen;
  if (n == 0) return true;
  const first = <u32>load<u8>(t);
  if (first == 0x4e) {
    if (n >= 7 && isNtlmssp(t)) ntlmToken(flags, t, <u32>n);
    return true;
  }
  if (first == 0x60) {
    // KRB_BLOB: header, OID, token id, then the Kerberos message
    if (!meta(t, 0, n)) return false;
    const o = encoding(t, mEnd, n);
    if (o < 0 || o + 2 > n) return false;
    krbToken(flags, t + <usize>(o + 2), <u32>(n - o - 2));
  }
  return true;
}

function isNtlmssp(t: usize): bool {
  return load<u8>(t) == 0x4e && load<u8>(t + 1) == 0x54 && load<u8>(t + 2) == 0x4c && load<u8>(t + 3) == 0x4d &&
    load<u8>(t + 4) == 0x53 && load<u8>(t + 5) == 0x53 && load<u8>(t + 6) == 0x50;
}

// ---------------------------------------------------------------- KRB

/** A Kerberos message (KRB's DeliverPacket): an APPLICATION-tagged message holding a SEQUENCE. */
export function krbToken(flags: usize, p: usize, n: u32): void {
  if (load<u8>(flags) & K_DEAD) return;
  let ok = berAt(p, n, 0);
  if (ok) {
    const app = berTag & 0x1f;
    ok = (berTag & 0xe0) == 0x60 && ((app >= 10 && app <= 15) || (app >= 20 && app <= 22) || app == 30) &&
      berAt(p, n, berHdr) && berTag == 0x30;
  }
  report(flags, ok, K_CONF, K_DEAD, A_KRB);
}

// ---------------------------------------------------------------- NTLM

/** An NTLM message from the parent (GSSAPI, or DCE-RPC's auth type 10). */
export function ntlmToken(flags: usize, p: usize, n: u32): void {
  if (load<u8>(flags) & N_DEAD) return;
  report(flags, ntlmParse(p, <i64>n), N_CONF, N_DEAD, A_NTLM);
}

@inline function le16(p: usize): u32 { return <u32>load<u16>(p); }
@inline function le32(p: usize): u32 { return load<u32>(p); }

/** An NTLM_String announced by the fields at f: within the payload (which starts at abs). */
function stringFits(p: usize, end: i64, f: usize, abs: i64): bool {
  const len = <i64>le16(f);
  const at = <i64>le32(f + 4);
  if (at < abs) return false;
  return at + len <= end;
}

function ntlmParse(p: usize, end: i64): bool {
  if (end < 12) return false;
  const type = le32(p + 8);
  if (type == 1) { // NEGOTIATE: flags, domain, workstation; payload at 32
    if (end < 32) return false;
    const flags = le32(p + 12);
    const abs: i64 = 32;
    if ((flags & 0x02000000) != 0 && abs < <i64>min(le32(p + 20), le32(p + 28)) && end < abs + 8) return false;
    if ((flags & 0x00001000) != 0 && !stringFits(p, end, p + 16, abs)) return false;
    if ((flags & 0x00002000) != 0 && !stringFits(p, end, p + 24, abs)) return false;
    return true;
  }
  if (type == 2) { // CHALLENGE: target name, flags, challenge, reserved, target info; payload at 48
    if (end < 48) return false;
    const flags = le32(p + 20);
    const abs: i64 = 48;
    if ((flags & 0x02000000) != 0 && abs < <i64>min(le32(p + 16), le32(p + 44)) && end < abs + 8) return false;
    if ((flags & 0x00000004) != 0 && !stringFits(p, end, p + 12, abs)) return false;
    if ((flags & 0x00800000) != 0) {
      let off = <i64>le32(p + 44);
      if (off < abs || off > end) return false;
      // AV pairs until id 0
      while (true) {
        if (off + 4 > end) return false;
        const id = le16(p + <usize>off);
        const len = <i64>le16(p + <usize>off + 2);
        off += 4;
        if (id == 0) break;
        let size: i64;
        if ((id >= 1 && id <= 5) || id == 9) size = len;
        else if (id == 6) size = 4;
        else if (id == 7) size = 8;
        else if (id == 8) {
          if (off + 12 > end) return false;
          size = (le32(p + <usize>off + 8) & 1) != 0 ? 20 : 16;
        } else if (id == 10) size = 2;
        else return false; // no case for it
        if (off + size > end) return false;
        off += size;
      }
    }
    return true;
  }
  if (type == 3) { // AUTHENTICATE: LM, NT, domain, user, workstation, session key; flags; payload at 64
    if (end < 64) return false;
    const flags = le32(p + 60);
    const abs: i64 = 64;
    const lowest = min(min(min(le32(p + 32), le32(p + 40)), le32(p + 48)), le32(p + 56));
    if ((flags & 0x02000000) != 0 && abs < <i64>lowest && end < abs + 8) return false;
    // NT response, domain, user, workstation, session key: each when its length is not 0
    for (let f: usize = 20; f <= 52; f += 8) {
      if (le16(p + f) != 0 && !stringFits(p, end, p + f, abs)) return false;
    }
    return true;
  }
  return true; // other types: the rest of the data
}
