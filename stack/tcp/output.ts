/**
 * Sending (RFC 9293 §3.7 segmentation, §3.8.6 window management): building segments with the
 * current window and options, and deciding what may go out now — Nagle (§3.7.4), sender SWS
 * avoidance (§3.8.6.2.1), the congestion window (RFC 5681), receiver SWS avoidance for the
 * window we advertise (§3.8.6.2.2), piggybacked ACKs and FIN. Read those sections first.
 */

import debugFactory from 'debug';
import { TcpFlag, tcpHeaderLen, type TcpOptions, type TcpRepr } from '../wire/tcp';
import { transportHeadroom } from '../wire/payload';
import { type ControlBlock, MAX_UNSCALED_WINDOW, MAX_WINDOW_SCALE, NO_RETRANSMIT_TIMER } from './control-block';
import { seqAdd, seqDiff, seqGt, seqLt, seqMax } from './seq';
import { canSendData, isSynchronized } from './state';
import { rackTlpActive, scheduleProbe } from './tlp';

const log = debugFactory('usernet:tcp');

/** The payload of segments without data; zero bytes long, so shared safely. */
const NO_DATA = new Uint8Array(0);

/** The window-scale shift that lets `bufferSize` be advertised (RFC 7323 §2.2). */
export function windowScaleFor(bufferSize: number): number {
  let s = 0;
  while (s < MAX_WINDOW_SCALE && bufferSize >> s > MAX_UNSCALED_WINDOW) s++;
  return s;
}

/** Free receive buffer, limited to what the window field can express with our scale. */
function freeWindow(cb: ControlBlock): number {
  const free = Math.max(0, cb.opts.receiveBufferSize - cb.receiveQueued);
  return Math.min(free, MAX_UNSCALED_WINDOW << cb.rcvWscale);
}

/**
 * The window field for the next segment, with receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the
 * right edge moves only when it can move by at least min(buffer/2, MSS), and never moves left.
 */
export function advertisedWindow(cb: ControlBlock): number {
  const size = cb.opts.receiveBufferSize;
  const current = Math.max(0, seqDiff(cb.rcvAdvRight, cb.rcvNxt));
  const free = freeWindow(cb);
  let wnd = current;
  if (free - current >= Math.min(Math.floor(size / 2), cb.ourMss)) wnd = free;
  const field = Math.min(MAX_UNSCALED_WINDOW, wnd >> cb.rcvWscale);
  const right = seqAdd(cb.rcvNxt, field << cb.rcvWscale);
  if (seqGt(right, cb.rcvAdvRight)) cb.rcvAdvRight = right;
  return field;
}

/** The window a SYN or SYN-ACK offers (RFC 7323 §2.2: never scaled). */
export function synWindow(cb: ControlBlock): number {
  return Math.min(MAX_UNSCALED_WINDOW, cb.opts.receiveBufferSize);
}

/** True when reading has freed enough buffer that a window update is worth a segment. */
export function windowUpdateDue(cb: ControlBlock): boolean {
  const size = cb.opts.receiveBufferSize;
  const current = Math.max(0, seqDiff(cb.rcvAdvRight, cb.rcvNxt));
  const free = freeWindow(cb);
  return free - current >= Math.min(Math.floor(size / 2), cb.ourMss);
}

/** Builds and queues one segment; every segment after the SYN carries an ACK (RFC 9293 §3.10.7). */
export function emitSegment(cb: ControlBlock, seq: number, flags: number, payload: Uint8Array, now: number): void {
  cb.host.transmit({ src: cb.local, dst: cb.remote, repr: buildSegment(cb, seq, flags, payload, now) });
}

/**
 * Builds and queues a segment carrying the `len` bytes of the send buffer at `seq`. They are
 * copied once, straight from the user's chunks into the buffer that becomes the frame, behind
 * room for the TCP header and the headers below it (`TcpSegmentOut.segment`).
 */
function emitDataSegment(cb: ControlBlock, seq: number, flags: number, len: number, now: number): void {
  if (len === 0) {
    emitSegment(cb, seq, flags, NO_DATA, now);
    return;
  }
  const repr = buildSegment(cb, seq, flags, NO_DATA, now);
  const hl = tcpHeaderLen(repr);
  const headroom = transportHeadroom(cb.local.family);
  const bytes = headroom + hl + len;
  const segment = (cb.host.env.frameBuffer?.(cb.remote, bytes) ?? new Uint8Array(bytes)).subarray(headroom);
  cb.sendBuffer.copyInto(seqDiff(seq, cb.bufSeq), len, segment, hl);
  repr.payload = segment.subarray(hl);
  cb.host.transmit({ src: cb.local, dst: cb.remote, repr, segment, headroom });
}

