/**
 * RACK-TLP in the connection (RFC 8985 §6–§9): runs RACK's steps on each ACK, the reordering
 * timer and the probe timer, and turns RACK's loss marks into retransmissions inside fast
 * recovery — entered once per episode with the congestion controller's `onLoss` (RFC 8985 §9.3,
 * RFC 6675 §5) — with RFC 6675's pipe bounding how much is resent at once. The RTO stays the
 * last resort. Read RFC 8985 §6–§9 and RFC 6675 §4–§5 before editing; the algorithm's state is in
 * `rack.ts` and `tlp.ts`.
 */

import debugFactory from 'debug';
import type { TcpRepr } from '../wire/tcp';
import type { ControlBlock } from './control-block';
import { retransmitAt, sendNewSegment } from './output';
import { dsackBlock } from './rack';
import { seqAdd, seqDiff, seqGe, seqGt, seqLt, seqMax } from './seq';
import { isSynchronized } from './state';
import { probeAcknowledged, rackTlpActive, scheduleProbe } from './tlp';

const logCc = debugFactory('usernet:tcp:cc');

/** RFC 5681 §3.2 DupThresh, as input-ack.ts counts it. */
const DUP_THRESH = 3;

/** What the ACK changed before the usual processing; taken by `rackBeforeAck`. */
export interface RackAckContext {
  wasInRecovery: boolean;
  dsack: { left: number; right: number } | undefined;
}

/**
 * RFC 8985 §6.2 steps 1–3, before SND.UNA moves: which transmitted segments this ACK delivered
 * (cumulatively or by SACK, the scoreboard already updated), and RACK's most recent delivery.
 */
export function rackBeforeAck(cb: ControlBlock, seg: TcpRepr, now: number): RackAckContext {
  const ts = seg.options.timestamp;
  const tsEcr = cb.tsEnabled && ts !== undefined && ts.tsEcr !== 0 ? ts.tsEcr : undefined;
  const una = seqGt(seg.ack, cb.sndUna) ? seg.ack : cb.sndUna;
  cb.rack.onAck(una, now, cb.scoreboard.size > 0 ? cb.scoreboard : undefined, tsEcr, cb);
  return { wasInRecovery: cb.inRecovery, dsack: dsackBlock(seg.options.sack, seg.ack) };
}

/**
 * RFC 8985 §6.2 steps 4–5 and §7.4 after the ACK's usual processing: the reordering window,
 * loss marking (and the reordering timer for what is not yet due), retransmission of what is
 * lost, the TLP episode, and the next PTO.
 */
export function rackAfterAck(cb: ControlBlock, seg: TcpRepr, ctx: RackAckContext, advanced: boolean, sackedNew: boolean, now: number): void {
  if (probeAcknowledged(cb, seg.ack, ctx.dsack, advanced, sackedNew) && !cb.inRecovery) {
    // §7.4.2: the probe repaired a tail loss; the loss still calls for one cwnd reduction.
    cb.host.count('tlp-recoveries');
    logCc('%s loss repaired by the tail loss probe', cb);
    cb.cc.onLoss(cb.flightSize, now);
    cb.cc.onRecoveryEnd(cb.flightSize);
  }
  detectAndRepair(cb, ctx.dsack !== undefined, ctx.wasInRecovery && !cb.inRecovery, now);
  scheduleProbe(cb, now);
}

/** Step 4–5 and the retransmissions; shared by ACK arrival and the reordering timer. */
function detectAndRepair(cb: ControlBlock, dsack: boolean, recoveryEnded: boolean, now: number): void {
  const rack = cb.rack;
  const recovering = cb.inRecovery || !seqGe(cb.sndUna, cb.recover);
  const dupThreshReached = cb.dupAcks >= DUP_THRESH || cb.scoreboard.sackedBelow(cb.sndMax) > (DUP_THRESH - 1) * cb.effectiveMss;
  const reoWnd = rack.reorderWindow(cb.sndUna, cb.sndNxt, dsack, recoveryEnded, recovering, dupThreshReached, cb.rtt.srtt);
  const marked = rack.detectLoss(now, reoWnd); // §6.2 step 5 / §8: also arms the reordering timer
  if (marked > 0) {
    for (let i = 0; i < marked; i++) cb.host.count('rack-lost');
    logCc('%s RACK marked %d segment(s) lost (reo_wnd=%dms)', cb, marked, reoWnd);
  }
  if (!rack.hasLostBelow(cb.sndNxt)) return;
  const entered = enterRecovery(cb, now);
  retransmitLost(cb, entered, now);
}

