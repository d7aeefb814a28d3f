// IP fragment reassembly, after Zeek (src/Frag.cc, src/Reassem.cc, packet_analysis/protocol/ip/IP.cc):
// fragments are held until their datagram is whole, and only the whole datagram reaches the
// transport layer, so a fragment creates no connection by itself.
//
//  - Key: (IP version, source, destination, identification), as Zeek's FragReassemblerKey
//    (src, dst, id); no protocol. The destination is the final one of an IPv6 routing header.
//  - The datagram's IP header is the one of the fragment that started the reassembly (Zeek's
//    proto_hdr); the data at each offset is the first that arrived there (later overlapping bytes
//    are compared: fragment_overlap when equal, fragment_inconsistency when not).
//  - A last fragment (MF=0) sets the datagram size; a fragment reaching past it raises it
//    (fragment_size_inconsistency). The datagram is complete when the data is contiguous from 0 up
//    to at least that size; it then has the contiguous length (Zeek's BlockInserted).
//  - frag_timeout 5 min by packet time, from the first fragment (Zeek's FragTimer is not rearmed).
//  - Bounded memory: FRAG_SLOTS reassemblies at once, each with a fixed buffer taken on first use
//    (never freed, never allocated per packet). When all are busy, an expired one is reused, else
//    the oldest is evicted (counted). A datagram that would exceed 65535 bytes is dropped
//    (excessively_large_fragment): Zeek would wrap its 16-bit length.
//  - Zeek analyses the first fragment of a datagram that was not captured whole as it is, and drops
//    every other such fragment (incompletely_captured_fragment).
//
// Contract with ip.ts: fragmentIn() is called for every real fragment (IPv4 offset or MF set; IPv6
// fragment header with offset or M set) after the IP header checks, and returns
//   FRAG_PASS         decode this packet's own bytes (a first fragment not captured whole),
//   SKIP_FRAGMENT     the fragment was taken (held, or dropped),
//   FRAG_REASSEMBLED  reassembledPtr()/reassembledLen() hold the whole datagram (IP header with
//                     the total length set and no fragment information, then the payload), which
//                     ip.ts decodes in place of the packet.
// The buffer of a reassembled datagram stays untouched until the next record (fragmentsNextRecord),
// so the pipeline can decode a tunnelled packet out of it after the outer one went to flow/.
import { SKIP_FRAGMENT } from "../stats";
import { pktTs, srcAddr, dstAddr } from "../packet";
import { u8at, be16 } from "./bytes";

export const FRAG_PASS: i32 = -2;
export const FRAG_REASSEMBLED: i32 = -3;

/** Reassemblies held at once. */
export const FRAG_SLOTS: u32 = 64;
/** Zeek's frag_timeout (5 min), in ns of packet time. */
const FRAG_TIMEOUT: i64 = 300_000_000_000;
/** Room for the datagram's IP header(s) in front of the payload (IPv6: the unfragmentable part). */
const HDR_ROOM: u32 = 1024;
/** Payload bytes a datagram can have (offsets 0..65535). */
const PAYLOAD_ROOM: u32 = 65536;
const BITMAP_BYTES: u32 = PAYLOAD_ROOM >> 3;
const SLOT_BYTES: usize = <usize>(HDR_ROOM + PAYLOAD_ROOM + BITMAP_BYTES);
/** Zeek's MIN_ACCEPTABLE_FRAG_SIZE: a non-last fragment shorter than this is excessively_small_fragment. */
const MIN_FRAG: u32 = 64;

