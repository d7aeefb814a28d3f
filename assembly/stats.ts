// Accounting: every record read is either decoded or skipped for one reason.
// records_read == decoded + sum(skipped[reason]).

export const SKIP_UNSUPPORTED_LINK: i32 = 0;   // link type we do not decode
export const SKIP_NOT_IP: i32 = 1;             // ARP, LLDP, unknown ethertype, ...
export const SKIP_TRUNCATED_LINK: i32 = 2;     // link header cut by the snaplen
export const SKIP_TRUNCATED_IP: i32 = 3;       // truncated_header / truncated_IP (IP header cut, or IP len > wire len)
export const SKIP_BAD_IP_CHECKSUM: i32 = 4;    // bad_IP_checksum
export const SKIP_BAD_IP_HEADER: i32 = 5;      // bogus IP header (version, IHL, lengths)
export const SKIP_TRUNCATED_TRANSPORT: i32 = 6;// transport header cut by the snaplen
export const SKIP_FRAGMENT: i32 = 7;           // non-first fragment / fragment held (until reassembly lands)
export const SKIP_BAD_TRANSPORT: i32 = 8;      // impossible transport header (TCP data offset < 5, ...)
export const SKIP_TUNNEL_OUTER: i32 = 9;       // outer packet of a tunnel not followed (reserved)
export const SKIP_NO_CONNECTION: i32 = 10;     // IP packet Zeek analyses without a connection: IGMP, IPv6 ESP, IPv6 no next header
export const SKIP_REASONS: i32 = 11;

export let recordsRead: u64 = 0;
/** Decoded packets whose TCP/UDP/ICMP checksum is wrong (Zeek ignores their content: history C/c). */
export let badTransportChecksums: u64 = 0;
export function countBadTransportChecksum(): void { badTransportChecksums++; }
export let recordsDecoded: u64 = 0;
export let bytesInRecords: u64 = 0;
const skipped: usize = memory.data(8 * SKIP_REASONS);
/** Link type of the last unsupported record (for the warning). */
export let lastUnsupportedLink: u32 = 0;

export function countRecord(capLen: u32): void {
  recordsRead++;
  bytesInRecords += capLen;
}
export function countDecoded(): void {
  recordsDecoded++;
}
export function countSkip(reason: i32): void {
  store<u64>(skipped + (<usize>reason << 3), load<u64>(skipped + (<usize>reason << 3)) + 1);
}
export function noteUnsupportedLink(link: u32): void {
  lastUnsupportedLink = link;
  countSkip(SKIP_UNSUPPORTED_LINK);
}
export function skippedCount(reason: i32): u64 {
  return load<u64>(skipped + (<usize>reason << 3));
}
export function resetStats(): void {
  recordsRead = 0; recordsDecoded = 0; badTransportChecksums = 0; bytesInRecords = 0; lastUnsupportedLink = 0;
  memory.fill(skipped, 0, 8 * SKIP_REASONS);
}
/** Remember an unsupported link type for the warning without counting a skip (decode/ returns
 *  SKIP_UNSUPPORTED_LINK and the pipeline counts it once). */
export function setLastUnsupportedLink(link: u32): void {
  lastUnsupportedLink = link;
}
