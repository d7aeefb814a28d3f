// Captures joined with cat (`cat a.pcap b.pcap > c.pcap`): the second file's header sits where a
// record or block should start. Each reader reports it as an impossible length: a pcapng header's
// byte-order magic read as a pcap caplen, a pcap header's version as a pcapng block length, or,
// inside a pcap file, 16 bytes on: a pcap header reads as a record of caplen thiszone (0, a record
// that decodes to nothing, counted as tshark counts it), then its snaplen and link type as the
// next record's time stamp. Here that error is named for what it is (ERR_JOINED), at the header's
// offset. All of it runs once per feed or per record that decoded to nothing, never in a loop over
// packets.
import { errCode, errOffset, resetError, setError, ERR_RECORD_LEN, ERR_BLOCK_LEN, ERR_JOINED } from "../errors";
import { joinedHeaderAt } from "./detect";
import { framerIsPcap } from "./framer";

let emptyAt: usize = 0;      // an empty pcap record of this feed that is a header's first 16 bytes
let emptyMagic: u32 = 0;
let headerOffset: i64 = -1;  // that header's stream offset, once the feed has placed it

export function joinedReset(): void {
  emptyAt = 0; emptyMagic = 0; headerOffset = -1;
}

/** A record of caplen 0 at data decoded to nothing (pipeline.ts): in a pcap file, is its record
 *  header another capture's file header? Its bytes stay in place until the feed ends. */
export function noteEmptyRecord(data: usize): void {
  if (!framerIsPcap()) return;
  const m = joinedHeaderAt(data - 16, 16);
  if (m != 0) { emptyAt = data - 16; emptyMagic = m; }
}

/** After a feed's framer run and its records: buf and len the feed's bytes at stream offset base,
 *  of which the framer used `used` (it stopped there at damage). */
export function joinedAfterFeed(buf: usize, len: u32, used: u32, base: u64): void {
  if (emptyAt != 0) {
    headerOffset = <i64>(base + <u64>(emptyAt - buf));
    emptyAt = 0;
  }
  if (errCode != ERR_RECORD_LEN && errCode != ERR_BLOCK_LEN) return;
  let magic = joinedHeaderAt(buf + used, len - used);
  let at = base + <u64>used;
  if (magic == 0 && headerOffset >= 0 && errOffset == <u64>headerOffset + 16) {
    magic = emptyMagic;
    at = <u64>headerOffset;
  }
  if (magic == 0) return;
  resetError();
  setError(ERR_JOINED, at, <u64>magic);
}
