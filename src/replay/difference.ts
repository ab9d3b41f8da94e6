/**
 * One difference between what the endpoint sent in the capture and what usernet sent in its
 * place, and the tolerances the comparison applies (each with its reason).
 */

export type DiffCode =
  /** A frame the capture has and usernet did not send, and the reverse. */
  | 'missing'
  | 'extra'
  /** TCP fields, compared by meaning. */
  | 'flags'
  | 'ack'
  | 'length'
  | 'payload'
  | 'options'
  | 'window'
  | 'timing'
  /** The cumulative acknowledgment came too late, or never. */
  | 'ack-late'
  /** A field of a non-TCP message (ARP, ICMP, NDP, UDP, a fragment). */
  | 'field'
  /** The application script could not be played (an action never ran, a call failed). */
  | 'app';

export interface Difference {
  code: DiffCode;
  /** What kind of frame: `tcp`, `ARP reply`, `ICMP echo reply`, `MLDv2 report` … */
  subject: string;
  /** The capture's frame number (1-based) when the difference is about one. */
  frame?: number;
  /** One readable line. */
  text: string;
  /** Set when the difference is within a tolerance: why it does not count. */
  tolerated?: string;
  /** Set when an expectation file allows it: the reason written there. */
  allowed?: string;
  /** Set when an expectation file records it as a known finding (usernet is wrong); it counts. */
  finding?: string;
}

export interface Tolerances {
  /** A data or control segment or message may leave this much earlier or later (ms). */
  timeMs: number;
  /**
   * How long after the capture's endpoint acknowledged a position usernet may acknowledge it
   * (ms). RFC 9293 §3.8.6.3 bounds an ACK's delay by 0.5 s; usernet's delayed-ACK timer is
   * 40 ms, like Linux's minimum; the default, 200 ms, is Linux's maximum delayed-ACK time
   * (TCP_DELACK_MAX), so a stack that acknowledges at different moments, but in time, passes.
   */
  ackMs: number;
  /**
   * The advertised window may differ by this factor either way (both nonzero): receive buffer
   * sizes and their autotuning are a stack's own choice (RFC 9293 §3.8.6). A zero window
   * against a nonzero one always counts.
   */
  windowFactor: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { timeMs: 50, ackMs: 200, windowFactor: 8 };

/** A difference counts toward FAIL when neither a tolerance nor an expectation covers it. */
export function counts(d: Difference): boolean {
  return d.tolerated === undefined && d.allowed === undefined;
}
