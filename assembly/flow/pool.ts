// Connection records (conn.ts layout) in one growing array, with a free list. Indices are stable;
// pointers are not (the array moves when it grows), so keep indices across calls that may allocate.
import { CONN_SIZE } from "./conn";

export let poolPtr: usize = 0;   // 64-byte aligned: a record's key fields share one cache line
let poolBlock: usize = 0;        // what heap.alloc returned
let poolCap: u32 = 0;
/** Records ever handed out (high-water mark): indices below it are live or free. */
export let poolUsed: u32 = 0;
let freeHead: i32 = -1; // threaded through the first 4 bytes of free records

function allocAligned(bytes: usize): void {
  poolBlock = heap.alloc(bytes + 64);
  poolPtr = (poolBlock + 63) & ~(<usize>63);
}

export function poolReset(): void {
  if (poolBlock != 0) heap.free(poolBlock);
  poolCap = 1024;
  allocAligned(<usize>poolCap * CONN_SIZE);
  poolUsed = 0;
  freeHead = -1;
}

// @ts-ignore: decorator
@inline export function rec(i: u32): usize { return poolPtr + <usize>i * CONN_SIZE; }

export function allocRecord(): u32 {
  if (freeHead >= 0) {
    const i = <u32>freeHead;
    freeHead = load<i32>(rec(i));
    return i;
  }
  if (poolUsed == poolCap) {
    const oldBlock = poolBlock, oldPtr = poolPtr;
    allocAligned(<usize>poolCap * 2 * CONN_SIZE);
    memory.copy(poolPtr, oldPtr, <usize>poolUsed * CONN_SIZE);
    heap.free(oldBlock);
    poolCap *= 2;
  }
  return poolUsed++;
}

export function freeRecord(i: u32): void {
  store<i32>(rec(i), freeHead);
  freeHead = <i32>i;
}
