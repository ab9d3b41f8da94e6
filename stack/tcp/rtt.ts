/**
 * The retransmission timeout, RFC 6298: SRTT and RTTVAR from round-trip samples (§2), Karn's
 * algorithm (§3, enforced by the callers, which never sample a retransmitted segment), and
 * exponential backoff (§5.5) bounded by a maximum.
 *
 * Deviation: the minimum RTO defaults to 200 ms, as Linux (TCP_RTO_MIN), not RFC 6298 §2.4's 1 s;
 * on low-latency paths a 1 s floor makes every loss cost a second. The maximum defaults to 120 s
 * (Linux's TCP_RTO_MAX; RFC 6298 §2.5 allows any maximum of at least 60 s).
 */

/** RFC 6298 §2: alpha = 1/8, beta = 1/4, K = 4, G (clock granularity) = 1 ms here. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;
const G = 1;

export class RttEstimator {
  /** Smoothed round-trip time, ms; undefined before the first sample. */
  srtt: number | undefined;
  rttvar = 0;
  /** The base RTO from the estimator, before backoff. */
  private baseRto: number;
  /** Number of consecutive backoffs (RFC 6298 §5.5). */
  backoffs = 0;

  constructor(
    readonly initialRto: number,
    readonly minRto: number,
    readonly maxRto: number,
  ) {
    this.baseRto = initialRto;
  }

  /** The current RTO in ms, including backoff. */
  get rto(): number {
    return Math.min(this.maxRto, this.baseRto * 2 ** this.backoffs);
  }

  /** A round-trip measurement `r` ms of a segment that was not retransmitted (Karn). */
  sample(r: number): void {
    const rtt = Math.max(r, 0);
    if (this.srtt === undefined) {
      // RFC 6298 §2.2: the first measurement.
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      // RFC 6298 §2.3: RTTVAR first, using the old SRTT.
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rtt);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rtt;
    }
    this.baseRto = Math.min(this.maxRto, Math.max(this.minRto, this.srtt + Math.max(G, K * this.rttvar)));
    // RFC 6298 §5.7: a new sample after backoff collapses the backoff.
    this.backoffs = 0;
  }

  /** RFC 6298 §5.5: the timer expired; double the RTO (bounded by the maximum). */
  backoff(): void {
    if (this.rto < this.maxRto) this.backoffs++;
  }
}