// Slot descriptors, 64 bytes each.
const D_STATE: usize = 0;     // u8 S_*
const D_VERSION: usize = 1;   // u8 4 or 6
const D_HDRLEN: usize = 2;    // u16 IPv4 header length / IPv6 unfragmentable length
const D_ID: usize = 4;        // u32 identification
const D_SRC: usize = 8;       // 16 bytes
const D_DST: usize = 24;      // 16 bytes
const D_CREATED: usize = 40;  // i64 ns
const D_SIZE: usize = 48;     // u32 datagram payload size once a last fragment was seen (0: unknown)
const D_CONTIG: usize = 52;   // u32 payload bytes contiguous from offset 0
const D_NEXTOFF: usize = 56;  // u16 IPv6: offset of the next-header byte that named the fragment header
const D_NEXT: usize = 58;     // u8 IPv6: protocol after the fragment header (of the offset-0 fragment)
const D_PROTO: usize = 59;    // u8 IPv4: protocol of the first fragment
const DESC_SIZE: usize = 64;

const S_FREE: u8 = 0;
const S_ACTIVE: u8 = 1;
const S_DONE: u8 = 2;   // reassembled in this record: its buffer is in use until the next record

const descs: usize = memory.data(<i32>(FRAG_SLOTS * <u32>DESC_SIZE), 16);
const buffers: usize = memory.data(<i32>(FRAG_SLOTS * 8), 8); // usize per slot (0: not yet allocated)

// Counters (Zeek weird names where they exist), read through fragCounter().
export const FC_HELD: i32 = 0;                  // fragments taken into a reassembly
export const FC_REASSEMBLED: i32 = 1;           // datagrams completed
export const FC_EVICTED: i32 = 2;               // reassemblies dropped to make room
export const FC_EXPIRED: i32 = 3;               // reassemblies dropped after frag_timeout
export const FC_OVERLAP: i32 = 4;               // fragment_overlap
export const FC_INCONSISTENT: i32 = 5;          // fragment_inconsistency
export const FC_TOO_LARGE: i32 = 6;             // excessively_large_fragment (datagram dropped)
export const FC_TOO_SMALL: i32 = 7;             // excessively_small_fragment
export const FC_SIZE_INCONSISTENT: i32 = 8;     // fragment_size_inconsistency
export const FC_PROTO_INCONSISTENT: i32 = 9;    // fragment_protocol_inconsistency
export const FC_INCOMPLETE_CAPTURE: i32 = 10;   // incompletely_captured_fragment
export const FC_HEADER_TOO_LONG: i32 = 11;      // IPv6 unfragmentable part longer than HDR_ROOM (dropped)
export const FC_COUNT: i32 = 12;
const counters: usize = memory.data(<i32>(FC_COUNT * 8), 8);

/** A fragment counter (FC_*), as f64 for JS. */
export function fragCounter(i: i32): f64 {
  return i >= 0 && i < FC_COUNT ? <f64>load<u64>(counters + (<usize>i << 3)) : 0;
}
/** Reassemblies in progress. */
export function fragsPending(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) if (load<u8>(desc(i) + D_STATE) == S_ACTIVE) n++;
  return n;
}

// @ts-ignore: decorator
@inline function count(i: i32): void {
  const p = counters + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + 1);
}
// @ts-ignore: decorator
@inline function desc(i: u32): usize { return descs + <usize>i * DESC_SIZE; }
// @ts-ignore: decorator
@inline function payloadOf(buf: usize): usize { return buf + HDR_ROOM; }
// @ts-ignore: decorator
@inline function bitmapOf(buf: usize): usize { return buf + HDR_ROOM + PAYLOAD_ROOM; }

let doneMask: u64 = 0;      // slots in S_DONE
let lastPtr: usize = 0;
let lastLen: u32 = 0;

/** Forget every reassembly (a new run). Buffers are kept for reuse. */
export function fragmentsReset(): void {
  memory.fill(descs, 0, <usize>FRAG_SLOTS * DESC_SIZE);
  memory.fill(counters, 0, <usize>FC_COUNT * 8);
  doneMask = 0;
  lastPtr = 0;
  lastLen = 0;
}

