// Counters keyed by the fields that `--by` asks for, in an open-addressing table. A row's key is
// laid out so that comparing its bytes gives the output order: source (family byte, IPv4 before
// IPv6, then 16 address bytes), destination, port (big-endian), transport; then the service, by
// its name's rank (setServiceRank), not by the analyzer id the key holds.
import { mix64, compareBytes } from "../flow/hash";
import { isMapped4 } from "../decode/bytes";
import { zeroSmall, copySmall, equal40 } from "../small";
import { LINE, lineStart } from "../cacheline";
import { slotsAlloc, slotsDouble, slotHome, slotFingerprint, slotValue, slotAtHome, slotProbe } from "../slots";

export const BY_SRC: u32 = 1;
export const BY_DST: u32 = 2;
export const BY_DPORT: u32 = 4;
export const BY_SERVICE: u32 = 8;

export const KEY_SIZE: u32 = 40; // equal40 (small.ts) compares keys
export const K_SRC: usize = 0;       // family (4/6), 16 bytes address
export const K_DST: usize = 17;      // family, 16 bytes
export const K_PORT: usize = 34;     // u16 big-endian
export const K_TRANSPORT: usize = 36;// 1 tcp, 2 udp, 3 icmp, 4 unknown_transport
export const K_SERVICE: usize = 37;  // analyzer id
export const R_CONNS: usize = 40;    // u64
export const R_PKTS: usize = 48;     // u64
export const R_BYTES: usize = 56;    // u64
export const ROW_SIZE: u32 = 64;

let mask: u32 = 0;
// Rows live in fixed segments that never move: growing copies nothing and never holds the table
// twice (millions of sources in a flood would otherwise need 1.5 times their rows at a doubling).
const SEG_SHIFT: u32 = 13;                 // 8192 rows (512 KiB) per segment
const SEG_ROWS: u32 = 1 << SEG_SHIFT;
const MAX_SEGMENTS: u32 = 8192;            // 2^26 rows
const segments: usize = memory.data(<i32>MAX_SEGMENTS * 4);      // first row, on a cache line
const segmentBlocks: usize = memory.data(<i32>MAX_SEGMENTS * 4); // as allocated (for heap.free)
let segmentCount: u32 = 0;
let rowsLen: u32 = 0;
let slotsPtr: usize = 0;     // u64: (fingerprint << 32) | (row + 1); 0 empty
let slotMask: u32 = 0;
let selPtr: usize = 0;       // u32 row indices chosen by topSelect
let selCap: u32 = 0;
const scratch: usize = memory.data(40, 8);
const serviceRanks: usize = memory.data(256); // per analyzer id: its place in the order of names

/** Analyzer `id` comes `rank`-th in the order of names (src/analyzers.ts sets every id once). */
export function setServiceRank(id: u32, rank: u32): void {
  store<u8>(serviceRanks + <usize>(id & 255), <u8>rank);
}

// Distinct keys are bounded, so that a flood of spoofed sources cannot fill wasm's 4 GiB (a row and
// its slots take about 80 bytes: 1.3 GiB at the bound). Past it, a new key's connections go to one
// overflow row, whose key (0xff where a key's family byte is) no connection has: it is in no output,
// and its connections are reported (uncountedConnections). It moves between partitions as any row.
let maxRows: u32 = 1 << 24;
export function setMaxRows(n: u32): void { maxRows = n; }
let overflowRow: i32 = -1;
const overflowKey: usize = memory.data(<i32>KEY_SIZE, 8);
let overflowHash: u64 = 0; // hashOfKey(overflowKey), which depends on the mask
// @ts-ignore: decorator
@inline function isOverflow(key: usize): bool { return load<u8>(key + K_SRC) == 0xff; }

/** Connections whose key came past the bound: in no row of the output. */
export function uncountedConnections(): u64 {
  countersSettle();
  return overflowRow < 0 ? 0 : metricOf(<u32>overflowRow, 0);
}

