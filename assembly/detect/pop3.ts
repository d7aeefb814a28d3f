// POP3 (Zeek: src/analyzer/protocol/pop3/POP3.cc). Lines split at CR, LF or CRLF; partial
// connections are not parsed. Client commands queue up and are processed one at a time as the
// server answers (Zeek's queue has no limit; ours holds 8 in the state and 4,094 more in the aux
// buffer). A server "+OK" to USER (in the authorization state), CAPA or STLS confirms; STLS then
// hands the rest of the connection to SSL (pop3,ssl). A server line whose first word is not a POP3
// keyword (outside multi-line replies and authentication) is a violation.
import { aConfirm, aViolate, aPartial, aAux, ST_SIZE } from "./ctx";
import { AUX_SIZE } from "./aux";
import { lineStep, lineEnd, indexOfAny, add8, add16, handOverAfterLine, LN_EOL, LN_SKIP, isSpace, upper, LONE_LF } from "./lines";
import { A_SSL } from "./analyzers";

// command codes (POP3_cmd.def order)
const C_OK: u8 = 0;
const C_ERR: u8 = 1;
const C_USER: u8 = 2;
const C_PASS: u8 = 3;
const C_APOP: u8 = 4;
const C_AUTH: u8 = 5;
const C_STAT: u8 = 6;
const C_LIST: u8 = 7;
const C_RETR: u8 = 8;
const C_DELE: u8 = 9;
const C_RSET: u8 = 10;
const C_NOOP: u8 = 11;
const C_LAST: u8 = 12;
const C_QUIT: u8 = 13;
const C_TOP: u8 = 14;
const C_CAPA: u8 = 15;
const C_UIDL: u8 = 16;
const C_STLS: u8 = 17;
const C_XSENDER: u8 = 18;
const NONE: u8 = 0xff;
const WORDS: StaticArray<string> = [
  "OK", "ERR", "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "DELE", "RSET", "NOOP", "LAST",
  "QUIT", "TOP", "CAPA", "UIDL", "STLS", "XSENDER",
];

// master states
const M_START: u8 = 0;
const M_AUTHORIZATION: u8 = 1;
const M_TRANSACTION: u8 = 2;
const M_UPDATE: u8 = 3;
const M_FINISHED: u8 = 4;

// states: the command last processed; auth variants below
const S_START: u8 = 0x40;
const S_AUTH_LOGIN: u8 = 0x41;
const S_AUTH_PLAIN: u8 = 0x42;
const S_AUTH_CRAM: u8 = 0x43;

// per direction line (orig 0, resp 40)
const L_LEN: usize = 0;      // u16
const L_PHASE: usize = 2;    // 0 leading space, 1 first token, 2 spaces, 3 message
const L_PLUS: usize = 3;     // u8 leading +/- of the first token
const L_TLEN: usize = 4;     // u8 first token length (after the +/-)
const L_TOK: usize = 5;      // 8 bytes, upper case
const L_MSG: usize = 13;     // u8 message present
const L_MLEN: usize = 14;    // u8 message bytes kept
const L_MBUF: usize = 15;    // 24 bytes of the message
const L_SIZE: usize = 40;
// shared
const CR: usize = 80;
const MASTER: usize = 81;
const STATE: usize = 82;
const LASTSTATE: usize = 83;
const FLAGS: usize = 84;     // F_*
const QLEN: usize = 85;
const QUEUE: usize = 86;     // 8 + 8 bytes: the first 8 queued commands (code | 0x80 if a message), their auth kinds
const SPILLED: usize = 102;  // u16 queued commands after those 8, in the instance's aux buffer
// Zeek's queue has no limit (a client may pipeline a whole mailbox's RETRs): past the first 8, the
// commands wait in a ring of 2-byte entries in the aux buffer (aux.ts), taken on first use
const INLINE: u32 = 8;
// @ts-ignore: a compile-time check
if (SPILLED + 2 > ST_SIZE) ERROR("pop3: the queue does not fit the instance state");
const RING_HEAD: usize = 0;  // u16 in the aux buffer: the oldest spilled entry
const RING: usize = 4;       // entries: command, auth kind
const RING_CAP: u32 = <u32>((AUX_SIZE - RING) >> 1);
const F_GUESSING: u8 = 1;
const F_WAIT_AUTH: u8 = 2;
const F_REQ_MULTI: u8 = 4;
const F_MULTI: u8 = 8;

export function pop3Init(st: usize): void {
  store<u8>(st + STATE, S_START);
  store<u8>(st + LASTSTATE, S_START);
}

