// pcapng: a stream of blocks (type u32, total length u32, body, total length u32 again), in
// sections that each start with a Section Header Block carrying its own byte order. Interfaces
// (IDB) are numbered per section; packets come as EPB (6), SPB (3) or the obsolete PB (2).
// Every other block (NRB, ISB, CB/DCB, DSB, custom, ...) is skipped whole.
//
// Checks follow Wireshark's wiretap/pcapng.c where tshark is the reference, with these limits from
// the zk-stream contract: a block is at most 16 MiB and its total length must be a multiple of 4
// (Wireshark rounds an unpadded length up; no capture seen here needs that).
// Errors in the first SHB mean no capture could be read (header codes); later ones are block codes.
import { onRecord } from "../pipeline";
import {
  setError, ERR_UNKNOWN_MAGIC, ERR_BAD_VERSION, ERR_FIRST_SHB_LEN, ERR_FIRST_SHB_TRAILER, ERR_FIRST_SHB_BODY, ERR_RECORD_LEN,
  ERR_BLOCK_LEN, ERR_BLOCK_TRAILER, ERR_BLOCK_BODY, ERR_NO_INTERFACE, ERR_BAD_SHB,
} from "../errors";
import { PCAPNG_SHB, PCAPNG_BOM_LE, PCAPNG_BOM_BE, MAX_BLOCK, maxCapLen, zeekMicros } from "./detect";

const BT_PB: u32 = 2;
const BT_SPB: u32 = 3;
const BT_EPB: u32 = 6;
const BT_IDB: u32 = 1;

const MIN_BLOCK: u32 = 12;
const MIN_SHB: u32 = 28;

const OPT_END: u32 = 0;
const OPT_IF_TSRESOL: u32 = 9;
const OPT_IF_TSOFFSET: u32 = 14;

// Interface table: one 32-byte entry per IDB of the current section.
//   +0 link type u32, +4 snaplen u32, +8 time mode u32, +12 shift u32, +16 factor u64,
//   +24 offset in ns i64
const IF_SIZE: usize = 32;
const IF_INITIAL: u32 = 64;
/** Interfaces stored per section; packets naming one beyond this get ERR_NO_INTERFACE. */
export const IF_MAX: u32 = 65536;

const TS_MUL: u32 = 0;    // ns = units * factor        (10^-e, e <= 9)
const TS_DIV: u32 = 1;    // ns = units / factor        (10^-e, 9 < e <= 19)
const TS_POW2: u32 = 2;   // ns = units * 10^9 / 2^shift

let sections: u32 = 0;    // SHBs accepted so far
let swapped = false;      // byte order of the current section is big-endian
let ifCount: u32 = 0;     // IDBs seen in the current section
let ifStored: u32 = 0;    // entries in the table (<= IF_MAX)
let ifTable: usize = 0;
let ifCap: u32 = 0;
let need: u32 = 0;

// Values found by walkOptions() in an IDB.
let optTsresol: i32 = -1;
let optTsoffset: i64 = 0;
let optHasOffset = false;

export function pcapngReset(): void {
  sections = 0; swapped = false; ifCount = 0; ifStored = 0; need = 0;
}

/** True once a valid SHB was read. */
export function pcapngStarted(): bool { return sections > 0; }
/** Total bytes of the pending block, if known (8 or 12 while its length is not known yet). */
export function pcapngNeed(): u32 { return need; }

@inline function rd32(p: usize): u32 {
  const v = load<u32>(p);
  return swapped ? bswap<u32>(v) : v;
}
@inline function rd16(p: usize): u32 {
  const v = load<u16>(p);
  return <u32>(swapped ? bswap<u16>(v) : v);
}
@inline function rd64(p: usize): u64 {
  const v = load<u64>(p);
  return swapped ? bswap<u64>(v) : v;
}

/**
 * Pass every packet of every complete block in [buf+pos, buf+len) to onRecord(). Returns the
 * position of the first incomplete (or damaged, after setError()) block.
 */