export function countersReset(byMask: u32): void {
  mask = byMask;
  laterCount = 0;
  overflowRow = -1;
  memory.fill(overflowKey, 0xff, <usize>KEY_SIZE);
  overflowHash = hashOfKey(overflowKey);
  for (let i: u32 = 0; i < segmentCount; i++) heap.free(<usize>load<u32>(segmentBlocks + (<usize>i << 2)));
  if (slotsPtr != 0) heap.free(slotsPtr);
  segmentCount = 0;
  rowsLen = 0;
  slotMask = 2047;
  slotsPtr = slotsAlloc(slotMask + 1);
}

@inline function rowAt(row: u32): usize {
  return <usize>load<u32>(segments + (<usize>(row >> SEG_SHIFT) << 2)) + <usize>(row & (SEG_ROWS - 1)) * ROW_SIZE;
}

export function countersEnabled(): bool { return mask != 0; }
/** Packets and bytes per row are kept only when asked for (a per-packet write to a random row). */
let traffic = true;
export function setCountTraffic(v: bool): void { traffic = v; }
export function countsTraffic(): bool { return traffic; }
/** With `service` in the key, a connection counts once per confirmed analyzer, not at creation. */
export function countsService(): bool { return (mask & BY_SERVICE) != 0; }

export function transportCode(proto: u32): u8 {
  if (proto == 6) return 1;
  if (proto == 17) return 2;
  if (proto == 1 || proto == 58) return 3;
  return 4;
}

/** An address's family byte in a key: 4 for an IPv4-mapped address, whichever header carried it
 *  (Zeek's IPAddr), so that one address has one row. */
// @ts-ignore: decorator
@inline function familyOf(addr: usize): u8 { return isMapped4(addr) ? 4 : 6; }

/** Puts the key of a connection's row (orig, resp, resp port, transport, service) in `scratch`. */
function writeKey(origAddr: usize, respAddr: usize, respPort: u32, proto: u32, service: u32): void {
  zeroSmall(scratch, <usize>KEY_SIZE);
  if (mask & BY_SRC) {
    store<u8>(scratch + K_SRC, familyOf(origAddr));
    store<u64>(scratch + K_SRC + 1, load<u64>(origAddr));
    store<u64>(scratch + K_SRC + 9, load<u64>(origAddr, 8));
  }
  if (mask & BY_DST) {
    store<u8>(scratch + K_DST, familyOf(respAddr));
    store<u64>(scratch + K_DST + 1, load<u64>(respAddr));
    store<u64>(scratch + K_DST + 9, load<u64>(respAddr, 8));
  }
  if (mask & BY_DPORT) {
    store<u16>(scratch + K_PORT, bswap<u16>(<u16>respPort));
    store<u8>(scratch + K_TRANSPORT, transportCode(proto));
  }
  if (mask & BY_SERVICE) store<u8>(scratch + K_SERVICE, <u8>service);
}

/** An address's second word with its upper half folded into its lower one: an IPv4 address sits
 *  in the upper half, where a multiply would leave it only the upper 32 bits of the product. */
// @ts-ignore: decorator
@inline function fold(w: u64): u64 { return w ^ (w >> 32); }

/**
 * Hash of the key writeKey writes, from the same fields: each field's words times its own odd
 * constant, summed, then mixed. The multiplies are independent of each other, and nothing waits
 * on reading back the key's unaligned stores. (An address's family follows from its bytes.)
 */
function keyHashOf(origAddr: usize, respAddr: usize, respPort: u32, transport: u32, service: u32): u64 {
  let h: u64 = 0;
  if (mask & BY_SRC) {
    h += load<u64>(origAddr) * 0x9e3779b97f4a7c15 + fold(load<u64>(origAddr, 8)) * 0xc2b2ae3d27d4eb4f;
  }
  if (mask & BY_DST) {
    h += load<u64>(respAddr) * 0x165667b19e3779f9 + fold(load<u64>(respAddr, 8)) * 0x85ebca77c2b2ae63;
  }
  if (mask & BY_DPORT) h += (<u64>respPort << 8 | <u64>transport) * 0x27d4eb2f165667c5;
  if (mask & BY_SERVICE) h += <u64>(service + 1) * 0xff51afd7ed558ccd;
  return mix64(h);
}

