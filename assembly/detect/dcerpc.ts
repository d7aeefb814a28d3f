// DCE-RPC over TCP (Zeek: src/analyzer/protocol/dce-rpc, binpac dce_rpc-protocol.pac).
// PDUs: a 16-byte header (rpc_vers 5 enforced, data representation, frag_length, auth_length,
// call id), the fragment, then an auth trailer; the body's length is frag_length - 16 -
// auth_length - 8 when there is auth. A negative body or another version is a violation; every
// whole PDU confirms (proc_dce_rpc_pdu). The auth trailer (type, level, pad, reserved, context id,
// then auth_length bytes) goes, as Zeek's forward_auth does, to GSSAPI (type 9) or NTLM (type 10);
// trailers over 4 KiB are not parsed.
import { aConfirm, aViolate, aDone, aPartial, aAux } from "./ctx";
import { gssapiToken, ntlmToken } from "./gssapi";

// per direction (orig 0, resp 24)
const D_HAVE: usize = 0;    // u8 header bytes collected
const D_HDR: usize = 1;     // 16 bytes
const D_REMAIN: usize = 20; // u32 PDU bytes left after the header
const D_SIZE: usize = 24;
// per direction (orig 48, resp 56): u32 remaining count at which the auth trailer starts (0: none)
const A_AT: usize = 48;
const NESTED: usize = 64;   // u8 GSSAPI/NTLM/KRB flags (gssapi.ts)
const HOLD: u32 = 4096;

export function dcerpcInit(st: usize): void {}
export function dcerpcGap(st: usize, isOrig: bool): void { aDone(); }
export function dcerpcEof(st: usize, isOrig: bool): void {}

export function dcerpcStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (aPartial()) return;
  const d = st + (isOrig ? 0 : D_SIZE);
  const at = st + A_AT + (isOrig ? 0 : 8);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u32>(d + D_REMAIN);
    if (remain > 0) {
      const take = remain < n - i ? remain : n - i;
      const authAt = load<u32>(at);
      if (authAt != 0 && remain - take < authAt) {
        // part of the auth trailer: hold it
        const buf = aAux() + (isOrig ? 0 : <usize>HOLD);
        const from = remain > authAt ? remain - authAt : 0; // bytes of this chunk before the trailer
        const pos = authAt - (remain - from);              // trailer bytes already held
        memory.copy(buf + pos, p + i + from, take - from);
      }
      i += take;
      store<u32>(d + D_REMAIN, remain - take);
      if (remain - take == 0) {
        if (authAt != 0) auth(st, isOrig, authAt);
        store<u32>(at, 0);
        aConfirm();
      }
      continue;
    }
    const have = <u32>load<u8>(d + D_HAVE);
    store<u8>(d + D_HDR + have, load<u8>(p + i));
    i++;
    if (have + 1 < 16) { store<u8>(d + D_HAVE, <u8>(have + 1)); continue; }
    store<u8>(d + D_HAVE, 0);
    if (load<u8>(d + D_HDR) != 5) { aViolate(); return; }
    const little = (load<u8>(d + D_HDR + 4) >> 4) != 0;
    const raw = load<u16>(d + D_HDR + 8), rawAuth = load<u16>(d + D_HDR + 10);
    const frag = <i32>(little ? raw : bswap<u16>(raw));
    const auth = <i32>(little ? rawAuth : bswap<u16>(rawAuth));
    const body = frag - 16 - auth - (auth > 0 ? 8 : 0);
    if (body < 0) { aViolate(); return; }
    if (frag <= 16) { aConfirm(); continue; }
    store<u32>(d + D_REMAIN, <u32>(frag - 16));
    store<u32>(at, auth > 0 && <u32>(auth + 8) <= HOLD ? <u32>(auth + 8) : 0);
  }
}

/** The PDU's auth trailer, held whole (n bytes). */
function auth(st: usize, isOrig: bool, n: u32): void {
  const t = aAux() + (isOrig ? 0 : <usize>HOLD);
  const type = load<u8>(t);
  if (type == 9) gssapiToken(st + NESTED, t + 8, n - 8);
  else if (type == 10) ntlmToken(st + NESTED, t + 8, n - 8);
}

/**
 * One DCE-RPC PDU held whole, as SMB's named pipes carry them (Zeek's forward_dce_rpc hands pipe
 * data to a DCE_RPC analyzer of its own): 1 it parsed (its auth trailer went to GSSAPI or NTLM),
 * 0 it is not whole here, -1 it is not DCE-RPC (a violation).
 */
export function dcerpcPdu(nested: usize, p: usize, n: u32): i32 {
  if (n == 0) return 0;
  if (load<u8>(p) != 5) return -1;
  if (n < 16) return 0;
  const little = (load<u8>(p + 4) >> 4) != 0;
  const raw = load<u16>(p + 8), rawAuth = load<u16>(p + 10);
  const frag = <u32>(little ? raw : bswap<u16>(raw));
  const auth = <u32>(little ? rawAuth : bswap<u16>(rawAuth));
  if (<i32>frag - 16 - <i32>auth - (auth > 0 ? 8 : 0) < 0) return -1;
  if (frag > n) return 0;
  if (auth > 0) {
    const t = p + frag - auth - 8;
    const type = load<u8>(t);
    if (type == 9) gssapiToken(nested, t + 8, auth);
    else if (type == 10) ntlmToken(nested, t + 8, auth);
  }
  return 1;
}
