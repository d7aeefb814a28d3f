// Run options set once by init().
export let ignoreChecksums: bool = false;
/** Protocol detection runs only when the output needs it (service keys, conn.log, confirmations).
 *  Without it SSH and FTP still are detected, since they set a connection's timeout (detect/probe.ts). */
export let detectProtocols: bool = true;

/** Cache warming of record batches (flow/warm.ts): WARM_AUTO turns it on once the table outgrows
 *  the caches; always and never are for tests and measurements (results never depend on it). */
export const WARM_AUTO: u32 = 0;
export const WARM_ALWAYS: u32 = 1;
export const WARM_NEVER: u32 = 2;
export let warming: u32 = WARM_AUTO;

export function setWarming(v: u32): void {
  warming = v;
}

export function setIgnoreChecksums(v: bool): void {
  ignoreChecksums = v;
}

export function setDetectProtocols(v: bool): void {
  detectProtocols = v;
}

/**
 * Partitions of a multi-threaded run: every thread reads the whole capture (so that network time,
 * and with it every timer, moves as in a single run) and decodes every packet (the decoder's
 * checks decide what the stats count, and tunnels carry other partitions' packets), but keeps
 * only the connections whose key hash falls in its partition; their counts add up to a single
 * run's (unless a partition evicts: README, Threads). Zeek's clusters split traffic among workers
 * by flow hash in the same way. The low half of the hash picks the partition: the tables place
 * keys by the upper half.
 */
let partitionCount: u32 = 1;
let partitionIndex: u32 = 0;

export function setPartition(index: u32, count: u32): void {
  partitionCount = count < 1 ? 1 : count;
  partitionIndex = index < partitionCount ? index : 0;
}

// @ts-ignore: decorator
@inline export function partitioned(): bool { return partitionCount > 1; }

// @ts-ignore: decorator
@inline export function ownsKey(h: u64): bool {
  return partitionCount == 1 || <u32>h % partitionCount == partitionIndex;
}