/** The segment `emitSegment` sends, with its side effects on the block (ACK sent, window). */
function buildSegment(cb: ControlBlock, seq: number, flags: number, payload: Uint8Array, now: number): TcpRepr {
  const syn = (flags & TcpFlag.SYN) !== 0;
  const options: TcpOptions = {};
  let window: number;
  if (syn) {
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    window = synWindow(cb);
    if ((flags & TcpFlag.ACK) !== 0) cb.rcvAdvRight = seqAdd(cb.rcvNxt, window);
    options.mss = cb.ourMss;
    const o = cb.host.options;
    const synAck = (flags & TcpFlag.ACK) !== 0;
    // On a SYN-ACK only echo what the peer offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    if (synAck ? cb.offeredWscale !== undefined : o.windowScaling) {
      options.windowScale = cb.rcvWscale;
    }
    if (synAck ? cb.sackEnabled : o.sack) options.sackPermitted = true;
    if (synAck ? cb.tsEnabled : o.timestamps) options.timestamp = { tsVal: cb.tsNow(now), tsEcr: cb.tsRecent };
  } else {
    window = advertisedWindow(cb);
    // RFC 7323 §3.2: once negotiated, TSopt "MUST be sent in every non-<RST> segment ... and
    // SHOULD be sent in an <RST> segment"; Linux sends it on RSTs too.
    if (cb.tsEnabled) options.timestamp = { tsVal: cb.tsNow(now), tsEcr: cb.tsRecent };
    if (cb.sackEnabled && (flags & TcpFlag.ACK) !== 0 && cb.reassembly.count > 0) {
      // RFC 2018 §3: at most 3 blocks fit beside a timestamp option, 4 without.
      options.sack = cb.reassembly.sackBlocks(cb.tsEnabled ? 3 : 4);
    }
  }
  const ack = (flags & TcpFlag.ACK) !== 0 ? cb.rcvNxt : 0;
  const repr: TcpRepr = {
    srcPort: cb.localPort,
    dstPort: cb.remotePort,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags,
    window,
    urgent: 0,
    options,
    payload,
  };
  if ((flags & TcpFlag.ACK) !== 0) {
    cb.lastAckSent = cb.rcvNxt;
    cb.ackNow = false;
    cb.delayedAckAt = Infinity;
    cb.unackedSegments = 0;
  }
  cb.segmentsOut++;
  return repr;
}

/** Sends our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) at ISS. */
export function emitSyn(cb: ControlBlock, now: number): void {
  const flags = cb.state === 'SYN-RECEIVED' ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN;
  emitSegment(cb, cb.iss, flags, NO_DATA, now);
  if (cb.rtxTimer.kind === 'none') cb.rtxTimer = { kind: 'retransmit', at: now + cb.rtt.rto };
}

/**
 * A bare ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, where SND.NXT is the highest sequence number
 * sent (SND.MAX) — not one rewound by a retransmission timeout. The peer may already have
 * received up to SND.MAX; an ACK carrying a lower sequence number is "not acceptable" to it
 * (RFC 9293 §3.10.7.4) and answered with an ACK, and when both ends have rewound (each retrying
 * after a timeout) every answer is in turn unacceptable to the other: an ACK war. BSD sends pure
 * ACKs at snd_max for this reason; Linux never rewinds snd_nxt. (Found by `make soak SEED=1901`.)
 */
export function emitAck(cb: ControlBlock, now: number): void {
  emitSegment(cb, cb.sndMax, TcpFlag.ACK, NO_DATA, now);
}

/** <SEQ=SND.NXT><CTL=RST> (RFC 9293 §3.10.4 ABORT), at SND.MAX for the reason `emitAck` gives. */
export function emitReset(cb: ControlBlock, now: number): void {
  emitSegment(cb, cb.sndMax, TcpFlag.RST | TcpFlag.ACK, NO_DATA, now);
  cb.host.count('rst-sent');
}

/**
 * Sends everything that may go now: data within min(SND.WND, cwnd), our FIN after the last
 * byte, and a pending ACK if nothing else carried it. Arms the retransmission or persist timer.
 */
export function transmitReady(cb: ControlBlock, now: number): void {
  let sentAck = false;
  if (canSendData(cb.state)) sentAck = sendData(cb, now);
  if (cb.ackNow && !sentAck && isSynchronized(cb.state)) emitAck(cb, now);
}