/** Row for a connection's (orig, resp, resp port, transport, service), created at zero if new. */
export function rowFor(origAddr: usize, respAddr: usize, respPort: u32, proto: u32, service: u32): u32 {
  return rowOfKey(keyFor(origAddr, respAddr, respPort, proto, service));
}

/** The key of a connection's row written aside (for rowOfKey or rowAddLater); returns its hash. */
export function keyFor(origAddr: usize, respAddr: usize, respPort: u32, proto: u32, service: u32): u64 {
  writeKey(origAddr, respAddr, respPort, proto, service);
  return keyHashOf(origAddr, respAddr, respPort, transportCode(proto), service);
}

/** Row of the key keyFor wrote (h its hash), created at zero if new. */
export function rowOfKey(h: u64): u32 { return findOrInsert(scratch, h); }

// Rows added later (rowAddLater). A confirmation's (source, service) key is one the caches rarely
// hold: its table slot and its row are a miss each, one after the other. Such additions wait here
// until LATER_MAX of them do, or until anything reads rows or a connection's record goes
// (countersSettle); then the slots of all of them are loaded, then their rows, so that the misses
// overlap, and each is added in the order it came. (Settling at the end of every batch of 32
// records, with about 4 waiting, left half of the misses' time.)
const LATER_MAX: u32 = 32;
const LATER_SIZE: usize = 72;
const L_HASH: usize = 40;  // u64 (the key, KEY_SIZE bytes, first)
const L_PKTS: usize = 48;  // i64
const L_BYTES: usize = 56; // i64
const L_OUT: usize = 64;   // u32 where to store the row + 1, 0: nowhere
const later: usize = memory.data(<i32>(<usize>LATER_MAX * LATER_SIZE), 8);
let laterCount: u32 = 0;
let laterSink: u64 = 0;

/** The row of the key keyFor wrote (h its hash) gets one connection with pkts and bytes, and `out`
 *  (if not 0) the row + 1, by the next countersSettle. */
export function rowAddLater(h: u64, pkts: i64, bytes: i64, out: usize): void {
  if (laterCount == LATER_MAX) countersSettle();
  const e = later + <usize>laterCount * LATER_SIZE;
  copySmall(e, scratch, <usize>KEY_SIZE);
  store<u64>(e + L_HASH, h);
  store<i64>(e + L_PKTS, pkts);
  store<i64>(e + L_BYTES, bytes);
  store<u32>(e + L_OUT, <u32>out);
  laterCount++;
}

/** Every addition rowAddLater holds is made: rows and the records' row numbers are up to date. */
export function countersSettle(): void {
  const n = laterCount;
  if (n == 0) return;
  let sink: u64 = 0;
  for (let i: u32 = 0; i < n; i++) sink ^= touchRowSlot(load<u64>(later + <usize>i * LATER_SIZE + L_HASH));
  for (let i: u32 = 0; i < n; i++) sink ^= touchRow(load<u64>(later + <usize>i * LATER_SIZE + L_HASH));
  laterSink ^= sink;
  for (let i: u32 = 0; i < n; i++) {
    const e = later + <usize>i * LATER_SIZE;
    const row = findOrInsert(e, load<u64>(e + L_HASH));
    rowAdd(row, 1, load<i64>(e + L_PKTS), load<i64>(e + L_BYTES));
    const out = <usize>load<u32>(e + L_OUT);
    if (out != 0) store<u32>(out, row + 1);
  }
  laterCount = 0;
}

