/**
 * CUBIC congestion control, RFC 9438: after a congestion event the window follows
 * W_cubic(t) = C·(t − K)³ + W_max (§4.2, Figure 1) — concave up to the W_max where the last loss
 * happened (§4.4), convex beyond it (§4.5) — never slower than the Reno-friendly estimate W_est
 * (§4.3), with fast convergence (§4.7), multiplicative decrease by β_cubic = 0.7 (§4.6) and the
 * timeout rule of §4.8. Read RFC 9438 §4 and RFC 5681 §3 before editing.
 *
 * Slow start is plain RFC 5681 slow start with appropriate byte counting, as in NewReno (RFC 9438
 * §4.10 allows it; HyStart++, RFC 9406, is not implemented). Loss recovery stays the engine's
 * NewReno fast recovery (RFC 6582): on the third duplicate ACK cwnd = ssthresh + 3·SMSS and is
 * inflated and deflated as RFC 5681 §3.2 / RFC 6582 §3.2 say; only ssthresh and the window growth
 * afterwards are CUBIC's.
 *
 * Units: the RFC counts windows in segments and time in seconds; here windows are bytes (a
 * window of w segments is w·SMSS bytes, so C becomes C·SMSS bytes/s³) and `now` is the engine's
 * monotonic milliseconds. The window is kept as a real number and exposed rounded down, so the
 * sub-segment growth of each ACK accumulates.
 */

import debugFactory from 'debug';
import { NewReno } from './newreno';
import type { CongestionControl, LogTag } from './types';

const log = debugFactory('usernet:tcp:cc');

/** RFC 9438 §5: C = 0.4 (segments/s³). */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: β_cubic = 0.7. */
export const BETA_CUBIC = 0.7;
/** RFC 9438 §4.3: α_cubic = 3·(1 − β_cubic)/(1 + β_cubic), Reno's average rate for this β. */
export const ALPHA_CUBIC = (3 * (1 - BETA_CUBIC)) / (1 + BETA_CUBIC);
/** RFC 9438 §4.2: the target never exceeds 1.5·cwnd (no faster than half of slow start). */
const MAX_TARGET_RATIO = 1.5;

/** Where CUBIC reads the connection's smoothed RTT (the RFC 6298 estimator); ms, or undefined. */
export interface RttSource {
  readonly srtt: number | undefined;
}

/** One congestion-avoidance stage: the curve's parameters, fixed at its start (§4.2). */
interface Epoch {
  /** t_epoch, ms. */
  readonly start: number;
  /** K, seconds (§4.2, Figure 2). */
  readonly k: number;
  /** The curve's plateau: W_max, or after a timeout / without a loss, cwnd at the start (§4.8). */
  readonly plateau: number;
  /** W_est (§4.3), bytes. */
  wEst: number;
}

export class Cubic implements CongestionControl {
  readonly name = 'cubic';
  ssthresh = Number.MAX_SAFE_INTEGER;
  /** The window in bytes, unrounded. */
  private window: number;
  private smss: number;
  /** W_max (§4.7), bytes; undefined before the first loss and after a timeout (§4.8). */
  private wMaxBytes: number | undefined;
  /** cwnd_prior (§4.6): cwnd when ssthresh was last set; W_est's α becomes 1 once it is reached. */
  private cwndPrior = 0;
  /** The current congestion-avoidance stage; null in slow start, in recovery and until the next ACK. */
  private epoch: Epoch | null = null;

  constructor(
    smss: number,
    private readonly rtt: RttSource,
    readonly tag: LogTag = '',
  ) {
    this.smss = smss;
    this.window = NewReno.initialWindow(smss);
  }

  get cwnd(): number {
    return Math.floor(this.window);
  }

  /** W_max in bytes (for statistics and logs); undefined when no loss defines it. */
  get wMax(): number | undefined {
    return this.wMaxBytes;
  }

  /** K of the current congestion-avoidance stage in seconds, or undefined outside one. */
  get k(): number | undefined {
    return this.epoch?.k;
  }

  setMss(smss: number): void {
    // Before any data moved, the initial window follows the negotiated MSS (RFC 6928 §2).
    if (this.window === NewReno.initialWindow(this.smss)) this.window = NewReno.initialWindow(smss);
    this.smss = smss;
  }

