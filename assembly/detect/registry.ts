// STUB: replaced by the protocol detection work. The hooks below are called by flow/table.ts;
// detectors report through confirm()/violate() in flow/services.ts.

/** A connection was created (roles set): attach the analyzers that may apply (port or signature). */
export function detectStart(idx: u32, r: usize): void {}
/** A counted packet of connection idx (payload in packet.ts); isOrig after any flip. */
export function detectPacket(idx: u32, r: usize, isOrig: bool): void {}
/** The connection's roles flipped. */
export function detectFlip(idx: u32, r: usize): void {}
/** The connection leaves the table: release its detection state. */
export function detectEnd(idx: u32, r: usize): void {}
/** Reset all detection state (a new run). */
export function detectReset(): void {}
