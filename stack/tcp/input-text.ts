/**
 * Segment arrival, the seventh and eighth steps (RFC 9293 §3.10.7.4, "process the segment text",
 * "check the FIN bit"): in-order data to the user (or the bounded receive queue while reading is
 * stopped), out-of-order data to reassembly, the ACK policy of §3.8.6.3 / RFC 5681 §4.2, and the
 * peer's FIN with the state changes it causes.
 */

import { TcpFlag, type TcpRepr } from '../wire/tcp';
import { NO_RETRANSMIT_TIMER, type ControlBlock } from './control-block';
import { emitAck, emitReset, windowUpdateDue } from './output';
import { seqAdd, seqDiff, seqGt, seqLt } from './seq';
import { acceptsText } from './state';

/**
 * Processes text and FIN of an acceptable segment. Returns false when the connection ended here
 * (data arriving after the user's full close is answered with a RST).
 */
export function processTextAndFin(cb: ControlBlock, seg: TcpRepr, now: number): boolean {
  let payload = seg.payload;
  let seq = seg.seq;
  if ((seg.flags & TcpFlag.SYN) !== 0) seq = seqAdd(seq, 1);
  const finSeq = seqAdd(seq, payload.length);
  const fin = (seg.flags & TcpFlag.FIN) !== 0;

  // Seventh: segment text, only in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2.
  if (payload.length > 0 && acceptsText(cb.state)) {
    if (cb.orphaned) {
      // Deviation: as Linux, data for a socket the user has fully closed resets the connection
      // (RFC 9293 §3.10.4 leaves the receive side of a CLOSEd connection undefined).
      emitReset(cb, now);
      cb.terminate('data after close');
      return false;
    }
    // Trim what precedes RCV.NXT and what lies beyond the advertised window.
    const skip = seqDiff(cb.rcvNxt, seq);
    if (skip > 0) {
      payload = payload.subarray(Math.min(skip, payload.length));
      seq = cb.rcvNxt;
    }
    const room = Math.max(0, seqDiff(cb.rcvAdvRight, seq));
    if (payload.length > room) payload = payload.subarray(0, room);
    if (payload.length > 0) {
      if (seq === cb.rcvNxt) {
        const hadHoles = cb.reassembly.count > 0;
        deliver(cb, payload);
        for (const chunk of cb.reassembly.takeFrom(cb.rcvNxt)) deliver(cb, chunk);
        if (hadHoles) {
          cb.ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills a hole.
        } else {
          // RFC 9293 §3.8.6.3: an ACK for at least every second segment, else within the delay.
          // Deviation (as Linux's quick ACKs at the start, `__tcp_ack_snd_check`): with window
          // scaling, when the window the peer knows has shrunk below one MSS while the buffer has
          // room (a reader took the data), the window update (§3.8.6.2.2) goes at once instead of
          // after the delay. This is the handshake's window, never scaled (RFC 7323 §2.2): 64 KiB
          // is one segment on a 64 KiB-MTU link, and the sender would wait out the delay.
          cb.unackedSegments++;
          const windowBlocked = cb.rcvWscale > 0 && seqDiff(cb.rcvAdvRight, cb.rcvNxt) < cb.ourMss && windowUpdateDue(cb);
          if (cb.unackedSegments >= 2 || windowBlocked) cb.ackNow = true;
          else cb.delayedAckAt = Math.min(cb.delayedAckAt, now + cb.host.options.delayedAckMs);
        }
      } else if (seqGt(seq, cb.rcvNxt)) {
        // Out of order: hold a copy (ownership moves here; the packet is the caller's unless
        // the link gave it away), and send a duplicate ACK at once (RFC 5681 §4.2).
        cb.reassembly.insert(seq, cb.host.payloadOwned ? payload : payload.slice());
        cb.host.count('out-of-order');
        cb.ackNow = true;
      }
    } else {
      cb.ackNow = true; // Entirely old or beyond the window: tell the peer where we are.
    }
  }

  // Text after the peer's FIN: "This should not occur … Ignore the segment text"; we still
  // acknowledge, so a confused peer learns where we are.
  if (payload.length > 0 && !acceptsText(cb.state)) cb.ackNow = true;

  // Eighth: the FIN bit. A FIN ahead of missing data waits for the hole to fill.
  if (fin && !trimmedFin(cb, seg, finSeq)) {
    if (seqGt(finSeq, cb.rcvNxt)) cb.peerFinSeq = finSeq;
  }
  if (cb.peerFinSeq !== undefined && cb.peerFinSeq === cb.rcvNxt) {
    cb.peerFinSeq = undefined;
    finArrives(cb, now);
  }
  return true;
}

