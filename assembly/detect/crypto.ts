// The few primitives QUIC's Initial packets need (RFC 9001 section 5): SHA-256, HMAC-SHA256,
// HKDF-Extract and HKDF-Expand-Label (outputs up to 32 bytes), AES-128 block encryption (header
// protection and GCM's counter mode). Small, table-light and allocation-free: scratch memory is
// static. Nothing here is constant-time; it only reads public, well-known keys.

// ---------------------------------------------------------------- SHA-256

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const H: usize = memory.data(32);   // hash state (8 × u32)
const W: usize = memory.data(256);  // message schedule
const BLK: usize = memory.data(64); // the last, padded block(s)
const BLK2: usize = memory.data(64);

function block(b: usize): void {
  for (let i = 0; i < 16; i++) store<u32>(W + (<usize>i << 2), bswap<u32>(load<u32>(b + (<usize>i << 2))));
  for (let i = 16; i < 64; i++) {
    const w15 = load<u32>(W + (<usize>(i - 15) << 2)), w2 = load<u32>(W + (<usize>(i - 2) << 2));
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(W + (<usize>i << 2), load<u32>(W + (<usize>(i - 16) << 2)) + s0 + load<u32>(W + (<usize>(i - 7) << 2)) + s1);
  }
  let a = load<u32>(H), b2 = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  let e = load<u32>(H, 16), f = load<u32>(H, 20), g = load<u32>(H, 24), h = load<u32>(H, 28);
  for (let i = 0; i < 64; i++) {
    const S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + S1 + ch + unchecked(K[i]) + load<u32>(W + (<usize>i << 2));
    const S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b2) ^ (a & c) ^ (b2 & c);
    const t2 = S0 + maj;
    h = g; g = f; f = e; e = d + t1; d = c; c = b2; b2 = a; a = t1 + t2;
  }
  store<u32>(H, load<u32>(H) + a); store<u32>(H, load<u32>(H, 4) + b2, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8); store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16); store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24); store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** SHA-256 of n bytes at p into out (32 bytes). */
export function sha256(p: usize, n: u32, out: usize): void {
  store<u32>(H, 0x6a09e667); store<u32>(H, 0xbb67ae85, 4); store<u32>(H, 0x3c6ef372, 8); store<u32>(H, 0xa54ff53a, 12);
  store<u32>(H, 0x510e527f, 16); store<u32>(H, 0x9b05688c, 20); store<u32>(H, 0x1f83d9ab, 24); store<u32>(H, 0x5be0cd19, 28);
  let i: u32 = 0;
  for (; i + 64 <= n; i += 64) block(p + i);
  const rest = n - i;
  memory.fill(BLK, 0, 64);
  memory.fill(BLK2, 0, 64);
  memory.copy(BLK, p + i, rest);
  store<u8>(BLK + rest, 0x80);
  const bits = <u64>n << 3;
  if (rest < 56) {
    store<u64>(BLK + 56, bswap<u64>(bits));
    block(BLK);
  } else {
    store<u64>(BLK2 + 56, bswap<u64>(bits));
    block(BLK);
    block(BLK2);
  }
  for (let k = 0; k < 8; k++) store<u32>(out + (<usize>k << 2), bswap<u32>(load<u32>(H + (<usize>k << 2))));
}

// ---------------------------------------------------------------- HMAC, HKDF

const HM: usize = memory.data(64 + 128); // key block and message
const INNER: usize = memory.data(32);

/** HMAC-SHA256 with a key of at most 64 bytes and a message of at most 128 bytes. */
export function hmac(key: usize, klen: u32, msg: usize, mlen: u32, out: usize): void {
  memory.fill(HM, 0, 64);
  memory.copy(HM, key, klen);
  for (let i: usize = 0; i < 64; i++) store<u8>(HM + i, load<u8>(HM + i) ^ 0x36);
  memory.copy(HM + 64, msg, mlen);
  sha256(HM, 64 + mlen, INNER);
  for (let i: usize = 0; i < 64; i++) store<u8>(HM + i, load<u8>(HM + i) ^ (0x36 ^ 0x5c));
  memory.copy(HM + 64, INNER, 32);
  sha256(HM, 96, out);
}

/** HKDF-Extract(salt, ikm) into out (32 bytes). */
export function hkdfExtract(salt: usize, slen: u32, ikm: usize, ilen: u32, out: usize): void {
  hmac(salt, slen, ikm, ilen, out);
}

const INFO: usize = memory.data(64);
const T1: usize = memory.data(32);

/** HKDF-Expand-Label(secret (32 bytes), "tls13 " + label, "", len <= 32) into out. */
export function hkdfExpandLabel(secret: usize, label: string, len: u32, out: usize): void {
  const full = "tls13 " + label;
  const l = full.length;
  store<u8>(INFO, <u8>(len >> 8));
  store<u8>(INFO + 1, <u8>len);
  store<u8>(INFO + 2, <u8>l);
  for (let i = 0; i < l; i++) store<u8>(INFO + 3 + <usize>i, <u8>full.charCodeAt(i));
  store<u8>(INFO + 3 + <usize>l, 0); // empty context
  store<u8>(INFO + 4 + <usize>l, 1); // the first (only) block's counter
  hmac(secret, 32, INFO, 5 + <u32>l, T1);
  memory.copy(out, T1, len);
}

