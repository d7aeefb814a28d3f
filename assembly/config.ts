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
