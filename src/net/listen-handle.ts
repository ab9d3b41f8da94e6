/**
 * A `ListenHandle` over a usernet TCP listener (RFC 9293 §3.10.1 passive OPEN). Like a libuv TCP
 * server handle, it is created bound (address checked, `bind` errors such as EADDRNOTAVAIL come
 * back at once) and starts listening in `listen(backlog)` (EADDRINUSE); each completed handshake
 * the engine reports as `accept` becomes a `TcpHandle` passed to `onconnection`.
 */

import type { TcpConnection } from '../../stack/tcp/connection';
import { isTcpError } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';
import { IpAddress } from '../../stack/wire/address';
import { type NetContext, HandleRef } from './context';
import type { ListenerSink } from './dispatch';
import { uvErrno } from './errors';
import { type ListenHandle, type SocketName, type StreamHandle, newHandleId } from './handle';
import { TcpHandle, nameOf } from './tcp-handle';

export class TcpListenHandle implements ListenHandle, ListenerSink {
  private readonly asyncId = newHandleId();

  getAsyncId(): number {
    return this.asyncId;
  }

  onconnection: (status: number, client?: StreamHandle) => void = () => undefined;
  private listener: TcpListener | null = null;
  private refs: HandleRef | null = null;
  private closed = false;

  private constructor(
    private readonly ctx: NetContext,
    private readonly address: IpAddress,
    private readonly port: number,
    private readonly ipv6Only: boolean,
  ) {}

  /** A handle bound to `address`:`port` (not yet listening), or a negative errno. */
  static bind(ctx: NetContext, address: string, port: number, ipv6Only: boolean): TcpListenHandle | number {
    const a = IpAddress.parse(address);
    if (a === null) return uvErrno('EINVAL');
    if (!a.isUnspecified() && !ctx.tcp.env.isLocalAddress(a)) return uvErrno('EADDRNOTAVAIL');
    return new TcpListenHandle(ctx, a, port, ipv6Only && a.family === 6);
  }

  listen(backlog: number): number {
    if (this.closed) return uvErrno('EBADF');
    if (this.listener !== null) return 0;
    const l = this.ctx.tcp.listen(this.address, this.port, { backlog, ipv6Only: this.ipv6Only });
    if (isTcpError(l)) return uvErrno(l.error);
    this.listener = l;
    this.refs = new HandleRef(this.ctx);
    this.ctx.router.addListener(l, this);
    return 0;
  }

  accept(conn: TcpConnection): void {
    const client = new TcpHandle(this.ctx, conn);
    this.onconnection(0, client);
  }

  getsockname(out: SocketName): number {
    nameOf(this.address, this.listener?.port ?? this.port, out);
    return 0;
  }

  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    const l = this.listener;
    this.listener = null;
    if (l !== null) {
      this.ctx.router.removeListener(l);
      l.close();
      this.ctx.runtime.kick();
    }
    this.refs?.close();
    if (cb) setImmediate(cb);
  }

  ref(): void {
    this.refs?.ref();
  }

  unref(): void {
    this.refs?.unref();
  }

  hasRef(): boolean {
    return this.refs?.hasRef ?? false;
  }
}
