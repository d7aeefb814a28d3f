// SSH (Zeek: src/analyzer/protocol/ssh, binpac ssh-protocol.pac / ssh-analyzer.pac).
// Each side starts with its identification line (the server may send other lines first); the
// protocol version follows from both (update_version: 2.0, 1.99, 1.x). Then binary packets:
// SSH2 uint32 length + padding length + message type, SSH1 length + padding to 8 + type. A packet
// before the version is settled is a violation (binpac has no case for it). NEWKEYS (SSH2) or
// SESSION_KEY (SSH1) confirms -- after the key exchange, several KB into the connection, so this
// parses incrementally. Partial connections and connections after a gap are not parsed.
import { aConfirm, aViolate, aDone, aPartial } from "./ctx";

const V_UNK: u8 = 0;
const V_SSH1: u8 = 1;
const V_SSH199: u8 = 2;
const V_SSH2: u8 = 3;

// per direction (orig 0, resp 32)
const D_PHASE: usize = 0;   // 0 identification line, 1 packets, 2 encrypted
const D_LINELEN: usize = 1; // u8 (saturating)
const D_CR: usize = 2;      // u8 last byte was CR
const D_LINE: usize = 3;    // 8 bytes: the line's start
const D_HAVE: usize = 12;   // u8 packet header bytes collected
const D_HDR: usize = 13;    // 6 bytes (SSH2: length, padding length, type)
const D_REMAIN: usize = 20; // u32 bytes left in the current packet
const D_SIZE: usize = 32;
const VER_CLIENT: usize = 64;
const VER_SERVER: usize = 65;
const VERSION: usize = 66;

export function sshInit(st: usize): void {}

export function sshGap(st: usize, isOrig: bool): void {
  aDone();
}

export function sshEof(st: usize, isOrig: bool): void {}

export function sshStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    const phase = load<u8>(d + D_PHASE);
    if (phase == 2) return;
    if (phase == 0) {
      const c = <u32>load<u8>(p + i);
      i++;
      // binpac &oneline: CR, LF or CRLF ends the line
      if (c == 10 && load<u8>(d + D_CR) != 0) { store<u8>(d + D_CR, 0); continue; }
      store<u8>(d + D_CR, c == 13 ? 1 : 0);
      if (c == 10 || c == 13) { versionLine(st, d, isOrig); continue; }
      const len = load<u8>(d + D_LINELEN);
      if (len < 8) store<u8>(d + D_LINE + len, <u8>c);
      if (len != 255) store<u8>(d + D_LINELEN, len + 1);
      continue;
    }
    // an LF after the identification's CR
    if (load<u8>(d + D_CR) != 0) {
      store<u8>(d + D_CR, 0);
      if (load<u8>(p + i) == 10) { i++; continue; }
    }
    let remain = load<u32>(d + D_REMAIN);
    if (remain == 0) {
      const have = <u32>load<u8>(d + D_HAVE);
      const need: u32 = 6;
      const k = need - have < n - i ? need - have : n - i;
      memory.copy(d + D_HDR + have, p + i, k);
      i += k;
      if (have + k < need) { store<u8>(d + D_HAVE, <u8>(have + k)); return; }
      store<u8>(d + D_HAVE, 0);
      if (!packetHeader(st, d, isOrig)) return;
      continue;
    }
    const take = remain < n - i ? remain : n - i;
    i += take;
    store<u32>(d + D_REMAIN, remain - take);
  }
}

function versionLine(st: usize, d: usize, isOrig: bool): void {
  const len = <u32>load<u8>(d + D_LINELEN);
  store<u8>(d + D_LINELEN, 0);
  const isSsh = len >= 4 && load<u8>(d + D_LINE) == 83 && load<u8>(d + D_LINE + 1) == 83 &&
    load<u8>(d + D_LINE + 2) == 72 && load<u8>(d + D_LINE + 3) == 45; // "SSH-"
  // the server may send other lines before its identification
  if (!isOrig && !isSsh) return;
  store<u8>(d + D_PHASE, 1);
  let v: u8 = V_UNK;
  if (len >= 5) {
    const c4 = load<u8>(d + D_LINE + 4);
    if (c4 == 50) v = V_SSH2;
    else if (c4 == 49) v = len >= 8 && load<u8>(d + D_LINE + 6) == 57 && load<u8>(d + D_LINE + 7) == 57 ? V_SSH199 : V_SSH1;
  }
  if (v != V_UNK) store<u8>(st + (isOrig ? VER_CLIENT : VER_SERVER), v);
  const c = load<u8>(st + VER_CLIENT), s = load<u8>(st + VER_SERVER);
  let ver = load<u8>(st + VERSION);
  if (s == c) ver = s == V_SSH199 ? V_SSH2 : s;
  else if ((c == V_SSH1 && s == V_SSH2) || (c == V_SSH2 && s == V_SSH1)) ver = V_UNK;
  else if (c == V_SSH199 && s == V_SSH2) ver = V_SSH2;
  else if (c == V_SSH2 && s == V_SSH199) ver = V_SSH2;
  else if (c == V_SSH1 && s == V_SSH199) ver = V_SSH1;
  else if (c == V_SSH199 && s == V_SSH1) ver = V_SSH1;
  store<u8>(st + VERSION, ver);
}

function packetHeader(st: usize, d: usize, isOrig: bool): bool {
  const ver = load<u8>(st + VERSION);
  const len = bswap<u32>(load<u32>(d + D_HDR));
  if (ver == V_SSH2) {
    const type = load<u8>(d + D_HDR + 5);
    // the packet is length + 4 bytes; 6 are read
    store<u32>(d + D_REMAIN, len + 4 > 6 ? len + 4 - 6 : 0);
    if (type == 21) { // MSG_NEWKEYS
      aConfirm();
      store<u8>(d + D_PHASE, 2);
      aDone();
      return false;
    }
    return true;
  }
  if (ver == V_SSH1 || ver == V_SSH199) {
    const total = len + 4 + 8 - (len % 8);
    const pad = 8 - (len % 8);
    // the type is the byte after the padding
    if (pad + 4 < 6) {
      const type = load<u8>(d + D_HDR + 4 + pad);
      if (type == 3) { aConfirm(); store<u8>(d + D_PHASE, 2); aDone(); return false; }
      if (type != 2) { aViolate(); return false; }
    } else {
      // the type lies beyond the 6 header bytes: SSH1 key exchange packets are the public key
      // (server) and the session key (client)
      if (isOrig) { aConfirm(); store<u8>(d + D_PHASE, 2); aDone(); return false; }
    }
    store<u32>(d + D_REMAIN, total > 6 ? total - 6 : 0);
    return true;
  }
  aViolate();
  return false;
}
