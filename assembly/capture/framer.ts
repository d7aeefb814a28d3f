// STUB: replaced by the capture framing work. Contract below is fixed.
import { onRecord } from "../pipeline";

/** Forget everything: a new capture starts. */
export function framerReset(): void {}
/**
 * Parse every complete record in [buf, buf+len); `base` is the absolute stream offset of buf[0].
 * Calls onRecord() per packet. Returns the bytes consumed (whole records/blocks only). Stops at the
 * first damage after calling setError() (errors.ts).
 */
export function framerRun(buf: usize, len: u32, base: u64): u32 { return 0; }
/** After framerRun: total bytes the pending record/block needs from its start, if known; else 0. */
export function framerNeed(): u32 { return 0; }
/** End of input with `len` bytes unconsumed at absolute offset `base`: set the matching error, if any. */
export function framerFinish(len: u32, base: u64): void {}
/** True once a valid global header / SHB has been read. */
export function framerStarted(): bool { return false; }