/** A FIN whose position lies beyond what we accepted (RFC 9293: trimmed with the text). */
function trimmedFin(cb: ControlBlock, seg: TcpRepr, finSeq: number): boolean {
  if (cb.state === 'CLOSED' || cb.state === 'LISTEN' || cb.state === 'SYN-SENT') return true;
  if (seqLt(finSeq, cb.rcvNxt)) return true; // an old FIN (already processed)
  if (seqGt(finSeq, cb.rcvAdvRight)) return true;
  if (seg.payload.length > 0 && !acceptsText(cb.state)) return true;
  if (cb.peerFinSeq === undefined && finSeq === cb.rcvNxt) cb.peerFinSeq = finSeq;
  return false;
}

/** In-order bytes: to the user now, or to the bounded receive queue while reading is stopped. */
function deliver(cb: ControlBlock, bytes: Uint8Array): void {
  // Ownership moves here: the segment's payload is a view into the caller's packet, copied
  // unless the caller gave the packet away (`TcpEngine.input`'s `payloadOwned`), as the
  // out-of-order path above decides too.
  const chunk = cb.host.payloadOwned ? bytes : bytes.slice();
  cb.rcvNxt = seqAdd(cb.rcvNxt, chunk.length);
  cb.bytesReceived += chunk.length;
  if (cb.reading && cb.receiveQueued === 0) {
    cb.emit({ kind: 'data', conn: cb.conn, chunk });
  } else {
    cb.receiveQueue.push(chunk);
    cb.receiveQueued += chunk.length;
  }
}

/** RFC 9293 §3.10.7.4, eighth: the peer's FIN is next in sequence. */
function finArrives(cb: ControlBlock, now: number): void {
  cb.rcvNxt = seqAdd(cb.rcvNxt, 1);
  cb.ackNow = true;
  // "Signal the user 'connection closing'" — after any data still waiting to be read.
  if (cb.receiveQueued === 0) cb.emit({ kind: 'peer-fin', conn: cb.conn });
  else cb.peerFinPending = true;
  switch (cb.state) {
    case 'SYN-RECEIVED':
    case 'ESTABLISHED':
      cb.setState('CLOSE-WAIT', 'FIN received');
      break;
    case 'FIN-WAIT-1':
      // Our FIN not yet acknowledged: simultaneous close (RFC 9293 §3.6, Figure 13).
      if (cb.finSent && cb.sndUna === cb.sndMax) enterTimeWait(cb, now, 'FIN received, ours acked');
      else cb.setState('CLOSING', 'FIN received (simultaneous close)');
      break;
    case 'FIN-WAIT-2':
      enterTimeWait(cb, now, 'FIN received');
      break;
    case 'TIME-WAIT':
      cb.timeWaitAt = now + 2 * cb.host.options.mslMs;
      break;
    default:
      break; // CLOSE-WAIT, CLOSING, LAST-ACK: remain.
  }
}

/**
 * RFC 9293 §3.6.1: TIME-WAIT lasts 2·MSL; other timers stop. The user is told the connection is
 * closed. When the engine's TIME-WAIT table is full the block is reclaimed at once (as Linux does
 * past tcp_max_tw_buckets).
 */
export function enterTimeWait(cb: ControlBlock, now: number, cause: string): void {
  if (cb.ackNow) emitAck(cb, now);
  cb.rtxTimer = NO_RETRANSMIT_TIMER;
  cb.keepaliveAt = cb.finWait2At = cb.delayedAckAt = Infinity;
  cb.unackedSince = Infinity;
  cb.reassembly.clear();
  if (!cb.host.timeWaitRoom()) {
    cb.host.count('time-wait-overflow');
    cb.terminate(`${cause}; TIME-WAIT table full`);
    return;
  }
  cb.setState('TIME-WAIT', cause);
  cb.timeWaitAt = now + 2 * cb.host.options.mslMs;
  cb.reportClosed();
}
