/**
 * The shape of Node's `net` that the relay, the port forwarder and the services are written
 * against. Node's own `net` satisfies it, and so does `stack.net` (usernet's TCP), so the same code
 * joins a host socket to a usernet socket, or two host sockets in a unit test.
 */

import type { Duplex } from 'stream';

/** A connected TCP socket: Node's `net.Socket` or usernet's. */
export interface RelaySocket extends Duplex {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  /** Sends a RST and destroys the socket (Node ≥ 16.17). */
  resetAndDestroy(): this;
  setNoDelay(noDelay?: boolean): this;
}

/** A listening server: Node's `net.Server` or usernet's. */
export interface RelayServer {
  listen(options: { port: number; host?: string; ipv6Only?: boolean; backlog?: number }, cb?: () => void): this;
  close(cb?: (err?: Error) => void): this;
  /** Node gives all three fields; usernet's `SocketName` types them as optional. */
  address(): { address?: string; family?: string; port?: number } | string | null;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'listening', listener: () => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'listening', listener: () => void): this;
  removeListener(event: 'error', listener: (err: Error) => void): this;
}

/**
 * A connection attempt the namespace made, held (its SYN unanswered) until the relay decides:
 * usernet's `InterceptedConnection` (`stack.intercept`, src/net/intercept.ts).
 */
export interface PendingConnection {
  /** The destination the client asked for. */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Completes the client's handshake; throws when the attempt is no longer pending. */
  accept(): RelaySocket;
  /** The client's connect fails: ECONNREFUSED (`'reset'`) or EHOSTUNREACH (`'unreachable'`). */
  refuse(how?: 'reset' | 'unreachable'): void;
  /** `'expire'`: the attempt timed out undecided. */
  once(event: 'expire', listener: () => void): this;
}

/** The part of a `net` module the relay uses. */
export interface NetApi {
  createServer(options: { allowHalfOpen?: boolean }, onConnection: (socket: RelaySocket) => void): RelayServer;
  connect(options: {
    host: string;
    port: number;
    allowHalfOpen?: boolean;
    localAddress?: string;
    /** Node's `onread`: reads land in a buffer of the caller's, handed to `callback` ('data' is not emitted). */
    onread?: { buffer: Uint8Array; callback: (nread: number, buf: Uint8Array) => boolean };
  }): RelaySocket;
}

/** Listens and resolves once listening, or rejects with the server's error (EADDRINUSE …). */
export function listen(server: RelayServer, options: { port: number; host?: string; ipv6Only?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

/** Closes a server; resolves when it has stopped listening (errors are ignored). */
export function closeServer(server: RelayServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
