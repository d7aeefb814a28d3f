// Run options set once by init().
export let ignoreChecksums: bool = false;

export function setIgnoreChecksums(v: bool): void {
  ignoreChecksums = v;
}
