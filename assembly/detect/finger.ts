// Finger (Zeek: src/analyzer/protocol/finger, Spicy). The client sends one request line ("/W"
// optional, then a user); a complete line confirms.
import { aConfirm, aDone } from "./ctx";

export function fingerInit(st: usize): void {}
export function fingerGap(st: usize, isOrig: bool): void { aDone(); }
export function fingerEof(st: usize, isOrig: bool): void {}

export function fingerStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (!isOrig) return;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(p + i) == 10) { aConfirm(); aDone(); return; }
  }
}
