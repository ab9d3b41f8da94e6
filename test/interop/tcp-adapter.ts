/**
 * A tiny test-only adapter on the TCP engine itself (not `stack.net`), so the TCP interop tests
 * prove the engine: listen/accept, connect, received bytes hashed as they arrive, writes with
 * backpressure (`send()` taking less than offered, then the `writable` event), `shutdown`, and
 * promises for the peer's FIN, errors and the end of the connection.
 */

import { createHash, type Hash } from 'crypto';
import type { Stack } from '../../src/stack';
import { IpAddress } from '../../stack/wire/address';
import { type TcpConnection, type TcpConnectionOptions, type ConnectionErrorCode, type TcpEvent, isTcpError } from '../../stack/tcp/engine';

/** Largest piece handed to `send()` at once (the engine keeps a reference, so no copy is made). */
const WRITE_PIECE = 256 * 1024;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const d: Deferred<T> = {
    promise: new Promise<T>((r) => (resolve = r)),
    resolve: (v) => {
      if (d.settled) return;
      d.settled = true;
      resolve(v);
    },
    settled: false,
  };
  return d;
}

/** One connection as the tests see it. */
export class TestConn {
  /** Bytes received so far, and their SHA-256 (taken at `receivedSha()`). */
  bytesReceived = 0;
  private readonly hash: Hash = createHash('sha256');
  /** Received bytes are also kept when `keep` is set (for small replies). */
  readonly kept: Uint8Array[] = [];
  keep = false;
  /** Called for every chunk after it is counted (e.g. to look at the state it arrived in). */
  onData: ((chunk: Uint8Array) => void) | null = null;
  /** Resolves when the peer's FIN has been delivered (after all its data). */
  readonly peerFin = deferred<void>();
  /** Resolves with the error code if the engine reports one, or null when closed without one. */
  readonly ended = deferred<ConnectionErrorCode | null>();
  error: ConnectionErrorCode | null = null;
  private writableWaiter: Deferred<void> | null = null;
  private drainedWaiter: Deferred<void> | null = null;
  private sha: string | undefined;

  constructor(
    readonly conn: TcpConnection,
    private readonly stack: Stack,
  ) {}

  /** @internal Called by `EngineSockets` for this connection's events. */
  handle(e: TcpEvent): void {
    switch (e.kind) {
      case 'data':
        this.bytesReceived += e.chunk.length;
        this.hash.update(e.chunk);
        if (this.keep) this.kept.push(e.chunk);
        this.onData?.(e.chunk);
        break;
      case 'peer-fin':
        this.peerFin.resolve();
        break;
      case 'writable':
        this.writableWaiter?.resolve();
        break;
      case 'drained':
        this.drainedWaiter?.resolve();
        break;
      case 'error':
        this.error = e.code;
        this.ended.resolve(e.code);
        this.writableWaiter?.resolve();
        this.drainedWaiter?.resolve();
        break;
      case 'closed':
        this.ended.resolve(this.error);
        this.writableWaiter?.resolve();
        this.drainedWaiter?.resolve();
        break;
      default:
        break;
    }
  }

  /** SHA-256 (hex) of everything received; call once, after the peer's FIN. */
  receivedSha(): string {
    return (this.sha ??= this.hash.digest('hex'));
  }

  /** The kept bytes as text (with `keep` set). */
  keptText(): string {
    return Buffer.concat(this.kept).toString();
  }