/** Cache warming (flow/warm.ts) for a connection about to be created: rowHash is the hash of its
 *  row's key (without service), touchRowSlot loads the slot where that row's probe starts, and
 *  touchRow the row found there (if its fingerprint matches). Nothing changes. */
export function rowHash(origAddr: usize, respAddr: usize, respPort: u32, proto: u32): u64 {
  return keyHashOf(origAddr, respAddr, respPort, transportCode(proto), 0);
}
export function touchRowSlot(h: u64): u64 {
  return slotAtHome(slotsPtr, slotMask, h);
}
export function touchRow(h: u64): u64 {
  const found = slotProbe(slotsPtr, slotMask, h, 1); // row + 1
  return found == 0 ? 0 : load<u64>(rowAt(found - 1));
}

function findOrInsert(key: usize, h: u64): u32 {
  const fp = slotFingerprint(h);
  let i = slotHome(h, slotMask);
  while (true) {
    const slot = load<u64>(slotsPtr + (<usize>i << 3));
    if (slot == 0) break;
    if (<u32>(slot >> 32) == fp) {
      const row = <u32>slot - 1;
      if (equal40(rowAt(row), key)) return row;
    }
    i = (i + 1) & slotMask;
  }
  // insert
  if (rowsLen >= maxRows && !isOverflow(key)) return findOrInsert(overflowKey, overflowHash);
  if (rowsLen == segmentCount * SEG_ROWS) addSegment();
  const row = rowsLen++;
  if (isOverflow(key)) overflowRow = <i32>row;
  const p = rowAt(row);
  copySmall(p, key, <usize>KEY_SIZE);
  store<u64>(p + R_CONNS, 0); store<u64>(p + R_PKTS, 0); store<u64>(p + R_BYTES, 0);
  store<u64>(slotsPtr + (<usize>i << 3), slotValue(h, row));
  // up to 3/4 full: a lookup happens per new connection, not per packet; millions of keys fit
  if (<u64>rowsLen * 4 > <u64>(slotMask + 1) * 3) growSlots();
  return row;
}

function addSegment(): void {
  if (segmentCount == MAX_SEGMENTS) unreachable(); // 2^26 distinct keys: beyond any table here
  const block = heap.alloc(<usize>SEG_ROWS * ROW_SIZE + LINE); // a row is one cache line
  store<u32>(segmentBlocks + (<usize>segmentCount << 2), <u32>block);
  store<u32>(segments + (<usize>segmentCount << 2), <u32>lineStart(block));
  segmentCount++;
}

function growSlots(): void {
  const count = slotMask + 1;
  slotsPtr = slotsDouble(slotsPtr, count);
  slotMask = count * 2 - 1;
}

/** keyHashOf of a row's key, from the key's bytes (writeKey's layout). */
function hashOfKey(key: usize): u64 {
  return keyHashOf(key + K_SRC + 1, key + K_DST + 1, <u32>bswap<u16>(load<u16>(key + K_PORT)),
    <u32>load<u8>(key + K_TRANSPORT), <u32>load<u8>(key + K_SERVICE));
}

/** Rows handed over by another partition of the run (config.ts), `n` rows of ROW_SIZE bytes at
 *  `ptr` as rowsSegment lays them out: each is added to the row of its key here. */
export function countersMerge(ptr: usize, n: u32): void {
  countersSettle();
  for (let i: u32 = 0; i < n; i++) {
    const p = ptr + <usize>i * ROW_SIZE;
    const row = findOrInsert(p, hashOfKey(p));
    rowAdd(row, load<i64>(p + R_CONNS), load<i64>(p + R_PKTS), load<i64>(p + R_BYTES));
  }
}

/** All rows, for the hand-over: `counterRowCount()` rows, in segments of SEG_ROWS rows (the last
 *  one partly filled) starting at `rowsSegment(i)`. */
export function counterRowCount(): u32 { countersSettle(); return rowsLen; }
export function rowsSegment(i: u32): usize { return <usize>load<u32>(segments + (<usize>i << 2)); }
export const ROWS_PER_SEGMENT: u32 = SEG_ROWS;