function sendData(cb: ControlBlock, now: number): boolean {
  let sent = false;
  const mss = cb.currentMss;
  const largest = largestSegment(cb, mss);
  for (;;) {
    let retransmitRun = Infinity;
    if (seqLt(cb.sndNxt, cb.sndMax) && cb.scoreboard.size > 0) {
      // Resending after a timeout: leave out what the peer has SACKed (RFC 2018 §5).
      const next = cb.scoreboard.skipSacked(cb.sndNxt);
      if (next !== cb.sndNxt) cb.sndNxt = seqLt(next, cb.sndMax) ? next : cb.sndMax;
      retransmitRun = cb.scoreboard.runLength(cb.sndNxt);
    }
    const available = seqDiff(cb.sndEnd, cb.sndNxt);
    // Bytes in flight. While resending after a timeout, SACKed ranges skipped over are not in
    // flight (RFC 6675 §4's "pipe", simplified); in fast recovery NewReno's inflation counts them.
    const resending = seqLt(cb.sndNxt, cb.sndMax) && cb.scoreboard.size > 0;
    const flight = cb.flightSize - (resending ? cb.scoreboard.sackedBelow(cb.sndNxt) : 0);
    const usable = Math.min(cb.sndWnd, cb.cc.cwnd + limitedTransmit(cb)) - flight;
    if (available <= 0) break;
    // New data may go in segments of several MSS for the link to cut (TSO); each is a whole
    // multiple of the MSS, and the tail left over goes as a segment of its own, as without TSO.
    let len = Math.min(seqLt(cb.sndNxt, cb.sndMax) ? mss : largest, available, Math.max(0, usable), retransmitRun);
    if (len > mss) len -= len % mss;
    if (len <= 0) {
      // Zero window with nothing in flight: only the persist timer can learn when it opens.
      if (flight === 0 && cb.sndWnd === 0 && cb.rtxTimer.kind !== 'persist') {
        cb.rtxTimer = { kind: 'persist', at: now + cb.rtt.rto, backoff: 0 };
      }
      break;
    }
    const last = len === available;
    // Resent data went out once already; Nagle and SWS avoidance concern new data only.
    if (len < mss && !seqLt(cb.sndNxt, cb.sndMax)) {
      // RFC 9293 §3.7.4 (Nagle): with unacknowledged data, hold a sub-MSS segment.
      // Deviation: Minshall's variant, as Linux — hold it only while an earlier *sub-MSS*
      // segment is unacknowledged, so a write of n·MSS + a tail goes out whole.
      if (!cb.opts.noDelay && flight > 0 && seqGt(cb.sndSml, cb.sndUna)) break;
      // §3.8.6.2.1 (sender SWS): send if it is all we have, ≥ half the largest window offered,
      // or nothing is in flight. Deviation: the last case stands in for the override timeout.
      if (!last && len < cb.maxSndWnd / 2 && flight > 0) break;
    }
    const fin = last && cb.finQueued;
    sendSegmentAt(cb, cb.sndNxt, len, fin, now);
    sent = true;
  }
  if (cb.finQueued && seqDiff(cb.sndNxt, cb.sndEnd) === 0) {
    // Our FIN, alone, after the last byte (RFC 9293 §3.10.4 CLOSE).
    sendSegmentAt(cb, cb.sndNxt, 0, true, now);
    sent = true;
  }
  if (cb.rtxTimer.kind === 'persist' && cb.sndWnd > 0 && seqDiff(cb.sndEnd, cb.sndNxt) <= 0) {
    cb.rtxTimer = NO_RETRANSMIT_TIMER;
  }
  return sent;
}

/**
 * The most data one new segment may carry: the MSS, or — when the route's link does TCP
 * segmentation offload (`TcpEnvironment.tcpSegmentationFor`) — as many whole MSS as fit in the
 * largest packet the link takes (Linux's TSO sizing, without its pacing-rate bound). The MSS
 * stays the unit of congestion control, Nagle and SACK; only the segment handed to the link is
 * bigger. Only while the MSS is the one the link's MTU gives (the peer's MSS option is no
 * smaller), because the link cuts at its MTU: each piece then carries exactly one MSS.
 */
function largestSegment(cb: ControlBlock, mss: number): number {
  const env = cb.host.env;
  const packet = env.tcpSegmentationFor?.(cb.local, cb.remote) ?? 0;
  if (packet <= 0) return mss;
  const mtu = env.mtuFor(cb.local, cb.remote);
  const mtuMss = mtu - (cb.local.family === 4 ? 40 : 60);
  if (cb.peerMss < mtuMss || packet <= mtu) return mss;
  // A packet of k segments' data has one set of headers: mtu − mss bytes of them.
  return (Math.floor((packet - mtu) / mss) + 1) * mss;
}

/** RFC 3042: new segments the first duplicate ACKs may each send beyond cwnd. */
const LIMITED_TRANSMIT_SEGMENTS = 2;

/**
 * RFC 3042 Limited Transmit (RFC 5681 §3.2: the sender SHOULD use it): after the first and the
 * second duplicate ACK, one new segment each may go beyond cwnd (the peer's window still
 * applies), so a small window draws enough duplicate ACKs for fast retransmit instead of waiting
 * for the RTO. Only new data; cwnd itself is not changed.
 */
