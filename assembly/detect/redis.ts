// Redis (Zeek: the Redis analyzer, Spicy; RESP). The server's data is RESP: each reply starts with
// one of + - : $ * _ , # ! = ( % ~ >; the first reply that does confirms, anything else is a
// violation. (Clients may also send inline commands, so their data decides nothing.)
import { aConfirm, aViolate, aDone } from "./ctx";

export function redisInit(st: usize): void {}
export function redisGap(st: usize, isOrig: bool): void { aDone(); }
export function redisEof(st: usize, isOrig: bool): void {}

export function redisStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (isOrig || n == 0) return;
  const c = <u32>load<u8>(p);
  switch (c) {
    case 43: case 45: case 58: case 36: case 42: case 95: case 44: case 35: case 33: case 61: case 40: case 37: case 126: case 62:
      aConfirm();
      break;
    default:
      aViolate();
  }
  aDone();
}