// Zeek's POP3 analyzer has no gap handler: its ContentLine_Analyzer only passes a content gap on,
// so the bytes after one continue the line it was reading
export function pop3Gap(st: usize, isOrig: bool): void {}
/** The line being read ends with the stream (ContentLine_Analyzer::EndpointEOF). */
export function pop3Eof(st: usize, isOrig: bool): void {
  if (load<u16>(st + (isOrig ? 0 : L_SIZE) + L_LEN) != 0) pop3Stream(st, isOrig, LONE_LF, 1);
}

export function pop3Stream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const l = st + (isOrig ? 0 : L_SIZE);
  const bit: u8 = isOrig ? 1 : 2;
  let i: u32 = 0;
  while (i < n) {
    // a line's characters up to its CR or LF (or the chunk's end) in one go: a mailbox's messages
    // are most of a POP3 stream (the first character after a CR goes through the splitter, to end the CR)
    if ((load<u8>(st + CR) & bit) == 0) {
      const k = lineEnd(p + i, n - i);
      if (k > 0) {
        lineText(l, p + i, k);
        i += k;
        if (i == n) return;
      }
    }
    const c = <u32>load<u8>(p + i);
    i++;
    const k = lineStep(st + CR, bit, c);
    if (k == LN_SKIP) continue;
    if (k == LN_EOL) {
      if (isOrig) clientLine(st, l);
      else if (serverLine(st, l)) {
        handOverAfterLine(st + CR, bit, A_SSL, false, p + i, n - i);
        return;
      }
      memory.fill(l, 0, L_SIZE);
      continue;
    }
    lineChar(l, c);
  }
}

/** lineChar over the n characters at p of a line (none of them CR or LF), with what only counts
 *  or is only kept taken in one go: a first token past 8 characters (a line of base64) up to the
 *  space after it, and the message, of which the first 24 bytes are kept. */
function lineText(l: usize, p: usize, n: u32): void {
  let j: u32 = 0;
  while (j < n) {
    const phase = load<u8>(l + L_PHASE);
    if (phase == 3) {
      const m = <u32>load<u8>(l + L_MLEN);
      const t = min(24 - m, n - j);
      memory.copy(l + L_MBUF + m, p + j, t);
      store<u8>(l + L_MLEN, <u8>(m + t));
      store<u8>(l + L_MSG, 1);
      add16(l + L_LEN, n - j);
      return;
    }
    if (phase == 1 && load<u8>(l + L_TLEN) >= 8) {
      const r = indexOfAny(p + j, n - j, 32, 32, 32);
      if (r > 0) {
        add8(l + L_TLEN, r);
        add16(l + L_LEN, r);
        j += r;
        continue;
      }
    }
    lineChar(l, <u32>load<u8>(p + j));
    j++;
  }
}

function lineChar(l: usize, c: u32): void {
  const len = load<u16>(l + L_LEN);
  if (len != 0xffff) store<u16>(l + L_LEN, len + 1);
  let phase = load<u8>(l + L_PHASE);
  if (phase == 0) {
    if (isSpace(c)) return;
    phase = 1;
    store<u8>(l + L_PHASE, 1);
  }
  if (phase == 1) {
    if (c == 32) { store<u8>(l + L_PHASE, 2); return; }
    const t = load<u8>(l + L_TLEN);
    if (t == 0 && (c == 43 || c == 45)) { const pl = load<u8>(l + L_PLUS); if (pl != 255) store<u8>(l + L_PLUS, pl + 1); return; }
    if (t < 8) store<u8>(l + L_TOK + t, <u8>upper(c));
    if (t != 255) store<u8>(l + L_TLEN, t + 1);
    return;
  }
  if (phase == 2) {
    if (c == 32) return;
    store<u8>(l + L_PHASE, 3);
  }
  store<u8>(l + L_MSG, 1);
  const m = load<u8>(l + L_MLEN);
  if (m < 24) { store<u8>(l + L_MBUF + m, <u8>c); store<u8>(l + L_MLEN, m + 1); }
}

/** ParseCmd on the line's first token; NONE if unknown. */
function parseCmd(l: usize): u8 {
  const plus = <i32>load<u8>(l + L_PLUS);
  const t = <i32>load<u8>(l + L_TLEN);
  if (t == 0 || t > 8) return NONE;
  for (let code = 0; code < WORDS.length; code++) {
    if (code < plus - 1) continue;
    const w = WORDS[code];
    if (w.length != t) continue;
    let ok = true;
    for (let i = 0; i < t; i++) if (<i32>load<u8>(l + L_TOK + i) != w.charCodeAt(i)) { ok = false; break; }
    if (ok) return <u8>code;
  }
  return NONE;
}

function msgHas(l: usize, w: string): bool {
  const m = <i32>load<u8>(l + L_MLEN);
  for (let s = 0; s + w.length <= m; s++) {
    let ok = true;
    for (let i = 0; i < w.length; i++) if (<i32>load<u8>(l + L_MBUF + s + i) != w.charCodeAt(i)) { ok = false; break; }
    if (ok) return true;
  }
  return false;
}