/** Add (possibly negative) amounts to a row. */
export function rowAdd(row: u32, conns: i64, pkts: i64, bytes: i64): void {
  const p = rowAt(row);
  store<i64>(p + R_CONNS, load<i64>(p + R_CONNS) + conns);
  store<i64>(p + R_PKTS, load<i64>(p + R_PKTS) + pkts);
  store<i64>(p + R_BYTES, load<i64>(p + R_BYTES) + bytes);
}

@inline function metricOf(row: u32, metric: u32): u64 {
  return load<u64>(rowAt(row) + R_CONNS + (<usize>metric << 3));
}

/** Rows with at least one connection (a flip can leave a row at zero). */
export function counterRows(): u32 {
  countersSettle();
  let n: u32 = 0;
  for (let r: u32 = 0; r < rowsLen; r++) if (metricOf(r, 0) != 0 && <i32>r != overflowRow) n++;
  return n;
}

/** True when row a comes before row b in the output: metric descending, then key ascending (the
 *  service by name). */
function before(a: u32, b: u32, metric: u32): bool {
  const ma = metricOf(a, metric), mb = metricOf(b, metric);
  if (ma != mb) return ma > mb;
  const ka = rowAt(a), kb = rowAt(b);
  const c = compareBytes(ka, kb, K_SERVICE);
  if (c != 0) return c < 0;
  const sa = <usize>load<u8>(ka + K_SERVICE), sb = <usize>load<u8>(kb + K_SERVICE);
  const ra = load<u8>(serviceRanks + sa), rb = load<u8>(serviceRanks + sb);
  return ra != rb ? ra < rb : sa < sb; // an id without a rank (none should be) still has a place
}

@inline function selAt(i: u32): u32 { return load<u32>(selPtr + (<usize>i << 2)); }
@inline function selSet(i: u32, v: u32): void { store<u32>(selPtr + (<usize>i << 2), v); }

/** Sift down in a heap whose root is the row that comes LAST in output order. */
function siftDown(i: u32, len: u32, metric: u32): void {
  while (true) {
    const l: u32 = 2 * i + 1, r: u32 = l + 1;
    let m: u32 = i;
    if (l < len && before(selAt(m), selAt(l), metric)) m = l;
    if (r < len && before(selAt(m), selAt(r), metric)) m = r;
    if (m == i) return;
    const t = selAt(i); selSet(i, selAt(m)); selSet(m, t);
    i = m;
  }
}

/**
 * Exact top-n (n = 0: all) by metric (0 conns, 1 pkts, 2 bytes), among rows with connections.
 * A bounded heap keeps the n best seen; a heap sort then puts them in output order.
 */
export function topSelect(n: u32, metric: u32): u32 {
  const live = counterRows();
  const k = n == 0 || n > live ? live : n;
  if (selCap < k || selPtr == 0) {
    if (selPtr != 0) heap.free(selPtr);
    selCap = k > 16 ? k : 16;
    selPtr = heap.alloc(<usize>selCap << 2);
  }
  if (k == 0) return 0;
  let len: u32 = 0;
  for (let r: u32 = 0; r < rowsLen; r++) {
    if (metricOf(r, 0) == 0 || <i32>r == overflowRow) continue;
    if (len < k) {
      selSet(len, r);
      len++;
      if (len == k) for (let i = <i32>(k >> 1) - 1; i >= 0; i--) siftDown(<u32>i, k, metric);
    } else if (before(r, selAt(0), metric)) {
      selSet(0, r);
      siftDown(0, k, metric);
    }
  }
  // heap sort: repeatedly move the last-in-order root to the end
  for (let end = k - 1; end > 0; end--) {
    const t = selAt(0); selSet(0, selAt(end)); selSet(end, t);
    siftDown(0, end, metric);
  }
  return k;
}

export function topRowPtr(i: u32): usize {
  return rowAt(selAt(i));
}
