// A larger buffer for the analyzers that must hold more than their state (SMB session setup and
// DCE-RPC auth blobs for GSSAPI, NTLM and Kerberos: 4 KiB per direction; POP3: the commands
// pipelined past the 8 its state holds), allocated on first use and kept by the instance (its
// pointer at I_AUX) until the connection's detection state is released or the slot reused.
import { POOL_HEADER, poolInit, poolAlloc, poolFree, poolReset, poolInUse } from "./pool";
import { I_AUX } from "./ctx";

export const AUX_SIZE: usize = 8192;
const AUX_POOL: usize = memory.data(POOL_HEADER);
let ready = false;

export function auxReset(): void {
  if (!ready) { poolInit(AUX_POOL, <u32>AUX_SIZE, 8); ready = true; }
  else poolReset(AUX_POOL);
}

export function auxInUse(): i32 { return poolInUse(AUX_POOL); }

/** The instance's buffer, allocated on first use. */
export function auxGet(inst: usize): usize {
  let b = <usize>load<u32>(inst + I_AUX);
  if (b == 0) {
    b = poolAlloc(AUX_POOL);
    store<u32>(inst + I_AUX, <u32>b);
  }
  return b;
}

export function auxFree(inst: usize): void {
  const b = <usize>load<u32>(inst + I_AUX);
  if (b != 0) {
    poolFree(AUX_POOL, b);
    store<u32>(inst + I_AUX, 0);
  }
}
