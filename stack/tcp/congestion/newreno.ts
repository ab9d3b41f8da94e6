/**
 * NewReno congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast
 * retransmit/fast recovery window arithmetic (RFC 5681 §3.2, RFC 6582 §3.2), initial window per
 * RFC 6928 (IW = min(10·MSS, max(2·MSS, 14600))).
 */

import debugFactory from 'debug';
import type { CongestionControl, LogTag } from './types';

const log = debugFactory('usernet:tcp:cc');

/** RFC 6928 §2: the initial window, in segments and in bytes. */
const IW_SEGMENTS = 10;
const IW_BYTES = 14600;

export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = Number.MAX_SAFE_INTEGER;
  private smss: number;
  /** Bytes acknowledged toward the next cwnd increase in congestion avoidance (RFC 5681 §3.1). */
  private bytesAcked = 0;

  constructor(smss: number, readonly tag: LogTag = '') {
    this.smss = smss;
    this.cwnd = NewReno.initialWindow(smss);
  }

  static initialWindow(smss: number): number {
    return Math.min(IW_SEGMENTS * smss, Math.max(2 * smss, IW_BYTES));
  }

  setMss(smss: number): void {
    // Before any data moved, the initial window follows the negotiated MSS.
    if (this.cwnd === NewReno.initialWindow(this.smss)) this.cwnd = NewReno.initialWindow(smss);
    this.smss = smss;
  }

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1 eq. 2 with appropriate byte counting (RFC 3465, L = 2·SMSS).
      this.cwnd += Math.min(acked, 2 * this.smss);
    } else {
      // RFC 5681 §3.1 eq. 3, counted in bytes: one SMSS per cwnd of acknowledged data.
      this.bytesAcked += acked;
      if (this.bytesAcked >= this.cwnd) {
        this.bytesAcked -= this.cwnd;
        this.cwnd += this.smss;
      }
    }
  }

  onLoss(flightSize: number): void {
    // RFC 5681 §3.2 eq. 4, then step 3: cwnd = ssthresh + 3·SMSS.
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.cwnd = this.ssthresh + 3 * this.smss;
    this.bytesAcked = 0;
    log('%s fast retransmit: flight=%d ssthresh=%d cwnd=%d', this.tag, flightSize, this.ssthresh, this.cwnd);
  }

  onDupAck(): void {
    this.cwnd += this.smss;
  }

  onPartialAck(acked: number): void {
    // RFC 6582 §3.2 step 5: deflate by the amount acknowledged, add back one SMSS if it was ≥ SMSS.
    this.cwnd = Math.max(this.smss, this.cwnd - acked + (acked >= this.smss ? this.smss : 0));
  }

  onRecoveryEnd(flightSize: number): void {
    // RFC 6582 §3.2 step 6, option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS).
    this.cwnd = Math.min(this.ssthresh, Math.max(flightSize, this.smss) + this.smss);
    log('%s recovery done: cwnd=%d', this.tag, this.cwnd);
  }

  onRto(flightSize: number): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.cwnd = this.smss;
    this.bytesAcked = 0;
    log('%s RTO: ssthresh=%d cwnd=%d', this.tag, this.ssthresh, this.cwnd);
  }
}
