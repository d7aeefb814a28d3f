// Confirmed analyzers of a connection (conn.log `service`), their events and their counters.
import * as C from "./conn";
import { wants, eventSlot, EV_CONFIRMATION } from "../events";
import { countersEnabled, countsService, countsTraffic, keyFor, rowOfKey, rowAdd, rowAddLater, countersSettle } from "../top/counters";
import * as P from "../packet";
import { detectProtocols } from "../config";

/** Is analyzer `id` among r's services? */
export function hasService(r: usize, id: u32): bool {
  for (let i: u32 = 0; i < C.MAX_SERVICES; i++) if (<u32>load<u8>(r + C.C_SERVICES + i) == id) return true;
  return false;
}

/** Zeek's analyzer_confirmation_info: once per analyzer per connection. Without protocol detection
 *  SSH and FTP confirm only for the timeout they set (detect/probe.ts): nothing shows them. */
export function confirm(r: usize, id: u32): void {
  if (id == 0 || !detectProtocols || hasService(r, id)) return;
  let slot: u32 = 0;
  while (slot < C.MAX_SERVICES && load<u8>(r + C.C_SERVICES + slot) != 0) slot++;
  if (slot == C.MAX_SERVICES) return; // more than 8 analyzers on one connection: keep the first
  store<u8>(r + C.C_SERVICES + slot, <u8>id);
  const shadow = C.isShadow(r); // another partition counts it
  if (countersEnabled() && countsService() && !shadow) {
    const out = slot < C.ROW_SLOTS ? r + C.C_SERVICE_ROWS + (slot << 2) : 0;
    const pkts = <i64>(load<u64>(r + C.C_ORIG_PKTS) + load<u64>(r + C.C_RESP_PKTS));
    const bytes = <i64>(load<u64>(r + C.C_ORIG_IP_BYTES) + load<u64>(r + C.C_RESP_IP_BYTES));
    if (countsTraffic()) {
      // the connection's next packet adds to the row (flow/table.ts): it must be known now
      const row = serviceRow(r, id);
      if (out != 0) store<u32>(out, row + 1);
      rowAdd(row, 1, pkts, bytes);
    } else {
      // nothing reads the row before countersSettle (violate and serviceRowsMove call it, the table
      // before a record goes, and every reader of rows): looked up with others, its misses overlap
      rowAddLater(serviceKey(r, id), pkts, bytes, out);
    }
  }
  if (wants(EV_CONFIRMATION) && !shadow) {
    const e = eventSlot();
    store<u8>(e, EV_CONFIRMATION);
    store<u8>(e, load<u8>(r + C.C_IPVER), 1);
    store<u8>(e, load<u8>(r + C.C_PROTO), 2);
    store<u8>(e, (load<u8>(r + C.C_FLAGS) & C.F_FLIPPED) != 0 ? 1 : 0, 3);
    store<u16>(e, load<u16>(r + C.C_ORIG_PORT), 4);
    store<u16>(e, load<u16>(r + C.C_RESP_PORT), 6);
    store<i64>(e, P.pktTs, 8);
    store<u64>(e, load<u64>(r + C.C_SERIAL), 16);
    memory.copy(e + 24, r + C.C_ORIG_ADDR, 16);
    memory.copy(e + 40, r + C.C_RESP_ADDR, 16);
    store<u32>(e, id, 56);
    store<u32>(e, 0, 60);
  }
}

/** An analyzer found the protocol is not its own after all: Zeek drops it from `service`. */
export function violate(r: usize, id: u32): void {
  countersSettle(); // the rows of confirmations still to be looked up
  for (let i: u32 = 0; i < C.MAX_SERVICES; i++) {
    if (<u32>load<u8>(r + C.C_SERVICES + i) != id) continue;
    // close the gap, keeping confirmation order (counters keep the confirmation, as the diary's script does)
    for (let j = i; j + 1 < C.MAX_SERVICES; j++) store<u8>(r + C.C_SERVICES + j, load<u8>(r + C.C_SERVICES + j + 1));
    store<u8>(r + C.C_SERVICES + C.MAX_SERVICES - 1, 0);
    for (let j = i; j + 1 < C.ROW_SLOTS; j++) {
      store<u32>(r + C.C_SERVICE_ROWS + (j << 2), load<u32>(r + C.C_SERVICE_ROWS + ((j + 1) << 2)));
    }
    // the last kept row now belongs to the service that moved into its slot
    const last = C.ROW_SLOTS - 1;
    const moved = <u32>load<u8>(r + C.C_SERVICES + last);
    const lastRow = i <= last && moved != 0 && load<u32>(r + C.C_SERVICE_ROWS) != 0 ? serviceRow(r, moved) + 1 : 0;
    if (i <= last) store<u32>(r + C.C_SERVICE_ROWS + (last << 2), lastRow);
    return;
  }
}

/** The counter row of service id for the connection's roles (`flipped`: as they were before a flip). */
function serviceRow(r: usize, id: u32, flipped: bool = false): u32 {
  return rowOfKey(serviceKey(r, id, flipped));
}

/** That row's key, written aside (counters.ts keyFor): its hash. */
function serviceKey(r: usize, id: u32, flipped: bool = false): u64 {
  return keyFor(r + (flipped ? C.C_RESP_ADDR : C.C_ORIG_ADDR), r + (flipped ? C.C_ORIG_ADDR : C.C_RESP_ADDR),
    <u32>load<u16>(r + (flipped ? C.C_ORIG_PORT : C.C_RESP_PORT)), <u32>load<u8>(r + C.C_PROTO), id);
}

/** The counter row of service slot i: kept in the record for the first ROW_SLOTS, else looked up.
 *  -1 when rows are not counted per service. */
function slotRow(r: usize, i: u32): i64 {
  if (i < C.ROW_SLOTS) {
    const row = load<u32>(r + C.C_SERVICE_ROWS + (i << 2));
    return row == 0 ? -1 : <i64>(row - 1);
  }
  const id = <u32>load<u8>(r + C.C_SERVICES + i);
  if (id == 0 || load<u32>(r + C.C_SERVICE_ROWS) == 0) return -1;
  return <i64>serviceRow(r, id);
}

/** A packet's amounts go to every service row of the connection. */
export function serviceRowsAdd(r: usize, conns: i64, pkts: i64, bytes: i64): void {
  for (let i: u32 = 0; i < C.MAX_SERVICES; i++) {
    const row = slotRow(r, i);
    if (row >= 0) rowAdd(<u32>row, conns, pkts, bytes);
  }
}

/** After a flip (addresses and ports already swapped): move each service row's share to the rows
 *  of the new originator. */
export function serviceRowsMove(r: usize, pkts: i64, bytes: i64): void {
  countersSettle(); // the rows of confirmations still to be looked up
  if (load<u32>(r + C.C_SERVICE_ROWS) == 0) return; // no service, or rows not counted
  for (let i: u32 = 0; i < C.MAX_SERVICES; i++) {
    const id = <u32>load<u8>(r + C.C_SERVICES + i);
    if (id == 0) break;
    const old = i < C.ROW_SLOTS ? load<u32>(r + C.C_SERVICE_ROWS + (i << 2)) - 1 : serviceRow(r, id, true);
    rowAdd(old, -1, -pkts, -bytes);
    const fresh = serviceRow(r, id);
    if (i < C.ROW_SLOTS) store<u32>(r + C.C_SERVICE_ROWS + (i << 2), fresh + 1);
    rowAdd(fresh, 1, pkts, bytes);
  }
}
