/**
 * A `StreamHandle` over one usernet TCP connection (RFC 9293 §3.9.1's user calls on a
 * `TcpConnection`), playing the part libuv's TCP handle plays under Node's `lib/net.js`:
 *
 * - reading: engine `data` → `onread(n, buf)`; `readStop()` stops the engine's delivery so its
 *   receive buffer fills and the advertised window shrinks; chunks already reported while
 *   stopped wait here, in order, until `readStart()`; `peer-fin` → `onread(UV_EOF)`.
 * - writing: chunks go to `conn.send()`; what the bounded send buffer does not take waits here
 *   until `writable`; a write request completes once all its bytes are in the engine.
 * - `shutdown` queues our FIN behind every written byte; `close` is the full close (the engine
 *   finishes the FIN exchange, or resets when unread data remains); `reset` aborts with RST.
 * - errors: during connect they complete the connect request; later they arrive as `onread(errno)`.
 */

import debugFactory from 'debug';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpConnectionEvent } from '../../stack/tcp/events';
import { isTcpError } from '../../stack/tcp/events';
import { IpAddress } from '../../stack/wire/address';
import type { ConnectionSink } from './dispatch';
import { type NetContext, HandleRef } from './context';
import { UV_EOF, errnoName, uvErrno } from './errors';
import { type ConnectReq, type ShutdownReq, type SocketName, type StreamHandle, StreamHandleBase, type WriteReq } from './handle';
import { WriteQueue } from './write-queue';

const log = debugFactory('usernet:net');

/** Linux/libuv keepalive after `setKeepAlive(true)`: probes every 1 s, 10 of them (libuv ≥ 1.45). */
export const KEEPALIVE_INTERVAL_MS = 1000;
export const KEEPALIVE_PROBES = 10;

export function nameOf(addr: IpAddress, port: number, out: SocketName): void {
  out.address = addr.toString();
  out.family = addr.family === 4 ? 'IPv4' : 'IPv6';
  out.port = port;
}

export class TcpHandle extends StreamHandleBase implements StreamHandle, ConnectionSink {
  private conn: TcpConnection | null;
  private readonly refs: HandleRef;
  private readonly writes = new WriteQueue();
  private shutdownReq: ShutdownReq | null = null;
  /** Data and EOF reported by the engine while reading was stopped, in order. */
  private inbound: Array<Buffer | typeof UV_EOF> = [];
  private flushScheduled = false;
  private connectReq: ConnectReq | null = null;
  private bound: { address: IpAddress; port: number } | null = null;
  private noDelay = false;
  private keepAlive: { enable: boolean; delaySecs: number } | null = null;
  /** The connection failed or is gone: the errno later writes get. */
  private failure: number | null = null;
  private ended = false;
  private closed = false;

  constructor(
    private readonly ctx: NetContext,
    conn: TcpConnection | null = null,
  ) {
    super();
    this.conn = conn;
    this.refs = new HandleRef(ctx, false);
    if (conn !== null) ctx.router.addConnection(conn, this);
  }

  get writeQueueSize(): number {
    return this.writes.bytes;
  }

  /** The connection's statistics (`ss -ti`), while it exists. */
  get connection(): TcpConnection | null {
    return this.conn;
  }

  // ------------------------------------------------------------------ reading

  readStart(): number {
    if (this.closed) return uvErrno('EBADF');
    this.reading = true;
    if (this.conn !== null && !this.ended) {
      this.conn.readStart();
      this.ctx.runtime.kick();
    }
    if (this.inbound.length > 0) this.scheduleInbound();
    this.updateActive();
    return 0;
  }

  readStop(): number {
    if (this.closed) return uvErrno('EBADF');
    this.reading = false;
    if (this.conn !== null && !this.ended) this.conn.readStop();
    this.updateActive();
    return 0;
  }

