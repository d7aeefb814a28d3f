// SMB (Zeek: src/analyzer/protocol/smb, binpac): NetBIOS session messages carrying SMB1
// ("\xffSMB") or SMB2/3 ("\xfeSMB"). Zeek starts parsing at the first chunk that begins with such a
// message, again after a content gap, and confirms after three chunks parsed without error.
// Session setup carries the authentication: the security blob of SMB1 SESSION_SETUP_ANDX with
// extended security (12 words in the request, 4 in the response) and of SMB2 SESSION_SETUP goes to
// GSSAPI (and from there to NTLM or KRB), as Zeek's forward_gssapi does. Messages are framed by
// their NetBIOS header; the first 4 KiB of each are held in the instance's aux buffer, so larger
// blobs (big Kerberos tickets) are not parsed.
// Named pipes carry DCE-RPC: SMB2 trees whose TREE_CONNECT reply says PIPE are remembered (four at
// most), and the data of WRITE requests and READ replies on them goes to a DCE-RPC parser, as
// Zeek's forward_dce_rpc does: a whole PDU confirms dce_rpc (its auth trailer going to GSSAPI and
// NTLM), data that is not DCE-RPC is a dce_rpc violation. Parsing stops once a session setup
// succeeded and the pipes' DCE-RPC is decided, or after 64 messages.
import { aConfirm, aDone, aAux, aConfirmAs, aViolateAs } from "./ctx";
import { gssapiToken } from "./gssapi";
import { dcerpcPdu } from "./dcerpc";
import { A_DCE_RPC } from "./analyzers";

const S_SYNCED: usize = 0;  // u8 parsing started
const S_CHUNKS: usize = 1;  // u8 chunks parsed
const S_NESTED: usize = 2;  // u8 GSSAPI/NTLM/KRB flags (gssapi.ts)
const S_MSGS: usize = 3;    // u8 messages seen
const S_STOP: usize = 4;    // u8 nothing more to parse (session set up, or enough messages)
const S_SESSION: usize = 5; // u8 a session setup succeeded
const S_DCE: usize = 6;     // u8 DCE-RPC on pipes: 1 confirmed, 2 violated
const S_NPIPES: usize = 7;  // u8 pipe trees known
const S_PIPES: usize = 56;  // u32 × 4 tree ids of pipe shares
// per direction (orig at D_ORIG, resp at D_RESP)
const D_ORIG: usize = 8;
const D_RESP: usize = 32;
const D_PHASE: usize = 0;   // u8 0: NetBIOS header, 1: message
const D_HAVE: usize = 1;    // u8 header bytes collected
const D_HDR: usize = 4;     // 4 bytes
const D_LEN: usize = 8;     // u32 message length
const D_DONE: usize = 12;   // u32 message bytes consumed
const D_WANT: usize = 16;   // u32 bytes of it to hold (0: none, a non-session message)
const HOLD: u32 = 4096;
const MAX_MSGS: u8 = 64;

export function smbInit(st: usize): void {}
/** Zeek's SMB_Analyzer::NeedResync: both directions' partial messages are dropped, and parsing
 *  resumes at the next chunk, of either side, that starts with an SMB message. */
export function smbGap(st: usize, isOrig: bool): void {
  store<u8>(st + S_SYNCED, 0);
  store<u8>(st + D_ORIG + D_PHASE, 0);
  store<u8>(st + D_ORIG + D_HAVE, 0);
  store<u8>(st + D_RESP + D_PHASE, 0);
  store<u8>(st + D_RESP + D_HAVE, 0);
}
export function smbEof(st: usize, isOrig: bool): void {}

export function smbStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (load<u8>(st + S_SYNCED) == 0) {
    if (n < 8) return;
    const t = load<u8>(p + 4);
    // Zeek's HasSMBHeader: "\xffSMB" or "\xfeSMB" after the first four bytes, whatever they say
    if ((t != 0xff && t != 0xfe) || load<u8>(p + 5) != 83 || load<u8>(p + 6) != 77 || load<u8>(p + 7) != 66) return;
    store<u8>(st + S_SYNCED, 1);
  }
  // as Zeek: the chunk is parsed (its blobs reach GSSAPI and NTLM first), then counted
  frame(st, isOrig, p, n);
  const c = load<u8>(st + S_CHUNKS);
  if (c < 3) {
    store<u8>(st + S_CHUNKS, c + 1);
    if (c + 1 == 3) aConfirm();
  }
  if (load<u8>(st + S_STOP) != 0 && load<u8>(st + S_CHUNKS) >= 3) aDone();
}

