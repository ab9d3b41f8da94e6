/**
 * A usernet extension to Node's `net` (there is no such call in Node): terminating TCP connections
 * to *any* destination, the way slirp4netns and pasta serve a network namespace. It sits on the
 * engine's intercepting listeners (`TcpEngine.intercept`, one per family) and, with `defer`, on
 * their deferred accept (`stack/tcp/deferred.ts`): each SYN is offered to the caller as an
 * `InterceptedConnection` carrying the original destination, and the namespace's client sees the
 * handshake complete only after `accept()` — or sees ECONNREFUSED after `refuse()`, or "No route to
 * host" after `refuse('unreachable')`. The stack's interfaces must have `acceptAnyDestination`.
 *
 * An accepted socket is an ordinary usernet `net.Socket` (on a `TcpHandle`, like a server's
 * connection) whose `localAddress`/`localPort` are the destination the client asked for.
 *
 * @example
 *   const icpt = stack.intercept({ family: 'both', defer: true }, (c) => {
 *     const host = net.connect(c.localPort, c.localAddress); // Node's net, on the host
 *     host.once('connect', () => pipeBoth(c.accept(), host));
 *     host.once('error', () => c.refuse());
 *   });
 */

import { EventEmitter } from 'events';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { PendingSyn, PendingSynState, RefuseHow } from '../../stack/tcp/deferred';
import { isTcpError } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';
import type { IpAddress } from '../../stack/wire/address';
import { type NetContext, HandleRef } from './context';
import type { ListenerSink } from './dispatch';
import { ERR_INVALID_ARG_VALUE, uvExceptionWithHostPort, uvErrno } from './errors';
import type { Socket, SocketConstructorOptions } from './socket';
import { TcpHandle } from './tcp-handle';

export interface InterceptOptions {
  /** Which families to intercept. Default `'both'`. */
  family?: 4 | 6 | 'both';
  /** Hold each SYN until `accept()`/`refuse()` (default true); false accepts at once. */
  defer?: boolean;
  /** As `net.createServer`'s option, for the accepted sockets. Default false. */
  allowHalfOpen?: boolean;
  /** With `defer`: how long an undecided SYN is held (ms; default `DEFERRED_SYN_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Half-open and accept-queue bound per family (default 511, as Node's `listen`). */
  backlog?: number;
}

/** What an offered connection needs from its interceptor. */
interface InterceptHost {
  socketFor(handle: TcpHandle): Socket;
  /** A handle (the router delivers the connection's events to it) for an accepted pending SYN. */
  handleFor(conn: TcpConnection): TcpHandle;
  kick(): void;
}

type SocketClass = new (options: SocketConstructorOptions) => Socket;

/** The state of an offered connection: `stack/tcp/deferred.ts`'s, or `'accepted'` at once without `defer`. */
export type InterceptState = PendingSynState;

/**
 * One intercepted connection attempt. Events: `'expire'` when a deferred SYN timed out undecided
 * (nothing was sent to the client; `accept()` then throws).
 */
export class InterceptedConnection extends EventEmitter {
  /** The destination the client asked for (the socket's local side once accepted). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly family: 'IPv4' | 'IPv6';
  private socket: Socket | null = null;

  constructor(
    private readonly source: PendingSyn | TcpHandle,
    local: IpAddress,
    localPort: number,
    remote: IpAddress,
    remotePort: number,
    private readonly host: InterceptHost,
  ) {
    super();
    this.localAddress = local.toString();
    this.localPort = localPort;
    this.remoteAddress = remote.toString();
    this.remotePort = remotePort;
    this.family = local.family === 4 ? 'IPv4' : 'IPv6';
  }

  /** `'pending'` until decided; `'expired'`/`'abandoned'` when the SYN was dropped undecided. */
  get state(): InterceptState {
    if (this.source instanceof TcpHandle) return this.socket === null && this.source.connection === null ? 'refused' : 'accepted';
    return this.source.state;
  }

  /**
   * Completes the handshake and returns the socket (the same one if called again after success).
   * Throws an `Error` with `code` EINVAL when the attempt is no longer pending (expired, refused,
   * interceptor closed), EADDRINUSE when its 4-tuple became another connection meanwhile.
   */
  accept(): Socket {
    if (this.socket !== null) return this.socket;
    let handle: TcpHandle;
    if (this.source instanceof TcpHandle) {
      handle = this.source;
      if (handle.connection === null) throw this.error('EINVAL');
    } else {
      const conn = this.source.accept();
      if (isTcpError(conn)) throw this.error(conn.error);
      handle = this.host.handleFor(conn);
    }
    this.socket = this.host.socketFor(handle);
    this.host.kick();
    return this.socket;
  }

