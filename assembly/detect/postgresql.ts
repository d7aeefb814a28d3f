// PostgreSQL (Zeek: src/analyzer/protocol/postgresql, Spicy). The client's first message is a
// startup message (length, protocol 3.0) or an SSLRequest (length 8, code 80877103): either
// confirms; anything else is a violation. An SSLRequest answered with 'S' hands the rest to SSL.
import { aConfirm, aViolate, aHandOver, aDone } from "./ctx";
import { be32 } from "./lines";
import { A_SSL } from "./analyzers";

// 0: u8 bytes of the first client message kept (8 at most), 1..8: those bytes, 9: SSL requested
export function postgresqlInit(st: usize): void {}
export function postgresqlGap(st: usize, isOrig: bool): void { aDone(); }
export function postgresqlEof(st: usize, isOrig: bool): void {}

export function postgresqlStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (!isOrig) {
    if (load<u8>(st + 9) != 0 && n > 0) {
      if (load<u8>(p) == 83) { aHandOver(A_SSL, false, p + 1, n - 1); return; } // 'S'
      store<u8>(st + 9, 0);
    }
    return;
  }
  let have = <u32>load<u8>(st);
  if (have >= 8) return;
  const k = <u32>8 - have < n ? <u32>8 - have : n;
  memory.copy(st + 1 + have, p, k);
  have += k;
  store<u8>(st, <u8>have);
  if (have < 8) return;
  const len = be32(st + 1), code = be32(st + 5);
  if (len == 8 && code == 80877103) { aConfirm(); store<u8>(st + 9, 1); return; }
  if ((code >> 16) == 3 && len >= 8) { aConfirm(); aDone(); return; }
  aViolate();
}
