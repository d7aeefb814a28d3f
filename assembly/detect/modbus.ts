// Modbus/TCP (Zeek: src/analyzer/protocol/modbus, binpac modbus-protocol.pac / -analyzer.pac).
// PDUs: transaction id, protocol id (0), length (of what follows it), unit id, function code, then a
// body by function code with binpac &check constraints (quantities, coil values, byte counts).
// The first PDU that parses whole confirms; a PDU whose length cannot hold its header, a body that
// does not fit the PDU, or a failed check is a violation.
import { aConfirm, aViolate } from "./ctx";
import { be16 } from "./lines";

// per direction (orig 0, resp 24)
const D_HAVE: usize = 0;    // u8 bytes of header + body prefix collected
const D_BUF: usize = 1;     // 8 header bytes + 8 body bytes
const D_NEED: usize = 17;   // u8 prefix bytes wanted
const D_REMAIN: usize = 20; // u32 PDU bytes left after the prefix
const D_SIZE: usize = 24;

export function modbusInit(st: usize): void {}
// Zeek's binpac flow buffer keeps a partial frame across a content gap (FlowBuffer::NewGap): the
// bytes after one continue the frame, as if nothing were missing
export function modbusGap(st: usize, isOrig: bool): void {}
export function modbusEof(st: usize, isOrig: bool): void {}

export function modbusStream(st: usize, isOrig: bool, p: usize, n: u32): void {
  const d = st + (isOrig ? 0 : D_SIZE);
  let i: u32 = 0;
  while (i < n) {
    const remain = load<u32>(d + D_REMAIN);
    if (remain > 0) {
      const take = remain < n - i ? remain : n - i;
      i += take;
      store<u32>(d + D_REMAIN, remain - take);
      if (remain - take == 0 && !pduDone(d, isOrig)) return;
      continue;
    }
    let have = <u32>load<u8>(d + D_HAVE);
    store<u8>(d + D_BUF + have, load<u8>(p + i));
    i++;
    have++;
    store<u8>(d + D_HAVE, <u8>have);
    if (have < 8) continue;
    // the protocol identifier must be 0 (Modbus); Zeek's baselines drop non-Modbus traffic on
    // port 502 at once (zeek/modbus_dcerpc_port502)
    if (be16(d + D_BUF + 2) != 0) { aViolate(); return; }
    const total = be16(d + D_BUF + 4) + 6; // the PDU's &length
    if (total < 8) { aViolate(); return; } // the header does not fit
    const body = total - 8;
    const want: u32 = 8 + (body < 8 ? body : 8);
    if (have < want) continue;
    store<u32>(d + D_REMAIN, total - have);
    if (total == have && !pduDone(d, isOrig)) return;
  }
}

/** How many body bytes the function's structure needs (0: a rest-of-data body), and its checks. */
function pduDone(d: usize, isOrig: bool): bool {
  const have = <u32>load<u8>(d + D_HAVE);
  store<u8>(d + D_HAVE, 0);
  const body = be16(d + D_BUF + 4) + 6 - 8;
  const fc = <u32>load<u8>(d + D_BUF + 7);
  const b = d + D_BUF + 8;
  const avail = have - 8; // body bytes we hold (at most 8)
  let need: u32 = 0;
  let ok = true;
  if (isOrig) {
    switch (fc) {
      case 1: case 2: need = 4; if (avail >= 4) ok = be16(b + 2) <= 2000; break;
      case 3: case 4: need = 4; if (avail >= 4) ok = be16(b + 2) <= 125; break;
      case 5: need = 4; if (avail >= 4) { const v = be16(b + 2); ok = v == 0 || v == 0xff00; } break;
      case 6: need = 4; break;
      case 15: {
        need = 5;
        if (avail >= 5) {
          const q = be16(b + 2), bc = <u32>load<u8>(b + 4);
          ok = q <= 0x7b0 && bc == (q + 7) / 8;
          need = 5 + bc;
        }
        break;
      }
      case 16: {
        need = 5;
        if (avail >= 5) {
          const q = be16(b + 2), bc = <u32>load<u8>(b + 4);
          need = 5 + bc;
          ok = q * 2 <= bc && bc % 2 == 0;
        }
        break;
      }
      case 20: need = 1; if (avail >= 1) { ok = load<u8>(b) <= 0xf5; need = 1 + <u32>load<u8>(b); } break;
      case 21: need = 1; if (avail >= 1) need = 1 + <u32>load<u8>(b); break;
      case 22: need = 6; break;
      case 23: need = 9; break;
      case 24: need = 2; break;
      default: need = 0;
    }
  } else {
    switch (fc) {
      case 1: case 2: need = 1; if (avail >= 1) need = 1 + <u32>load<u8>(b); break;
      case 3: case 4: need = 1; if (avail >= 1) { need = 1 + <u32>load<u8>(b); ok = load<u8>(b) % 2 == 0; } break;
      case 5: need = 4; if (avail >= 4) { const v = be16(b + 2); ok = v == 0 || v == 0xff00; } break;
      case 6: case 15: case 16: need = 4; break;
      case 20: need = 1; if (avail >= 1) { const bc = load<u8>(b); ok = bc >= 7 && bc <= 0xf5; need = 1 + <u32>bc; } break;
      case 21: case 23: need = 1; if (avail >= 1) need = 1 + <u32>load<u8>(b); break;
      case 22: need = 6; break;
      case 24: need = 4; break;
      case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87: case 0x8f: case 0x90:
      case 0x94: case 0x95: case 0x96: case 0x97: case 0x98: need = 1; break;
      default: need = 0;
    }
  }
  if (!ok || need > body) { aViolate(); return false; }
  aConfirm();
  return true;
}
