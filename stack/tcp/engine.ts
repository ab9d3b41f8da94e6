/**
 * The TCP engine: every connection and listener of one stack, the demultiplexer that routes
 * arriving segments to them (RFC 9293 §3.10.7; the table is `tuples.ts`), resets for segments
 * that match nothing (§3.10.7.1), active OPEN (§3.10.1; passive OPEN is `passive-open.ts`), ICMP
 * errors (`icmp-error.ts`), and the sans-IO surface the network layer drives: `input`, `poll`,
 * `nextDeadline`, `takeOutput`, `takeEvents`. Read DESIGN.md's "The core is sans-IO" before editing.
 */

import debugFactory from 'debug';
import { IpAddress } from '../wire/address';
import { TupleHash } from './hash';
import { TcpFlag, type TcpRepr } from '../wire/tcp';
import type { ControlBlock } from './control-block';
import { TcpConnection } from './connection';
import { type ConnectErrorCode, type ListenErrorCode, type TcpError, type TcpEvent, tcpError } from './events';
import type { TcpEnvironment, TcpHost, TcpSegmentOut } from './host';
import { segmentArrives } from './input';
import { ChallengeAckLimiter } from './challenge-ack';
import { IsnGenerator } from './isn';
import { DeferredSyns, type DeferredSynTable, type PendingSyn, type RefuseHow, type TcpUnreachableOut } from './deferred';
import { findListener, listenerConflict, type ListenerTable, TcpListener } from './listener';
import { prepareSyn } from './negotiate';
import { PassiveOpen } from './passive-open';
import { type TcpConnectionOptions, type TcpEngineOptions, mergeConnectionOptions, mergeEngineOptions } from './options';
import { emitSyn, transmitReady, windowUpdateDue } from './output';
import { EphemeralPorts } from './ports';
import { resetFor } from './reset';
import { seqAdd, seqGt } from './seq';
import type { TcpState } from './state';
import { isSynchronized, peerHasClosed } from './state';
import { deadlineOf, fireTimers } from './timers';
import { ConnectionTable, validPort } from './tuples';
import { type IcmpErrorReport, icmpErrorArrives } from './icmp-error';

export type { IcmpErrorReport } from './icmp-error';

export type { TcpEnvironment, TcpSegmentOut } from './host';
export type { TcpEvent, TcpError, ConnectionErrorCode, ListenErrorCode, ConnectErrorCode, SendErrorCode } from './events';
export { isTcpError } from './events';
export { TcpConnection, type TcpConnectionStats } from './connection';
export { TcpListener } from './listener';
export { PendingSyn, MAX_DEFERRED_SYNS, DEFERRED_SYN_TIMEOUT_MS, type RefuseHow, type TcpUnreachableOut } from './deferred';
export type { TcpEngineOptions, TcpConnectionOptions, KeepAliveOptions } from './options';

const log = debugFactory('usernet:tcp');

export interface ListenOptions {
  /** Accept-queue and half-open bound (Node passes 511). */
  backlog?: number;
  /** IPv6 wildcard only: do not accept IPv4 peers. */
  ipv6Only?: boolean;
  /** Options for the connections this listener accepts. */
  connection?: Partial<TcpConnectionOptions>;
  /** `intercept` only: hold each SYN for `accept()`/`refuse()` (`deferred.ts`). */
  defer?: boolean;
  /** How long a deferred SYN may wait (default `DEFERRED_SYN_TIMEOUT_MS`). */
  deferTimeoutMs?: number;
}

export interface ConnectOptions {
  remote: IpAddress;
  remotePort: number;
  /** Source address; by default the one the stack would route from. */
  local?: IpAddress;
  /** Source port; 0 or absent picks an ephemeral port (RFC 6056). */
  localPort?: number;
  options?: Partial<TcpConnectionOptions>;
}

