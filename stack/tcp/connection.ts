/**
 * A TCP connection as its user (the `net` layer) sees it: RFC 9293 §3.9.1's user calls shaped
 * like the libuv TCP handle Node's `lib/net.js` sits on — `send` (write), `shutdown`, `close`,
 * `abort`, `readStart`/`readStop`, `setNoDelay`, `setKeepAlive`, `setUserTimeout` — plus `stats()`
 * with what `ss -ti` shows. User calls carry no time; output they cause goes out at the next
 * `poll`, except a reset, which is sent at once.
 */

import { type TcpError, tcpError, type SendErrorCode } from './events';
import { ControlBlock } from './control-block';
import type { KeepAliveOptions } from './options';
import { emitReset } from './output';
import { seqDiff } from './seq';
import { canQueueSend, isSynchronized, type TcpState } from './state';
import { keepaliveState } from './timers';

/** What `ss -ti` reports for a kernel socket. Times in ms, sizes in bytes. */
export interface TcpConnectionStats {
  state: TcpState;
  cwnd: number;
  ssthresh: number;
  srtt: number | undefined;
  rttvar: number;
  rto: number;
  bytesInFlight: number;
  retransmits: number;
  bytesAcked: number;
  bytesReceived: number;
  segmentsIn: number;
  segmentsOut: number;
  /** Effective send MSS, and the MSS we announced. */
  mss: number;
  rcvMss: number;
  /** The window we advertise and the peer's, in bytes. */
  rcvWnd: number;
  sndWnd: number;
  sndWscale: number;
  rcvWscale: number;
  timestamps: boolean;
  sack: boolean;
  /** Bytes queued but not yet sent, and bytes waiting for the user to read. */
  notSent: number;
  receiveQueued: number;
}

export class TcpConnection extends ControlBlock {
  get conn(): TcpConnection {
    return this;
  }

  /**
   * Queues `data` for sending; returns how many bytes were taken (0: wait for `writable`).
   * The engine keeps a reference to the bytes it took: the caller must not modify them.
   */
  send(data: Uint8Array): number | TcpError<SendErrorCode> {
    if (this.state === 'CLOSED' || this.closedReported) return tcpError('ENOTCONN');
    if (this.finQueued || !canQueueSend(this.state)) return tcpError('EPIPE');
    const n = this.sendBuffer.push(data);
    if (n < data.length) this.writeBlocked = true;
    if (n > 0) this.host.wake(this);
    return n;
  }

  /** Bytes `send()` would accept now. */
  get writableLength(): number {
    return this.sendBuffer.free;
  }

  /**
   * Closes our sending direction: our FIN follows the queued data (RFC 9293 §3.10.4 CLOSE).
   * Receiving continues until the peer's FIN.
   */
  shutdown(): TcpError<'ENOTCONN'> | undefined {
    if (this.finQueued) return undefined;
    switch (this.state) {
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
        // "Queue for processing after entering ESTABLISHED state."
        this.finQueued = true;
        return undefined;
      case 'ESTABLISHED':
        this.finQueued = true;
        this.setState('FIN-WAIT-1', 'shutdown');
        break;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.setState('LAST-ACK', 'shutdown');
        break;
      default:
        return tcpError('ENOTCONN');
    }
    this.host.wake(this);
    return undefined;
  }

  /**
   * Full close: the user is done with the connection and gets `closed` now; the engine finishes
   * the FIN exchange on its own. With received data still unread, or data arriving later, the
   * connection is reset instead (RFC 1122 §4.2.2.13: "its TCP SHOULD send a RST").
   */
  close(): void {
    if (this.closedReported) return;
    if (this.state === 'SYN-SENT' || this.state === 'CLOSED') {
      this.terminate('close'); // RFC 9293 §3.10.4: in SYN-SENT, delete the TCB.
      return;
    }
    if (this.receiveQueued > 0) {
      this.host.count('close-with-unread-data');
      this.abort();
      return;
    }
    this.orphaned = true;
    this.shutdown();
    if (this.state === 'FIN-WAIT-2') this.finWait2At = this.host.lastNow + this.host.options.finWait2TimeoutMs;
    this.reportClosed();
  }

  /** RFC 9293 §3.10.5 ABORT: send <SEQ=SND.NXT><CTL=RST> where the peer knows us, then CLOSED. */
  abort(): void {
    if (this.state === 'CLOSED') {
      this.reportClosed();
      return;
    }
    if (this.state === 'SYN-RECEIVED' || (isSynchronized(this.state) && this.state !== 'TIME-WAIT')) {
      emitReset(this, this.host.lastNow);
    }
    this.terminate('abort');
  }

  /** Starts delivering `data` events, first whatever waited in the receive buffer. */
  readStart(): void {
    if (this.reading) return;
    this.reading = true;
    const queued = this.receiveQueue;
    this.receiveQueue = [];
    this.receiveQueued = 0;
    for (const chunk of queued) this.emit({ kind: 'data', conn: this, chunk });
    if (this.peerFinPending) {
      this.peerFinPending = false;
      this.emit({ kind: 'peer-fin', conn: this });
    }
    // The window reopens: poll sends a window update if it grew enough (RFC 9293 §3.8.6.2.2).
    this.host.wake(this);
  }

  /** Stops `data` events; received bytes stay in the receive buffer and the window closes. */
  readStop(): void {
    this.reading = false;
  }

  /** Nagle's algorithm off (true) or on (RFC 9293 §3.7.4). */
  setNoDelay(noDelay = true): void {
    this.opts = { ...this.opts, noDelay };
    if (noDelay) this.host.wake(this);
  }

  /** RFC 1122 §4.2.3.6; unspecified fields keep their current values. */
  setKeepAlive(ka: Partial<KeepAliveOptions>): void {
    const keepAlive = { ...this.opts.keepAlive, ...ka };
    this.opts = { ...this.opts, keepAlive };
    this.keepaliveProbes = 0;
    this.keepaliveAt = keepAlive.enable && keepaliveState(this) ? Math.max(this.lastHeard, this.host.lastNow) + keepAlive.idleMs : Infinity;
  }

  /** RFC 5482 user timeout (Linux TCP_USER_TIMEOUT); 0 turns it off. */
  setUserTimeout(ms: number): void {
    this.opts = { ...this.opts, userTimeoutMs: Math.max(0, ms) };
  }

  stats(): TcpConnectionStats {
    return {
      state: this.state,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      srtt: this.rtt.srtt,
      rttvar: this.rtt.rttvar,
      rto: this.rtt.rto,
      bytesInFlight: Math.max(0, seqDiff(this.sndMax, this.sndUna)),
      retransmits: this.retransmits,
      bytesAcked: this.bytesAcked,
      bytesReceived: this.bytesReceived,
      segmentsIn: this.segmentsIn,
      segmentsOut: this.segmentsOut,
      mss: this.effectiveMss,
      rcvMss: this.ourMss,
      rcvWnd: Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt)),
      sndWnd: this.sndWnd,
      sndWscale: this.sndWscale,
      rcvWscale: this.rcvWscale,
      timestamps: this.tsEnabled,
      sack: this.sackEnabled,
      notSent: Math.max(0, seqDiff(this.sndEnd, this.sndNxt)),
      receiveQueued: this.receiveQueued,
    };
  }
}
