/**
 * Segment arrival, the fifth step (RFC 9293 §3.10.7.4, "check the ACK field") for the
 * synchronized states: ACK acceptance (with RFC 5961 §5.2's lower bound), the send-window update,
 * RTT samples (RFC 6298, RFC 7323 §4.1), releasing acknowledged bytes, duplicate-ACK counting,
 * fast retransmit and NewReno recovery (RFC 5681 §3.2, RFC 6582 §3.2).
 */

import debugFactory from 'debug';
import { TcpFlag, type TcpRepr } from '../wire/tcp';
import { sendChallengeAck } from './challenge-ack';
import { NO_RETRANSMIT_TIMER, type ControlBlock } from './control-block';
import { emitAck, retransmitFirst } from './output';
import { rackAfterAck, rackBeforeAck } from './rack-recovery';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq';
import { rackTlpActive } from './tlp';

const logCc = debugFactory('usernet:tcp:cc');

/** Duplicate ACKs that trigger fast retransmit (RFC 5681 §3.2). */
export const DUPACK_THRESHOLD = 3;

/**
 * Processes SEG.ACK in a synchronized state. Returns false when the segment must be dropped here
 * (RFC 9293: "If the ACK acks something not yet sent ... send an ACK, drop the segment, and return").
 */
export function processAck(cb: ControlBlock, seg: TcpRepr, now: number): boolean {
  const ack = seg.ack;
  // SND.NXT may have been rewound by a timeout; what was sent before still counts (SND.MAX).
  if (seqGt(ack, cb.sndMax)) {
    cb.host.count('ack-unsent');
    emitAck(cb, now);
    return false;
  }
  // RFC 5961 §5.2: an ACK older than SND.UNA − MAX.SND.WND is a blind-injection attempt.
  if (seqLt(ack, seqAdd(cb.sndUna, -Math.max(cb.maxSndWnd, 1)))) {
    sendChallengeAck(cb, now, 'ack-too-old');
    return false;
  }
  if (seqGt(ack, cb.sndNxt)) cb.sndNxt = ack;
  const sack = seg.options.sack;
  const newlySacked = cb.sackEnabled && sack !== undefined && sack.length > 0 ? cb.scoreboard.update(sack, cb.sndUna, cb.sndMax) : 0;
  // RFC 8985 §6.2 steps 1–3: what this ACK delivered, before SND.UNA moves.
  const rack = rackTlpActive(cb) ? rackBeforeAck(cb, seg, now) : undefined;

  // Send-window update (RFC 9293 §3.10.7.4 fifth, ESTABLISHED: SND.WL1/SND.WL2 guard against old segments).
  let windowChanged = false;
  if (seqLe(cb.sndUna, ack) && (seqLt(cb.sndWl1, seg.seq) || (cb.sndWl1 === seg.seq && seqLe(cb.sndWl2, ack)))) {
    const wnd = seg.window << cb.sndWscale;
    windowChanged = wnd !== cb.sndWnd;
    cb.sndWnd = wnd;
    cb.sndWl1 = seg.seq;
    cb.sndWl2 = ack;
    if (wnd > cb.maxSndWnd) cb.maxSndWnd = wnd;
    if (wnd > 0 && cb.rtxTimer.kind === 'persist') {
      cb.rtxTimer = NO_RETRANSMIT_TIMER;
      cb.retries = 0;
    }
  }
  // Any ACK from the peer answers a zero-window probe (MUST-67: keep probing while it answers).
  if (cb.rtxTimer.kind === 'persist') cb.retries = 0;

  const acked = seqDiff(ack, cb.sndUna);
  if (acked > 0) {
    newDataAcked(cb, seg, acked, now);
  } else if (
    acked === 0 &&
    seg.payload.length === 0 &&
    (seg.flags & (TcpFlag.SYN | TcpFlag.FIN)) === 0 &&
    seqGt(cb.sndMax, cb.sndUna) &&
    ((!windowChanged && cb.sndWnd > 0) || newlySacked > 0)
  ) {
    // RFC 5681 §2, "DUPLICATE ACKNOWLEDGMENT": all five conditions; or, with SACK, an ACK that
    // reports octets not SACKed before (RFC 6675 §2), whatever its window. Linux's receive
    // window grows with nearly every ACK while it auto-tunes its buffer, so the window condition
    // alone would discard most of its duplicate ACKs and leave losses to the RTO.
    duplicateAck(cb, now);
  }
  // RFC 8985 §6.2 steps 4–5, §7.4: loss marking, its retransmissions, the next probe.
  if (rack !== undefined) rackAfterAck(cb, seg, rack, acked > 0, newlySacked > 0, now);
  return true;
}

