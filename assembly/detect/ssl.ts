// SSL/TLS and DTLS (Zeek: src/analyzer/protocol/ssl, binpac ssl-protocol.pac, tls-handshake).
// TLS: records (content type, version, length) in each direction; the first record sets the
// record-layer version and every later one must carry SSLv3..TLS1.2 (else a violation: Zeek's
// determine_ssl_record_layer); an unknown content type before encryption is a violation. Handshake
// records feed a handshake parser that reassembles messages across records: a complete
// ClientHello with an acceptable version confirms (proc_client_hello), an unacceptable one
// violates; so does a ServerHello with an unacceptable version. ChangeCipherSpec switches that
// direction to encrypted. SSLv2 client hellos confirm too. Partial connections are not parsed.
// DTLS: per datagram, records with a 13-byte header; a ClientHello confirms.
import { aConfirm, aViolate, aDone, aPartial } from "./ctx";
import { be16 } from "./lines";

// per direction (orig at 0, resp at 32)
const D_HAVE: usize = 0;      // u8 record header bytes collected
const D_HDR: usize = 1;       // 5 bytes
const D_CT: usize = 6;        // u8 content type of the current record (0: between records)
const D_ENC: usize = 7;       // u8 encrypted (after ChangeCipherSpec)
const D_REMAIN: usize = 8;    // u32 bytes left in the current record
const D_HSHAVE: usize = 12;   // u8 handshake header bytes collected (0..4)
const D_HSHDR: usize = 13;    // 4 bytes
const D_VERHAVE: usize = 17;  // u8 version bytes collected (0..2)
const D_VER: usize = 18;      // 2 bytes
const D_HSREMAIN: usize = 20; // u32 handshake body bytes left
const D_SIZE: usize = 32;
const RLV: usize = 64;        // u16 record-layer version, 0: unknown

const SSLV20: u32 = 0x0002;
const SSLV30: u32 = 0x0300;
const TLSV10: u32 = 0x0301;
const TLSV11: u32 = 0x0302;
const TLSV12: u32 = 0x0303;
const TLSV13: u32 = 0x0304;

/** ssl-defs.pac version_ok */
export function versionOk(v: u32): bool {
  if ((v >> 8) == 0x7f) return true; // TLS 1.3 drafts
  if (v == 0xfeff || v == 0xfefd) return true; // DTLS 1.0, 1.2
  return v == SSLV20 || v == SSLV30 || v == TLSV10 || v == TLSV11 || v == TLSV12 || v == TLSV13;
}

function recordVersionOk(v: u32): bool {
  return v == SSLV30 || v == TLSV10 || v == TLSV11 || v == TLSV12;
}

export function sslInit(st: usize): void {}

export function sslGap(st: usize, isOrig: bool): void {
  aDone();
}

export function sslEof(st: usize, isOrig: bool): void {}

export function sslStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    let remain = load<u32>(d + D_REMAIN);
    if (load<u8>(d + D_CT) == 0) {
      // record header
      const have = <u32>load<u8>(d + D_HAVE);
      const k = <u32>5 - have < n - i ? <u32>5 - have : n - i;
      memory.copy(d + D_HDR + have, p + i, k);
      i += k;
      if (have + k < 5) { store<u8>(d + D_HAVE, <u8>(have + k)); return; }
      store<u8>(d + D_HAVE, 0);
      if (!recordHeader(st, d, isOrig)) return;
      continue;
    }
    const take = remain < n - i ? remain : n - i;
    const ct = load<u8>(d + D_CT);
    if (ct == 22 && load<u8>(d + D_ENC) == 0) {
      handshake(st, d, isOrig, p + i, take);
      if (load<u8>(d + D_CT) == 0xff) return; // stopped
    }
    i += take;
    remain -= take;
    store<u32>(d + D_REMAIN, remain);
    if (remain == 0) store<u8>(d + D_CT, 0);
  }
}

