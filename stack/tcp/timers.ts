/**
 * Timers (RFC 9293 §3.8): retransmission with backoff (RFC 6298 §5) and the give-up that ends in
 * ETIMEDOUT (RFC 9293 §3.8.3, RFC 1122 §4.2.3.5), the persist timer and its zero-window probes
 * (§3.8.6.1), the delayed ACK (§3.8.6.3), keepalive (RFC 1122 §4.2.3.6), TIME-WAIT (§3.6.1),
 * the orphaned FIN-WAIT-2 timeout, and the user timeout (RFC 5482). Timers are deadlines on the
 * control block; this module says when the next one is due and what happens when it fires.
 */

import debugFactory from 'debug';
import { TcpFlag } from '../wire/tcp';
import type { ControlBlock } from './control-block';
import { emitReset, emitSegment, emitSyn, transmitReady } from './output';
import { onProbeTimeout, onReorderTimeout, rackOnRto } from './rack-recovery';
import { seqAdd, seqDiff } from './seq';

const log = debugFactory('usernet:tcp');

/** The earliest deadline of this connection; Infinity when none is set. */
export function deadlineOf(cb: ControlBlock): number {
  let t = Math.min(cb.delayedAckAt, cb.keepaliveAt, cb.timeWaitAt, cb.finWait2At, cb.rack.reorderAt, cb.tlp.probeAt);
  if (cb.rtxTimer.kind !== 'none') t = Math.min(t, cb.rtxTimer.at);
  if (cb.opts.userTimeoutMs > 0 && cb.unackedSince !== Infinity) t = Math.min(t, cb.unackedSince + cb.opts.userTimeoutMs);
  return t;
}

/** Fires every timer of `cb` that is due at `now`. */
export function fireTimers(cb: ControlBlock, now: number): void {
  if (cb.timeWaitAt <= now) {
    // RFC 9293 §3.10.8: "If the time-wait timeout expires on a connection, delete the TCB."
    cb.terminate('2MSL expired');
    return;
  }
  if (cb.finWait2At <= now) {
    // Deviation: an orphaned connection does not wait forever in FIN-WAIT-2 (Linux tcp_fin_timeout).
    cb.terminate('FIN-WAIT-2 timeout');
    return;
  }
  if (cb.opts.userTimeoutMs > 0 && cb.unackedSince !== Infinity && now - cb.unackedSince >= cb.opts.userTimeoutMs) {
    cb.fail('ETIMEDOUT', 'user timeout');
    return;
  }
  // RFC 8985 §6.2 step 5 and §7.3: the reordering timer and the probe timer, both ahead of the RTO.
  if (cb.rack.reorderAt <= now) onReorderTimeout(cb, now);
  if (cb.tlp.probeAt <= now) onProbeTimeout(cb, now);
  if (cb.rtxTimer.kind === 'retransmit' && cb.rtxTimer.at <= now) {
    onRetransmitTimeout(cb, now);
    if (cb.state === 'CLOSED') return;
  } else if (cb.rtxTimer.kind === 'persist' && cb.rtxTimer.at <= now) {
    onPersistTimeout(cb, now);
    if (cb.state === 'CLOSED') return;
  }
  if (cb.keepaliveAt <= now) {
    onKeepaliveTimeout(cb, now);
    if (cb.state === 'CLOSED') return;
  }
  if (cb.delayedAckAt <= now) {
    cb.delayedAckAt = Infinity;
    cb.ackNow = true;
    transmitReady(cb, now);
  }
}