  onAck(acked: number, now: number): void {
    if (this.window < this.ssthresh) {
      // §4.10: RFC 5681 §3.1 slow start, with appropriate byte counting (RFC 3465, L = 2·SMSS).
      this.window += Math.min(acked, 2 * this.smss);
      return;
    }
    const e = this.epoch ?? this.startEpoch(now);
    const t = Math.max(0, now - e.start) / 1000;
    // §4.3: W_est grows by α_cubic segments per window acknowledged; α_cubic becomes 1 once W_est
    // has reached cwnd_prior.
    const alpha = e.wEst >= this.cwndPrior ? 1 : ALPHA_CUBIC;
    e.wEst += (alpha * this.smss * acked) / this.window;
    if (this.wCubic(e, t) < e.wEst) {
      // §4.3: the Reno-friendly region — "cwnd SHOULD be set to W_est".
      this.window = e.wEst;
      return;
    }
    // §4.2: aim at W_cubic one RTT ahead, clamped to [cwnd, 1.5·cwnd], and close the gap by
    // (target − cwnd)/cwnd segments per segment acknowledged (concave §4.4, convex §4.5).
    const rtt = (this.rtt.srtt ?? 0) / 1000;
    const target = Math.min(Math.max(this.wCubic(e, t + rtt), this.window), MAX_TARGET_RATIO * this.window);
    this.window += ((target - this.window) * acked) / this.window;
  }

  /** W_cubic(t) in bytes for the stage `e` (Figure 1). */
  private wCubic(e: Epoch, t: number): number {
    return CUBIC_C * this.smss * (t - e.k) ** 3 + e.plateau;
  }

  /** §4.2: a congestion-avoidance stage begins with the first ACK after slow start or recovery. */
  private startEpoch(now: number): Epoch {
    const cwndEpoch = this.window;
    let e: Epoch;
    if (this.wMaxBytes === undefined || this.wMaxBytes <= cwndEpoch) {
      // §4.8 (after a timeout) and §4.10 (slow start ended without any loss): K = 0 and W_max is
      // the window at the beginning of this stage. Without any loss, cwnd_prior is that window too.
      if (this.cwndPrior === 0) this.cwndPrior = cwndEpoch;
      e = { start: now, k: 0, plateau: cwndEpoch, wEst: cwndEpoch };
    } else {
      // Figure 2: K = ∛((W_max − cwnd_epoch)/C), in segments.
      const k = Math.cbrt((this.wMaxBytes - cwndEpoch) / (CUBIC_C * this.smss));
      e = { start: now, k, plateau: this.wMaxBytes, wEst: cwndEpoch };
    }
    log('%s cubic epoch: cwnd=%d W_max=%s K=%s s', this.tag, this.cwnd, this.wMaxBytes ?? '-', e.k.toFixed(3));
    this.epoch = e;
    return e;
  }

  /** §4.6 and §4.7: the window reduction shared by a fast retransmit and a timeout. */
  private congestionEvent(flightSize: number): void {
    const cwnd = this.window;
    // §4.7 fast convergence: a loss below the previous W_max means a new flow is taking its
    // share, so release some bandwidth by remembering a lower W_max.
    this.wMaxBytes = this.wMaxBytes !== undefined && cwnd < this.wMaxBytes ? (cwnd * (1 + BETA_CUBIC)) / 2 : cwnd;
    this.cwndPrior = cwnd;
    // §4.6: ssthresh = flight_size · β_cubic, at least 2·SMSS.
    this.ssthresh = Math.max(Math.floor(flightSize * BETA_CUBIC), 2 * this.smss);
    this.epoch = null;
  }

  onLoss(flightSize: number): void {
    this.congestionEvent(flightSize);
    // RFC 5681 §3.2 step 3 (the engine's NewReno recovery): cwnd = ssthresh + 3·SMSS.
    this.window = this.ssthresh + 3 * this.smss;
    log('%s fast retransmit: flight=%d W_max=%d ssthresh=%d cwnd=%d', this.tag, flightSize, this.wMaxBytes, this.ssthresh, this.cwnd);
  }

  onDupAck(): void {
    // RFC 5681 §3.2 step 4: window inflation during fast recovery.
    this.window += this.smss;
  }

  onPartialAck(acked: number): void {
    // RFC 6582 §3.2 step 5: deflate by the amount acknowledged, add back one SMSS if it was ≥ SMSS.
    this.window = Math.max(this.smss, this.window - acked + (acked >= this.smss ? this.smss : 0));
  }

  onRecoveryEnd(flightSize: number): void {
    // RFC 6582 §3.2 step 6, option 1; the next ACK starts the congestion-avoidance stage (§4.2).
    this.window = Math.min(this.ssthresh, Math.max(flightSize, this.smss) + this.smss);
    this.epoch = null;
    log('%s recovery done: cwnd=%d', this.tag, this.cwnd);
  }

  onRto(flightSize: number): void {
    // §4.8: reduce cwnd as Reno does (the loss window, one segment) but set ssthresh with
    // β_cubic; the first stage after the timeout uses K = 0 and W_max = cwnd at its start.
    this.congestionEvent(flightSize);
    this.wMaxBytes = undefined;
    this.window = this.smss;
    log('%s RTO: ssthresh=%d cwnd=%d', this.tag, this.ssthresh, this.cwnd);
  }
}