  /** Hands buffered inbound data to `onread` on a later tick, while reading. */
  private scheduleInbound(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      while (this.reading && !this.closed && this.inbound.length > 0) this.report(this.inbound.shift()!);
      this.updateActive();
    });
  }

  private report(item: Buffer | typeof UV_EOF): void {
    if (item === UV_EOF) {
      this.ended = true;
      this.onread(UV_EOF, undefined);
    } else {
      this.bytesRead += item.length;
      this.onread(item.length, item);
    }
  }

  // ------------------------------------------------------------------ engine events

  deliver(ev: TcpConnectionEvent): void {
    if (this.closed) return;
    this.deliverEvent(ev);
    this.updateActive();
  }

  /**
   * libuv's rule for keeping the process alive: connecting, reading (until EOF or an error),
   * or with writes or a shutdown pending.
   */
  private updateActive(): void {
    const busy = this.connectReq !== null || (this.reading && !this.ended) || !this.writes.isEmpty || this.shutdownReq !== null;
    this.refs.setActive(!this.closed && busy);
  }

  private deliverEvent(ev: TcpConnectionEvent): void {
    switch (ev.kind) {
      case 'established': {
        const req = this.connectReq;
        this.connectReq = null;
        req?.oncomplete(0);
        return;
      }
      case 'data': {
        // Ownership: the engine hands the chunk over; the Buffer is a view of it, not a copy.
        const buf = Buffer.from(ev.chunk.buffer, ev.chunk.byteOffset, ev.chunk.byteLength);
        if (this.reading && this.inbound.length === 0) this.report(buf);
        else this.inbound.push(buf);
        return;
      }
      case 'peer-fin':
        if (this.reading && this.inbound.length === 0) this.report(UV_EOF);
        else this.inbound.push(UV_EOF);
        return;
      case 'writable':
        this.flushWrites();
        return;
      case 'drained':
        return;
      case 'error':
        this.fail(uvErrno(ev.code));
        return;
      case 'closed':
        this.conn = null;
        // Gone without an error or our close: nothing more will come, and writes fail.
        if (this.failure === null) this.failure = uvErrno('EPIPE');
        if (this.connectReq !== null) this.fail(uvErrno('ECONNRESET'));
        else if (!this.ended && !this.inbound.includes(UV_EOF)) this.inbound.push(UV_EOF);
        if (this.inbound.length > 0 && this.reading) this.scheduleInbound();
        return;
    }
  }

  /**
   * The connection failed: a pending connect completes with the error; otherwise the reader hears
   * it first (Node reports `read ECONNRESET`), then writes still queued complete with it.
   */
  private fail(errno: number): void {
    if (log.enabled) log('%s: %s', this.conn?.toString() ?? 'connection', errnoName(errno));
    this.failure = errno;
    const req = this.connectReq;
    if (req !== null) {
      this.connectReq = null;
      this.failWrites(errno);
      req.oncomplete(errno);
      return;
    }
    if (!this.ended) {
      this.ended = true;
      this.inbound = [];
      this.onread(errno, undefined);
    }
    this.failWrites(errno);
  }

  // ------------------------------------------------------------------ writing

  writev(req: WriteReq, chunks: readonly Uint8Array[]): number {
    if (this.closed) return uvErrno('EBADF');
    if (this.failure !== null) return this.failure;
    if (this.conn === null) return uvErrno('ENOTCONN');
    req.async = false;
    const queued = this.writes.push(req, chunks);
    if (queued === null) return 0;
    for (const chunk of chunks) this.bytesWritten += chunk.byteLength;
    const err = this.flushWrites();
    if (err !== 0) return err;
    // Still queued: it completes when the engine takes the rest (a `writable` event).
    if (this.writes.holds(queued)) req.async = true;
    this.updateActive();
    return 0;
  }

  /** After the engine took bytes: its output goes out on the next flush. Bound once (per write). */
  private readonly kickRuntime = (): void => this.ctx.runtime.kick();

  /** Moves queued chunks into the engine's send buffer; completes requests whose bytes are in. */
  private flushWrites(): number {
    if (this.conn !== null) {
      const errno = this.writes.flushInto(this.conn, this.kickRuntime);
      if (errno !== 0) {
        this.failWrites(errno);
        return errno;
      }
    }
    if (this.writes.isEmpty && this.shutdownReq !== null) this.finishShutdown();
    return 0;
  }

  private failWrites(errno: number): void {
    for (const r of this.writes.clear()) r.oncomplete(errno);
    const sd = this.shutdownReq;
    this.shutdownReq = null;
    if (sd !== null) setImmediate(() => sd.oncomplete(errno));
  }

  shutdown(req: ShutdownReq): number {
    if (this.closed) return uvErrno('EBADF');
    if (this.conn === null) return uvErrno('ENOTCONN');
    this.shutdownReq = req;
    if (this.writes.isEmpty) this.finishShutdown();
    this.updateActive();
    return 0;
  }

  private finishShutdown(): void {
    const req = this.shutdownReq!;
    this.shutdownReq = null;
    const err = this.conn?.shutdown();
    this.ctx.runtime.kick();
    const status = err === undefined ? 0 : uvErrno('ENOTCONN');
    // The FIN is queued behind every written byte now; the request completes on the next tick
    // (libuv: as soon as its write queue is empty, before timers and immediates that follow).
    process.nextTick(() => req.oncomplete(status));
  }

  // ------------------------------------------------------------------ closing

  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.release('close');
    if (cb) setImmediate(cb);
  }

  reset(cb?: () => void): number {
    if (this.closed) return uvErrno('EBADF');
    this.closed = true;
    this.release('reset');
    if (cb) setImmediate(cb);
    return 0;
  }

  /** Gives the connection back to the engine: a full close (FIN, or RST with unread data) or a reset. */
  private release(how: 'close' | 'reset'): void {
    const conn = this.conn;
    // `log.enabled` first: the connection's text is built only when someone reads it (once per close).
    if (conn !== null && log.enabled) log('%s: %s by the user', conn.toString(), how);
    this.conn = null;
    // As libuv on close: requests still queued complete with ECANCELED, after this call.
    const cancelled: Array<WriteReq | ShutdownReq> = this.writes.clear();
    if (this.shutdownReq !== null) cancelled.push(this.shutdownReq);
    if (cancelled.length > 0) setImmediate(() => cancelled.forEach((r) => r.oncomplete(uvErrno('ECANCELED'))));
    this.inbound = [];
    this.connectReq = null;
    this.shutdownReq = null;
    this.refs.close();
    if (conn !== null) {
      this.ctx.router.removeConnection(conn);
      if (how === 'close') conn.close();
      else conn.abort();
      this.ctx.runtime.kick();
    }
  }

  // ------------------------------------------------------------------ opening

  bind(address: string, port: number, family: 4 | 6): number {
    const a = IpAddress.parse(address);
    if (a === null || a.family !== family) return uvErrno('EINVAL');
    if (!a.isUnspecified() && !this.ctx.tcp.env.isLocalAddress(a)) return uvErrno('EADDRNOTAVAIL');
    this.bound = { address: a, port };
    return 0;
  }

  connect(req: ConnectReq, address: string, port: number, family: 4 | 6): number {
    if (this.closed) return uvErrno('EBADF');
    const remote = this.ctx.parseAddress(address);
    if (remote === null || remote.family !== family) return uvErrno('EINVAL');
    const local = this.bound !== null && !this.bound.address.isUnspecified() ? this.bound.address : undefined;
    if (local !== undefined && local.family !== remote.family) return uvErrno('EAFNOSUPPORT');
    const opts: Parameters<NetContext['tcp']['connect']>[0] = { remote, remotePort: port };
    if (local !== undefined) opts.local = local;
    if (this.bound !== null && this.bound.port !== 0) opts.localPort = this.bound.port;
    const conn = this.ctx.tcp.connect(opts, this.ctx.runtime.now());
    if (isTcpError(conn)) return uvErrno(conn.error);
    if (log.enabled) log('%s: connecting', conn.toString());
    this.conn = conn;
    this.connectReq = req;
    this.updateActive();
    this.ctx.router.addConnection(conn, this);
    if (!this.reading) conn.readStop();
    if (this.noDelay) conn.setNoDelay(true);
    if (this.keepAlive !== null) this.setKeepAlive(this.keepAlive.enable, this.keepAlive.delaySecs);
    this.ctx.runtime.kick();
    return 0;
  }

  setNoDelay(enable: boolean): number {
    this.noDelay = enable;
    this.conn?.setNoDelay(enable);
    return 0;
  }

  setKeepAlive(enable: boolean, delaySecs: number): number {
    this.keepAlive = { enable, delaySecs };
    if (this.conn === null) return 0;
    const ka: Parameters<TcpConnection['setKeepAlive']>[0] = { enable };
    if (enable) {
      ka.intervalMs = KEEPALIVE_INTERVAL_MS;
      ka.count = KEEPALIVE_PROBES;
      if (delaySecs > 0) ka.idleMs = delaySecs * 1000;
    }
    this.conn.setKeepAlive(ka);
    this.ctx.runtime.kick();
    return 0;
  }

  getsockname(out: SocketName): number {
    if (this.conn !== null) nameOf(this.conn.local, this.conn.localPort, out);
    else if (this.bound !== null) nameOf(this.bound.address, this.bound.port, out);
    else return uvErrno('EBADF');
    return 0;
  }

  getpeername(out: SocketName): number {
    if (this.conn === null || this.connectReq !== null) return uvErrno('ENOTCONN');
    nameOf(this.conn.remote, this.conn.remotePort, out);
    return 0;
  }

  ref(): void {
    this.refs.ref();
  }

  unref(): void {
    this.refs.unref();
  }

  hasRef(): boolean {
    return this.refs.hasRef;
  }
}
