// RDP (Zeek: src/analyzer/protocol/rdp, binpac rdp-protocol.pac / RDP.cc). TPKT frames carrying
// X.224: the client's Connection Request, the server's Connection Confirm (with the negotiated
// security protocol), then data TPDUs with MCS. The client's MCS Connect-Initial (Client Core
// Data) or the server's Connect-Response (GCC server data) confirms. When the server picked TLS
// or CredSSP, the rest is TLS: Zeek hands it to a new PIA, and so does this.
import { aConfirm, aDone, aRestartDpd } from "./ctx";
import { be16 } from "./lines";

// per direction (orig 0, resp 16): u8 bytes kept, 12 bytes (TPKT 4 + X.224 + MCS start), u32 left
const D_HAVE: usize = 0;
const D_BUF: usize = 1;
const D_REMAIN: usize = 12;

export function rdpInit(st: usize): void {}
export function rdpGap(st: usize, isOrig: bool): void { aDone(); }
export function rdpEof(st: usize, isOrig: bool): void {}

export function rdpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : 16);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u32>(d + D_REMAIN);
    if (remain > 0) {
      const take = remain < n - i ? remain : n - i;
      // a Connection Confirm's negotiation response ends the frame: keep its last 4 bytes
      if (!isOrig && load<u8>(d + D_BUF + 5) == 0xd0) {
        for (let k: u32 = 0; k < take; k++) {
          memory.copy(st + 36, st + 37, 7);
          store<u8>(st + 43, load<u8>(p + i + k));
        }
      }
      i += take;
      store<u32>(d + D_REMAIN, remain - take);
      if (remain - take == 0 && frameDone(st, d, isOrig, p + i, n - i)) return;
      continue;
    }
    const have = <u32>load<u8>(d + D_HAVE);
    store<u8>(d + D_BUF + have, load<u8>(p + i));
    i++;
    if (have + 1 < 9) { store<u8>(d + D_HAVE, <u8>(have + 1)); continue; }
    store<u8>(d + D_HAVE, 0);
    if (load<u8>(d + D_BUF) != 3) { aDone(); return; } // not TPKT: leave it
    const len = be16(d + D_BUF + 2);
    if (len <= 9) { if (frameDone(st, d, isOrig, p + i, n - i)) return; continue; }
    if (!isOrig && load<u8>(d + D_BUF + 5) == 0xd0) memory.fill(st + 36, 0, 8);
    store<u32>(d + D_REMAIN, len - 9);
  }
}

/** A whole TPKT frame went by; returns true when parsing stops. */
function frameDone(st: usize, d: usize, isOrig: bool, rest: usize, restLen: u32): bool {
  const code = load<u8>(d + D_BUF + 5);
  if (code == 0xd0 && !isOrig) {
    // RDP_NEG_RSP (type 2, flags, length 8, selectedProtocol u32 LE) closes the CC
    const selected = load<u32>(st + 40);
    if (load<u8>(st + 36) == 2 && load<u16>(st + 38) == 8 && selected != 0) {
      aRestartDpd(false, rest, restLen);
      return true;
    }
    return false;
  }
  if (code == 0xf0) {
    // X.224 data: MCS Connect-Initial (0x7f65) from the client, Connect-Response (0x7f66) back
    const m0 = load<u8>(d + D_BUF + 7), m1 = load<u8>(d + D_BUF + 8);
    if (m0 == 0x7f && ((isOrig && m1 == 0x65) || (!isOrig && m1 == 0x66))) aConfirm();
  }
  return false;
}