export class TcpEngine implements TcpHost, ListenerTable, DeferredSynTable {
  readonly options: TcpEngineOptions;
  lastNow = 0;
  /** `TcpHost.payloadOwned`: set by every `input` for the segment it processes. */
  payloadOwned = false;
  private readonly connections = new ConnectionTable<TcpConnection>();
  private readonly listeners = new Set<TcpListener>();
  private output: TcpSegmentOut[] = [];
  private unreachables: TcpUnreachableOut[] = [];
  /** SYNs held by deferring listeners (`deferred.ts`). */
  private readonly deferred = new DeferredSyns(this, this);
  private readonly passive = new PassiveOpen(this, this.connections, this.deferred, (cb, now) => this.initSend(cb, now));
  private events: TcpEvent[] = [];
  /**
   * Blocks with something to send, each once (its `queuedForPoll` flag); `poll` swaps the list with
   * `wokenSpare`. A list and a flag instead of a Set: a Set's `clear()` allocates a new table,
   * once per poll.
   */
  private woken: ControlBlock[] = [];
  private wokenSpare: ControlBlock[] = [];
  private timeWaitCount = 0;
  /** RFC 7323 §5.4 timestamp offsets per 4-tuple (`tsOffsetFor`). */
  private tsOffsets: TupleHash | undefined;
  /**
   * Connections `poll` and `nextDeadline` look at one by one: every block not in TIME-WAIT. TIME-WAIT
   * blocks, which can be thousands after a burst of short connections, wait in `timeWaiting`
   * instead, so the per-poll work follows the live connections, not the closed ones.
   */
  private readonly active = new Set<ControlBlock>();
  /**
   * TIME-WAIT blocks in the order they entered it, with the 2·MSL deadline they entered with: one
   * duration for all and a clock that only grows, so the deadlines are in order too. A restarted
   * TIME-WAIT (the peer's FIN again, §3.10.7.4) is moved to the back when its old deadline comes.
   * TIME-WAIT has no other timer (RFC 9293 §3.6.1; `enterTimeWait` stops them).
   */
  private readonly timeWaiting = new Map<ControlBlock, number>();
  private readonly counters = new Map<string, number>();
  private readonly isns: IsnGenerator;
  private readonly ports: EphemeralPorts;
  /** RFC 5961 §7; made at the first challenge ACK, so engines that never send one draw no randomness. */
  private challengeAcks: ChallengeAckLimiter | undefined;

  constructor(
    readonly env: TcpEnvironment,
    options?: Partial<TcpEngineOptions>,
  ) {
    this.options = mergeEngineOptions(options);
    this.isns = new IsnGenerator(() => env.random32());
    this.ports = new EphemeralPorts(() => env.random32(), this.options.ephemeralPortMin, this.options.ephemeralPortMax);
  }

  // ---------------------------------------------------------------- network side

  /**
   * A parsed, checksum-verified segment addressed to one of our addresses. Its payload is the
   * caller's, copied where kept — unless `payloadOwned`: then ownership of the memory under it
   * passes to the engine, which may keep views into it.
   */
  input(src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number, payloadOwned = false): void {
    this.lastNow = now;
    this.payloadOwned = payloadOwned;
    this.count('segments-in');
    if (seg.srcPort === 0 || seg.dstPort === 0 || src.isMulticast() || src.isUnspecified()) {
      this.count('drop:bad-endpoint');
      return;
    }
    const cb = this.connections.get(dst, seg.dstPort, src, seg.srcPort);
    if (cb !== undefined && !this.reopensTimeWait(cb, seg)) {
      segmentArrives(cb, seg, now);
      if (cb.state !== 'CLOSED') transmitReady(cb, now);
      return;
    }
    if (this.deferred.absorb(dst, src, seg)) return;
    const listener = findListener(this.listeners, dst, seg.dstPort, src.family);
    if (listener !== undefined) {
      this.passive.arrives(listener, src, dst, seg, now);
      return;
    }
    // RFC 9293 §3.10.7.1: no connection — "a reset is sent in response to any incoming segment
    // except another reset".
    this.count('no-connection');
    const rst = resetFor(seg);
    if (rst !== null) {
      this.count('rst-sent');
      this.transmit({ src: dst, dst: src, repr: rst });
    }
  }

