/**
 * Deferred accept: a SYN that reached an intercepting listener created with `defer: true` is
 * held, unanswered, until the user decides — the way slirp4netns and pasta first try the host
 * connection and only then complete (or refuse) the namespace's handshake. RFC 9293 §3.10.7.2
 * ("third, check for a SYN") is postponed, not changed: `accept()` runs it as for any SYN
 * (SYN-RECEIVED, SYN-ACK, later `accept`); `refuse()` answers as a closed port would (§3.10.7.1,
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>) or, for a destination the host cannot reach, with an
 * ICMP destination unreachable (RFC 1122 §4.2.3.9; RFC 792 code 1, RFC 4443 code 3).
 *
 * While pending, the peer's SYN retransmissions are absorbed (RFC 6298 §5 backs them off; the
 * first answer goes out once the user decides). Pending SYNs are bounded per listener and expire
 * after a timeout; both are deadlines and counters of the engine, never timers or callbacks.
 */

import type { IpAddress } from '../wire/address';
import { TcpFlag, type TcpOptions, type TcpRepr } from '../wire/tcp';
import type { TcpConnection } from './connection';
import type { TcpError, TcpEvent } from './events';
import type { TcpListener } from './listener';

/**
 * Pending SYNs per deferring listener. Each costs a few hundred bytes and, in the relay, one host
 * connection attempt; a SYN flood from the namespace must not grow either without bound (RFC 4987
 * §3). Linux's default SYN backlog (tcp_max_syn_backlog) is of the same order.
 */
export const MAX_DEFERRED_SYNS = 1024;

/**
 * How long a SYN may stay pending when the user neither accepts nor refuses it. A Linux client
 * retransmits its SYN at 1, 3, 7, 15, 31 s and gives up at about 127 s (tcp_syn_retries = 6); a
 * host connection attempt that has not succeeded within 75 s (BSD's connection-establishment
 * timer) will not. After expiry the SYN is forgotten silently: the client's next retransmission
 * starts over, or its own timeout ends the attempt.
 */
export const DEFERRED_SYN_TIMEOUT_MS = 75_000;

/** How a pending SYN is refused: a RST (ECONNREFUSED for the peer) or ICMP host unreachable. */
export type RefuseHow = 'reset' | 'unreachable';

export type PendingSynState = 'pending' | 'accepted' | 'refused' | 'expired' | 'abandoned';

/** What a pending SYN needs from the engine that holds it. */
export interface DeferredSynTable {
  acceptDeferred(p: PendingSyn): TcpConnection | TcpError<'EINVAL' | 'EADDRINUSE'>;
  refuseDeferred(p: PendingSyn, how: RefuseHow): boolean;
}

/**
 * One held SYN. `local`/`localPort` are the destination the peer asked for (the original
 * destination of an intercepted connection); `remote`/`remotePort` the peer.
 */
export class PendingSyn {
  state: PendingSynState = 'pending';
  /** SYN retransmissions absorbed while pending. */
  retransmissions = 0;

  constructor(
    private readonly table: DeferredSynTable,
    readonly listener: TcpListener,
    readonly local: IpAddress,
    readonly localPort: number,
    readonly remote: IpAddress,
    readonly remotePort: number,
    /** The latest SYN heard (header and options only; data on a SYN is not kept, see `engine.ts`). */
    public syn: TcpRepr,
    readonly arrivedAt: number,
    readonly expiresAt: number,
  ) {}

  /** The options of the peer's SYN (MSS, window scale, SACK permitted, timestamps). */
  get options(): TcpOptions {
    return this.syn.options;
  }

  /**
   * Answers the SYN now: the connection enters SYN-RECEIVED and sends its SYN-ACK; an `accept`
   * event follows when the handshake completes. The connection is the caller's from here on: its
   * events (an `error` if the handshake fails, `closed`) are reported even before `accept`.
   * EINVAL when no longer pending (expired, refused, listener closed); EADDRINUSE when the
   * 4-tuple has meanwhile become a connection.
   */
  accept(): TcpConnection | TcpError<'EINVAL' | 'EADDRINUSE'> {
    return this.table.acceptDeferred(this);
  }

