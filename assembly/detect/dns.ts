// DNS (Zeek: src/analyzer/protocol/dns/DNS.cc), over UDP (one message per datagram, also for
// NetBIOS name service on 137, mDNS, LLMNR) and TCP (2-byte length prefix).
// ParseMessage: a message shorter than the 12-byte header is ignored; more than dns_max_queries
// (25) questions is a violation; the questions and then the answers must parse (a name followed
// by type/class; answers by ttl, rdlength within the message, non-zero rdlength unless at the end,
// and the type's own rules) -- then the analyzer confirms.
import { aConfirm, aViolate, aRespPort, aAux } from "./ctx";
import { be16, gather } from "./lines";
import { AUX_SIZE } from "./aux";

const DNS_MAX_QUERIES: u32 = 25;
const PORT_NBNS: u32 = 137;

const R_NONE: i32 = 0;
const R_CONFIRM: i32 = 1;
const R_VIOLATE: i32 = 2;

// parse cursor (module state: a message is parsed in one call)
let cur: usize = 0;
let left: i32 = 0;
let nbns = false;

export function dnsInit(st: usize): void {}

export function dnsDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  report(parseMessage(p, n));
}

function report(r: i32): void {
  if (r == R_CONFIRM) aConfirm();
  else if (r == R_VIOLATE) aViolate();
}

// TCP: per direction (orig 0, resp 52): u8 length bytes, 2 bytes length, u16 have, then a
// buffer for short messages split across segments. Zeek's Contents_DNS gathers a message of any
// length; here one of up to T_CAP bytes is gathered in the state, a longer one in the instance's
// aux.ts buffer (each direction its half), up to HOLD bytes: one longer than that, split across
// segments, is counted through and not parsed whole, and at a close only while no more than HOLD
// bytes of it have come.
const T_LHAVE: usize = 0;
const T_LEN: usize = 1;
const T_HAVE: usize = 4;   // u16 message bytes received so far
const T_BUF: usize = 6;    // 46 bytes
const T_CAP: u32 = 46;
const T_SIZE: usize = 52;
const HOLD: u32 = <u32>AUX_SIZE / 2;

// Zeek's DNS over TCP (Contents_DNS) has no gap handler: the bytes after a content gap continue
// the message being framed, as if nothing were missing
export function dnsGap(st: usize, isOrig: bool): void {}
export function dnsEof(st: usize, isOrig: bool): void {}

/** Where direction d's message of mlen bytes is gathered (its first HOLD bytes). */
function gathered(d: usize, isOrig: bool, mlen: u32): usize {
  return mlen <= T_CAP ? d + T_BUF : aAux() + (isOrig ? 0 : <usize>HOLD);
}

export function dnsStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : T_SIZE);
  let i: u32 = 0;
  while (i < n) {
    const lh = <u32>load<u8>(d + T_LHAVE);
    if (lh < 2) {
      store<u8>(d + T_LEN + lh, load<u8>(p + i));
      i++;
      store<u8>(d + T_LHAVE, <u8>(lh + 1));
      store<u16>(d + T_HAVE, 0);
      continue;
    }
    const mlen = be16(d + T_LEN);
    const have = <u32>load<u16>(d + T_HAVE);
    if (have == 0 && n - i >= mlen) {
      // the whole message is here
      report(parseMessage(p + i, mlen));
      i += mlen;
      store<u8>(d + T_LHAVE, 0);
      continue;
    }
    const k = min(n - i, mlen - have);
    const buf = gathered(d, isOrig, mlen);
    gather(buf, have, HOLD, p + i, k); // (past HOLD bytes nothing more is kept)
    i += k;
    store<u16>(d + T_HAVE, <u16>(have + k));
    if (have + k == mlen) {
      if (mlen <= HOLD) report(parseMessage(buf, mlen));
      store<u8>(d + T_LHAVE, 0);
    }
  }
}

/** A FIN or RST from either side (Zeek's DNS_Analyzer::ConnectionClosed): each direction's
 *  partial message is parsed as it stands (Contents_DNS::Flush), and the next byte starts a new
 *  one. */
export function dnsClosed(st: usize): void {
  for (let side = 0; side < 2; side++) {
    const isOrig = side == 0;
    const d = st + (isOrig ? 0 : T_SIZE);
    if (load<u8>(d + T_LHAVE) < 2) continue;
    const have = <u32>load<u16>(d + T_HAVE);
    if (have == 0) continue;
    if (have <= HOLD) report(parseMessage(gathered(d, isOrig, be16(d + T_LEN)), have));
    store<u8>(d + T_LHAVE, 0);
    store<u16>(d + T_HAVE, 0);
  }
}

