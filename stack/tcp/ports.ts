/**
 * Ephemeral port selection, RFC 6056 §3.3.3 ("Algorithm 3: Simple Hash-Based Port Selection"):
 * each (local address, remote address, remote port) starts its search at its own keyed-hash offset,
 * and a shared counter moves on after every pick, so ports are hard to guess off-path yet
 * successive connections to one peer do not collide with recent ones.
 */

import type { IpAddress } from '../wire/address';
import { KeyedHash, putAddressWords } from './hash';

export class EphemeralPorts {
  private readonly f: KeyedHash;
  /** The hashed words (addresses and the remote port), reused by every pick. */
  private readonly words: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** RFC 6056's next_ephemeral, seeded so two stacks do not walk in step. */
  private nextEphemeral: number;

  constructor(
    random32: () => number,
    readonly min: number,
    readonly max: number,
  ) {
    this.f = new KeyedHash(random32(), random32());
    this.nextEphemeral = random32() >>> 0;
  }

  /**
   * Picks a port for which `inUse(port)` is false; null when every port in the range is taken.
   * Work is bounded by the size of the range.
   */
  pick(local: IpAddress, remote: IpAddress, remotePort: number, inUse: (port: number) => boolean): number | null {
    const count = this.max - this.min + 1;
    const w = this.words;
    let n = putAddressWords(w, 0, local.bytes);
    n = putAddressWords(w, n, remote.bytes);
    w[n++] = remotePort;
    const offset = this.f.hash(w, n);
    for (let i = 0; i < count; i++) {
      const port = this.min + ((offset + this.nextEphemeral) % count);
      this.nextEphemeral = (this.nextEphemeral + 1) >>> 0;
      if (!inUse(port)) return port;
    }
    return null;
  }
}