  /** Refuses the SYN (see `RefuseHow`); false when it was no longer pending. */
  refuse(how: RefuseHow = 'reset'): boolean {
    return this.table.refuseDeferred(this, how);
  }

  toString(): string {
    return `SYN ${this.remote}:${this.remotePort}→${this.local}:${this.localPort} (${this.state})`;
  }
}

/** A copy of `seg` without its payload, so the driver's frame can be reused (ownership stays here). */
function synHeader(seg: TcpRepr): TcpRepr {
  return { ...seg, options: { ...seg.options }, payload: new Uint8Array(0) };
}

function holdKey(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): string {
  return `${local.key}|${localPort}|${remote.key}|${remotePort}`;
}

/**
 * A refused SYN to answer with ICMP destination unreachable (host unreachable: RFC 792 code 1,
 * RFC 4443 code 3 "address unreachable") from `src` (the destination the peer asked for) to `dst`.
 */
export interface TcpUnreachableOut {
  src: IpAddress;
  dst: IpAddress;
  /** The SYN, re-emitted as the quoted transport header (its checksum is recomputed). */
  syn: TcpRepr;
}

/** What the table of held SYNs reports through (the engine). */
export interface DeferredSynHost {
  emit(ev: TcpEvent): void;
  count(name: string): void;
}

/** The engine's held SYNs, by 4-tuple. */
export class DeferredSyns {
  private readonly held = new Map<string, PendingSyn>();

  constructor(
    private readonly table: DeferredSynTable,
    private readonly host: DeferredSynHost,
  ) {}

  /**
   * A segment from `remote` to `local`: when it is a SYN (no ACK, no RST) for a held 4-tuple it is
   * absorbed (true) — a retransmission, or a new SYN from a peer that started over, whose
   * sequence number then replaces the held one. Anything else is the listener's (false).
   */
  absorb(local: IpAddress, remote: IpAddress, seg: TcpRepr): boolean {
    if (this.held.size === 0) return false;
    const p = this.held.get(holdKey(local, seg.dstPort, remote, seg.srcPort));
    if (p === undefined || (seg.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return false;
    p.retransmissions++;
    if (seg.seq !== p.syn.seq) p.syn = synHeader(seg);
    this.host.count('deferred-syn-absorbed');
    return true;
  }

  /** Holds a SYN that reached a deferring listener and reports it, unless the listener's bound is reached. */
  hold(listener: TcpListener, remote: IpAddress, local: IpAddress, seg: TcpRepr, now: number, timeoutMs: number): void {
    if (listener.deferredSyns >= MAX_DEFERRED_SYNS) {
      this.host.count('deferred-syn-dropped-full');
      return;
    }
    const p = new PendingSyn(this.table, listener, local, seg.dstPort, remote, seg.srcPort, synHeader(seg), now, now + timeoutMs);
    this.held.set(holdKey(local, seg.dstPort, remote, seg.srcPort), p);
    listener.deferredSyns++;
    this.host.count('deferred-syn');
    this.host.emit({ kind: 'syn', listener, pending: p });
  }

  /** Forgets a pending SYN, leaving it in `state`; false when it was no longer pending. */
  settle(p: PendingSyn, state: Exclude<PendingSynState, 'pending'>): boolean {
    if (p.state !== 'pending') return false;
    p.state = state;
    p.listener.deferredSyns--;
    this.held.delete(holdKey(p.local, p.localPort, p.remote, p.remotePort));
    this.host.count(`deferred-syn-${state}`);
    return true;
  }

  /** Expires what is due, silently toward the peer, with a `syn-expired` event for the user. */
  expire(now: number): void {
    for (const p of this.held.values()) {
      if (p.expiresAt > now) continue;
      this.settle(p, 'expired');
      this.host.emit({ kind: 'syn-expired', listener: p.listener, pending: p });
    }
  }

  /** The earliest expiry; Infinity when nothing is held. */
  nextDeadline(): number {
    let t = Infinity;
    for (const p of this.held.values()) t = Math.min(t, p.expiresAt);
    return t;
  }

  /** The listener closed: its SYNs are abandoned without an answer (as a closed listener's queue). */
  dropListener(l: TcpListener): void {
    for (const p of this.held.values()) if (p.listener === l) this.settle(p, 'abandoned');
  }
}