function newDataAcked(cb: ControlBlock, seg: TcpRepr, acked: number, now: number): void {
  const ack = seg.ack;
  // RTT: RFC 7323 §4.1 with timestamps, else the one timed segment (RFC 6298 §3, Karn).
  const ts = seg.options.timestamp;
  if (cb.tsEnabled && ts !== undefined && ts.tsEcr !== 0 && cb.retries === 0) {
    cb.rtt.sample(seqDiff(cb.tsNow(now), ts.tsEcr));
    cb.rttSeq = undefined;
  } else if (cb.rttSeq !== undefined && seqGe(ack, cb.rttSeq)) {
    cb.rtt.sample(now - cb.rttTime);
    cb.rttSeq = undefined;
  }
  const dataAcked = Math.min(cb.sendBuffer.length, Math.max(0, seqDiff(ack, cb.bufSeq)));
  cb.sendBuffer.consume(dataAcked);
  cb.bufSeq = seqAdd(cb.bufSeq, dataAcked);
  cb.bytesAcked += dataAcked;
  cb.sndUna = ack;
  cb.scoreboard.advance(ack);
  cb.retries = 0;
  const everythingAcked = cb.sndUna === cb.sndMax;
  // RFC 6298 §5.2–5.3: stop the timer when all is acknowledged, else restart it.
  if (everythingAcked) {
    if (cb.rtxTimer.kind === 'retransmit') cb.rtxTimer = NO_RETRANSMIT_TIMER;
    cb.unackedSince = Infinity;
  } else {
    cb.rtxTimer = { kind: 'retransmit', at: now + cb.rtt.rto };
    cb.unackedSince = now;
  }

  if (cb.inRecovery) {
    if (seqGe(ack, cb.recover)) {
      // RFC 6582 §3.2 step 6: full acknowledgment.
      cb.inRecovery = false;
      cb.dupAcks = 0;
      cb.cc.onRecoveryEnd(cb.flightSize);
    } else {
      // Step 5: a partial acknowledgment; resend the next hole at once — unless RACK already
      // resent it and has not judged that copy lost (RFC 8985 §6.2 step 5 decides when it is).
      const record = rackTlpActive(cb) ? cb.rack.recordAt(cb.sndUna) : undefined;
      if (record === undefined || !record.retransmitted || record.lost) {
        logCc('%s partial ack %d, retransmitting %d', cb, ack, cb.sndUna);
        retransmitFirst(cb, now);
      }
      cb.cc.onPartialAck(acked);
    }
  } else {
    cb.dupAcks = 0;
    cb.cc.onAck(acked, now);
  }

  if (cb.writeBlocked && cb.sendBuffer.free * 2 >= cb.sendBuffer.capacity) {
    cb.writeBlocked = false;
    cb.emit({ kind: 'writable', conn: cb.conn });
  }
  if (dataAcked > 0 && everythingAcked && cb.sendBuffer.length === 0) cb.emit({ kind: 'drained', conn: cb.conn });
}

function duplicateAck(cb: ControlBlock, now: number): void {
  cb.dupAcks++;
  if (cb.inRecovery) {
    // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network.
    cb.cc.onDupAck();
    return;
  }
  // RFC 6582 §3.2 step 2: only when the cumulative ACK covers the last recovery point.
  if (firstSegmentLost(cb) && seqGe(cb.sndUna, cb.recover)) {
    cb.inRecovery = true;
    cb.recover = cb.sndMax;
    cb.host.count('fast-retransmits');
    cb.cc.onLoss(cb.flightSize, now);
    retransmitFirst(cb, now);
  }
}

/**
 * RFC 6675 §5's trigger for loss recovery: DupThresh duplicate ACKs, or IsLost(SND.UNA) (§4):
 * more than (DupThresh − 1)·SMSS bytes above it SACKed. Linux delays and merges the SACKs it
 * sends while data is out of order, so several segments arriving after a hole may draw a single
 * duplicate ACK: counting ACKs alone would leave the loss to the retransmission timer.
 */
function firstSegmentLost(cb: ControlBlock): boolean {
  if (cb.dupAcks >= DUPACK_THRESHOLD) return true;
  return cb.sackEnabled && cb.scoreboard.sackedBelow(cb.sndMax) > (DUPACK_THRESHOLD - 1) * cb.effectiveMss;
}
