/**
 * Segment arrival for an existing connection, RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (the
 * other states), step by step in the RFC's order: sequence number, RST, (security), SYN, ACK,
 * URG, text, FIN. Read §3.10.7 with RFC 5961 (blind attacks) and RFC 7323 §5 (PAWS) first.
 * LISTEN and CLOSED (no connection) are handled by the engine (`engine.ts`, `reset.ts`).
 */

import debugFactory from 'debug';
import { TcpFlag, type TcpRepr } from '../wire/tcp';
import { sendChallengeAck } from './challenge-ack';
import { NO_RETRANSMIT_TIMER, type ControlBlock } from './control-block';
import { processAck } from './input-ack';
import { enterTimeWait, processTextAndFin } from './input-text';
import { negotiateFromSynAck } from './negotiate';
import { emitAck, emitSegment, emitSyn, synWindow } from './output';
import { inWindow, seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq';
import { touchKeepalive } from './timers';

const log = debugFactory('usernet:tcp');

function has(seg: TcpRepr, flag: number): boolean {
  return (seg.flags & flag) !== 0;
}

/** SEG.LEN: the octets of data plus one each for SYN and FIN (RFC 9293 §3.4). */
export function segmentLength(seg: TcpRepr): number {
  return seg.payload.length + (has(seg, TcpFlag.SYN) ? 1 : 0) + (has(seg, TcpFlag.FIN) ? 1 : 0);
}

/** A segment for a connection in any state but LISTEN and CLOSED. */
export function segmentArrives(cb: ControlBlock, seg: TcpRepr, now: number): void {
  cb.segmentsIn++;
  if (cb.state === 'SYN-SENT') synSentArrives(cb, seg, now);
  else otherStateArrives(cb, seg, now);
}

/** Our reply to an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>. */
function resetForAck(cb: ControlBlock, seg: TcpRepr, now: number): void {
  emitSegment(cb, seg.ack, TcpFlag.RST, new Uint8Array(0), now);
  cb.host.count('rst-sent');
}

/** RFC 9293 §3.10.7.3. */
function synSentArrives(cb: ControlBlock, seg: TcpRepr, now: number): void {
  // First, check the ACK bit: it must acknowledge our SYN and nothing beyond it.
  const ackOn = has(seg, TcpFlag.ACK);
  if (ackOn && (seqLe(seg.ack, cb.iss) || seqGt(seg.ack, cb.sndNxt))) {
    if (!has(seg, TcpFlag.RST)) resetForAck(cb, seg, now);
    return;
  }
  // Second, the RST bit: only with an acceptable ACK (RFC 5961 §3.2 keeps this rule).
  if (has(seg, TcpFlag.RST)) {
    if (ackOn) cb.fail('ECONNREFUSED', 'RST in SYN-SENT');
    return;
  }
  // Third (security) does not apply. Fourth, the SYN bit.
  if (!has(seg, TcpFlag.SYN)) return;
  cb.irs = seg.seq;
  cb.rcvNxt = seqAdd(seg.seq, 1);
  cb.rcvAdvRight = seqAdd(cb.rcvNxt, synWindow(cb)); // what our SYN offered
  negotiateFromSynAck(cb, seg);
  cb.sndWnd = seg.window; // RFC 7323 §2.2: never scaled in a SYN.
  cb.maxSndWnd = cb.sndWnd;
  cb.sndWl1 = seg.seq;
  cb.sndWl2 = seg.ack;
  if (ackOn) {
    cb.sndUna = seg.ack;
    if (cb.retries === 0) cb.rtt.sample(now - cb.rttTime);
  }
  if (seqGt(cb.sndUna, cb.iss)) {
    // Our SYN is acknowledged: ESTABLISHED; "form an ACK segment and send it".
    cb.rtxTimer = NO_RETRANSMIT_TIMER;
    cb.retries = 0;
    cb.rttSeq = undefined;
    cb.recover = cb.sndUna;
    cb.setState('ESTABLISHED', 'SYN-ACK received');
    cb.emit({ kind: 'established', conn: cb.conn });
    touchKeepalive(cb, now);
    afterEstablished(cb);
    cb.ackNow = true;
    // "If there are other controls or text in the segment, continue processing at the sixth step."
    processTextAndFin(cb, { ...seg, flags: seg.flags & ~TcpFlag.SYN, seq: cb.rcvNxt }, now);
  } else {
    // Simultaneous open (RFC 9293 §3.5, Figure 7): SYN-RECEIVED, answer with SYN-ACK.
    cb.setState('SYN-RECEIVED', 'SYN received (simultaneous open)');
    cb.rtxTimer = NO_RETRANSMIT_TIMER;
    emitSyn(cb, now);
  }
}

/** A queued shutdown takes effect once the handshake is done (RFC 9293 §3.10.4, SYN-RECEIVED). */
export function afterEstablished(cb: ControlBlock): void {
  if (cb.finQueued && cb.state === 'ESTABLISHED') cb.setState('FIN-WAIT-1', 'queued close');
}

/** RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states. */
function otherStateArrives(cb: ControlBlock, seg: TcpRepr, now: number): void {
  const rst = has(seg, TcpFlag.RST);
  const segLen = segmentLength(seg);

  // A retransmitted SYN for a half-open connection: our SYN-ACK was lost, send it again.
  if (cb.state === 'SYN-RECEIVED' && has(seg, TcpFlag.SYN) && !has(seg, TcpFlag.ACK) && !rst && seg.seq === cb.irs) {
    emitSyn(cb, now);
    return;
  }

  // RFC 7323 §5.3 (PAWS), before the sequence check: a timestamp older than TS.Recent is an old
  // duplicate. R1–R3; the 24-day idle rule (§5.5) is not applied.
  const ts = seg.options.timestamp;
  if (cb.tsEnabled && ts !== undefined && !rst && seqLt(ts.tsVal, cb.tsRecent)) {
    cb.host.count('paws-rejected');
    emitAck(cb, now);
    return;
  }

  // First, check the sequence number (the four cases of §3.10.7.4, "Segment Receive Test").
  const rcvWnd = Math.max(0, seqDiff(cb.rcvAdvRight, cb.rcvNxt));
  if (!acceptable(seg.seq, segLen, cb.rcvNxt, rcvWnd)) {
    // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
    // (unless the RST bit is set)". In TIME-WAIT a retransmitted FIN also restarts 2·MSL.
    if (!rst) {
      if (cb.state === 'TIME-WAIT' && has(seg, TcpFlag.FIN)) cb.timeWaitAt = now + 2 * cb.host.options.mslMs;
      cb.host.count('out-of-window');
      emitAck(cb, now);
    }
    return;
  }
  // RFC 7323 §4.3: remember the peer's timestamp if this segment covers Last.ACK.sent.
  if (cb.tsEnabled && ts !== undefined && seqLe(seg.seq, cb.lastAckSent)) cb.tsRecent = ts.tsVal;
  touchKeepalive(cb, now);

  // Second, check the RST bit (RFC 5961 §3.2: exactly RCV.NXT resets, elsewhere in the window
  // draws a challenge ACK).
  if (rst) {
    if (seg.seq !== cb.rcvNxt) {
      sendChallengeAck(cb, now, 'challenge-ack');
      return;
    }
    resetArrives(cb);
    return;
  }

  // Third, security: not applicable. Fourth, check the SYN bit (RFC 5961 §4.2).
  if (has(seg, TcpFlag.SYN)) {
    if (cb.state === 'SYN-RECEIVED' && cb.passive) {
      cb.terminate('SYN in window (return to LISTEN)');
      return;
    }
    sendChallengeAck(cb, now, 'challenge-ack');
    return;
  }

  // Fifth, check the ACK field: "if the ACK bit is off, drop the segment and return".
  if (!has(seg, TcpFlag.ACK)) return;
  switch (cb.state) {
    case 'SYN-RECEIVED':
      // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ... otherwise <SEQ=SEG.ACK><CTL=RST>".
      if (!(seqLt(cb.sndUna, seg.ack) && seqLe(seg.ack, cb.sndNxt))) {
        resetForAck(cb, seg, now);
        return;
      }
      if (cb.passive && !cb.host.admit(cb)) {
        cb.host.count('accept-queue-full');
        return;
      }
      if (cb.retries === 0) cb.rtt.sample(now - cb.rttTime);
      cb.sndUna = seg.ack;
      cb.sndWnd = seg.window << cb.sndWscale;
      cb.maxSndWnd = cb.sndWnd;
      cb.sndWl1 = seg.seq;
      cb.sndWl2 = seg.ack;
      cb.rtxTimer = NO_RETRANSMIT_TIMER;
      cb.retries = 0;
      cb.rttSeq = undefined;
      cb.recover = cb.sndUna;
      cb.setState('ESTABLISHED', 'ACK of SYN-ACK');
      if (!cb.passive) cb.emit({ kind: 'established', conn: cb.conn });
      touchKeepalive(cb, now);
      afterEstablished(cb);
      break;
    case 'ESTABLISHED':
    case 'CLOSE-WAIT':
    case 'FIN-WAIT-2':
      if (!processAck(cb, seg, now)) return;
      break;
    case 'FIN-WAIT-1':
      if (!processAck(cb, seg, now)) return;
      // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
      if (cb.finSent && cb.sndUna === cb.sndMax) {
        cb.setState('FIN-WAIT-2', 'our FIN acked');
        if (cb.orphaned) cb.finWait2At = now + cb.host.options.finWait2TimeoutMs;
      }
      break;
    case 'CLOSING':
      if (!processAck(cb, seg, now)) return;
      if (cb.finSent && cb.sndUna === cb.sndMax) enterTimeWait(cb, now, 'our FIN acked');
      return;
    case 'LAST-ACK':
      if (!processAck(cb, seg, now)) return;
      if (cb.finSent && cb.sndUna === cb.sndMax) cb.terminate('our FIN acked');
      return;
    case 'TIME-WAIT':
      // Only a retransmitted FIN can arrive here; it is acknowledged below (eighth step).
      break;
    default:
      return;
  }

  // Sixth, the URG bit: urgent data is delivered inline (as SO_OOBINLINE); RCV.UP is not kept.
  // Seventh and eighth: segment text and the FIN bit.
  if (!processTextAndFin(cb, seg, now)) return;
  log('%s in %s: rcv.nxt=%d snd.una=%d', cb, cb.state, cb.rcvNxt, cb.sndUna);
}

/** The four cases of RFC 9293 §3.10.7.4's acceptability test. */
export function acceptable(seq: number, len: number, rcvNxt: number, rcvWnd: number): boolean {
  if (len === 0) return rcvWnd === 0 ? seq === rcvNxt : inWindow(seq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return false;
  return inWindow(seq, rcvNxt, rcvWnd) || inWindow(seqAdd(seq, len - 1), rcvNxt, rcvWnd);
}

/** RFC 9293 §3.10.7.4, second step, per state: one switch, one arm per group of states. */
function resetArrives(cb: ControlBlock): void {
  cb.host.count('rst-received');
  switch (cb.state) {
    case 'SYN-RECEIVED':
      // Passive: "return this connection to LISTEN state" — the listener still listens; the
      // half-open block is deleted. Active (simultaneous open): "connection refused".
      if (cb.passive) cb.terminate('RST in SYN-RECEIVED');
      else cb.fail('ECONNREFUSED', 'RST in SYN-RECEIVED');
      return;
    case 'ESTABLISHED':
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'CLOSE-WAIT':
      // "Any outstanding RECEIVEs and SEND should receive 'reset' responses ... enter CLOSED".
      cb.fail('ECONNRESET', `RST in ${cb.state}`);
      return;
    case 'CLOSING':
    case 'LAST-ACK':
    case 'TIME-WAIT':
      // "enter the CLOSED state, delete the TCB, and return".
      cb.terminate(`RST in ${cb.state}`);
      return;
    default:
      return;
  }
}
