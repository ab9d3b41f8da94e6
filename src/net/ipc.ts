/**
 * Local IPC: `connect(path)` and `listen(path)` are not TCP/IP, so they are delegated to the
 * host's Unix-domain sockets through Node's own `net`. These handles put a host socket behind the
 * same `StreamHandle`/`ListenHandle` contract the TCP handles keep, so a usernet `Socket` or
 * `Server` on a path behaves (events, half-close, errors) exactly as on TCP. The host sockets run
 * with `allowHalfOpen` so that half-close decisions stay with the usernet `Socket` above.
 */

import * as hostNet from 'net';
import { UV_EOF, exceptionWithHostPort, uvErrno } from './errors';
import { type ConnectReq, type ListenHandle, type ShutdownReq, type SocketName, type StreamHandle, type WriteReq, HandleBase, StreamHandleBase } from './handle';
import type { Socket } from './socket';
import { afterConnect } from './connect';

function noop(): void {}

/** The negative errno of a host socket error (EIO-like fallback when it has none). */
function errnoOf(err: Error): number {
  const n = (err as NodeJS.ErrnoException).errno;
  return typeof n === 'number' && n < 0 ? n : uvErrno('ECONNRESET');
}

export class PipeHandle extends StreamHandleBase implements StreamHandle {
  private sock: hostNet.Socket | null = null;
  private connectReq: ConnectReq | null = null;
  private wantRef = true;
  private closed = false;

  constructor(sock?: hostNet.Socket) {
    super();
    if (sock !== undefined) this.attach(sock);
  }

  get writeQueueSize(): number {
    return this.sock?.writableLength ?? 0;
  }

  private attach(sock: hostNet.Socket): void {
    this.sock = sock;
    sock.pause();
    if (!this.wantRef) sock.unref();
    sock.on('data', (b: Buffer) => {
      this.bytesRead += b.length;
      this.onread(b.length, b);
    });
    sock.on('end', () => this.onread(UV_EOF, undefined));
    sock.on('error', (err: Error) => {
      const req = this.connectReq;
      this.connectReq = null;
      if (req !== null) req.oncomplete(errnoOf(err));
      else if (!this.closed) this.onread(errnoOf(err), undefined);
    });
  }

  connectPath(req: ConnectReq, path: string): number {
    const sock = hostNet.connect({ path, allowHalfOpen: true });
    this.connectReq = req;
    this.attach(sock);
    sock.once('connect', () => {
      const r = this.connectReq;
      this.connectReq = null;
      r?.oncomplete(0);
    });
    return 0;
  }

  readStart(): number {
    this.reading = true;
    this.sock?.resume();
    return 0;
  }

  readStop(): number {
    this.reading = false;
    this.sock?.pause();
    return 0;
  }

  writev(req: WriteReq, chunks: readonly Uint8Array[]): number {
    const sock = this.sock;
    if (sock === null || this.closed) return uvErrno('EBADF');
    req.async = true;
    let total = 0;
    chunks.forEach((c, i) => {
      total += c.byteLength;
      const done = i === chunks.length - 1 ? (err?: Error | null) => req.oncomplete(err ? errnoOf(err) : 0) : undefined;
      sock.write(c, done);
    });
    if (chunks.length === 0) setImmediate(() => req.oncomplete(0));
    this.bytesWritten += total;
    return 0;
  }

  shutdown(req: ShutdownReq): number {
    const sock = this.sock;
    if (sock === null || this.closed) return uvErrno('ENOTCONN');
    sock.end(() => req.oncomplete(0));
    return 0;
  }

  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    const sock = this.sock;
    if (sock === null || sock.destroyed) {
      if (cb) setImmediate(cb);
      return;
    }
    if (cb) sock.once('close', () => cb());
    sock.destroy();
  }

  getsockname(_out: SocketName): number {
    return uvErrno('EBADF'); // Node's pipe handles have no socket names either: address() is {}.
  }

  getpeername(_out: SocketName): number {
    return uvErrno('EBADF');
  }

  ref(): void {
    this.wantRef = true;
    this.sock?.ref();
  }

  unref(): void {
    this.wantRef = false;
    this.sock?.unref();
  }

  hasRef(): boolean {
    return this.wantRef && !this.closed;
  }
}

/** `Socket.connect(path)`: the pipe's connect, finished by the same `afterConnect` as TCP. */
export function connectPipe(self: Socket, path: string): void {
  const handle = self._handle!;
  const req: ConnectReq = { address: path, port: 0, oncomplete: (status) => afterConnect(self, handle, req, status) };
  const err = handle.connectPath ? handle.connectPath(req, path) : uvErrno('EINVAL');
  if (err) self.destroy(exceptionWithHostPort(err, 'connect', path, undefined));
}

/** A listening Unix-domain socket on the host. */
export class PipeListenHandle extends HandleBase implements ListenHandle {
  onconnection: (status: number, client?: StreamHandle) => void = noop;
  /** A host error before listening started (EADDRINUSE …): the host's own error object. */
  onlistenerror: (err: Error) => void = noop;
  private readonly server: hostNet.Server;
  private wantRef = true;
  private closed = false;

  constructor(
    readonly pipeName: string,
    private readonly access: { readableAll?: boolean; writableAll?: boolean } = {},
  ) {
    super();
    this.server = hostNet.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.server.on('connection', (sock: hostNet.Socket) => this.onconnection(0, new PipeHandle(sock)));
    this.server.on('error', (err: Error) => {
      if (!this.server.listening) this.onlistenerror(err);
      else this.onconnection(errnoOf(err));
    });
  }

  listen(backlog: number): number {
    this.server.listen({ path: this.pipeName, backlog, readableAll: this.access.readableAll === true, writableAll: this.access.writableAll === true });
    if (!this.wantRef) this.server.unref();
    return 0;
  }

  getsockname(out: SocketName): number {
    out.address = this.pipeName;
    return 0;
  }

  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close(() => cb?.());
  }

  ref(): void {
    this.wantRef = true;
    this.server.ref();
  }

  unref(): void {
    this.wantRef = false;
    this.server.unref();
  }

  hasRef(): boolean {
    return this.wantRef && !this.closed;
  }
}