/**
 * RFC 8985 §9.3 with RFC 6675 §5: the first loss RACK marks outside recovery starts fast
 * recovery, with one `onLoss`; losses found within the episode (or during RTO recovery, whose
 * `recover` point SND.UNA has not passed) are repaired without another reduction.
 */
function enterRecovery(cb: ControlBlock, now: number): boolean {
  if (cb.inRecovery || !seqGe(cb.sndUna, cb.recover)) return false;
  cb.inRecovery = true;
  cb.recover = cb.sndMax;
  cb.host.count('fast-retransmits');
  cb.host.count('rack-recoveries');
  cb.cc.onLoss(cb.flightSize, now);
  logCc('%s RACK: recovery to %d', cb, cb.recover);
  return true;
}

/**
 * Resends the segments RACK marked lost, lowest first (RFC 6675 §4 NextSeg rule 1), while pipe
 * leaves room in the post-loss window. The first retransmission of an episode goes regardless, as
 * RFC 5681 §3.2's fast retransmit does. Segments at or above SND.NXT (after an RTO rewound it)
 * are left to the RTO's resending.
 *
 * The window used is min(cwnd, ssthresh): RFC 6675 §5 sets cwnd = ssthresh on entering recovery
 * and counts pipe against it, while the NewReno and CUBIC controllers inflate cwnd for each
 * duplicate ACK (RFC 5681 §3.2 step 4) — inflation that pipe, which leaves SACKed data out,
 * already accounts for. After an RTO cwnd is the smaller.
 */
function retransmitLost(cb: ControlBlock, force: boolean, now: number): void {
  let budget = Math.min(cb.cc.cwnd, cb.cc.ssthresh) - cb.rack.pipe();
  let first = force;
  for (const r of cb.rack.lostBelow(cb.sndNxt)) {
    let s = cb.scoreboard.skipSacked(r.start);
    while (seqLt(s, r.end)) {
      const len = Math.min(cb.currentMss, seqDiff(r.end, s));
      if (!first && budget < len) return;
      const sent = retransmitAt(cb, s, len, now);
      if (sent === 0) break;
      cb.host.count('rack-retransmits');
      first = false;
      budget -= sent;
      s = cb.scoreboard.skipSacked(seqAdd(s, sent));
    }
  }
}

/** §6.2 step 5 / §8: the reordering timer expired; what was waiting on it may now be lost. */
export function onReorderTimeout(cb: ControlBlock, now: number): void {
  cb.rack.reorderAt = Infinity;
  if (!rackTlpActive(cb) || !isSynchronized(cb.state) || cb.sndUna === cb.sndMax) return;
  detectAndRepair(cb, false, false, now);
}

/**
 * §7.3: the PTO expired. Sends one new segment if there is one the peer's window allows (cwnd
 * does not apply to the probe), else the last segment sent again; begins a TLP episode and
 * re-arms the RTO.
 */
export function onProbeTimeout(cb: ControlBlock, now: number): void {
  const tlp = cb.tlp;
  tlp.probeAt = Infinity;
  if (!rackTlpActive(cb) || !isSynchronized(cb.state) || !seqGt(cb.sndMax, cb.sndUna) || cb.inRecovery || tlp.endSeq !== undefined) return;
  let isRetrans = false;
  if (!sendNewSegment(cb, now)) {
    const records = cb.rack.records;
    const last = records[records.length - 1];
    const mss = cb.currentMss;
    let start = seqMax(cb.sndUna, seqAdd(cb.sndMax, -mss));
    if (last !== undefined) start = seqMax(start, last.start);
    // A FIN-only segment sits at SND.END; a data segment never reaches past it.
    const len = Math.max(0, seqDiff(cb.sndEnd, start));
    if (retransmitAt(cb, start, Math.min(mss, len), now) === 0) return;
    isRetrans = true;
  }
  tlp.endSeq = cb.sndNxt;
  tlp.isRetrans = isRetrans;
  tlp.probeAt = Infinity;
  cb.host.count('tail-loss-probes');
  logCc('%s tail loss probe (%s), end=%d', cb, isRetrans ? 'last segment' : 'new data', tlp.endSeq);
  // §7.3: "arm the RTO timer" for the probe.
  cb.rtxTimer = { kind: 'retransmit', at: now + cb.rtt.rto };
}

/** RFC 8985 §6.3 on RTO: the outstanding segments are lost; any TLP episode and timers end. */
export function rackOnRto(cb: ControlBlock): void {
  cb.rack.markAllLost();
  cb.tlp.endSeq = undefined;
  cb.tlp.probeAt = Infinity;
}
