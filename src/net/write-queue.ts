/**
 * The chunks a `TcpHandle` was given to write that the connection's bounded send buffer has not
 * taken yet, in order, each write request riding on its last chunk (libuv's write queue). A
 * request completes once all its bytes are in the engine.
 */

import type { TcpConnection } from '../../stack/tcp/connection';
import { isTcpError } from '../../stack/tcp/events';
import { type ErrnoName, uvErrno } from './errors';
import type { WriteReq } from './handle';

interface PendingWrite {
  chunk: Uint8Array;
  /** The request this chunk ends, if it is the last chunk of one. */
  req: WriteReq | null;
}

export class WriteQueue {
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;

  /** Bytes queued and not yet taken by the engine (`writeQueueSize`). */
  get bytes(): number {
    return this.pendingBytes;
  }

  get isEmpty(): boolean {
    return this.pending.length === 0;
  }

  /**
   * Queues the non-empty `chunks` (now owned by the queue) with `req` on the last of them.
   * Returns a token for `holds`, or null when there was nothing to queue (`req` is not kept).
   */
  push(req: WriteReq, chunks: readonly Uint8Array[]): object | null {
    let last: PendingWrite | null = null;
    for (const chunk of chunks) {
      if (chunk.byteLength === 0) continue;
      last = { chunk, req: null };
      this.pending.push(last);
      this.pendingBytes += chunk.byteLength;
    }
    if (last !== null) last.req = req;
    return last;
  }

  /** Whether the write that `push` returned `token` for still has bytes queued. */
  holds(token: object): boolean {
    return this.pending.includes(token as PendingWrite);
  }

  /**
   * Moves queued chunks into `conn`'s send buffer until it is full, completing (with 0) the
   * asynchronous requests whose bytes are all in; `onSent` runs after each send. Returns 0, or
   * the negative errno of a failed send (the queue is left as it was for the caller to fail).
   */
  flushInto(conn: TcpConnection, onSent: () => void): number {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = conn.send(head.chunk);
      if (isTcpError(n)) return uvErrno(n.error === 'ENOTCONN' ? 'EPIPE' : (n.error as ErrnoName));
      this.pendingBytes -= n;
      onSent();
      if (n < head.chunk.byteLength) {
        head.chunk = head.chunk.subarray(n);
        return 0;
      }
      this.pending.shift();
      if (head.req !== null && head.req.async) head.req.oncomplete(0);
    }
    return 0;
  }

  /** Empties the queue; returns the requests still owed a completion (those made async). */
  clear(): WriteReq[] {
    const owed = this.pending.filter((w) => w.req !== null && w.req.async).map((w) => w.req!);
    this.pending = [];
    this.pendingBytes = 0;
    return owed;
  }
}
