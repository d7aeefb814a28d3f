// Seeded randomness for the capture generator. Nothing here touches Math.random: the same seed
// gives the same stream on every machine and Node version (32-bit integer arithmetic only, plus
// Math.log/Math.pow on values whose rounding is identical everywhere V8 runs).

/** murmur3's finaliser: a strong 32-bit -> 32-bit mix (bijective). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash of two 32-bit values (not bijective; for per-session decisions). */
export function hash2(a: number, b: number): number {
  return mix32((a ^ Math.imul(mix32((b + 0x9e3779b9) | 0), 0x27d4eb2d)) >>> 0);
}

/**
 * A bijection on `bits`-bit integers (bits <= 32): distinct inputs give distinct outputs, so
 * ranks 0..N-1 become N distinct, scattered host numbers.
 */
export function permute(x: number, bits: number, key: number): number {
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const half = bits >>> 1;
  x = (x ^ key) & mask;
  x = Math.imul(x, 0x2c1b3c6d | 1) & mask;
  x ^= x >>> half;
  x = Math.imul(x, 0x297a2d39 | 1) & mask;
  x ^= x >>> (half + 1);
  x = Math.imul(x, 0x9e3779b1 | 1) & mask;
  x ^= x >>> half;
  return x >>> 0;
}

/** xoshiro128**: small, fast, good enough for traffic synthesis. */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number) {
    this.reseed(seed, 0);
  }

  /** Restarts the stream from (seed, stream); used for per-session, per-flight content. */
  reseed(seed: number, stream: number): void {
    let s = (seed ^ Math.imul(stream, 0x632be5ab)) >>> 0;
    this.a = mix32((s = (s + 0x9e3779b9) >>> 0));
    this.b = mix32((s = (s + 0x9e3779b9) >>> 0));
    this.c = mix32((s = (s + 0x9e3779b9) >>> 0));
    this.d = mix32((s = (s + 0x9e3779b9) >>> 0));
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const b = this.b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for n <= 2^32. */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Log-uniform integer in [lo, hi] (heavy tail: every decade equally likely). */
  logUniform(lo: number, hi: number): number {
    return Math.floor(lo * Math.pow(hi / lo, this.float()));
  }

  /** Number of failures before the first success, success probability p, capped. */
  geometric(p: number, cap: number): number {
    let n = 0;
    while (n < cap && this.float() >= p) n++;
    return n;
  }

  /** Picks an element. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Zipf-like ranks in [0, n): the inverse CDF of a bounded power law with exponent s, so rank k
 * is drawn with probability about proportional to 1/(k+1)^s. O(1) per draw, no tables.
 */
export class Zipf {
  private readonly n: number;
  private readonly s: number;
  private readonly k: number;

  constructor(n: number, s: number) {
    this.n = n;
    this.s = s;
    this.k = s === 1 ? Math.log(n + 1) : Math.pow(n + 1, 1 - s) - 1;
  }

  draw(u: number): number {
    const x = this.s === 1 ? Math.exp(u * this.k) : Math.pow(1 + u * this.k, 1 / (1 - this.s));
    const r = Math.floor(x) - 1;
    return r < 0 ? 0 : r >= this.n ? this.n - 1 : r;
  }
}