/** A new capture record starts: the buffers of datagrams reassembled for the previous one are free again. */
export function fragmentsNextRecord(): void {
  if (doneMask == 0) return;
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) {
    if ((doneMask & (<u64>1 << i)) != 0) store<u8>(desc(i) + D_STATE, S_FREE);
  }
  doneMask = 0;
}

export function reassembledPtr(): usize { return lastPtr; }
export function reassembledLen(): u32 { return lastLen; }

/**
 * A fragment arrived. ip: start of its IP header; hdrLen: IP header length (IPv6: up to and
 * including the fragment header); totalLen: IP total length; capLen: bytes captured from ip on;
 * offset: fragment offset in bytes; more: MF/M flag; id: identification; next: IPv4 protocol or
 * the IPv6 fragment header's next header; nextOff (IPv6): offset from ip of the next-header byte
 * that names the fragment header (6, or the first byte of the extension header before it).
 */
export function fragmentIn(version: u32, ip: usize, hdrLen: u32, totalLen: u32, capLen: u32,
                           offset: u32, more: bool, id: u32, next: u32, nextOff: u32): i32 {
  if (capLen < totalLen) {
    // Reassembly is doomed: keep the first fragment as it is (useful for header-only traces).
    count(FC_INCOMPLETE_CAPTURE);
    return offset == 0 ? FRAG_PASS : SKIP_FRAGMENT;
  }
  const len = totalLen - hdrLen;
  const upper = offset + len;
  let slot = findSlot(version, id);
  if (slot < 0) {
    slot = newSlot(version, id, ip, hdrLen, next, nextOff);
    if (slot < 0) return SKIP_FRAGMENT;
  }
  const d = desc(<u32>slot);
  const keptHdr = <u32>load<u16>(d + D_HDRLEN);
  // The datagram must fit 16-bit lengths: IPv4 total length, IPv6 payload length.
  const limit: u32 = version == 4 ? 65535 - keptHdr : 65535 - (keptHdr - 40);
  if (upper > limit) {
    count(FC_TOO_LARGE);
    store<u8>(d + D_STATE, S_FREE);
    return SKIP_FRAGMENT;
  }
  count(FC_HELD);
  if (version == 4) {
    if (next != <u32>load<u8>(d + D_PROTO) || hdrLen != keptHdr) count(FC_PROTO_INCONSISTENT);
  } else {
    if (hdrLen - 8 != keptHdr) count(FC_PROTO_INCONSISTENT);
    if (offset == 0) store<u8>(d + D_NEXT, <u8>next); // the first fragment's next header wins
  }
  let size = load<u32>(d + D_SIZE);
  if (!more) {
    if (size == 0) size = upper;
    else if (upper != size) {
      count(FC_SIZE_INCONSISTENT);
      if (upper > size) size = upper;
    }
  } else if (totalLen < MIN_FRAG) {
    count(FC_TOO_SMALL);
  }
  if (size != 0 && upper > size) {
    count(FC_SIZE_INCONSISTENT);
    size = upper;
  }
  store<u32>(d + D_SIZE, size);
  if (len == 0) return SKIP_FRAGMENT; // Zeek's reassembler ignores empty blocks
  const buf = load<usize>(buffers + (<usize>slot << 3));
  insert(buf, offset, len, ip + hdrLen);
  // Contiguous bytes from 0: only grows.
  let contig = load<u32>(d + D_CONTIG);
  if (offset <= contig && upper > contig) {
    contig = scanSet(bitmapOf(buf), contig);
    store<u32>(d + D_CONTIG, contig);
  }
  if (size == 0 || contig < size) return SKIP_FRAGMENT;
  if (contig > size) count(FC_SIZE_INCONSISTENT); // more contiguous data than the last fragment said
  return complete(<u32>slot, contig);
}