export function pcapngBlocks(buf: usize, pos: u32, len: u32, base: u64): u32 {
  while (true) {
    const avail = len - pos;
    if (avail == 0) { need = 0; break; }
    if (avail < 8) { need = 8; break; }
    const p = buf + pos;
    const at = base + <u64>pos;
    let type: u32;
    let blen: u32;
    if (load<u32>(p) == PCAPNG_SHB) {
      // A new section: its byte-order magic says how to read even its length.
      if (avail < 12) { need = 12; break; }
      const bom = load<u32>(p + 8);
      const sw = bom == PCAPNG_BOM_BE;
      if (!sw && bom != PCAPNG_BOM_LE) {
        setError(sections == 0 ? ERR_UNKNOWN_MAGIC : ERR_BAD_SHB, at, <u64>bswap<u32>(bom));
        need = 0;
        break;
      }
      type = PCAPNG_SHB;
      blen = sw ? bswap<u32>(load<u32>(p + 4)) : load<u32>(p + 4);
      if (blen < MIN_SHB || (blen & 3) != 0 || blen > MAX_BLOCK) {
        setError(sections == 0 ? ERR_FIRST_SHB_LEN : ERR_BLOCK_LEN, at, <u64>blen);
        need = 0;
        break;
      }
    } else {
      type = rd32(p);
      blen = rd32(p + 4);
      if (blen < MIN_BLOCK || (blen & 3) != 0 || blen > MAX_BLOCK) {
        setError(ERR_BLOCK_LEN, at, <u64>blen);
        need = 0;
        break;
      }
    }
    if (avail < blen) { need = blen; break; }
    need = 0;

    const body = p + 8;
    const bodyLen = blen - MIN_BLOCK;
    if (type == PCAPNG_SHB) {
      if (!sectionHeader(p, blen, at)) break;
    } else {
      const trailer = rd32(p + <usize>blen - 4);
      if (trailer != blen) {
        setError(ERR_BLOCK_TRAILER, at, <u64>trailer);
        break;
      }
      if (type == BT_EPB || type == BT_PB) {
        if (!packetBlock(type, body, bodyLen, at)) break;
      } else if (type == BT_SPB) {
        if (!simplePacket(body, bodyLen, at)) break;
      } else if (type == BT_IDB) {
        if (!interfaceBlock(body, bodyLen, at)) break;
      }
      // anything else: skipped
    }
    pos += blen;
  }
  return pos;
}

/** SHB of blen bytes at p, complete. Starts a new section. False after setError(). */
function sectionHeader(p: usize, blen: u32, at: u64): bool {
  const first = sections == 0;
  const sw = load<u32>(p + 8) == PCAPNG_BOM_BE;
  const rawTrailer = load<u32>(p + <usize>blen - 4);
  const trailer = sw ? bswap<u32>(rawTrailer) : rawTrailer;
  if (trailer != blen) {
    setError(first ? ERR_FIRST_SHB_TRAILER : ERR_BLOCK_TRAILER, at, <u64>trailer);
    return false;
  }
  const rawVer = load<u32>(p + 12);
  const major = <u32>(sw ? bswap<u16>(<u16>rawVer) : <u16>rawVer);
  const minor = <u32>(sw ? bswap<u16>(<u16>(rawVer >>> 16)) : <u16>(rawVer >>> 16));
  // Wireshark reads versions 1.0 and 1.2 (1.2 was written by some tools for 1.0 content).
  if (!(major == 1 && (minor == 0 || minor == 2))) {
    setError(first ? ERR_BAD_VERSION : ERR_BAD_SHB, at, (<u64>major << 16) | <u64>minor);
    return false;
  }
  const prev = swapped;
  swapped = sw;
  if (!walkOptions(p + 24, p + <usize>blen - 4, false)) {
    swapped = prev;
    setError(first ? ERR_FIRST_SHB_BODY : ERR_BLOCK_BODY, at, <u64>blen);
    return false;
  }
  sections++;
  ifCount = 0;
  ifStored = 0;
  return true;
}

/**
 * Walk the options in [p, end). False if an option overruns the block. With `idb`, remembers
 * if_tsresol and if_tsoffset (first occurrence of each, with their exact lengths, as Wireshark).
 */
function walkOptions(p: usize, end: usize, idb: bool): bool {
  while (p < end) {
    if (end - p < 4) return false;
    const code = rd16(p);
    const olen = rd16(p + 2);
    p += 4;
    const rounded = <usize>((olen + 3) & ~3);
    if (rounded > end - p) return false;
    if (code == OPT_END) return true;   // what follows opt_endofopt is ignored
    if (idb) {
      if (code == OPT_IF_TSRESOL && olen == 1 && optTsresol < 0) optTsresol = <i32>load<u8>(p);
      else if (code == OPT_IF_TSOFFSET && olen == 8 && !optHasOffset) {
        optTsoffset = <i64>rd64(p);
        optHasOffset = true;
      }
    }
    p += rounded;
  }
  return true;
}

