// Zeroing, copying and comparing of a few hundred bytes at most, sizes multiples of 8. V8 runs wasm's
// memory.fill and memory.copy as calls out to C; Binaryen turns only the smallest constant sizes
// into loads and stores. These loops stay inside wasm: for the per-connection fills they are
// several times cheaper than the call.

// @ts-ignore: decorator
@inline export function zeroSmall(p: usize, n: usize): void {
  assert(n % 8 == 0);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(p + i, i64x2.splat(0));
  if (i < n) store<u64>(p + i, 0);
}

// @ts-ignore: decorator
@inline export function copySmall(dst: usize, src: usize, n: usize): void {
  assert(n % 8 == 0); // and the two ranges do not overlap
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, v128.load(src + i));
  if (i < n) store<u64>(dst + i, load<u64>(src + i));
}

/** Whether the 40 bytes at a and b are equal (the keys of the counter rows and of the IP tunnels):
 *  written out, since Binaryen does not unroll a loop, and with no branch per word. */
// @ts-ignore: decorator
@inline export function equal40(a: usize, b: usize): bool {
  return ((load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8))
    | (load<u64>(a, 16) ^ load<u64>(b, 16)) | (load<u64>(a, 24) ^ load<u64>(b, 24))
    | (load<u64>(a, 32) ^ load<u64>(b, 32))) == 0;
}
