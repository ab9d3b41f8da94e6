/**
 * A token bucket limiting how many ICMP errors the stack generates (RFC 1812 §4.3.2.8,
 * RFC 4443 §2.4 (f): "an IPv6 node MUST limit the rate of ICMPv6 error messages it originates").
 * Echo replies are not limited (Linux limits them only by sysctl; we match its default).
 */

/** Sustained ICMP errors per second; one global bucket (Linux also keeps a global one, icmp_msgs_per_sec). */
export const ICMP_ERRORS_PER_SECOND = 10;
/** Burst allowed after an idle period: enough for a traceroute's probes, too few to amplify a flood. */
export const ICMP_ERROR_BURST = 10;

export class TokenBucket {
  private tokens: number;
  private last: number | null = null;

  constructor(
    readonly ratePerSecond: number = ICMP_ERRORS_PER_SECOND,
    readonly burst: number = ICMP_ERROR_BURST,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('token bucket needs rate > 0 and burst ≥ 1');
    this.tokens = burst;
  }

  /** Takes one token if available at `now`; false means the message must not be sent. */
  take(now: number): boolean {
    if (this.last !== null && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    }
    if (this.last === null || now > this.last) this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
