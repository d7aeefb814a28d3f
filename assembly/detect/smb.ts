// SMB (Zeek: src/analyzer/protocol/smb, binpac): NetBIOS session messages carrying SMB1
// ("\xffSMB") or SMB2/3 ("\xfeSMB"). Zeek starts parsing at the first chunk that begins with such a
// message and confirms after three chunks parsed without error.
import { aConfirm, aDone } from "./ctx";

// 0: synced; 1: chunks parsed
export function smbInit(st: usize): void {}
export function smbGap(st: usize, isOrig: bool): void { aDone(); }
export function smbEof(st: usize, isOrig: bool): void {}

export function smbStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (load<u8>(st) == 0) {
    if (n < 8) return;
    const t = load<u8>(p + 4);
    if (load<u8>(p) != 0 || (t != 0xff && t != 0xfe) || load<u8>(p + 5) != 83 || load<u8>(p + 6) != 77 || load<u8>(p + 7) != 66) return;
    store<u8>(st, 1);
  }
  const c = load<u8>(st + 1) + 1;
  store<u8>(st + 1, c);
  if (c >= 3) { aConfirm(); aDone(); }
}