function clientLine(st: usize, l: usize): void {
  if (load<u16>(l + L_LEN) == 0) return;
  const f = load<u8>(st + FLAGS);
  if (f & F_WAIT_AUTH) return; // an authentication line
  const q = load<u8>(st + QLEN);
  const spilled = <u32>load<u16>(st + SPILLED);
  if (<u32>q == INLINE && spilled == RING_CAP) return; // over 4,000 unanswered: beyond any client
  const code = parseCmd(l);
  let e: u8 = code == NONE ? 0x7f : code;
  if (load<u8>(l + L_MSG) != 0) e |= 0x80;
  // remember what an AUTH line asked for
  let kind: u8 = 0;
  if (code == C_AUTH) {
    if (msgHas(l, "LOGIN")) kind = 1;
    else if (msgHas(l, "PLAIN")) kind = 2;
    else if (msgHas(l, "CRAM-MD5")) kind = 3;
  }
  if (<u32>q < INLINE) {
    store<u8>(st + QUEUE + q, e);
    store<u8>(st + QUEUE + 8 + q, kind);
    store<u8>(st + QLEN, q + 1);
    if (q == 0) processCmd(st);
    return;
  }
  const ring = aAux();
  if (spilled == 0) store<u16>(ring + RING_HEAD, 0); // an empty ring starts over (a new buffer is not zeroed)
  const at = ring + RING + <usize>(((<u32>load<u16>(ring + RING_HEAD) + spilled) % RING_CAP) << 1);
  store<u8>(at, e);
  store<u8>(at, kind, 1);
  store<u16>(st + SPILLED, <u16>(spilled + 1));
}

/** ProcessClientCmd: the command at the front of the queue. */
function processCmd(st: usize): void {
  if (load<u8>(st + QLEN) == 0) return;
  const e = load<u8>(st + QUEUE);
  const kind = load<u8>(st + QUEUE + 8);
  const code = e & 0x7f;
  const msg = (e & 0x80) != 0;
  const master = load<u8>(st + MASTER);
  let f = load<u8>(st + FLAGS);
  if (code == 0x7f) return;
  switch (code) {
    case C_USER:
      if (master == M_AUTHORIZATION) store<u8>(st + STATE, C_USER);
      break;
    case C_PASS:
      if (master == M_AUTHORIZATION && load<u8>(st + STATE) == C_USER) store<u8>(st + STATE, C_PASS);
      break;
    case C_APOP:
      if (master == M_AUTHORIZATION) store<u8>(st + STATE, C_APOP);
      break;
    case C_AUTH:
      if (master == M_AUTHORIZATION) {
        if (!msg) { f |= F_REQ_MULTI; store<u8>(st + STATE, C_AUTH); }
        else {
          store<u8>(st + STATE, kind == 1 ? S_AUTH_LOGIN : kind == 2 ? S_AUTH_PLAIN : kind == 3 ? S_AUTH_CRAM : C_AUTH);
          f |= F_WAIT_AUTH;
        }
      }
      break;
    case C_STAT: case C_DELE: case C_RSET: case C_NOOP: case C_LAST: case C_XSENDER:
      if (master == M_TRANSACTION) store<u8>(st + STATE, code == C_XSENDER ? C_LAST : <u8>code);
      else { f |= F_GUESSING; store<u8>(st + LASTSTATE, <u8>code); }
      break;
    case C_LIST: case C_UIDL:
      if (master == M_TRANSACTION) { if (!msg) f |= F_REQ_MULTI; store<u8>(st + STATE, <u8>code); }
      else { if (!msg) f |= F_REQ_MULTI; f |= F_GUESSING; store<u8>(st + LASTSTATE, <u8>code); }
      break;
    case C_RETR: case C_TOP:
      f |= F_REQ_MULTI;
      if (master == M_TRANSACTION) store<u8>(st + STATE, <u8>code);
      else { f |= F_GUESSING; store<u8>(st + LASTSTATE, <u8>code); }
      break;
    case C_QUIT:
      if (master == M_AUTHORIZATION || master == M_TRANSACTION || master == M_START) store<u8>(st + STATE, C_QUIT);
      else { f |= F_GUESSING; store<u8>(st + LASTSTATE, C_LAST); }
      break;
    case C_CAPA:
      store<u8>(st + STATE, C_CAPA);
      f |= F_REQ_MULTI;
      break;
    case C_STLS:
      store<u8>(st + STATE, C_STLS);
      break;
  }
  store<u8>(st + FLAGS, f);
}