  /**
   * Refuses the attempt: `'reset'` (default) answers the client's SYN with RST,ACK (its connect
   * fails with ECONNREFUSED); `'unreachable'` with ICMP host unreachable (EHOSTUNREACH). Without
   * `defer` the connection is already open and is reset. Does nothing once decided.
   */
  refuse(how: RefuseHow = 'reset'): void {
    if (how !== 'reset' && how !== 'unreachable') throw ERR_INVALID_ARG_VALUE('how', how, "must be 'reset' or 'unreachable'");
    if (this.socket !== null) return;
    if (this.source instanceof TcpHandle) this.source.reset();
    else this.source.refuse(how);
    this.host.kick();
  }

  private error(code: 'EINVAL' | 'EADDRINUSE'): Error {
    return uvExceptionWithHostPort(uvErrno(code), 'accept', this.localAddress, this.localPort);
  }
}

/** What `stack.intercept()` returns: close it to stop intercepting (accepted sockets live on). */
export class TcpInterceptor implements ListenerSink {
  private readonly listeners: TcpListener[] = [];
  /** Offered pending SYNs (weak: the engine drops a PendingSyn once decided). */
  private readonly offered = new WeakMap<PendingSyn, InterceptedConnection>();
  private readonly host: InterceptHost = {
    socketFor: (handle) => new this.SocketClass({ handle, allowHalfOpen: this.options.allowHalfOpen, readable: true, writable: true }),
    handleFor: (conn) => new TcpHandle(this.ctx, conn),
    kick: () => this.ctx.runtime.kick(),
  };
  private readonly refs: HandleRef;
  private closed = false;

  constructor(
    private readonly ctx: NetContext,
    private readonly SocketClass: SocketClass,
    private readonly options: Required<Pick<InterceptOptions, 'defer' | 'allowHalfOpen'>>,
    private readonly onConnection: (c: InterceptedConnection) => void,
  ) {
    this.refs = new HandleRef(ctx);
  }

  /** Opens the engine's intercepting listener for `family`; throws EADDRINUSE when taken. */
  open(family: 4 | 6, backlog: number | undefined, timeoutMs: number | undefined): void {
    const opts: { defer: boolean; backlog?: number; deferTimeoutMs?: number } = { defer: this.options.defer };
    if (backlog !== undefined) opts.backlog = backlog;
    if (timeoutMs !== undefined) opts.deferTimeoutMs = timeoutMs;
    const l = this.ctx.tcp.intercept(family, opts);
    if (isTcpError(l)) {
      this.close();
      throw uvExceptionWithHostPort(uvErrno(l.error), 'intercept', family === 4 ? '0.0.0.0' : '::', 0);
    }
    this.listeners.push(l);
    this.ctx.router.addListener(l, this);
  }

  /** ListenerSink: a connection the engine accepted at once (without `defer`). */
  accept(conn: TcpConnection): void {
    const handle = new TcpHandle(this.ctx, conn);
    this.onConnection(new InterceptedConnection(handle, conn.local, conn.localPort, conn.remote, conn.remotePort, this.host));
  }

  /** ListenerSink: a held SYN. */
  syn(p: PendingSyn): void {
    const c = new InterceptedConnection(p, p.local, p.localPort, p.remote, p.remotePort, this.host);
    this.offered.set(p, c);
    this.onConnection(c);
  }

  /** ListenerSink: a held SYN expired undecided. */
  synExpired(p: PendingSyn): void {
    const c = this.offered.get(p);
    this.offered.delete(p);
    c?.emit('expire');
  }

  /** Stops intercepting: undecided SYNs are dropped unanswered, sockets already accepted stay open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) {
      this.ctx.router.removeListener(l);
      l.close();
    }
    this.listeners.length = 0;
    this.refs.close();
    this.host.kick();
  }

  ref(): this {
    this.refs.ref();
    return this;
  }

  unref(): this {
    this.refs.unref();
    return this;
  }
}

/** Validates `options` and opens the interceptor (the body of `stack.intercept`). */
export function intercept(
  ctx: NetContext,
  SocketClass: SocketClass,
  options: InterceptOptions,
  onConnection: (c: InterceptedConnection) => void,
): TcpInterceptor {
  if (options === null || typeof options !== 'object') throw ERR_INVALID_ARG_VALUE('options', options);
  if (typeof onConnection !== 'function') throw ERR_INVALID_ARG_VALUE('onConnection', onConnection, 'must be a function');
  const family = options.family ?? 'both';
  if (family !== 4 && family !== 6 && family !== 'both') throw ERR_INVALID_ARG_VALUE('options.family', family, "must be 4, 6 or 'both'");
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw ERR_INVALID_ARG_VALUE('options.timeoutMs', timeoutMs, 'must be a positive number');
  const i = new TcpInterceptor(ctx, SocketClass, { defer: options.defer !== false, allowHalfOpen: options.allowHalfOpen === true }, onConnection);
  for (const f of family === 'both' ? ([4, 6] as const) : [family]) i.open(f, options.backlog, timeoutMs);
  return i;
}
