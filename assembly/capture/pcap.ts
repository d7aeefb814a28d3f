// Classic pcap: a 24-byte global header, then records of a 16-byte header (24 for the modified
// "Kuznetzov" a1b2cd34 variant) followed by caplen bytes of packet data.
//
// Behaviour follows Wireshark's wiretap/libpcap.c (tshark is the reference for which files are
// readable):
// - major version < 2 is refused; 2.0-2.2 (and 543.x) have caplen/len swapped; 2.3 when caplen > len.
// - the link-type field keeps the link type in its low 16 bits; the FCS bits (28-31, 26) are
//   ignored and a non-zero reserved field (bits 16-25) makes the file unreadable.
// - a record's caplen is checked against the link type's maximum (262144); a record longer than
//   the header's snaplen (below that maximum) is read whole but passed on cut to the snaplen, as
//   libpcap, which Zeek reads through, does (sf-pcap.c: "the BUFMOD problem"; tshark keeps it
//   whole).
// - AIX (standard magic, version 2.2, link 6/9/15/24) uses RFC 1573 ifTypes and nanoseconds.
// Not done (Wireshark guesses them by reading ahead, never on a pipe): the SS990417/Nokia record
// variants behind the standard magic, and the 28-byte SS990915 records behind the modified magic.
import { onRecord } from "../pipeline";
import { setError, ERR_BAD_VERSION, ERR_BAD_HEADER, ERR_RECORD_LEN } from "../errors";
import {
  PCAP_US_LE, PCAP_US_BE, PCAP_NS_LE, PCAP_NS_BE, PCAP_MOD_LE, PCAP_MOD_BE, maxCapLen, pcapBigEndian, zeekMicros,
} from "./detect";

export const PCAP_GLOBAL_HDR: u32 = 24;

const LEN_NORMAL: i32 = 0;
const LEN_SWAPPED: i32 = 1;
const LEN_MAYBE: i32 = 2;   // version 2.3: swapped when caplen > len

const LINKTYPE_RESERVED: u32 = 0x03FF0000;

let headerDone = false;
let swapped = false;       // file byte order is big-endian
let nsec = false;          // fraction field counts nanoseconds
let recHdr: u32 = 16;      // record header length
let link: u32 = 0;
let lenOrder: i32 = LEN_NORMAL;
let capLimit: u32 = 262144;
let snapshot: u32 = 262144; // libpcap's snapshot: the header's snaplen, or capLimit if 0 or above
let frontPad: u32 = 0;     // AIX FDDI: 3 bytes of padding before each frame
let need: u32 = 0;

export function pcapReset(): void {
  headerDone = false; swapped = false; nsec = false; recHdr = 16; link = 0;
  lenOrder = LEN_NORMAL; capLimit = 262144; snapshot = 262144; frontPad = 0; need = 0;
}

/** True once the global header was accepted. */
export function pcapStarted(): bool { return headerDone; }
/** Total bytes of the pending header/record, if a record is pending. */
export function pcapNeed(): u32 { return need; }

@inline function rd32(p: usize): u32 {
  const v = load<u32>(p);
  return swapped ? bswap<u32>(v) : v;
}
@inline function rd16(p: usize): u32 {
  const v = load<u16>(p);
  return <u32>(swapped ? bswap<u16>(v) : v);
}

/**
 * Read the global header at p (`avail` bytes there, absolute offset `base`).
 * Returns the bytes consumed (24), 0 when more bytes are needed, -1 after setError().
 */
export function pcapHeader(p: usize, avail: u32, base: u64): i32 {
  if (avail < PCAP_GLOBAL_HDR) { need = PCAP_GLOBAL_HDR; return 0; }
  const m = load<u32>(p);
  swapped = pcapBigEndian(m);
  nsec = m == PCAP_NS_LE || m == PCAP_NS_BE;
  recHdr = m == PCAP_MOD_LE || m == PCAP_MOD_BE ? 24 : 16;
  const major = rd16(p + 4);
  const minor = rd16(p + 6);
  if (major < 2) {
    setError(ERR_BAD_VERSION, base, (<u64>major << 16) | <u64>minor);
    return -1;
  }
  if (major == 2) lenOrder = minor < 3 ? LEN_SWAPPED : (minor == 3 ? LEN_MAYBE : LEN_NORMAL);
  else if (major == 543) lenOrder = LEN_SWAPPED;   // DG/UX tcpdump
  else lenOrder = LEN_NORMAL;

  let network = rd32(p + 20);
  let aix = false;
  if ((m == PCAP_US_LE || m == PCAP_US_BE) && major == 2 && minor == 2) {
    // AIX libpcap wrote RFC 1573 ifType values; its time stamps are nanoseconds.
    if (network == 6) { network = 1; aix = true; }          // Ethernet
    else if (network == 9) { network = 6; aix = true; }     // Token Ring
    else if (network == 15) { network = 10; aix = true; }   // FDDI
    else if (network == 24) { network = 0; aix = true; }    // loopback
  }
  if ((network & LINKTYPE_RESERVED) != 0) {
    setError(ERR_BAD_HEADER, base, <u64>network);
    return -1;
  }
  if (aix) nsec = true;
  link = network & 0xFFFF;
  capLimit = maxCapLen(link);
  const snaplen = rd32(p + 16);
  snapshot = snaplen == 0 || snaplen > capLimit ? capLimit : snaplen; // pcap_adjust_snapshot
  frontPad = aix && link == 10 ? 3 : 0;
  headerDone = true;
  need = 0;
  return <i32>PCAP_GLOBAL_HDR;
}

/**
 * Pass every complete record in [buf+pos, buf+len) to onRecord(). Returns the new position: the
 * start of the first incomplete (or damaged, after setError()) record.
 */
export function pcapRecords(buf: usize, pos: u32, len: u32, base: u64): u32 {
  const hdr = recHdr;
  while (true) {
    const avail = len - pos;
    if (avail < hdr) { need = avail == 0 ? 0 : hdr; break; }
    const p = buf + pos;
    let cap = rd32(p + 8);
    let wire = rd32(p + 12);
    if (lenOrder == LEN_SWAPPED || (lenOrder == LEN_MAYBE && cap > wire)) {
      const t = cap; cap = wire; wire = t;
    }
    if (cap > capLimit) {
      setError(ERR_RECORD_LEN, base + <u64>pos, <u64>cap);
      need = 0;
      break;
    }
    const total = hdr + cap;
    if (avail < total) { need = total; break; }
    const sec = <u64>rd32(p);
    const frac = <u64>rd32(p + 4);
    const ts = <i64>(sec * 1_000_000_000 + (nsec ? zeekMicros(frac) : frac * 1000));
    let data = p + hdr;
    if (cap > snapshot) cap = snapshot; // the rest is read past, as libpcap does
    if (frontPad != 0) {
      const skip = cap < frontPad ? cap : frontPad;
      data += skip; cap -= skip;
      wire = wire < skip ? 0 : wire - skip;
    }
    onRecord(link, ts, data, cap, wire);
    pos += total;
  }
  return pos;
}
