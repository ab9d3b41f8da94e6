/**
 * A small seeded pseudo-random generator for impairment and simulation: xoshiro128** 1.1
 * (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018).
 * The same seed gives the same sequence on every machine and Node version; it is not for secrets.
 */

/** What the wrappers need from a random source; implement it to inject a sequence of your own. */
export interface Prng {
  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniformly distributed float in [0, 1), with 32 bits of randomness. */
  nextFloat(): number;
  /** A uniformly distributed integer in [0, n), for 0 < n ≤ 2^32. */
  nextInt(n: number): number;
}

const TWO_POW_32 = 0x1_0000_0000;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Expands a 32-bit seed into independent-looking words: a Weyl sequence (step 0x9e3779b9, the
 * golden ratio) hashed by MurmurHash3's 32-bit finaliser. Used to fill xoshiro's state, because
 * xoshiro must not start from a state of small or all-zero words.
 */
export function seedWords(seed: number, count: number): number[] {
  let weyl = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    weyl = (weyl + 0x9e3779b9) >>> 0;
    let z = weyl;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  return words;
}

/** Derives a seed for a sub-stream (one per link direction, say) so streams do not overlap. */
export function deriveSeed(seed: number, stream: number): number {
  return seedWords((seed ^ Math.imul(stream + 1, 0x27d4eb2f)) >>> 0, 1)[0]!;
}

export class Xoshiro128 implements Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is taken modulo 2^32; every seed, including 0, gives a usable state. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`PRNG seed must be a finite number, got ${seed}`);
    const [a, b, c, d] = seedWords(Math.trunc(seed) >>> 0, 4) as [number, number, number, number];
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    if ((a | b | c | d) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Starts from raw state words, as the reference implementation's test vectors do. */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    if (((s0 | s1 | s2 | s3) >>> 0) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    const g = new Xoshiro128(0);
    g.s0 = s0 >>> 0;
    g.s1 = s1 >>> 0;
    g.s2 = s2 >>> 0;
    g.s3 = s3 >>> 0;
    return g;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  nextInt(n: number): number {
    if (!(n > 0 && n <= TWO_POW_32) || !Number.isInteger(n)) {
      throw new RangeError(`nextInt bound must be an integer in (0, 2^32], got ${n}`);
    }
    // Rejecting the top partial range keeps every value equally likely (no modulo bias).
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}
