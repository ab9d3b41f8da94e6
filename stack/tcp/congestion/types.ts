/**
 * The congestion-control interface (RFC 5681 §3): the window arithmetic a connection delegates,
 * so NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438) are interchangeable per connection.
 * The connection keeps the loss-detection state (duplicate-ACK count, the `recover` point of
 * RFC 6582) and calls these hooks; an implementation only moves cwnd and ssthresh.
 * All sizes are bytes.
 */

export interface CongestionControl {
  readonly name: string;
  /** Congestion window. */
  readonly cwnd: number;
  /** Slow-start threshold. */
  readonly ssthresh: number;
  /** The sender MSS changed (after the handshake, or path MTU). */
  setMss(smss: number): void;
  /** New data was acknowledged outside loss recovery (`acked` bytes; RFC 5681 §3.1). */
  onAck(acked: number, now: number): void;
  /** Fast retransmit entered on the third duplicate ACK (RFC 5681 §3.2 steps 2–3). */
  onLoss(flightSize: number, now: number): void;
  /** A further duplicate ACK during fast recovery (RFC 5681 §3.2 step 4). */
  onDupAck(): void;
  /** A partial ACK during recovery acknowledged `acked` bytes (RFC 6582 §3.2 step 5). */
  onPartialAck(acked: number): void;
  /** The ACK covering the recovery point ended recovery (RFC 6582 §3.2 step 6). */
  onRecoveryEnd(flightSize: number): void;
  /** The retransmission timer expired (RFC 5681 §3.1, equation 4; loss window of one segment). */
  onRto(flightSize: number): void;
}

/** The algorithms a connection may use: NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438). */
export type CongestionAlgorithm = 'newreno' | 'cubic';

/**
 * What a controller's log lines name it by: text, or an object whose `toString()` gives it (the
 * connection), so no text is built per connection unless a line is logged.
 */
export type LogTag = string | { toString(): string };
