/**
 * Challenge ACKs (RFC 5961): the ACK sent instead of acting on a RST that is in the window but not
 * at RCV.NXT (§3.2), a SYN in a synchronized state (§4.2), or an ACK older than
 * SND.UNA − MAX.SND.WND (§5.2) — and §7's bound on how many the engine sends, so a blind attacker
 * cannot make the stack amplify a flood of forged segments.
 *
 * Deviation: the bound follows Linux's `tcp_challenge_ack_limit` (1000 per second per engine, the
 * budget of each second drawn at random from [limit/2, 1.5·limit) so that an off-path attacker
 * cannot count our challenge ACKs to learn the window — the CVE-2016-5696 side channel). Newer
 * Linux disables the global limit by default and relies on a per-socket one; set
 * `challengeAckLimit: Infinity` for that behaviour without the per-socket part.
 */

import type { ControlBlock } from './control-block';
import { emitAck } from './output';

/** Linux's default `tcp_challenge_ack_limit` (before 6.0), challenge ACKs per second. */
export const DEFAULT_CHALLENGE_ACK_LIMIT = 1000;

/** The per-engine budget of challenge ACKs (RFC 5961 §7), renewed every second of `now`. */
export class ChallengeAckLimiter {
  /** The second (of `now`) the budget belongs to. */
  private second = -Infinity;
  private remaining = 0;

  constructor(
    /** Challenge ACKs per second; Infinity: no bound. */
    private readonly limit: number,
    private readonly random32: () => number,
  ) {}

  /** True when one more challenge ACK may go out at `now` (and counts it). */
  allow(now: number): boolean {
    if (this.limit === Infinity) return true;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      const limit = Math.max(0, Math.floor(this.limit));
      const half = (limit + 1) >> 1;
      this.remaining = limit === 0 ? 0 : half + (this.random32() % limit);
    }
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }
}

/**
 * Sends a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> for `cb` unless the engine's budget
 * for this second is spent; `reason` names the counter (`challenge-ack`, `ack-too-old`).
 */
export function sendChallengeAck(cb: ControlBlock, now: number, reason: string): void {
  cb.host.count(reason);
  if (!cb.host.challengeAckAllowed(now)) {
    cb.host.count('challenge-ack-limited');
    return;
  }
  emitAck(cb, now);
}