/** RFC 6298 §5.4–5.6 and RFC 5681 §3.1: resend from SND.UNA with a backed-off timer. */
function onRetransmitTimeout(cb: ControlBlock, now: number): void {
  cb.retries++;
  const o = cb.host.options;
  const limit = cb.state === 'SYN-SENT' ? o.synRetries : cb.state === 'SYN-RECEIVED' ? o.synAckRetries : o.maxRetransmits;
  if (cb.retries > limit) {
    log('%s gave up after %d retransmissions', cb, cb.retries - 1);
    if (cb.state === 'SYN-RECEIVED' && cb.passive) cb.terminate('SYN-ACK not acknowledged');
    else cb.fail(cb.softError ?? 'ETIMEDOUT', 'retransmission limit');
    return;
  }
  cb.rtt.backoff();
  cb.rttSeq = undefined;
  cb.rtxTimer = { kind: 'retransmit', at: now + cb.rtt.rto };
  if (cb.state === 'SYN-SENT' || cb.state === 'SYN-RECEIVED') {
    cb.retransmits++;
    emitSyn(cb, now);
    return;
  }
  // Go back to SND.UNA; everything past it is presumed lost (RFC 6582 §3.2 step 4: recover = highest sent).
  cb.cc.onRto(seqDiff(cb.sndMax, cb.sndUna));
  cb.inRecovery = false;
  cb.dupAcks = 0;
  cb.recover = cb.sndMax;
  cb.sndNxt = cb.sndUna;
  rackOnRto(cb);
  // RFC 2018 §8: a timeout may mean the peer reneged on what it SACKed. Deviation: like Linux we
  // trust the scoreboard on the first timeout, and forget it from the second on.
  if (cb.retries > 1) cb.scoreboard.clear();
  transmitReady(cb, now);
}

/**
 * RFC 9293 §3.8.6.1: probe a zero window, backing off exponentially. Deviation: like Linux, the
 * probe carries no data (SEG.SEQ = SND.UNA − 1), which draws the same ACK with the current window
 * without putting a byte beyond the peer's window. Probes answered by ACKs never end the
 * connection (MUST-67); unanswered ones count toward the retransmission limit.
 */
function onPersistTimeout(cb: ControlBlock, now: number): void {
  if (cb.rtxTimer.kind !== 'persist') return;
  cb.retries++;
  if (cb.retries > cb.host.options.maxRetransmits) {
    cb.fail('ETIMEDOUT', 'zero-window probes unanswered');
    return;
  }
  const backoff = cb.rtxTimer.backoff + 1;
  emitSegment(cb, seqAdd(cb.sndUna, -1), TcpFlag.ACK, new Uint8Array(0), now);
  cb.host.count('window-probes');
  const interval = Math.min(cb.host.options.maxRtoMs, cb.rtt.rto * 2 ** backoff);
  cb.rtxTimer = { kind: 'persist', at: now + interval, backoff };
}

/**
 * RFC 1122 §4.2.3.6: after `idleMs` without hearing from the peer, send SEG.SEQ = SND.NXT − 1
 * with no data every `intervalMs`; after `count` unanswered probes abort with ETIMEDOUT (and,
 * like Linux, a RST in case the peer is still there).
 */
function onKeepaliveTimeout(cb: ControlBlock, now: number): void {
  const ka = cb.opts.keepAlive;
  if (!ka.enable || !keepaliveState(cb)) {
    cb.keepaliveAt = Infinity;
    return;
  }
  if (cb.flightSize > 0 || seqDiff(cb.sndEnd, cb.sndNxt) > 0) {
    // Data is outstanding: the retransmission timer watches the peer instead.
    cb.keepaliveAt = now + ka.idleMs;
    return;
  }
  if (cb.keepaliveProbes >= ka.count) {
    emitReset(cb, now);
    cb.fail('ETIMEDOUT', 'keepalive probes unanswered');
    return;
  }
  cb.keepaliveProbes++;
  cb.host.count('keepalive-probes');
  emitSegment(cb, seqAdd(cb.sndNxt, -1), TcpFlag.ACK, new Uint8Array(0), now);
  cb.keepaliveAt = now + ka.intervalMs;
}

/** States in which keepalive runs. */
export function keepaliveState(cb: ControlBlock): boolean {
  return cb.state === 'ESTABLISHED' || cb.state === 'CLOSE-WAIT' || cb.state === 'FIN-WAIT-2';
}

/** Restarts the keepalive idle clock (any segment from the peer). */
export function touchKeepalive(cb: ControlBlock, now: number): void {
  cb.lastHeard = now;
  cb.keepaliveProbes = 0;
  cb.keepaliveAt = cb.opts.keepAlive.enable && keepaliveState(cb) ? now + cb.opts.keepAlive.idleMs : Infinity;
}