function findSlot(version: u32, id: u32): i32 {
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) {
    const d = desc(i);
    if (load<u8>(d + D_STATE) != S_ACTIVE || load<u32>(d + D_ID) != id || <u32>load<u8>(d + D_VERSION) != version) continue;
    if (load<u64>(d + D_SRC) != load<u64>(srcAddr) || load<u64>(d + D_SRC + 8) != load<u64>(srcAddr, 8)) continue;
    if (load<u64>(d + D_DST) != load<u64>(dstAddr) || load<u64>(d + D_DST + 8) != load<u64>(dstAddr, 8)) continue;
    if (load<i64>(d + D_CREATED) + FRAG_TIMEOUT <= pktTs) {
      // Zeek's fragment timer fired before this packet: the old reassembly is gone.
      store<u8>(d + D_STATE, S_FREE);
      count(FC_EXPIRED);
      return -1;
    }
    return <i32>i;
  }
  return -1;
}

/** A slot for a new reassembly: a free one, else an expired one, else the oldest (evicted). */
function newSlot(version: u32, id: u32, ip: usize, hdrLen: u32, next: u32, nextOff: u32): i32 {
  const keep: u32 = version == 4 ? hdrLen : hdrLen - 8;
  if (keep > HDR_ROOM) {
    count(FC_HEADER_TOO_LONG);
    return -1;
  }
  let pick: i32 = -1;
  let oldest: i32 = -1;
  let oldestTs: i64 = i64.MAX_VALUE;
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) {
    const st = load<u8>(desc(i) + D_STATE);
    if (st == S_FREE) { pick = <i32>i; break; }
    if (st != S_ACTIVE) continue;
    const created = load<i64>(desc(i) + D_CREATED);
    if (created + FRAG_TIMEOUT <= pktTs) {
      count(FC_EXPIRED);
      pick = <i32>i;
      break;
    }
    if (created < oldestTs) { oldestTs = created; oldest = <i32>i; }
  }
  if (pick < 0) {
    if (oldest < 0) return -1; // every slot holds a datagram being decoded (cannot happen: depth is bounded)
    count(FC_EVICTED);
    pick = oldest;
  }
  const slot = <u32>pick;
  let buf = load<usize>(buffers + (<usize>slot << 3));
  if (buf == 0) {
    buf = heap.alloc(SLOT_BYTES);
    store<usize>(buffers + (<usize>slot << 3), buf);
  }
  const d = desc(slot);
  memory.fill(d, 0, DESC_SIZE);
  store<u8>(d + D_STATE, S_ACTIVE);
  store<u8>(d + D_VERSION, <u8>version);
  store<u16>(d + D_HDRLEN, <u16>keep);
  store<u32>(d + D_ID, id);
  memory.copy(d + D_SRC, srcAddr, 16);
  memory.copy(d + D_DST, dstAddr, 16);
  store<i64>(d + D_CREATED, pktTs);
  store<u16>(d + D_NEXTOFF, <u16>nextOff);
  store<u8>(d + D_NEXT, <u8>next);
  store<u8>(d + D_PROTO, <u8>next);
  // The header sits right in front of the payload, so the datagram is contiguous.
  memory.copy(payloadOf(buf) - keep, ip, keep);
  memory.fill(bitmapOf(buf), 0, BITMAP_BYTES);
  return pick;
}

/**
 * Copy len bytes of fragment data at src to offset off: where bytes arrived before, they stay
 * (Zeek's reassembler keeps the old data) and are compared.
 */
function insert(buf: usize, off: u32, len: u32, src: usize): void {
  const bits = bitmapOf(buf);
  const dst = payloadOf(buf);
  if (noneSet(bits, off, off + len)) {
    memory.copy(dst + off, src, len);
    setRange(bits, off, off + len);
    return;
  }
  let same = true;
  for (let i: u32 = 0; i < len; i++) {
    const o = off + i;
    const b = bits + (o >> 3);
    const m = <u8>(<u32>1 << (o & 7));
    if ((load<u8>(b) & m) != 0) {
      if (load<u8>(dst + o) != load<u8>(src + i)) same = false;
    } else {
      store<u8>(dst + o, load<u8>(src + i));
      store<u8>(b, load<u8>(b) | m);
    }
  }
  count(same ? FC_OVERLAP : FC_INCONSISTENT);
}