function frame(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (load<u8>(st + S_STOP) != 0) return;
  const d = st + (isOrig ? D_ORIG : D_RESP);
  const buf = aAux() + (isOrig ? 0 : <usize>HOLD);
  let i: u32 = 0;
  while (i < n) {
    if (load<u8>(d + D_PHASE) == 0) {
      const have = <u32>load<u8>(d + D_HAVE);
      store<u8>(d + D_HDR + have, load<u8>(p + i));
      i++;
      if (have + 1 < 4) { store<u8>(d + D_HAVE, <u8>(have + 1)); continue; }
      store<u8>(d + D_HAVE, 0);
      const len = (<u32>load<u8>(d + D_HDR + 1) << 16) | (<u32>load<u8>(d + D_HDR + 2) << 8) | <u32>load<u8>(d + D_HDR + 3);
      store<u32>(d + D_LEN, len);
      store<u32>(d + D_DONE, 0);
      // session messages (type 0) are held for a look; others (session request, keep-alive) skipped
      store<u32>(d + D_WANT, load<u8>(d + D_HDR) == 0 ? (len < HOLD ? len : HOLD) : 0);
      store<u8>(d + D_PHASE, 1);
      if (len == 0) { store<u8>(d + D_PHASE, 0); if (message(st, isOrig, buf, 0, 0)) return; }
      continue;
    }
    const len = load<u32>(d + D_LEN), done = load<u32>(d + D_DONE), want = load<u32>(d + D_WANT);
    const take = len - done < n - i ? len - done : n - i;
    if (done < want) {
      const k = want - done < take ? want - done : take;
      memory.copy(buf + done, p + i, k);
    }
    i += take;
    store<u32>(d + D_DONE, done + take);
    if (done < want && done + take >= want && want > 0) {
      if (message(st, isOrig, buf, want, len)) return;
    }
    if (done + take == len) store<u8>(d + D_PHASE, 0);
  }
}

@inline function le16(p: usize): u32 { return <u32>load<u16>(p); }

/** A message's first bytes (held: n of its len); true when parsing stops. */
function message(st: usize, isOrig: bool, m: usize, n: u32, len: u32): bool {
  const k = load<u8>(st + S_MSGS) + 1;
  store<u8>(st + S_MSGS, k);
  if (n >= 64 && load<u32>(m) == 0x424d53fe) { // SMB2
    const cmd = le16(m + 12);
    const status = load<u32>(m + 8);
    const resp = (load<u32>(m + 16) & 1) != 0;
    const tree = load<u32>(m + 36);
    if (cmd == 1) { // SESSION_SETUP
      if (!resp && n >= 88) blob(st, m, n, le16(m + 76), le16(m + 78));
      if (resp && n >= 72 && (status == 0 || status == 0xc0000016)) {
        blob(st, m, n, le16(m + 68), le16(m + 70));
        if (status == 0) store<u8>(st + S_SESSION, 1);
      }
    } else if (cmd == 3 && resp && status == 0 && n >= 67 && load<u8>(m + 66) == 2) { // TREE_CONNECT: a pipe
      const k = load<u8>(st + S_NPIPES);
      if (k < 4) {
        store<u32>(st + S_PIPES + (<usize>k << 2), tree);
        store<u8>(st + S_NPIPES, k + 1);
      }
    } else if (cmd == 9 && !resp && n >= 72 && isPipe(st, tree)) { // WRITE to a pipe
      pipeData(st, m, n, le16(m + 66), load<u32>(m + 68));
    } else if (cmd == 8 && resp && (status == 0 || status == 0x80000005) && n >= 72 && isPipe(st, tree)) { // READ from a pipe
      pipeData(st, m, n, le16(m + 66), load<u32>(m + 68));
    }
  } else if (n >= 33 && load<u32>(m) == 0x424d53ff) { // SMB1
    if (load<u8>(m + 4) == 0x73) { // SESSION_SETUP_ANDX
      const resp = (load<u8>(m + 9) & 0x80) != 0;
      const wc = load<u8>(m + 32);
      if (!resp && wc == 12 && n >= 59) blob(st, m, n, 59, le16(m + 47));
      if (resp && wc == 4 && n >= 43) {
        blob(st, m, n, 43, le16(m + 39));
        if (load<u32>(m + 5) == 0) store<u8>(st + S_SESSION, 1);
      }
    }
  }
  if ((load<u8>(st + S_SESSION) != 0 && load<u8>(st + S_DCE) != 0) || k >= MAX_MSGS) { store<u8>(st + S_STOP, 1); return true; }
  return false;
}

function isPipe(st: usize, tree: u32): bool {
  const k = <usize>load<u8>(st + S_NPIPES);
  for (let i: usize = 0; i < k; i++) if (load<u32>(st + S_PIPES + (i << 2)) == tree) return true;
  return false;
}

/** Pipe data at off (len bytes announced) of a held message of n bytes. */
function pipeData(st: usize, m: usize, n: u32, off: u32, len: u32): void {
  if (load<u8>(st + S_DCE) != 0 || off >= n) return;
  const avail = n - off < len ? n - off : len;
  const r = dcerpcPdu(st + S_NESTED, m + off, avail);
  if (r > 0) { store<u8>(st + S_DCE, 1); aConfirmAs(A_DCE_RPC); }
  else if (r < 0) { store<u8>(st + S_DCE, 2); aViolateAs(A_DCE_RPC); }
}

function blob(st: usize, m: usize, n: u32, off: u32, len: u32): void {
  if (len == 0 || off + len > n) return;
  gssapiToken(st + S_NESTED, m + off, len);
}
