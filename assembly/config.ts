// Run options set once by init().
export let ignoreChecksums: bool = false;
/** Protocol detection runs only when the output needs it (service keys, conn.log, confirmations). */
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
