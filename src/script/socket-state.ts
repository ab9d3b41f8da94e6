/**
 * What a script's socket calls work on: the state the kernel keeps per descriptor and per
 * connection, and what a call returns (a result, a wait, a mismatch or something unsupported).
 */

import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpEngine } from '../../stack/tcp/engine';
import type { TcpListener } from '../../stack/tcp/listener';
import type { TcpConnectionOptions } from '../../stack/tcp/options';

export type SyscallOutcome =
  | { kind: 'done'; ret: number; errno?: string }
  | { kind: 'block'; retry: () => SyscallOutcome; timeoutUs?: number; onTimeout?: () => SyscallOutcome }
  | { kind: 'mismatch'; message: string }
  | { kind: 'unsupported'; what: string };

/** What the socket layer needs from the runner. */
export interface SocketHost {
  readonly engine: TcpEngine;
  /** Drains engine events into the socket layer (after a user call). */
  collect(): void;
  /** The connection under test changed (new 4-tuple for inbound packets). */
  flowChanged(localPort: number, remotePort: number): void;
}

/** Per-connection state the kernel would keep in its socket. */
export interface ConnState {
  conn: TcpConnection;
  /** Data taken from the engine and not yet read. */
  chunks: Uint8Array[];
  /** Stream offsets of the next byte read and the next byte written (for the pattern check). */
  readOffset: number;
  writeOffset: number;
  peerFin: boolean;
  /** SO_ERROR: set by a connection error, cleared when reported. */
  soError: string | undefined;
  dead: boolean;
  established: boolean;
  writeShut: boolean;
}

export interface ScriptSocket {
  fd: number;
  nonBlocking: boolean;
  boundPort: number | undefined;
  listener: TcpListener | undefined;
  acceptQueue: ConnState[];
  state: ConnState | undefined;
  connOptions: Partial<TcpConnectionOptions>;
  /** getsockopt values of what was set. */
  sockopts: Map<string, number>;
  linger0: boolean;
}

export const ok = (ret = 0): SyscallOutcome => ({ kind: 'done', ret });
export const fail = (errno: string): SyscallOutcome => ({ kind: 'done', ret: -1, errno });

/** Reports SO_ERROR once (a failed call returns it, then it is clear). */
export function takeError(cs: ConnState): SyscallOutcome {
  const e = cs.soError!;
  cs.soError = undefined;
  return fail(e);
}
