/**
 * The stack's seeded source of randomness (STYLE.md "Sans-IO core": no real randomness in
 * `stack/`). sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128 bits of state, passes
 * PractRand, trivially replayable from a seed. Used for ISN secrets, ephemeral ports, ARP/NDP
 * jitter and IPv4 identification; never for cryptography.
 */

export interface RandomSource {
  /** 32 uniformly distributed bits as an unsigned number. */
  next32(): number;
}

export class SeededRandom implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // Mix the seed through the state before the first output (as sfc32's reference does).
    for (let i = 0; i < 12; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.next32() / 0x100000000;
  }

  /** An integer in [lo, hi] (inclusive); `hi - lo` must be below 2^32. */
  nextInt(lo: number, hi: number): number {
    return lo + Math.floor(this.nextFloat() * (hi - lo + 1));
  }
}
