/**
 * A keyed 32-bit hash for ISNs (RFC 6528 §3, "F()") and ephemeral port offsets (RFC 6056 §3.3.3).
 * The construction follows HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit SipHash variant
 * Linux uses for similar tables): a 64-bit key from the stack's seeded random source, message
 * words mixed by ARX rounds. Only unpredictability to an off-path attacker matters here.
 */

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

export class KeyedHash {
  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  /** Hashes `words` (each taken as an unsigned 32-bit number) into 32 bits. */
  hash(words: readonly number[]): number {
    let v0 = this.k0 >>> 0;
    let v1 = this.k1 >>> 0;
    let v2 = (0x6c796765 ^ this.k0) >>> 0;
    let v3 = (0x74656462 ^ this.k1) >>> 0;
    const round = (): void => {
      v0 = (v0 + v1) >>> 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) >>> 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) >>> 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) >>> 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    };
    const absorb = (m: number): void => {
      v3 = (v3 ^ m) >>> 0;
      round();
      round();
      v0 = (v0 ^ m) >>> 0;
    };
    for (const w of words) absorb(w >>> 0);
    absorb(((words.length * 4) << 24) >>> 0);
    v2 = (v2 ^ 0xff) >>> 0;
    for (let i = 0; i < 4; i++) round();
    return (v1 ^ v3) >>> 0;
  }
}

/** The words of an address, for hashing: 1 for IPv4, 4 for IPv6. */
export function addressWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  }
  return out;
}