// ---------------------------------------------------------------- AES-128

const SBOX: StaticArray<u8> = [
  0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
  0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
  0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
  0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
  0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
  0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
  0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
  0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
  0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
  0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
  0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
  0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
  0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
  0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
  0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
  0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
];

@inline function sb(x: u32): u8 { return unchecked(SBOX[x & 0xff]); }
@inline function xtime(x: u32): u32 { return ((x << 1) ^ ((x & 0x80) != 0 ? 0x1b : 0)) & 0xff; }

/** Expands a 16-byte key into 176 bytes of round keys at rk. */
export function aesExpand(key: usize, rk: usize): void {
  memory.copy(rk, key, 16);
  let rcon: u32 = 1;
  for (let i: usize = 16; i < 176; i += 4) {
    let t0 = <u32>load<u8>(rk + i - 4), t1 = <u32>load<u8>(rk + i - 3), t2 = <u32>load<u8>(rk + i - 2), t3 = <u32>load<u8>(rk + i - 1);
    if (i % 16 == 0) {
      const tmp = t0;
      t0 = <u32>sb(t1) ^ rcon; t1 = <u32>sb(t2); t2 = <u32>sb(t3); t3 = <u32>sb(tmp);
      rcon = xtime(rcon);
    }
    store<u8>(rk + i, load<u8>(rk + i - 16) ^ <u8>t0);
    store<u8>(rk + i + 1, load<u8>(rk + i - 15) ^ <u8>t1);
    store<u8>(rk + i + 2, load<u8>(rk + i - 14) ^ <u8>t2);
    store<u8>(rk + i + 3, load<u8>(rk + i - 13) ^ <u8>t3);
  }
}

const ST: usize = memory.data(16);

/** Encrypts the 16-byte block at inp into out with the round keys rk. */
export function aesEncrypt(rk: usize, inp: usize, out: usize): void {
  for (let i: usize = 0; i < 16; i++) store<u8>(ST + i, load<u8>(inp + i) ^ load<u8>(rk + i));
  for (let round: usize = 1; round <= 10; round++) {
    // SubBytes and ShiftRows (state column-major: byte r + 4c)
    const s0 = sb(load<u8>(ST)), s1 = sb(load<u8>(ST + 5)), s2 = sb(load<u8>(ST + 10)), s3 = sb(load<u8>(ST + 15));
    const s4 = sb(load<u8>(ST + 4)), s5 = sb(load<u8>(ST + 9)), s6 = sb(load<u8>(ST + 14)), s7 = sb(load<u8>(ST + 3));
    const s8 = sb(load<u8>(ST + 8)), s9 = sb(load<u8>(ST + 13)), s10 = sb(load<u8>(ST + 2)), s11 = sb(load<u8>(ST + 7));
    const s12 = sb(load<u8>(ST + 12)), s13 = sb(load<u8>(ST + 1)), s14 = sb(load<u8>(ST + 6)), s15 = sb(load<u8>(ST + 11));
    store<u8>(ST, s0); store<u8>(ST + 1, s1); store<u8>(ST + 2, s2); store<u8>(ST + 3, s3);
    store<u8>(ST + 4, s4); store<u8>(ST + 5, s5); store<u8>(ST + 6, s6); store<u8>(ST + 7, s7);
    store<u8>(ST + 8, s8); store<u8>(ST + 9, s9); store<u8>(ST + 10, s10); store<u8>(ST + 11, s11);
    store<u8>(ST + 12, s12); store<u8>(ST + 13, s13); store<u8>(ST + 14, s14); store<u8>(ST + 15, s15);
    if (round != 10) {
      for (let c: usize = 0; c < 16; c += 4) {
        const a0 = <u32>load<u8>(ST + c), a1 = <u32>load<u8>(ST + c + 1), a2 = <u32>load<u8>(ST + c + 2), a3 = <u32>load<u8>(ST + c + 3);
        const all = a0 ^ a1 ^ a2 ^ a3;
        store<u8>(ST + c, <u8>(a0 ^ all ^ xtime(a0 ^ a1)));
        store<u8>(ST + c + 1, <u8>(a1 ^ all ^ xtime(a1 ^ a2)));
        store<u8>(ST + c + 2, <u8>(a2 ^ all ^ xtime(a2 ^ a3)));
        store<u8>(ST + c + 3, <u8>(a3 ^ all ^ xtime(a3 ^ a0)));
      }
    }
    const k = rk + round * 16;
    for (let i: usize = 0; i < 16; i++) store<u8>(ST + i, load<u8>(ST + i) ^ load<u8>(k + i));
  }
  memory.copy(out, ST, 16);
}
