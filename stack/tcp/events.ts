/**
 * What the engine tells its user (the `net` layer): events drained with `takeEvents()`, in the
 * order they happened, and the typed errors of the user calls. The core holds no callbacks.
 */

import type { TcpConnection } from './connection';
import type { PendingSyn } from './deferred';
import type { TcpListener } from './listener';

/** Errors that end a connection (mapped from causes in one place, `connection.ts`'s `fail`). */
export type ConnectionErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EPIPE';

export type TcpEvent =
  | { kind: 'accept'; listener: TcpListener; conn: TcpConnection }
  | { kind: 'established'; conn: TcpConnection }
  /** In-order data, only while reading; the receiver owns `chunk`. */
  | { kind: 'data'; conn: TcpConnection; chunk: Uint8Array }
  | { kind: 'peer-fin'; conn: TcpConnection }
  /** The send buffer has room again after `send()` accepted less than it was offered. */
  | { kind: 'writable'; conn: TcpConnection }
  /** Everything sent so far has been acknowledged. */
  | { kind: 'drained'; conn: TcpConnection }
  | { kind: 'error'; conn: TcpConnection; code: ConnectionErrorCode }
  /** The connection is gone from the user's point of view; no event for it follows. */
  | { kind: 'closed'; conn: TcpConnection }
  /** A deferring listener holds a SYN until `pending.accept()` or `pending.refuse()` (`deferred.ts`). */
  | { kind: 'syn'; listener: TcpListener; pending: PendingSyn }
  /** A held SYN timed out unanswered (`DEFERRED_SYN_TIMEOUT_MS`); nothing was sent to the peer. */
  | { kind: 'syn-expired'; listener: TcpListener; pending: PendingSyn };

/** The events about one connection (every kind but the listener's). */
export type TcpConnectionEvent = Exclude<TcpEvent, { kind: 'accept' | 'syn' | 'syn-expired' }>;

/** A typed failure of a user call. */
export interface TcpError<C extends string> {
  readonly error: C;
}

export type ListenErrorCode = 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL';
export type ConnectErrorCode = 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'ENETUNREACH' | 'EINVAL';
export type SendErrorCode = 'EPIPE' | 'ENOTCONN';

export function tcpError<C extends string>(code: C): TcpError<C> {
  return { error: code };
}

export function isTcpError<T>(x: T | TcpError<string>): x is TcpError<string> {
  return typeof x === 'object' && x !== null && 'error' in x && typeof (x as { error: unknown }).error === 'string';
}