function limitedTransmit(cb: ControlBlock): number {
  if (cb.inRecovery || cb.dupAcks === 0 || cb.dupAcks > LIMITED_TRANSMIT_SEGMENTS || seqLt(cb.sndNxt, cb.sndMax)) return 0;
  return cb.dupAcks * cb.effectiveMss;
}

/** Sends `len` bytes (plus FIN) at `seq` = SND.NXT and advances SND.NXT and SND.MAX. */
function sendSegmentAt(cb: ControlBlock, seq: number, len: number, fin: boolean, now: number): void {
  const retransmission = seqLt(seq, cb.sndMax);
  let flags = TcpFlag.ACK;
  if (len > 0 && seqAdd(seq, len) === cb.sndEnd) flags |= TcpFlag.PSH;
  if (fin) flags |= TcpFlag.FIN;
  emitDataSegment(cb, seq, flags, len, now);
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  if (len < cb.currentMss) cb.sndSml = end;
  if (retransmission) {
    cb.retransmits++;
    cb.host.count('retransmits');
    // Karn (RFC 6298 §3): a timed segment that is resent gives no sample.
    if (cb.rttSeq !== undefined && seqGt(cb.rttSeq, seq)) cb.rttSeq = undefined;
    log('%s retransmit seq=%d len=%d', cb, seq, len);
  } else if (cb.rttSeq === undefined) {
    cb.rttSeq = end;
    cb.rttTime = now;
  }
  cb.sndNxt = end;
  cb.sndMax = seqMax(cb.sndMax, end);
  if (cb.unackedSince === Infinity) cb.unackedSince = now;
  if (cb.rtxTimer.kind !== 'retransmit') cb.rtxTimer = { kind: 'retransmit', at: now + cb.rtt.rto };
  if (rackTlpActive(cb)) {
    // RFC 8985 §5.2: each segment's transmit time; §7.2: new data (re)schedules the probe.
    cb.rack.onTransmit(seq, end, now, retransmission);
    if (!retransmission) scheduleProbe(cb, now);
  }
}

/**
 * Sends one segment of new data at SND.NXT if the peer's window allows it, whatever cwnd says
 * (RFC 8985 §7.3: a tail loss probe). Returns false when there is no new data or no room.
 */
export function sendNewSegment(cb: ControlBlock, now: number): boolean {
  if (seqLt(cb.sndNxt, cb.sndMax)) return false;
  const available = seqDiff(cb.sndEnd, cb.sndNxt);
  const len = Math.min(cb.currentMss, available, cb.sndWnd - cb.flightSize);
  if (len <= 0) return false;
  const fin = len === available && cb.finQueued;
  sendSegmentAt(cb, cb.sndNxt, len, fin, now);
  return true;
}

/** Resends one segment at SND.UNA (fast retransmit, NewReno partial ACK), leaving SND.NXT alone. */
export function retransmitFirst(cb: ControlBlock, now: number): void {
  retransmitAt(cb, cb.sndUna, cb.currentMss, now);
}

/**
 * Resends up to `maxLen` bytes at `seq` (below SND.MAX), stopping before the next SACKed range,
 * with our FIN when the segment reaches it and it was sent; SND.NXT is left alone. Returns the
 * sequence space resent (0: nothing).
 */
export function retransmitAt(cb: ControlBlock, seq: number, maxLen: number, now: number): number {
  // Only what was sent before (below SND.MAX): bytes beyond it would be new data sent without
  // the window check and without SND.MAX knowing — the peer's ACK for them would then look like
  // an ACK of unsent data, and our ACKs would carry sequence numbers behind what it received.
  // (`make soak SEED=1901`: with the peer's window full after 1264 bytes, a tail-loss probe
  // resent one MSS, 1428 bytes, from SND.UNA, and the two ends exchanged ACKs without end.)
  const len = Math.max(0, Math.min(maxLen, cb.currentMss, seqDiff(cb.sndEnd, seq), seqDiff(cb.sndMax, seq), cb.scoreboard.runLength(seq)));
  const fin = cb.finQueued && seqAdd(seq, len) === cb.sndEnd && cb.finSent;
  if (len === 0 && !fin) return 0;
  let flags = TcpFlag.ACK;
  if (fin) flags |= TcpFlag.FIN;
  emitDataSegment(cb, seq, flags, len, now);
  cb.retransmits++;
  cb.host.count('retransmits');
  if (cb.rttSeq !== undefined && seqGt(cb.rttSeq, seq)) cb.rttSeq = undefined;
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  if (rackTlpActive(cb)) cb.rack.onTransmit(seq, end, now, true);
  return len + (fin ? 1 : 0);
}