function parseMessage(p: usize, n: u32): i32 {
  if (n < 12) return R_NONE;
  cur = p + 12;
  left = <i32>n - 12;
  nbns = aRespPort() == PORT_NBNS;
  const qd = be16(p + 4), an = be16(p + 6);
  if (qd > DNS_MAX_QUERIES) return R_VIOLATE;
  for (let q: u32 = 0; q < qd; q++) {
    extractName();
    if (left < 4) return R_NONE;
    cur += 4; left -= 4;
  }
  for (let a: u32 = 0; a < an; a++) {
    if (!parseAnswer()) return R_NONE;
  }
  return R_CONFIRM;
}

/** ExtractName on the main cursor: labels (ExtractLabel) until the terminator, a pointer, or
 *  trouble. Never fails. The cursor is kept in locals while the labels are read. */
function extractName(): void {
  let c = cur, l = left;
  let room: i32 = 512; // left in Zeek's 512-byte name buffer
  while (l > 0) {
    const labelLen = <i32>load<u8>(c);
    c++; l--;
    if (l <= 0 || labelLen == 0) break;
    if ((labelLen & 0xc0) == 0xc0) {
      c++; l--; // the pointer's second byte
      // a pointer ends the name: Zeek resolves it (backwards only) into the name's text, which
      // nothing here reads and which cannot fail the message
      break;
    }
    if (labelLen > l) { c += <usize>l; l = 0; break; }
    if (labelLen > 63 && !nbns) break;
    if (labelLen >= room) break;
    room -= labelLen + 1;
    c += <usize>labelLen; l -= labelLen;
  }
  cur = c;
  left = l;
}

function parseAnswer(): bool {
  extractName();
  if (left < 4) return false;
  const type = be16(cur);
  cur += 4; left -= 4; // type, class
  // ttl and rdlength read as zero when missing
  if (left >= 4) { cur += 4; left -= 4; } 
  let rdlength: i32 = 0;
  if (left >= 2) { rdlength = <i32>be16(cur); cur += 2; left -= 2; }
  if (rdlength > left) return false;
  if (rdlength == 0 && left > 0) return false;
  const start = cur;
  switch (type) {
    case 1: // A
      if (rdlength != 4) return false;
      skip(4);
      return true;
    case 28: // AAAA
      if (rdlength != 16) return false;
      skip(16);
      return true;
    case 38: // A6: read as AAAA by Zeek's parser
      skip(rdlength);
      return true;
    case 2: case 5: case 12: // NS, CNAME, PTR: a name
      extractName();
      return true;
    case 6: { // SOA
      extractName();
      extractName();
      if (left < 20) return false;
      skip(20);
      return true;
    }
    case 15: // MX
      skip(2);
      extractName();
      return true;
    case 33: // SRV (NBSTAT on the NetBIOS port: not parsed, nothing consumed)
      if (nbns) return true;
      skip(6);
      extractName();
      return true;
    case 41: { // EDNS: options to the end of the message
      while (left >= 4) {
        const optLen = <i32>be16(cur + 2);
        cur += 4; left -= 4;
        if (optLen > left) break;
        skip(optLen);
      }
      return left <= 0;
    }
    case 250: { // TSIG: a name, then fixed fields read as far as they go
      extractName();
      skip(10);
      if (left >= 2) { const l = <i32>be16(cur); cur += 2; left -= 2; skip(l < left ? l : left); }
      skip(4);
      if (left >= 2) { const l = <i32>be16(cur); cur += 2; left -= 2; skip(l < left ? l : left); }
      return true;
    }
    case 46: // RRSIG
      if (left < 18) return false;
      skip(rdlength);
      return true;
    case 48: // DNSKEY
      if (left < 4) return false;
      skip(rdlength);
      return true;
    case 50: // NSEC3
      if (left < 6) return false;
      skip(rdlength);
      return true;
  }
  skip(rdlength);
  if (cur < start) cur = start;
  return true;
}

// @ts-ignore: decorator
@inline function skip(k: i32): void {
  const s = k < left ? k : left;
  if (s > 0) { cur += <usize>s; left -= s; }
}
