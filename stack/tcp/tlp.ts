/**
 * Tail Loss Probe (RFC 8985 §7): when the last segments of a flight are lost there is nothing
 * after them to draw SACKs, so RACK cannot see the loss and only the RTO would. A probe sent
 * after PTO ≈ 2·SRTT — new data, else the last segment again — draws an ACK whose SACK lets RACK
 * repair the tail. This module holds the TLP variables (§7.1), schedules the probe timer (§7.2)
 * and judges whether a probe repaired a loss (§7.4). Sending the probe (§7.3) is in
 * `rack-recovery.ts`. Read RFC 8985 §7 before editing.
 */

import type { ControlBlock } from './control-block';
import { seqDiff, seqGe, seqGt, seqLe } from './seq';
import { isSynchronized } from './state';

/** WCDelAckT (§7.2): the worst-case delayed-ACK timer of the peer, 200 ms as RFC 8985 recommends. */
export const WORST_CASE_DELAYED_ACK_MS = 200;
/** §7.2: PTO when there is no RTT sample yet. */
export const PTO_WITHOUT_RTT_MS = 1000;
/** Deviation: as Linux (TCP_TIMEOUT_MIN), a PTO is never shorter than 2 ms, so a sub-ms SRTT cannot make the probe fire with the ACK still on its way. */
export const MIN_PTO_MS = 2;

export class TailLossProbe {
  /** TLP.end_seq: SND.NXT when the probe was sent; undefined outside a TLP episode. */
  endSeq: number | undefined;
  /** TLP.is_retrans: the probe was a retransmission. */
  isRetrans = false;
  /** The PTO timer, a deadline. */
  probeAt = Infinity;
}

/** RACK-TLP runs on this connection: the engine option, and SACK negotiated (RFC 8985 §4 requires it). */
export function rackTlpActive(cb: ControlBlock): boolean {
  return cb.host.options.rackTlp && cb.sackEnabled;
}

/** §7.2 TLP_calc_PTO, without the RTO clamp. */
export function probeTimeout(cb: ControlBlock): number {
  const srtt = cb.rtt.srtt;
  if (srtt === undefined) return PTO_WITHOUT_RTT_MS;
  let pto = 2 * srtt;
  if (seqDiff(cb.sndMax, cb.sndUna) <= cb.effectiveMss) pto += WORST_CASE_DELAYED_ACK_MS;
  return Math.max(pto, MIN_PTO_MS);
}

/**
 * §7.2: (re)arms the PTO after new data went out or an ACK arrived, when the connection is in
 * the open state (no fast or RTO recovery), no TLP episode is in progress, data is outstanding
 * and the RTO is running. Otherwise disarms it.
 *
 * Deviation: when the PTO would expire at or after the RTO, no probe is scheduled and the RTO
 * stays the one timer (RFC 8985 §7.2 and Linux fire the probe at the RTO's time instead and push
 * the RTO one more RTO away; the RTO resends the same data and keeps the last resort where it was).
 */
export function scheduleProbe(cb: ControlBlock, now: number): void {
  const tlp = cb.tlp;
  tlp.probeAt = Infinity;
  if (!rackTlpActive(cb) || !isSynchronized(cb.state) || cb.state === 'SYN-RECEIVED') return;
  if (cb.inRecovery || !seqGe(cb.sndUna, cb.recover) || cb.retries > 0) return;
  if (tlp.endSeq !== undefined) return;
  if (!seqGt(cb.sndMax, cb.sndUna) || cb.rtxTimer.kind !== 'retransmit') return;
  const at = now + probeTimeout(cb);
  if (at >= cb.rtxTimer.at) return;
  tlp.probeAt = at;
}

/**
 * §7.4 on every ACK: decides whether the episode is over and whether the probe repaired a loss.
 * Returns true when it did — the original was lost and the probe delivered it — so the caller
 * reduces cwnd once (§7.4.2: "invoke the congestion control's response").
 *
 * Deviation, as Linux (tcp_process_tlp_ack): a retransmitted probe counts as a repair only once
 * the ACK passes TLP.end_seq with no D-SACK of it seen; an ACK exactly at TLP.end_seq waits for
 * the D-SACK the duplicate would draw, unless it is a plain duplicate ACK (both copies arrived at
 * a peer that sends no D-SACK).
 */
export function probeAcknowledged(cb: ControlBlock, ack: number, dsack: { left: number; right: number } | undefined, advanced: boolean, sackedNew: boolean): boolean {
  const tlp = cb.tlp;
  if (tlp.endSeq === undefined) return false;
  if (!tlp.isRetrans) {
    // A new-data probe: any loss it reveals is RACK's to find.
    if (seqGe(ack, tlp.endSeq)) tlp.endSeq = undefined;
    return false;
  }
  if (dsack !== undefined && seqLe(dsack.right, tlp.endSeq)) {
    // §7.4.1: the D-SACK reports the probe's copy: nothing was lost.
    tlp.endSeq = undefined;
    return false;
  }
  if (seqGt(ack, tlp.endSeq)) {
    tlp.endSeq = undefined;
    return true;
  }
  if (ack === tlp.endSeq && !advanced && !sackedNew) tlp.endSeq = undefined;
  return false;
}
