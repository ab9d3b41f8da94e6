/**
 * Passive OPEN (RFC 9293 §3.10.7.2, a segment for a LISTEN socket): RST ignored, ACK reset (unless
 * it returns a SYN cookie), SYN into SYN-RECEIVED with our SYN-ACK; a SYN for a deferring
 * listener is held (`deferred.ts`); a SYN beyond the half-open bound is answered with a SYN
 * cookie (RFC 4987 §3.6, `syn-cookie.ts`) or dropped. Read RFC 9293 §3.10.7.2 before editing.
 */

import type { IpAddress } from '../wire/address';
import { TcpFlag, type TcpRepr } from '../wire/tcp';
import type { ControlBlock } from './control-block';
import { TcpConnection } from './connection';
import type { DeferredSyns } from './deferred';
import type { TcpHost } from './host';
import { segmentArrives } from './input';
import type { TcpListener } from './listener';
import { negotiateFromSyn } from './negotiate';
import { emitSyn, transmitReady } from './output';
import { resetFor } from './reset';
import { seqAdd } from './seq';
import { COOKIE_MAX_AGE, COOKIE_PERIOD_MS, connectionFromCookie, cookieSynAck, SynCookies } from './syn-cookie';
import type { ConnectionTable } from './tuples';

export class PassiveOpen {
  /** RFC 4987 §3.6; its secret is drawn at the first SYN cookie. */
  private cookies: SynCookies | undefined;

  /** `initSend` sets ISS and the send variables that start from it (the engine's ISN source). */
  constructor(
    private readonly host: TcpHost,
    private readonly connections: ConnectionTable<TcpConnection>,
    private readonly deferred: DeferredSyns,
    private readonly initSend: (cb: ControlBlock, now: number) => void,
  ) {}

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  arrives(listener: TcpListener, src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number): void {
    // First, check for a RST: "An incoming RST segment could not be valid ... ignored".
    if ((seg.flags & TcpFlag.RST) !== 0) return;
    // Second, check for an ACK: "Any acknowledgment is bad ... <SEQ=SEG.ACK><CTL=RST>".
    if ((seg.flags & TcpFlag.ACK) !== 0) {
      // …unless it returns a SYN cookie (RFC 4987 §3.6), which stands for the missing block.
      if ((seg.flags & TcpFlag.SYN) === 0 && this.cookieAckArrives(listener, src, dst, seg, now)) return;
      const rst = resetFor(seg);
      if (rst !== null) this.host.transmit({ src: dst, dst: src, repr: rst });
      this.host.count('rst-sent');
      return;
    }
    // Third, check for a SYN (security/compartment checks do not apply).
    if ((seg.flags & TcpFlag.SYN) === 0) return;
    if (listener.defer) return this.deferred.hold(listener, src, dst, seg, now, listener.deferTimeoutMs);
    if (listener.halfOpen >= listener.backlog) {
      this.synFloodArrives(listener, src, dst, seg, now);
      return;
    }
    this.open(listener, src, dst, seg, now);
  }

  /** SYN-RECEIVED for `seg`, SYN-ACK sent (RFC 9293 §3.10.7.2, "third, check for a SYN"). */
  open(listener: TcpListener, src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number): TcpConnection {
    const cb = new TcpConnection(this.host, dst, seg.dstPort, src, seg.srcPort, listener.connectionOptions, true);
    cb.state = 'LISTEN';
    cb.listener = listener;
    cb.irs = seg.seq;
    cb.rcvNxt = seqAdd(seg.seq, 1);
    cb.rcvAdvRight = cb.rcvNxt;
    this.initSend(cb, now);
    negotiateFromSyn(cb, seg);
    cb.sndWnd = seg.window; // RFC 7323 §2.2: the window of a SYN is never scaled.
    // Deviation: data on the SYN is not queued (as Linux without TCP Fast Open); it is not
    // acknowledged, so the peer sends it again after the handshake.
    this.connections.add(cb);
    listener.halfOpen++;
    cb.setState('SYN-RECEIVED', 'SYN received');
    cb.lastHeard = now;
    emitSyn(cb, now);
    return cb;
  }

  /**
   * RFC 4987 §3.6: the half-open queue is full — answer with a SYN cookie and keep no state. As on
   * Linux, a SYN is still dropped when the accept queue is full too (or cookies are off).
   */
  private synFloodArrives(listener: TcpListener, src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number): void {
    const host = this.host;
    if (!host.options.synCookies || listener.pendingAccepts >= listener.backlog) {
      host.count('syn-dropped-half-open-full');
      return;
    }
    this.cookies ??= new SynCookies(() => host.random32());
    listener.cookieSentAt = now;
    host.count('syn-cookies-sent');
    host.transmit({ src: dst, dst: src, repr: cookieSynAck(host, this.cookies, dst, src, seg, listener.connectionOptions, now) });
  }

  /**
   * An ACK at a listener that sent cookies lately: when it returns a valid cookie, the connection
   * is rebuilt and the ACK completes its handshake (into ESTABLISHED, reported by `accept`).
   * Returns false when the ACK is not a cookie's, so the caller resets it.
   */
  private cookieAckArrives(listener: TcpListener, src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number): boolean {
    if (this.cookies === undefined || now - listener.cookieSentAt >= COOKIE_MAX_AGE * COOKIE_PERIOD_MS) return false;
    const cb = connectionFromCookie(this.host, this.cookies, listener, src, dst, seg, now);
    if (cb === null) {
      this.host.count('syn-cookies-failed');
      return false;
    }
    if (listener.pendingAccepts >= listener.backlog) {
      // As for a half-open block (see the engine's `admit`): ignored, the peer's retransmission tries again.
      this.host.count('accept-queue-full');
      return true;
    }
    this.host.count('syn-cookies-recv');
    this.connections.add(cb);
    listener.halfOpen++;
    cb.setState('SYN-RECEIVED', 'valid SYN cookie');
    cb.lastHeard = now;
    segmentArrives(cb, seg, now);
    if (cb.state !== 'CLOSED') transmitReady(cb, now);
    return true;
  }
}
