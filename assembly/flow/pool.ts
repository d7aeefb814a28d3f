// Connection records (conn.ts layout) in one growing array, with a stack of free indices. Indices
// are stable; pointers are not (the array moves when it grows), so keep indices across calls that
// may allocate. The free indices live apart from the records so that taking one touches no record,
// and the next ones to be taken are known (warm.ts loads them ahead).
import { CONN_SIZE } from "./conn";

export let poolPtr: usize = 0;   // 64-byte aligned: a record's key fields share one cache line
let poolBlock: usize = 0;        // what heap.alloc returned
let poolCap: u32 = 0;
/** Records ever handed out (high-water mark): indices below it are live or free. */
export let poolUsed: u32 = 0;
let freeStack: usize = 0;        // u32 indices of free records, poolCap of them
let freeCount: u32 = 0;

function allocAligned(bytes: usize): void {
  poolBlock = heap.alloc(bytes + 64);
  poolPtr = (poolBlock + 63) & ~(<usize>63);
}

export function poolReset(): void {
  if (poolBlock != 0) heap.free(poolBlock);
  poolCap = 1024;
  allocAligned(<usize>poolCap * CONN_SIZE);
  if (freeStack != 0) heap.free(freeStack);
  freeStack = heap.alloc(<usize>poolCap << 2);
  poolUsed = 0;
  freeCount = 0;
}

// @ts-ignore: decorator
@inline export function rec(i: u32): usize { return poolPtr + <usize>i * CONN_SIZE; }

export function allocRecord(): u32 {
  if (freeCount != 0) {
    freeCount--;
    return load<u32>(freeStack + (<usize>freeCount << 2));
  }
  if (poolUsed == poolCap) {
    const oldBlock = poolBlock, oldPtr = poolPtr;
    allocAligned(<usize>poolCap * 2 * CONN_SIZE);
    memory.copy(poolPtr, oldPtr, <usize>poolUsed * CONN_SIZE);
    heap.free(oldBlock);
    poolCap *= 2;
    // the stack only holds indices below poolUsed: it fits; it must grow with the pool
    freeStack = heap.realloc(freeStack, <usize>poolCap << 2);
  }
  return poolUsed++;
}

export function freeRecord(i: u32): void {
  store<u32>(freeStack + (<usize>freeCount << 2), i);
  freeCount++;
}

/** The record the k-th next allocation returns, or -1 if it is a fresh one (warm.ts). */
export function nextFree(k: u32): i32 {
  return k < freeCount ? <i32>load<u32>(freeStack + (<usize>(freeCount - 1 - k) << 2)) : -1;
}