function finishCmd(st: usize): void {
  const q = load<u8>(st + QLEN);
  if (q == 0) return;
  memory.copy(st + QUEUE, st + QUEUE + 1, 7);
  memory.copy(st + QUEUE + 8, st + QUEUE + 9, 7);
  const spilled = <u32>load<u16>(st + SPILLED);
  if (spilled == 0) {
    store<u8>(st + QLEN, q - 1);
  } else {
    // the oldest spilled command moves up to the last inline place
    const ring = aAux();
    const head = <u32>load<u16>(ring + RING_HEAD);
    const at = ring + RING + (<usize>head << 1);
    store<u8>(st + QUEUE + 7, load<u8>(at));
    store<u8>(st + QUEUE + 15, load<u8>(at, 1));
    store<u16>(ring + RING_HEAD, <u16>((head + 1) % RING_CAP));
    store<u16>(st + SPILLED, <u16>(spilled - 1));
  }
  processCmd(st);
}

/** Returns true when the stream switches to TLS. */
function serverLine(st: usize, l: usize): bool {
  let f = load<u8>(st + FLAGS);
  const len = load<u16>(l + L_LEN);
  if (f & F_MULTI) {
    // "." alone ends a multi-line reply
    if (len == 1 && load<u8>(l + L_PLUS) == 0 && load<u8>(l + L_TLEN) == 1 && load<u8>(l + L_TOK) == 46) {
      store<u8>(st + FLAGS, f & ~(F_MULTI | F_REQ_MULTI));
      finishCmd(st);
    }
    return false;
  }
  const code = parseCmd(l);
  if (code == NONE) {
    if ((f & F_WAIT_AUTH) == 0) aViolate();
    return false;
  }
  const state = load<u8>(st + STATE);
  if (code == C_OK) {
    if (f & F_GUESSING) {
      store<u8>(st + MASTER, M_TRANSACTION);
      f &= ~F_GUESSING;
      store<u8>(st + STATE, load<u8>(st + LASTSTATE));
    }
    const s = load<u8>(st + STATE);
    if (s == S_START) store<u8>(st + MASTER, M_AUTHORIZATION);
    else if (s == C_USER) { store<u8>(st + MASTER, M_AUTHORIZATION); aConfirm(); }
    else if (s == C_PASS || s == C_APOP || s == C_NOOP || s == C_LAST || s == C_STAT || s == C_RSET || s == C_DELE || s == C_XSENDER) {
      store<u8>(st + MASTER, M_TRANSACTION);
    } else if (s == C_AUTH || s == S_AUTH_PLAIN || s == S_AUTH_CRAM || s == S_AUTH_LOGIN) {
      if (f & F_REQ_MULTI) f |= F_MULTI;
      if (f & F_WAIT_AUTH) store<u8>(st + MASTER, M_TRANSACTION);
      f &= ~F_WAIT_AUTH;
    } else if (s == C_TOP || s == C_RETR) {
      if (f & F_REQ_MULTI) f |= F_MULTI;
    } else if (s == C_CAPA || s == C_UIDL || s == C_LIST) {
      if (s == C_CAPA) aConfirm();
      if (f & F_REQ_MULTI) f |= F_MULTI;
    } else if (s == C_STLS) {
      aConfirm();
      store<u8>(st + FLAGS, f);
      return true;
    } else if (s == C_QUIT) {
      const m = load<u8>(st + MASTER);
      if (m == M_AUTHORIZATION || m == M_START) store<u8>(st + MASTER, M_FINISHED);
      else if (m == M_TRANSACTION) store<u8>(st + MASTER, M_UPDATE);
    }
    store<u8>(st + FLAGS, f);
    if ((f & F_MULTI) == 0) finishCmd(st);
    return false;
  }
  if (code == C_ERR) {
    f &= ~(F_MULTI | F_REQ_MULTI | F_GUESSING | F_WAIT_AUTH);
    const s = load<u8>(st + STATE);
    if (s == C_USER || s == C_PASS || s == C_APOP || s == C_AUTH || s == S_AUTH_LOGIN || s == S_AUTH_PLAIN || s == S_AUTH_CRAM) {
      store<u8>(st + MASTER, M_AUTHORIZATION);
      store<u8>(st + STATE, S_START);
    } else if (s == C_NOOP || s == C_LAST || s == C_STAT || s == C_RSET || s == C_DELE || s == C_LIST || s == C_RETR || s == C_UIDL || s == C_TOP || s == C_XSENDER) {
      store<u8>(st + MASTER, M_TRANSACTION);
    } else if (s == C_QUIT) {
      const m = load<u8>(st + MASTER);
      if (m == M_AUTHORIZATION || m == M_TRANSACTION || m == M_START) store<u8>(st + MASTER, M_FINISHED);
    }
    store<u8>(st + FLAGS, f);
    finishCmd(st);
    return false;
  }
  return false;
}