/** A complete record header; false: stop parsing. */
function recordHeader(st: usize, d: usize, isOrig: bool): bool {
  const h0 = <u32>load<u8>(d + D_HDR), h1 = <u32>load<u8>(d + D_HDR + 1), h2 = <u32>load<u8>(d + D_HDR + 2);
  const h3 = <u32>load<u8>(d + D_HDR + 3), h4 = <u32>load<u8>(d + D_HDR + 4);
  const rlv = <u32>load<u16>(st + RLV);
  if (rlv != 0 && rlv != SSLV20) {
    // Zeek re-checks the version of every later record ("Invalid version late in TLS
    // connection"); its baselines keep ssl on a connection whose server sent 6 zero bytes of
    // padding-like data mid-handshake (zeek/ssl_pppoe_over_qinq), so a late mismatch only stops
    // the parser here
    if (!recordVersionOk((h1 << 8) | h2)) { aDone(); store<u8>(d + D_CT, 0xff); return false; }
  }
  if (rlv == 0 && (h0 & 0x80) != 0) {
    // SSLv2 framing
    if (h2 == 0x01) {
      const v = (h3 << 8) | h4;
      if (v != SSLV20 && !recordVersionOk(v)) return stop(d);
      // V2ClientHello: proc_client_hello(client_version)
      if (versionOk(v)) aConfirm(); else { aViolate(); return false; }
      aDone();
      return false;
    }
    if (h2 == 0x04) {
      store<u16>(st + RLV, <u16>SSLV20);
      aDone();
      return false;
    }
    return stop(d);
  }
  if (rlv == SSLV20) { aDone(); return false; }
  if (rlv == 0) {
    const v = (h1 << 8) | h2;
    if (!recordVersionOk(v)) return stop(d);
    store<u16>(st + RLV, <u16>v);
  }
  const enc = load<u8>(d + D_ENC) != 0;
  if (!enc && !(h0 >= 20 && h0 <= 24)) return stop(d); // unknown record type
  if (enc) {
    // a ciphertext record: once both sides encrypt, Zeek raises ssl_established and the script
    // detaches the analyzer
    const o = st + (isOrig ? D_SIZE : 0);
    if (load<u8>(o + D_ENC) != 0) { aDone(); return false; }
  }
  if (h0 == 20) store<u8>(d + D_ENC, 1);
  const len = (h3 << 8) | h4;
  store<u32>(d + D_REMAIN, len);
  store<u8>(d + D_CT, len == 0 ? 0 : <u8>h0);
  return true;
}

function stop(d: usize): bool {
  aViolate();
  store<u8>(d + D_CT, 0xff);
  return false;
}

/** Bytes of handshake records, as one stream of handshake messages. */
function handshake(st: usize, d: usize, isOrig: bool, p: usize, n: u32): void {
  let i: u32 = 0;
  while (i < n) {
    let hs = <u32>load<u8>(d + D_HSHAVE);
    if (hs < 4) {
      store<u8>(d + D_HSHDR + hs, load<u8>(p + i));
      i++;
      hs++;
      store<u8>(d + D_HSHAVE, <u8>hs);
      if (hs == 4) {
        const len = (<u32>load<u8>(d + D_HSHDR + 1) << 16) | (<u32>load<u8>(d + D_HSHDR + 2) << 8) | <u32>load<u8>(d + D_HSHDR + 3);
        store<u32>(d + D_HSREMAIN, len);
        store<u8>(d + D_VERHAVE, 0);
        if (len == 0) { messageDone(st, d, isOrig); store<u8>(d + D_HSHAVE, 0); }
      }
      continue;
    }
    let remain = load<u32>(d + D_HSREMAIN);
    const take = remain < n - i ? remain : n - i;
    const vh = <u32>load<u8>(d + D_VERHAVE);
    if (vh < 2) {
      const k = <u32>2 - vh < take ? <u32>2 - vh : take;
      memory.copy(d + D_VER + vh, p + i, k);
      store<u8>(d + D_VERHAVE, <u8>(vh + k));
    }
    i += take;
    remain -= take;
    store<u32>(d + D_HSREMAIN, remain);
    if (remain == 0) {
      store<u8>(d + D_HSHAVE, 0);
      messageDone(st, d, isOrig);
      if (load<u8>(d + D_CT) == 0xff) return;
    }
  }
}

function messageDone(st: usize, d: usize, isOrig: bool): void {
  const type = load<u8>(d + D_HSHDR);
  if (load<u8>(d + D_VERHAVE) < 2) return;
  const v = be16(d + D_VER);
  if (type == 1) {
    if (versionOk(v)) aConfirm();
    else { aViolate(); store<u8>(d + D_CT, 0xff); }
  } else if (type == 2) {
    if (!versionOk(v)) { aViolate(); store<u8>(d + D_CT, 0xff); }
  }
}

// ---------------------------------------------------------------- DTLS

export function dtlsDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  let off: u32 = 0;
  while (off + 13 <= n) {
    const ct = <u32>load<u8>(p + off);
    const v = be16(p + off + 1);
    const len = be16(p + off + 11);
    if (v != 0xfeff && v != 0xfefd && v != 0xfefc) { aViolate(); return; }
    if (ct < 20 || ct > 25) { aViolate(); return; }
    const body = off + 13;
    const epoch = be16(p + off + 3);
    if (ct == 22 && epoch == 0 && body + 14 <= n) {
      const type = load<u8>(p + body);
      const fragOff = (<u32>load<u8>(p + body + 6) << 16) | (<u32>load<u8>(p + body + 7) << 8) | <u32>load<u8>(p + body + 8);
      if (type == 1 && fragOff == 0) {
        const cv = be16(p + body + 12);
        if (versionOk(cv)) aConfirm(); else { aViolate(); return; }
      }
    }
    off = body + len;
  }
}
