/**
 * A keyed 32-bit hash for ISNs (RFC 6528 §3, "F()") and ephemeral port offsets (RFC 6056 §3.3.3).
 * The construction follows HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit SipHash variant
 * Linux uses for similar tables): a 64-bit key from the stack's seeded random source, message
 * words mixed by ARX rounds. Only unpredictability to an off-path attacker matters here.
 */

import type { IpAddress } from '../wire/address';

/**
 * The four state words of one hash in progress (HalfSipHash's v0…v3). A typed array keeps them
 * unsigned 32-bit without `>>> 0` on every store, and a call allocates nothing: the rounds used
 * to be closures over the four variables, a context and two functions per hash, per connection.
 * Not re-entrant, and nothing here calls out while a hash is in progress.
 */
const v = new Uint32Array(4);

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/** One SipRound on `v`. */
function sipRound(): void {
  v[0] = v[0]! + v[1]!;
  v[1] = rotl(v[1]!, 5) ^ v[0]!;
  v[0] = rotl(v[0]!, 16);
  v[2] = v[2]! + v[3]!;
  v[3] = rotl(v[3]!, 8) ^ v[2]!;
  v[0] = v[0]! + v[3]!;
  v[3] = rotl(v[3]!, 7) ^ v[0]!;
  v[2] = v[2]! + v[1]!;
  v[1] = rotl(v[1]!, 13) ^ v[2]!;
  v[2] = rotl(v[2]!, 16);
}

/** Mixes one message word into `v` (two compression rounds). */
function absorb(m: number): void {
  v[3] = v[3]! ^ m;
  sipRound();
  sipRound();
  v[0] = v[0]! ^ m;
}

export class KeyedHash {
  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  /** Hashes the first `length` of `words` (each taken as an unsigned 32-bit number) into 32 bits. */
  hash(words: readonly number[], length = words.length): number {
    v[0] = this.k0;
    v[1] = this.k1;
    v[2] = 0x6c796765 ^ this.k0;
    v[3] = 0x74656462 ^ this.k1;
    for (let i = 0; i < length; i++) absorb(words[i]! >>> 0);
    absorb(((length * 4) << 24) >>> 0);
    v[2] = v[2]! ^ 0xff;
    for (let i = 0; i < 4; i++) sipRound();
    return (v[1]! ^ v[3]!) >>> 0;
  }
}

/**
 * A keyed hash of a 4-tuple (local address and port, remote address and port), for values that
 * must be unrelated across tuples yet stable for one: RFC 6528's F() for ISNs, RFC 7323 §5.4's
 * timestamp offsets. One word array is reused by every call.
 */
export class TupleHash {
  private readonly f: KeyedHash;
  private readonly words: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

  /** Draws the two key words from `random32`. */
  constructor(random32: () => number) {
    this.f = new KeyedHash(random32(), random32());
  }

  hash(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): number {
    const w = this.words;
    let n = putAddressWords(w, 0, local.bytes);
    w[n++] = localPort;
    n = putAddressWords(w, n, remote.bytes);
    w[n++] = remotePort;
    return this.f.hash(w, n);
  }
}

/**
 * Appends the words of an address (1 for IPv4, 4 for IPv6) to `out` from index `at`; returns the
 * index after them. For callers that reuse one word array per hash instead of building arrays.
 */
export function putAddressWords(out: number[], at: number, bytes: Uint8Array): number {
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    out[at++] = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
  return at;
}

/** The words of an address, for hashing: 1 for IPv4, 4 for IPv6. */
export function addressWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  }
  return out;
}
