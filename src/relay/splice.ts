/**
 * Joins two TCP sockets into one end-to-end conversation, the way slirp4netns and pasta relay a
 * namespace's connection over a host socket. What one side's peer does, the other side's peer
 * sees (RFC 9293 §3.6 for the half-close, §3.5.2 for resets):
 *
 * - data flows both ways with backpressure: when the receiving socket's write buffer is full the
 *   sending socket is paused, so its receive window closes instead of memory growing;
 * - a FIN (the stream's `'end'`) becomes `end()` on the other socket — a half-close, the other
 *   direction keeps flowing;
 * - a reset, or any other failure (ECONNREFUSED while the host socket connects, ETIMEDOUT …),
 *   becomes `resetAndDestroy()` on the other socket, as does a socket closed without its FIN.
 *
 * Both sockets must have been created with `allowHalfOpen: true`; otherwise Node ends the
 * writable side by itself when the readable side ends, and a half-close cannot be carried.
 */

import createDebug from 'debug';
import type { RelaySocket } from './types';
import { handOverBuffer } from '../net/socket-write';
import type { HostReader } from './host-reader';

const log = createDebug('usernet:relay');

/** How a spliced conversation ended. */
export type SpliceOutcome =
  /** Both directions ended with a FIN. */
  | 'closed'
  /** One side was reset by its peer (ECONNRESET); the other was reset in turn. */
  | 'reset'
  /** One side failed otherwise (refused, timed out, destroyed); the other was reset. */
  | 'error';

export interface SpliceResult {
  outcome: SpliceOutcome;
  /** Bytes read from `a` and written to `b`, and the other way. */
  aToB: number;
  bToA: number;
  /** Which side failed first, and its error code (e.g. 'ECONNREFUSED'), for 'reset'/'error'. */
  failedSide?: 'a' | 'b';
  code?: string;
}

/** A live splice: its byte counts so far, and a way to end it. */
export interface Splice {
  readonly a: RelaySocket;
  readonly b: RelaySocket;
  readonly result: Promise<SpliceResult>;
  bytes(): { aToB: number; bToA: number };
  /** Ends the conversation at once: both sockets are reset (shutdown of a relay). */
  reset(): void;
}

function errorCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : err.message;
}

/** Resets `s` unless it is already gone; an error from a half-dead socket is not ours to report. */
function resetQuietly(s: RelaySocket): void {
  if (s.destroyed) return;
  s.on('error', () => undefined);
  try {
    s.resetAndDestroy();
  } catch {
    // A socket that never connected has no handle to reset: destroy it instead.
    s.destroy();
  }
}

/**
 * Starts relaying between `a` and `b`. The returned `result` settles once both sockets have
 * closed; it never rejects. A side created with a `HostReader`'s `onread` option names it in
 * `readers`: its bytes come through the reader, not through 'data' events.
 */
export function splice(a: RelaySocket, b: RelaySocket, label = 'relay', readers: { a?: HostReader; b?: HostReader } = {}): Splice {
  const count = { aToB: 0, bToA: 0 };
  let failure: { side: 'a' | 'b'; code: string; reset: boolean } | null = null;
  let closed = 0;
  let settle: (r: SpliceResult) => void = () => undefined;
  const result = new Promise<SpliceResult>((resolve) => (settle = resolve));

  const fail = (side: 'a' | 'b', code: string, reset: boolean): void => {
    if (failure === null) {
      failure = { side, code, reset };
      log('%s: %s side %s, resetting the other', label, side, code);
    }
    resetQuietly(side === 'a' ? b : a);
  };

  const forward = (from: RelaySocket, to: RelaySocket, side: 'a' | 'b', reader: HostReader | undefined): void => {
    let waitingForDrain = false;
    const resume = (): void => {
      waitingForDrain = false;
      from.resume();
    };
    /** Writes one chunk read from `from`; false when `to` is full and reading must stop. */
    const pass = (chunk: Buffer): boolean => {
      if (side === 'a') count.aToB += chunk.length;
      else count.bToA += chunk.length;
      if (to.destroyed || to.writableEnded) return true;
      // The chunk is a fresh buffer nobody else holds: a usernet socket may keep it uncopied.
      handOverBuffer(chunk);
      if (to.write(chunk)) return true;
      // Backpressure: stop reading until the other socket has written what it holds. The
      // 'drain' listener is added only then: most relayed exchanges never fill a socket's
      // buffer, and every listener a connection registers is work per connection.
      if (!waitingForDrain) {
        waitingForDrain = true;
        to.once('drain', resume);
      }
      return false;
    };
    // A socket read through `onread` stops when its callback returns false; one read through
    // 'data' events is paused.
    if (reader !== undefined) reader.attach(to, pass);
    else
      from.on('data', (chunk: Buffer) => {
        if (!pass(chunk)) from.pause();
      });
    from.on('end', () => {
      log('%s: FIN from %s side, half-closing the other', label, side);
      if (!to.destroyed && !to.writableEnded) to.end();
    });
    from.on('error', (err: Error) => {
      const code = errorCode(err);
      fail(side, code, code === 'ECONNRESET');
    });
    from.on('close', () => {
      // Closed without its FIN and without an error: destroyed locally (e.g. shutdown).
      if (!from.readableEnded && failure === null) fail(side, 'closed', false);
      if (++closed < 2) return;
      const r: SpliceResult = { outcome: failure === null ? 'closed' : failure.reset ? 'reset' : 'error', ...count };
      if (failure !== null) {
        r.failedSide = failure.side;
        r.code = failure.code;
      }
      log('%s: done (%s), %d bytes a→b, %d bytes b→a', label, r.outcome, count.aToB, count.bToA);
      settle(r);
    });
  };
  forward(a, b, 'a', readers.a);
  forward(b, a, 'b', readers.b);

  return {
    a,
    b,
    result,
    bytes: () => ({ ...count }),
    reset: () => {
      if (failure === null) failure = { side: 'a', code: 'shutdown', reset: false };
      resetQuietly(a);
      resetQuietly(b);
    },
  };
}
