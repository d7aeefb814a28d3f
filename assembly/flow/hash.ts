// Hashing of fixed-size keys. Fast and good enough to spread IPv4-mapped addresses,
// whose first 12 bytes are constant.

@inline export function mix64(h: u64): u64 {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}

/** Hash of n bytes at p (n a multiple of 8). */
export function hashBytes(p: usize, n: usize): u64 {
  let h: u64 = 0x9e3779b97f4a7c15;
  for (let i: usize = 0; i < n; i += 8) {
    h = mix64(h ^ load<u64>(p + i)) + 0x632be59bd9b4e019;
  }
  return h;
}

/** Lexicographic comparison of n bytes (a: <0, =0, >0), as unsigned bytes. */
export function compareBytes(a: usize, b: usize, n: usize): i32 {
  for (let i: usize = 0; i < n; i++) {
    const x = <i32>load<u8>(a + i), y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
  }
  return 0;
}
