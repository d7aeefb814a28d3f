// Damage found in the capture framing. The first error stops the framer; TS turns the code into a
// message naming the file, the byte offset (absolute in the stream) and the layer.

export const ERR_NONE: i32 = 0;
// Exit code 2: no capture could be read.
export const ERR_UNKNOWN_MAGIC: i32 = 1;      // first 4 bytes are no pcap/pcapng magic
export const ERR_HEADER_CUT: i32 = 2;         // pcap global header or pcapng SHB cut short
export const ERR_BAD_VERSION: i32 = 3;        // pcap/pcapng version no reader accepts
export const ERR_BAD_HEADER: i32 = 4;         // pcap header link-type reserved bits set
export const ERR_FIRST_SHB_LEN: i32 = 5;      // the first pcapng SHB's block length impossible
export const ERR_FIRST_SHB_TRAILER: i32 = 6;  // the first pcapng SHB's trailing length differs
export const ERR_FIRST_SHB_BODY: i32 = 7;     // the first pcapng SHB's options overrun it
// Exit code 3: damage after a valid header.
export const ERR_RECORD_LEN: i32 = 10;        // pcap record caplen impossible (> snaplen limit)
export const ERR_RECORD_CUT: i32 = 11;        // input ended inside a pcap record header or data
export const ERR_BLOCK_LEN: i32 = 12;         // pcapng block length impossible (< 12, not /4, too big)
export const ERR_BLOCK_CUT: i32 = 13;         // input ended inside a pcapng block
export const ERR_BLOCK_TRAILER: i32 = 14;     // pcapng trailing length differs from the leading one
export const ERR_BLOCK_BODY: i32 = 15;        // a pcapng block's fields overrun the block
export const ERR_NO_INTERFACE: i32 = 16;      // a packet block names an interface never described
export const ERR_BAD_SHB: i32 = 17;           // a later SHB with a bad byte-order magic
export const ERR_JOINED: i32 = 18;            // another capture's file header where a record or block should start

export let errCode: i32 = ERR_NONE;
/** Absolute stream offset of the record or block where the damage starts. */
export let errOffset: u64 = 0;
/** A number that helps the message: the length read, the version found, ... */
export let errDetail: u64 = 0;

export function setError(code: i32, offset: u64, detail: u64): void {
  if (errCode != ERR_NONE) return; // keep the first
  errCode = code; errOffset = offset; errDetail = detail;
}

export function resetError(): void {
  errCode = ERR_NONE; errOffset = 0; errDetail = 0;
}