/** Are all bits in [from, to) clear? */
function noneSet(bits: usize, from: u32, to: u32): bool {
  let i = from;
  while (i < to && (i & 63) != 0) {
    if ((load<u8>(bits + (i >> 3)) & <u8>(<u32>1 << (i & 7))) != 0) return false;
    i++;
  }
  while (i + 64 <= to) {
    if (load<u64>(bits + (i >> 3)) != 0) return false;
    i += 64;
  }
  while (i < to) {
    if ((load<u8>(bits + (i >> 3)) & <u8>(<u32>1 << (i & 7))) != 0) return false;
    i++;
  }
  return true;
}

/** Set the bits [from, to). */
function setRange(bits: usize, from: u32, to: u32): void {
  let i = from;
  while (i < to && (i & 7) != 0) {
    store<u8>(bits + (i >> 3), load<u8>(bits + (i >> 3)) | <u8>(<u32>1 << (i & 7)));
    i++;
  }
  if (i + 8 <= to) {
    const n = (to - i) >> 3;
    memory.fill(bits + (i >> 3), 0xff, n);
    i += n << 3;
  }
  while (i < to) {
    store<u8>(bits + (i >> 3), load<u8>(bits + (i >> 3)) | <u8>(<u32>1 << (i & 7)));
    i++;
  }
}

/** The first clear bit at or after from (bits below `from` are known set), at most PAYLOAD_ROOM. */
function scanSet(bits: usize, from: u32): u32 {
  let i = from;
  while (i < PAYLOAD_ROOM && (i & 63) != 0) {
    if ((load<u8>(bits + (i >> 3)) & <u8>(<u32>1 << (i & 7))) == 0) return i;
    i++;
  }
  while (i + 64 <= PAYLOAD_ROOM && load<u64>(bits + (i >> 3)) == u64.MAX_VALUE) i += 64;
  while (i < PAYLOAD_ROOM) {
    if ((load<u8>(bits + (i >> 3)) & <u8>(<u32>1 << (i & 7))) == 0) return i;
    i++;
  }
  return i;
}

/** The datagram of slot i is whole with n payload bytes: write its header and hand it out. */
function complete(i: u32, n: u32): i32 {
  const d = desc(i);
  const buf = load<usize>(buffers + (<usize>i << 3));
  const keep = <u32>load<u16>(d + D_HDRLEN);
  const start = payloadOf(buf) - keep;
  if (load<u8>(d + D_VERSION) == 4) {
    store<u16>(start + 2, bswap<u16>(<u16>(keep + n)));
    // no fragment offset, no MF: the datagram is whole (DF and the reserved bit stay)
    store<u16>(start + 6, bswap<u16>(<u16>(be16(start + 6) & 0xc000)));
    store<u16>(start + 10, 0);
    store<u16>(start + 10, bswap<u16>(~<u16>checksum(start, keep)));
  } else {
    store<u16>(start + 4, bswap<u16>(<u16>(keep - 40 + n)));
    // the header that named the fragment header now names what followed it
    store<u8>(start + <usize>load<u16>(d + D_NEXTOFF), load<u8>(d + D_NEXT));
  }
  store<u8>(d + D_STATE, S_DONE);
  doneMask |= <u64>1 << i;
  count(FC_REASSEMBLED);
  lastPtr = start;
  lastLen = keep + n;
  return FRAG_REASSEMBLED;
}

/** Folded ones' complement sum of n bytes (n even), in network order. */
function checksum(p: usize, n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i + 1 < n; i += 2) s += be16(p + i);
  if ((n & 1) != 0) s += u8at(p + n - 1) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return s;
}
