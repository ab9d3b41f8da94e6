/**
 * The one place TCP engine events reach the net layer: each event goes to the handle that owns
 * its connection or listener, in the order the engine reported them. Events for connections and
 * listeners the net layer does not own are left alone (others may drive the engine directly);
 * an `accept` for one of our listeners that was closed meanwhile is reset (as a kernel resets
 * what sat in the accept queue of a closed listening socket).
 */

import debugFactory from 'debug';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { PendingSyn } from '../../stack/tcp/deferred';
import type { TcpConnectionEvent, TcpEvent } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';

const log = debugFactory('usernet:net');

/** A connection's owner (a `TcpHandle`). */
export interface ConnectionSink {
  deliver(ev: TcpConnectionEvent): void;
}

/** A listener's owner (a `TcpListenHandle`, or an `InterceptHandle` for deferred SYNs). */
export interface ListenerSink {
  accept(conn: TcpConnection): void;
  /** A deferring listener holds a SYN (`stack/tcp/deferred.ts`). */
  syn?(pending: PendingSyn): void;
  /** A held SYN expired undecided. */
  synExpired?(pending: PendingSyn): void;
}

export class TcpEventRouter {
  private readonly connections = new Map<TcpConnection, ConnectionSink>();
  private readonly listeners = new Map<TcpListener, ListenerSink>();
  private readonly closedListeners = new WeakSet<TcpListener>();

  /** `kick` asks the runtime to flush (a reset sent from here must go out). */
  constructor(private readonly kick: () => void = () => undefined) {}

  addConnection(conn: TcpConnection, sink: ConnectionSink): void {
    this.connections.set(conn, sink);
  }

  removeConnection(conn: TcpConnection): void {
    this.connections.delete(conn);
  }

  addListener(l: TcpListener, sink: ListenerSink): void {
    this.listeners.set(l, sink);
  }

  removeListener(l: TcpListener): void {
    if (this.listeners.delete(l)) this.closedListeners.add(l);
  }

  /** Connections with an owner (for tests and `ss`-like listings). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Called by the runtime after each input/poll/flush with `engine.takeEvents()`. New connections
   * are handed to their listeners first, then every other event in the engine's order. On one
   * host Node reports a completed handshake to the server before the client's `'connect'` (libuv
   * on Linux hears the listening socket, already in epoll, before the connecting one it adds on
   * its next poll), so a client that closes the server in its connect callback does not reset a
   * connection the server had already accepted (Node's test-net-connect-reset-after-destroy).
   */
  dispatch(events: readonly TcpEvent[]): void {
    for (const ev of events) if (ev.kind === 'accept') this.route(ev);
    for (const ev of events) if (ev.kind !== 'accept') this.route(ev);
  }

  private route(ev: TcpEvent): void {
    if (ev.kind === 'syn' || ev.kind === 'syn-expired') {
      const sink = this.listeners.get(ev.listener);
      if (ev.kind === 'syn') sink?.syn?.(ev.pending);
      else sink?.synExpired?.(ev.pending);
      return;
    }
    // A deferred accept hands its connection out before the handshake completes.
    if (ev.kind === 'accept' && this.connections.has(ev.conn)) return;
    if (ev.kind === 'accept') {
      const sink = this.listeners.get(ev.listener);
      if (sink === undefined) {
        if (this.closedListeners.has(ev.listener)) {
          log('accept for a closed listener: reset %s', ev.conn.toString());
          ev.conn.abort();
          this.kick();
        }
        return;
      }
      sink.accept(ev.conn);
      return;
    }
    const sink = this.connections.get(ev.conn);
    if (sink === undefined) return;
    if (ev.kind === 'closed') this.connections.delete(ev.conn);
    sink.deliver(ev);
  }
}