/** IDB body. False after setError(). */
function interfaceBlock(body: usize, bodyLen: u32, at: u64): bool {
  if (bodyLen < 8) { setError(ERR_BLOCK_BODY, at, <u64>bodyLen); return false; }
  const link = rd16(body);
  const snap = rd32(body + 4);
  optTsresol = -1; optTsoffset = 0; optHasOffset = false;
  if (!walkOptions(body + 8, body + <usize>bodyLen, true)) {
    setError(ERR_BLOCK_BODY, at, <u64>bodyLen);
    return false;
  }
  const resol: u32 = optTsresol < 0 ? 6 : <u32>optTsresol;
  const e = resol & 0x7F;
  let mode: u32;
  let factor: u64 = 1;
  if ((resol & 0x80) != 0) {
    if (e > 63) { setError(ERR_BLOCK_BODY, at, <u64>resol); return false; }
    mode = TS_POW2;
  } else {
    if (e > 19) { setError(ERR_BLOCK_BODY, at, <u64>resol); return false; }
    if (e <= 9) { mode = TS_MUL; for (let i: u32 = e; i < 9; i++) factor *= 10; }
    else { mode = TS_DIV; for (let i: u32 = 9; i < e; i++) factor *= 10; }
  }
  if (ifStored < IF_MAX && ifStored == ifCount) {
    if (ifStored == ifCap) growTable();
    const q = ifTable + <usize>ifStored * IF_SIZE;
    store<u32>(q, link);
    store<u32>(q, snap, 4);
    store<u32>(q, mode, 8);
    store<u32>(q, e, 12);
    store<u64>(q, factor, 16);
    store<i64>(q, optTsoffset * 1_000_000_000, 24);
    ifStored++;
  }
  ifCount++;
  return true;
}

function growTable(): void {
  const cap = ifCap == 0 ? IF_INITIAL : ifCap << 1;
  ifTable = ifTable == 0 ? heap.alloc(<usize>cap * IF_SIZE) : heap.realloc(ifTable, <usize>cap * IF_SIZE);
  ifCap = cap;
}

/** Raw time stamp units of an interface -> ns since the epoch, integer math only, cut to the
 *  microseconds Zeek sees (zeekMicros: the units are at or above 0, if_tsoffset whole seconds). */
function toNs(q: usize, units: u64): i64 {
  const mode = load<u32>(q, 8);
  let ns: u64;
  if (mode == TS_MUL) ns = units * load<u64>(q, 16);
  else if (mode == TS_DIV) ns = units / load<u64>(q, 16);
  else {
    const e = <u64>load<u32>(q, 12);
    const frac = e == 0 ? <u64>0 : units & ((<u64>-1) >>> (64 - e));
    ns = (units >>> e) * 1_000_000_000 + fracToNs(frac, e);
  }
  return <i64>zeekMicros(ns) + load<i64>(q, 24);
}

/** (frac * 10^9) >> e for frac < 2^e, without overflow (e <= 63). */
function fracToNs(frac: u64, e: u64): u64 {
  if (e <= 34) return (frac * 1_000_000_000) >>> e;   // frac * 10^9 < 2^64
  // 96-bit product: frac = hi * 2^32 + lo
  const lo = (frac & 0xFFFFFFFF) * 1_000_000_000;
  const mid = (frac >>> 32) * 1_000_000_000 + (lo >>> 32);   // product >> 32, < 2^62
  return mid >>> (e - 32);
}

/** EPB or PB body. False after setError(). */
function packetBlock(type: u32, body: usize, bodyLen: u32, at: u64): bool {
  if (bodyLen < 20) { setError(ERR_BLOCK_BODY, at, <u64>bodyLen); return false; }
  const ifId = type == BT_EPB ? rd32(body) : rd16(body);
  if (ifId >= ifStored) { setError(ERR_NO_INTERFACE, at, <u64>ifId); return false; }
  const q = ifTable + <usize>ifId * IF_SIZE;
  const link = load<u32>(q);
  const cap = rd32(body + 12);
  const wire = rd32(body + 16);
  if (cap > maxCapLen(link)) { setError(ERR_RECORD_LEN, at, <u64>cap); return false; }
  const padded = (cap + 3) & ~3;
  if (padded > bodyLen - 20) { setError(ERR_BLOCK_BODY, at, <u64>cap); return false; }
  if (!walkOptions(body + 20 + <usize>padded, body + <usize>bodyLen, false)) {
    setError(ERR_BLOCK_BODY, at, <u64>bodyLen);
    return false;
  }
  const units = (<u64>rd32(body + 4) << 32) | <u64>rd32(body + 8);
  onRecord(link, toNs(q, units), body + 20, cap, wire);
  return true;
}

/** SPB body: interface 0, no time stamp, caplen = min(original length, snaplen, block space). */
function simplePacket(body: usize, bodyLen: u32, at: u64): bool {
  if (bodyLen < 4) { setError(ERR_BLOCK_BODY, at, <u64>bodyLen); return false; }
  if (ifStored == 0) { setError(ERR_NO_INTERFACE, at, 0); return false; }
  const link = load<u32>(ifTable);
  const snap = load<u32>(ifTable, 4);
  const wire = rd32(body);
  let cap = wire;
  if (snap != 0 && cap > snap) cap = snap;
  if (cap > bodyLen - 4) cap = bodyLen - 4;
  if (cap > maxCapLen(link)) { setError(ERR_RECORD_LEN, at, <u64>cap); return false; }
  onRecord(link, 0, body + 4, cap, wire);
  return true;
}
