// Builds the conn.log record of a connection that leaves the table (layout in records.ts).
import * as C from "./conn";
import { recordSlot, CONN_RECORD_SIZE } from "../records";
import { tcpConnState, tcpHistory, tcpOrigBytes, tcpRespBytes, tcpMissedBytes, tcpLastTime, CS_SF, CS_S0, CS_SHR, CS_OTH } from "./tcp";
import { otherHistory, udpOrigActive, udpRespActive } from "./udp";

export function emitConnRecord(r: usize): void {
  const e = recordSlot();
  memory.fill(e, 0, CONN_RECORD_SIZE);
  const proto = <u32>load<u8>(r + C.C_PROTO);
  const st = r + C.C_TCP;
  store<u8>(e, load<u8>(r + C.C_IPVER), 0);
  store<u8>(e, <u8>proto, 1);
  store<u16>(e, load<u16>(r + C.C_ORIG_PORT), 4);
  store<u16>(e, load<u16>(r + C.C_RESP_PORT), 6);
  const start = load<i64>(r + C.C_FIRST_TS);
  store<i64>(e, start, 8);
  store<u64>(e, load<u64>(r + C.C_SERIAL), 24);
  memory.copy(e + 32, r + C.C_ORIG_ADDR, 16);
  memory.copy(e + 48, r + C.C_RESP_ADDR, 16);
  store<u64>(e, load<u64>(r + C.C_ORIG_PKTS), 88);
  store<u64>(e, load<u64>(r + C.C_ORIG_IP_BYTES), 96);
  store<u64>(e, load<u64>(r + C.C_RESP_PKTS), 104);
  store<u64>(e, load<u64>(r + C.C_RESP_IP_BYTES), 112);
  store<u64>(e, load<u64>(r + C.C_TUNNEL), 120);
  store<u64>(e, load<u64>(r + C.C_TUNNEL2), 200);
  store<u32>(e, load<u32>(r + C.C_SERVICES), 128);
  store<u32>(e, load<u32>(r + C.C_SERVICES + 4), 208);
  let state: u32, histLen: u32, last: i64;
  if (proto == 6) {
    state = tcpConnState(st);
    histLen = tcpHistory(st, e + 136);
    store<u64>(e, tcpOrigBytes(st), 64);
    store<u64>(e, tcpRespBytes(st), 72);
    store<u64>(e, tcpMissedBytes(st), 80);
    last = tcpLastTime(st);
  } else {
    if (proto == 17) {
      const o = udpOrigActive(st), rs = udpRespActive(st);
      state = o ? (rs ? CS_SF : CS_S0) : (rs ? CS_SHR : CS_OTH);
    } else {
      state = CS_OTH;
    }
    histLen = otherHistory(st, e + 136);
    store<u64>(e, load<u64>(r + C.C_ORIG_PAYLOAD), 64);
    store<u64>(e, load<u64>(r + C.C_RESP_PAYLOAD), 72);
    last = load<i64>(r + C.C_LAST_TS);
  }
  store<u8>(e, <u8>state, 2);
  store<u8>(e, <u8>histLen, 3);
  store<i64>(e, last - start, 16);
}