  /**
   * Writes all of `data`, waiting for `writable` whenever the send buffer is full. Rejects if
   * the connection fails or `send` refuses (EPIPE, ENOTCONN).
   */
  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      if (this.error !== null) throw new Error(`write: connection failed with ${this.error}`);
      const piece = data.subarray(off, Math.min(data.length, off + WRITE_PIECE));
      const n = this.conn.send(piece);
      if (isTcpError(n)) throw new Error(`write: ${n.error} in ${this.conn.state}`);
      off += n;
      this.stack.wake();
      if (n < piece.length) {
        this.writableWaiter = deferred<void>();
        // The buffer may have drained between `send` and here only through a flush, which runs
        // later (setImmediate), so the event cannot be missed.
        await this.writableWaiter.promise;
        this.writableWaiter = null;
      }
    }
  }

  /**
   * Resolves when everything written has been acknowledged (or the connection ended). Call it
   * before `shutdown`: the engine's `drained` event is about data, not our FIN.
   */
  async drained(): Promise<void> {
    if (this.conn.stats().bytesInFlight === 0 && this.conn.stats().notSent === 0) return;
    this.drainedWaiter = deferred<void>();
    await this.drainedWaiter.promise;
    this.drainedWaiter = null;
  }

  /** Our FIN after the queued data (half-close). */
  shutdown(): void {
    const r = this.conn.shutdown();
    if (r !== undefined) throw new Error(`shutdown: ${r.error} in ${this.conn.state}`);
    this.stack.wake();
  }

  close(): void {
    this.conn.close();
    this.stack.wake();
  }
}

/** The engine's events routed to `TestConn`s and accept handlers. */
export class EngineSockets {
  private readonly conns = new Map<TcpConnection, TestConn>();
  private readonly connecting = new Map<TcpConnection, Deferred<TestConn | ConnectionErrorCode>>();
  private readonly acceptors = new Map<object, (c: TestConn) => void>();

  constructor(readonly stack: Stack) {
    stack.runtime.onTcpEvents((events) => this.dispatch(events));
  }

  /** Listens on `address`:`port`; `onAccept` gets each connection, already reading. */
  listen(address: string, port: number, onAccept: (c: TestConn) => void, connection?: Partial<TcpConnectionOptions>): void {
    const l = this.stack.tcp.listen(IpAddress.parse(address)!, port, connection === undefined ? {} : { connection });
    if (isTcpError(l)) throw new Error(`listen ${address}:${port}: ${l.error}`);
    this.acceptors.set(l, onAccept);
  }

  /** Active open; resolves once ESTABLISHED, rejects with the engine's error code. */
  async connect(address: string, port: number, options?: Partial<TcpConnectionOptions>): Promise<TestConn> {
    const c = this.stack.tcp.connect({ remote: IpAddress.parse(address)!, remotePort: port, ...(options ? { options } : {}) });
    if (isTcpError(c)) throw new Error(`connect ${address}:${port}: ${c.error}`);
    const d = deferred<TestConn | ConnectionErrorCode>();
    this.connecting.set(c, d);
    this.stack.wake();
    const r = await d.promise;
    if (typeof r === 'string') throw new Error(`connect ${address}:${port}: ${r}`);
    return r;
  }

  private dispatch(events: TcpEvent[]): void {
    for (const e of events) {
      if (e.kind === 'accept') {
        const c = new TestConn(e.conn, this.stack);
        this.conns.set(e.conn, c);
        e.conn.readStart();
        this.acceptors.get(e.listener)?.(c);
        continue;
      }
      // Deferred (intercepting) listeners' offers: these tests use ordinary listeners only.
      if (e.kind === 'syn' || e.kind === 'syn-expired') continue;
      const pending = this.connecting.get(e.conn);
      if (pending !== undefined) {
        if (e.kind === 'established') {
          this.connecting.delete(e.conn);
          const c = new TestConn(e.conn, this.stack);
          this.conns.set(e.conn, c);
          e.conn.readStart();
          pending.resolve(c);
        } else if (e.kind === 'error' || e.kind === 'closed') {
          this.connecting.delete(e.conn);
          pending.resolve(e.kind === 'error' ? e.code : 'ECONNRESET');
        }
        continue;
      }
      const c = this.conns.get(e.conn);
      if (c === undefined) continue;
      c.handle(e);
      if (e.kind === 'closed') this.conns.delete(e.conn);
    }
    this.stack.wake();
  }
}
