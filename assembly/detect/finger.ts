// Finger (Zeek: src/analyzer/protocol/finger, Spicy finger.spicy). The client's request: optional
// spaces/tabs, an optional "/W", spaces/tabs, then the argument up to CR or LF (or the end of the
// stream); it accepts (confirms) when the argument's user part (before "@", whitespace stripped) is
// not empty, or with /W. The server's reply is lines of anything ended by LF or CRLF; a line longer
// than 10 bytes accepts; a CR not followed by LF, or a line cut by the end of the stream, is a
// parse error (violation). Invalid UTF-8 does not matter: Spicy's decode() replaces it.
import { aConfirm, aViolate, aDone } from "./ctx";

// client: u8 phase at 0 (0 leading blanks, 1 after '/', 2 blanks after /W, 3 argument, 4 done),
// u8 whois at 1, u8 at 2: the argument's first non-blank byte (0 none yet, 1 '@', 2 another)
// server: u8 CR pending at 8, u32 line length at 12
export function fingerInit(st: usize): void {}
export function fingerGap(st: usize, isOrig: bool): void { aDone(); }

function requestDone(st: usize): void {
  store<u8>(st, 4);
  if (load<u8>(st + 1) != 0 || load<u8>(st + 2) == 2) aConfirm();
}

@inline function blank(c: u32): bool { return c == 32 || c == 9; }
@inline function space(c: u32): bool { return c == 32 || c == 9 || c == 11 || c == 12; }

export function fingerEof(st: usize, isOrig: bool): void {
  if (isOrig) {
    if (load<u8>(st) != 4) {
      if (load<u8>(st) == 1) store<u8>(st + 2, 2); // the argument is "/"
      requestDone(st);
    }
    return;
  }
  if (load<u8>(st + 8) != 0 || load<u32>(st + 12) != 0) aViolate();
}

export function fingerStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (isOrig) {
    for (let i: u32 = 0; i < n; i++) {
      const c = <u32>load<u8>(p + i);
      let phase = load<u8>(st);
      if (phase == 4) return; // the request unit is complete: later bytes are not parsed
      if (phase == 0) {
        if (blank(c)) continue;
        if (c == 47) { store<u8>(st, 1); continue; }
        phase = 3;
      } else if (phase == 1) {
        if (c == 87) { store<u8>(st + 1, 1); store<u8>(st, 2); continue; }
        store<u8>(st + 2, 2); // no /W: the '/' opens the argument
        phase = 3;
      } else if (phase == 2) {
        if (blank(c)) continue;
        phase = 3;
      }
      store<u8>(st, 3);
      if (c == 13 || c == 10) { requestDone(st); continue; }
      if (load<u8>(st + 2) == 0 && !space(c)) store<u8>(st + 2, c == 64 ? 1 : 2);
    }
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (load<u8>(st + 8) != 0) {
      if (c != 10) { aViolate(); return; }
      store<u8>(st + 8, 0);
      if (load<u32>(st + 12) > 10) aConfirm();
      store<u32>(st + 12, 0);
      continue;
    }
    if (c == 13) { store<u8>(st + 8, 1); continue; }
    if (c == 10) {
      if (load<u32>(st + 12) > 10) aConfirm();
      store<u32>(st + 12, 0);
      continue;
    }
    store<u32>(st + 12, load<u32>(st + 12) + 1);
  }
}
