// Run options set once by init().
export let ignoreChecksums: bool = false;
/** Protocol detection runs only when the output needs it (service keys, conn.log, confirmations). */
export let detectProtocols: bool = true;

export function setIgnoreChecksums(v: bool): void {
  ignoreChecksums = v;
}

export function setDetectProtocols(v: bool): void {
  detectProtocols = v;
}

/**
 * A parallel run (src/parallel/) feeds every packet to each of `shardCount` cores; this one keeps
 * the connections whose key hash falls to `shardIndex`. The connection table uses the hash's upper
 * half (slots.ts), so the shard comes from its lower half.
 */
export let shardIndex: u32 = 0;
export let shardCount: u32 = 1;

export function setShard(index: u32, count: u32): void {
  shardIndex = index;
  shardCount = count == 0 ? 1 : count;
}

/** Does this core keep the connection whose key hash is h? */
// @ts-ignore: decorator
@inline export function ownsKey(h: u64): bool {
  return shardCount == 1 || <u32>h % shardCount == shardIndex;
}
