// Syslog (Zeek: src/analyzer/protocol/syslog). UDP: each datagram is "<PRI>message"; it confirms,
// anything else is a violation. TCP (SYSLOG_TCP): messages framed by octet counting ("123 <PRI>...")
// or by newlines; the first one that starts right confirms.
import { aConfirm, aViolate, aDone } from "./ctx";
import { isDigit } from "./lines";

export function syslogInit(st: usize): void {}

function priAt(p: usize, n: u32, off: u32): bool {
  if (off >= n || load<u8>(p + off) != 60) return false;
  let i = off + 1;
  const s = i;
  while (i < n && isDigit(load<u8>(p + i))) i++;
  return i > s && i < n && load<u8>(p + i) == 62;
}

export function syslogDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (priAt(p, n, 0)) aConfirm(); else aViolate();
}

export function syslogTcpStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (!isOrig) return;
  // octet counting: digits and a space before the PRI
  let i: u32 = 0;
  while (i < n && isDigit(load<u8>(p + i))) i++;
  if (i > 0 && i < n && load<u8>(p + i) == 32) i++; else i = 0;
  if (priAt(p, n, i)) aConfirm(); else aViolate();
  aDone();
}