  /**
   * RFC 9293 §3.6.1 (and RFC 6191): a new SYN for a 4-tuple in TIME-WAIT may reopen it when its
   * sequence number (or timestamp) is beyond the old connection's. The old block is reclaimed.
   */
  private reopensTimeWait(cb: ControlBlock, seg: TcpRepr): boolean {
    if (cb.state !== 'TIME-WAIT' || (seg.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return false;
    const ts = seg.options.timestamp;
    const newer = cb.tsEnabled && ts !== undefined ? seqGt(ts.tsVal, cb.tsRecent) : seqGt(seg.seq, cb.rcvNxt);
    if (!newer) return false;
    this.count('time-wait-reopened');
    cb.terminate('new SYN reopens TIME-WAIT');
    return true;
  }

  acceptDeferred(p: PendingSyn): TcpConnection | TcpError<'EINVAL' | 'EADDRINUSE'> {
    if (p.listener.closed || !this.deferred.settle(p, 'accepted')) return tcpError('EINVAL');
    if (this.connections.has(p.local, p.localPort, p.remote, p.remotePort)) return tcpError('EADDRINUSE');
    const cb = this.passive.open(p.listener, p.remote, p.local, p.syn, this.lastNow);
    // The user holds it from now on: a failed handshake is reported (`stateChanged`), not hidden.
    cb.announced = true;
    return cb;
  }

  refuseDeferred(p: PendingSyn, how: RefuseHow): boolean {
    if (!this.deferred.settle(p, 'refused')) return false;
    if (how === 'unreachable') {
      this.count('deferred-syn-unreachable');
      this.unreachables.push({ src: p.local, dst: p.remote, syn: p.syn });
      return true;
    }
    const rst = resetFor(p.syn); // §3.10.7.1: as if no listener had been there
    if (rst !== null) this.transmit({ src: p.local, dst: p.remote, repr: rst });
    this.count('rst-sent');
    return true;
  }

  /** ISS and the send variables that start from it (RFC 9293 §3.4.1, RFC 6528). */
  private initSend(cb: ControlBlock, now: number): void {
    cb.iss = this.isns.isn(cb.local, cb.localPort, cb.remote, cb.remotePort, now);
    cb.sndUna = cb.iss;
    cb.sndNxt = cb.sndMax = cb.bufSeq = cb.sndSml = seqAdd(cb.iss, 1);
    cb.recover = cb.iss;
    cb.rttTime = now;
  }

  /** ICMP/ICMPv6 errors about a segment we sent (the quoted header's ports and seq). */
  icmpError(err: IcmpErrorReport, now: number): void {
    this.lastNow = now;
    icmpErrorArrives(this, this.connections.get(err.local, err.localPort, err.remote, err.remotePort), err, now);
  }

  /** Fires due timers and sends whatever is ready (coalesced writes/ACKs). */
  poll(now: number): void {
    this.lastNow = now;
    this.deferred.expire(now);
    // The due blocks are gathered first (a timer may take its block out of `active`); a block's
    // timers change only its own deadline. Most polls find none due and allocate nothing.
    let due: ControlBlock[] | null = null;
    for (const cb of this.active) if (deadlineOf(cb) <= now) (due ??= []).push(cb);
    if (due !== null) for (const cb of due) fireTimers(cb, now);
    this.expireTimeWait(now);
    // Blocks woken while these transmit go to the fresh set, for the next poll (as before a copy).
    const woken = this.woken;
    this.woken = this.wokenSpare;
    for (const cb of woken) cb.queuedForPoll = false;
    try {
      for (const cb of woken) {
        if (cb.state === 'CLOSED') continue;
        if (isSynchronized(cb.state) && !peerHasClosed(cb.state) && windowUpdateDue(cb)) cb.ackNow = true;
        transmitReady(cb, now);
      }
    } finally {
      woken.length = 0;
      this.wokenSpare = woken;
    }
  }

  /** Earliest time `poll()` has work to do; Infinity when idle. */
  nextDeadline(): number {
    if (this.woken.length > 0) return this.lastNow;
    let t = this.deferred.nextDeadline();
    for (const cb of this.active) t = Math.min(t, deadlineOf(cb));
    // The oldest TIME-WAIT entry is due first (or, when it was restarted, is moved on then).
    for (const at of this.timeWaiting.values()) return Math.min(t, at);
    return t;
  }

  /** Ends the TIME-WAIT blocks whose 2·MSL has passed, oldest first (see `timeWaiting`). */
  private expireTimeWait(now: number): void {
    for (const [cb, at] of this.timeWaiting) {
      if (at > now) return;
      if (deadlineOf(cb) <= now) fireTimers(cb, now); // 2·MSL over: CLOSED, gone from the map
      // Still here: restarted (or entered with an early estimate); wait for its real deadline.
      if (cb.state === 'TIME-WAIT') {
        this.timeWaiting.delete(cb);
        const due = deadlineOf(cb);
        // A block without a deadline would hold up the queue behind it: scan it with the rest.
        if (due === Infinity) this.active.add(cb);
        else this.timeWaiting.set(cb, due);
      }
    }
  }

  /** Segments to send, in order; the caller owns the array. */
  takeOutput(): TcpSegmentOut[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /**
   * Refused SYNs to answer with ICMP destination unreachable (`refuse('unreachable')`); the
   * network layer builds the message, quoting the SYN. The caller owns the array.
   */
  takeUnreachables(): TcpUnreachableOut[] {
    const out = this.unreachables;
    this.unreachables = [];
    return out;
  }

  /** Upper-layer events since the last call, in order. The user has now seen every `accept`. */
  takeEvents(): TcpEvent[] {
    const ev = this.events;
    this.events = [];
    for (const l of this.listeners) l.pendingAccepts = 0;
    return ev;
  }

  // ---------------------------------------------------------------- user side

  /**
   * Passive OPEN on `local` (unspecified = every address of its family) and `port`
   * (0 = an ephemeral port). Only listeners conflict: like a Node server socket (SO_REUSEADDR),
   * a port with connections or TIME-WAIT blocks but no listener may be listened on.
   */
  listen(local: IpAddress, port: number, opts: ListenOptions = {}): TcpListener | TcpError<ListenErrorCode> {
    if (!validPort(port)) return tcpError('EINVAL');
    if (!local.isUnspecified() && !this.env.isLocalAddress(local)) return tcpError('EADDRNOTAVAIL');
    const ipv6Only = local.family === 6 && opts.ipv6Only === true;
    if (port === 0) {
      const p = this.ports.pick(local, local, 0, (q) => listenerConflict(this.listeners, local, q, ipv6Only));
      if (p === null) return tcpError('EADDRINUSE');
      port = p;
    } else if (listenerConflict(this.listeners, local, port, ipv6Only)) {
      return tcpError('EADDRINUSE');
    }
    const backlog = Math.max(1, Math.min(65535, Math.floor(opts.backlog ?? this.options.backlog)));
    const connOpts = mergeConnectionOptions(this.options.connection, opts.connection);
    const l = new TcpListener(this, local, port, backlog, ipv6Only, connOpts);
    this.listeners.add(l);
    log('%s', l);
    return l;
  }

  /**
   * A passive OPEN for every destination of `family` — any address, any port — that no ordinary
   * listener takes. This is how a stack that serves a network namespace (as slirp4netns or pasta
   * do) terminates the connections the namespace opens to the outside world: the stack delivers
   * TCP for foreign addresses on interfaces with `acceptAnyDestination`, and the accepted
   * connection's `local`/`localPort` are the destination the namespace asked for, so the relay
   * knows where to go. At most one per family.
   */
  intercept(family: 4 | 6, opts: ListenOptions = {}): TcpListener | TcpError<'EADDRINUSE'> {
    for (const l of this.listeners) if (l.intercept && l.local.family === family) return tcpError('EADDRINUSE');
    const any = IpAddress.parse(family === 4 ? '0.0.0.0' : '::')!;
    const backlog = Math.max(1, Math.min(65535, Math.floor(opts.backlog ?? this.options.backlog)));
    const connOpts = mergeConnectionOptions(this.options.connection, opts.connection);
    const l = new TcpListener(this, any, 0, backlog, family === 6, connOpts, true, opts.defer === true);
    if (opts.deferTimeoutMs !== undefined && opts.deferTimeoutMs > 0) l.deferTimeoutMs = opts.deferTimeoutMs;
    this.listeners.add(l);
    log('%s', l);
    return l;
  }

  /**
   * Active OPEN (RFC 9293 §3.10.1): sends the SYN now (at the latest `now` the engine was given,
   * or `now` if passed) and returns the connection in SYN-SENT; `established` or `error` follows.
   */
  connect(o: ConnectOptions, now: number = this.lastNow): TcpConnection | TcpError<ConnectErrorCode> {
    this.lastNow = Math.max(this.lastNow, now);
    const remote = o.remote;
    if (!validPort(o.remotePort) || o.remotePort === 0 || remote.isUnspecified() || remote.isMulticast()) {
      return tcpError('EINVAL');
    }
    let local = o.local !== undefined && !o.local.isUnspecified() ? o.local : null;
    if (local !== null) {
      if (local.family !== remote.family) return tcpError('EINVAL');
      if (!this.env.isLocalAddress(local)) return tcpError('EADDRNOTAVAIL');
    } else {
      local = this.env.sourceAddressFor(remote);
      if (local === null) return tcpError('ENETUNREACH');
    }
    const src = local;
    let localPort = o.localPort ?? 0;
    if (!validPort(localPort)) return tcpError('EINVAL');
    const taken = (p: number): boolean =>
      this.connections.has(src, p, remote, o.remotePort) || listenerConflict(this.listeners, src, p, false);
    if (localPort === 0) {
      const p = this.ports.pick(src, remote, o.remotePort, taken);
      if (p === null) return tcpError('EADDRNOTAVAIL');
      localPort = p;
    } else if (taken(localPort)) {
      return tcpError('EADDRINUSE');
    }
    const opts = mergeConnectionOptions(this.options.connection, o.options);
    const cb = new TcpConnection(this, src, localPort, remote, o.remotePort, opts, false);
    this.initSend(cb, now);
    prepareSyn(cb);
    cb.rcvAdvRight = 0;
    this.connections.add(cb);
    cb.setState('SYN-SENT', 'active open');
    cb.lastHeard = now;
    emitSyn(cb, now);
    return cb;
  }

  /** Every connection the engine holds, TIME-WAIT included (for `ss`-like listings). */
  allConnections(): TcpConnection[] {
    return [...this.connections.values()];
  }

  /** A counter's value (`netstat -s` style): `state:ESTABLISHED`, `rst-sent`, `retransmits` … */
  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  // ---------------------------------------------------------------- TcpHost / ListenerTable

  transmit(seg: TcpSegmentOut): void {
    this.count('segments-out');
    this.output.push(seg);
  }

  emit(ev: TcpEvent): void {
    this.events.push(ev);
  }

  wake(cb: ControlBlock): void {
    if (cb.queuedForPoll) return;
    cb.queuedForPoll = true;
    this.woken.push(cb);
  }

  count(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  random32(): number {
    return this.env.random32() >>> 0;
  }

  tsOffsetFor(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): number {
    // The secret is drawn at the first connection, like the other lazily made secrets.
    this.tsOffsets ??= new TupleHash(() => this.random32());
    return this.tsOffsets.hash(local, localPort, remote, remotePort);
  }

  challengeAckAllowed(now: number): boolean {
    this.challengeAcks ??= new ChallengeAckLimiter(this.options.challengeAckLimit, () => this.random32());
    return this.challengeAcks.allow(now);
  }

  timeWaitRoom(): boolean {
    return this.timeWaitCount < this.options.maxTimeWait;
  }

  admit(cb: ControlBlock): boolean {
    const l = cb.listener;
    if (l === null || l.closed) return false;
    if (l.pendingAccepts >= l.backlog) return false;
    l.pendingAccepts++;
    return true;
  }

  stateChanged(cb: ControlBlock, prev: TcpState, next: TcpState): void {
    const l = cb.listener;
    if (prev === 'SYN-RECEIVED' && cb.passive && l !== null) {
      l.halfOpen--;
      if (next !== 'CLOSED') {
        cb.announced = true;
        this.emit({ kind: 'accept', listener: l, conn: cb.conn });
      } else if (cb.announced) {
        // A deferred accept whose handshake failed (RST, SYN-ACK unanswered): its user hears it.
        cb.emit({ kind: 'error', conn: cb.conn, code: 'ECONNRESET' });
      }
    }
    if (next === 'TIME-WAIT') this.timeWaitCount++;
    if (prev === 'TIME-WAIT') this.timeWaitCount--;
    if (next === 'CLOSED') {
      this.connections.remove(cb);
      if (cb.queuedForPoll) {
        cb.queuedForPoll = false;
        this.woken.splice(this.woken.indexOf(cb), 1);
      }
      this.active.delete(cb);
      this.timeWaiting.delete(cb);
    } else if (next === 'TIME-WAIT') {
      this.active.delete(cb);
      // `enterTimeWait` sets the deadline just after this; `lastNow` is never later than its `now`,
      // so this is no later than the real deadline (an early entry is only moved on, above).
      this.timeWaiting.set(cb, this.lastNow + 2 * this.options.mslMs);
    } else {
      this.active.add(cb);
    }
  }

  unlisten(l: TcpListener): void {
    this.listeners.delete(l);
    this.deferred.dropListener(l);
    for (const cb of [...this.connections.values()]) {
      if (cb.listener === l && cb.state === 'SYN-RECEIVED' && !cb.announced) cb.terminate('listener closed');
    }
  }
}
