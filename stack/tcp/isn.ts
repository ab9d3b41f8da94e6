/**
 * Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), where M is a timer ticking every 4 µs and F a keyed hash whose 64-bit secret comes
 * from the stack's seeded random source. Different 4-tuples get unrelated ISNs; the same 4-tuple
 * gets ISNs that keep increasing with time, so old duplicates of an earlier incarnation fall
 * outside the new connection's window (RFC 9293 §3.4.1).
 */

import type { IpAddress } from '../wire/address';
import { TupleHash } from './hash';

/** RFC 6528's M: 4 µs ticks, i.e. 250 per millisecond. */
const TICKS_PER_MS = 250;

export class IsnGenerator {
  private readonly f: TupleHash;

  constructor(random32: () => number) {
    this.f = new TupleHash(random32);
  }

  isn(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number, now: number): number {
    const m = Math.floor(now * TICKS_PER_MS) >>> 0;
    return (m + this.f.hash(local, localPort, remote, remotePort)) >>> 0;
  }
}
