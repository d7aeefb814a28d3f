// Capture framing: records out of a byte stream that arrives in arbitrary chunks.
// The format comes from the first bytes (detect.ts); pcap.ts and pcapng.ts hold their own state
// between calls. The caller keeps unconsumed bytes and passes them again at the start of the next
// buffer, so each call only consumes whole records/blocks.
//
// Error details (errors.ts errDetail):
//   ERR_UNKNOWN_MAGIC  the first bytes as a big-endian number (the SHB byte-order magic for pcapng)
//   ERR_HEADER_CUT     bytes of the header present
//   ERR_BAD_VERSION    major << 16 | minor
//   ERR_BAD_HEADER     pcap: the link-type field
//   ERR_FIRST_SHB_*    the first pcapng SHB: its block length, its trailing length, its block length
//   ERR_RECORD_LEN     the captured length found
//   ERR_RECORD_CUT / ERR_BLOCK_CUT   bytes of the record/block present
//   ERR_BLOCK_LEN      the block length found;  ERR_BLOCK_TRAILER  the trailing length found
//   ERR_BLOCK_BODY     the length that does not fit;  ERR_NO_INTERFACE  the interface id
//   ERR_BAD_SHB        the byte-order magic or the version (major << 16 | minor) of a later SHB
import { setError, ERR_UNKNOWN_MAGIC, ERR_HEADER_CUT, ERR_RECORD_CUT, ERR_BLOCK_CUT } from "../errors";
import { FMT_NONE, FMT_PCAP, FMT_PCAPNG, FMT_BAD, detectFormat, couldBeMagic, partialMagic } from "./detect";
import { pcapReset, pcapStarted, pcapNeed, pcapHeader, pcapRecords } from "./pcap";
import { pcapngReset, pcapngStarted, pcapngNeed, pcapngBlocks } from "./pcapng";

let format: i32 = FMT_NONE;
// While fewer than 4 bytes have arrived: could they still start a magic, and what are they.
let headMaybe = true;
let headValue: u64 = 0;

/** Forget everything: a new capture starts. */
export function framerReset(): void {
  format = FMT_NONE;
  headMaybe = true;
  headValue = 0;
  pcapReset();
  pcapngReset();
}

/**
 * Parse every complete record in [buf, buf+len); `base` is the absolute stream offset of buf[0].
 * Calls onRecord() per packet. Returns the bytes consumed (whole records/blocks only). Stops at the
 * first damage after calling setError() (errors.ts).
 */
export function framerRun(buf: usize, len: u32, base: u64): u32 {
  if (format == FMT_NONE) {
    const f = detectFormat(buf, len);
    if (f == FMT_NONE) {
      headMaybe = couldBeMagic(buf, len);
      headValue = partialMagic(buf, len);
      return 0;
    }
    if (f == FMT_BAD) {
      setError(ERR_UNKNOWN_MAGIC, base, partialMagic(buf, len));
      return 0;
    }
    format = f;
  }
  if (format == FMT_PCAP) {
    let pos: u32 = 0;
    if (!pcapStarted()) {
      const r = pcapHeader(buf, len, base);
      if (r <= 0) return 0;
      pos = <u32>r;
    }
    return pcapRecords(buf, pos, len, base);
  }
  return pcapngBlocks(buf, 0, len, base);
}

/** Is the capture classic pcap (capture/joined.ts)? */
export function framerIsPcap(): bool {
  return format == FMT_PCAP;
}

/** After framerRun: total bytes the pending record/block needs from its start, if known; else 0. */
export function framerNeed(): u32 {
  if (format == FMT_PCAP) return pcapNeed();
  if (format == FMT_PCAPNG) return pcapngNeed();
  return 4;
}

/** End of input with `len` bytes unconsumed at absolute offset `base`: set the matching error, if any. */
export function framerFinish(len: u32, base: u64): void {
  if (len == 0) {
    if (!framerStarted()) setError(ERR_HEADER_CUT, base, 0);   // empty input
    return;
  }
  if (format == FMT_NONE) {
    // fewer than 4 bytes in all (a bad magic is reported as soon as 4 bytes are there)
    setError(headMaybe ? ERR_HEADER_CUT : ERR_UNKNOWN_MAGIC, base, headMaybe ? <u64>len : headValue);
    return;
  }
  if (!framerStarted()) setError(ERR_HEADER_CUT, base, <u64>len);
  else setError(format == FMT_PCAP ? ERR_RECORD_CUT : ERR_BLOCK_CUT, base, <u64>len);
}

/** True once a valid global header / SHB has been read. */
export function framerStarted(): bool {
  if (format == FMT_PCAP) return pcapStarted();
  if (format == FMT_PCAPNG) return pcapngStarted();
  return false;
}
