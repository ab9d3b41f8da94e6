/**
 * `Server`: Node's `net.Server` on a usernet listening handle (lib/net.js `Server`,
 * `setupListenHandle`, `onconnection`). `listen()` takes every form Node takes; the address is
 * known as soon as `listen()` returns, `'listening'` and errors are emitted on the next tick;
 * `close()` stops accepting and emits `'close'` after the last connection has gone.
 */

import { EventEmitter } from 'events';
import type { NetContext } from './context';
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_SERVER_ALREADY_LISTEN,
  ERR_SERVER_NOT_RUNNING,
  errnoException,
  uvExceptionWithHostPort,
} from './errors';
import { type ListenHandle, type SocketName, type StreamHandle, isListenHandle } from './handle';
import { PipeListenHandle } from './ipc';
import { TcpListenHandle } from './listen-handle';
import { defaultLookup } from './lookup';
import { Socket } from './socket';
import { isPipeName, normalizeArgs, toNumber, validateAbortSignal, validateNumber, validatePort } from './validate';

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
}

export interface ListenOptions {
  port?: number | string | null;
  host?: string;
  path?: string;
  backlog?: number;
  exclusive?: boolean;
  ipv6Only?: boolean;
  signal?: AbortSignal;
  readableAll?: boolean;
  writableAll?: boolean;
}

/** Node's default `highWaterMark` for streams (16 KiB in Node 20). */
const DEFAULT_HIGH_WATER_MARK = 16 * 1024;

type ListenArgs = Array<unknown>;

export class Server extends EventEmitter {
  /** The stack this class listens on, and the Socket class its connections get; per stack. */
  static netContext: NetContext | null = null;
  static SocketClass: typeof Socket = Socket;

  _connections = 0;
  _handle: ListenHandle | null = null;
  _unref = false;
  _connectionKey: string | undefined = undefined;
  _pipeName: string | undefined = undefined;
  /** Counts close() calls, so a listen() whose host lookup ends after a close() does nothing. */
  _listeningId = 1;
  private pipeAccess: { readableAll: boolean; writableAll: boolean } = { readableAll: false, writableAll: false };
  allowHalfOpen: boolean;
  pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
  highWaterMark: number;
  /** Connections beyond this are closed at once and reported with `'drop'` (Node 20). */
  maxConnections: number | undefined = undefined;

  constructor(connectionListener?: (socket: Socket) => void);
  constructor(options?: ServerOptions, connectionListener?: (socket: Socket) => void);
  constructor(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
    super();
    let opts: ServerOptions;
    if (typeof options === 'function') {
      this.on('connection', options);
      opts = {};
    } else if (options === undefined || options === null || typeof options === 'object') {
      opts = { ...options };
      if (typeof connectionListener === 'function') this.on('connection', connectionListener);
    } else {
      throw ERR_INVALID_ARG_TYPE('options', 'Object', options);
    }
    if (opts.keepAliveInitialDelay !== undefined) {
      validateNumber(opts.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
      if (opts.keepAliveInitialDelay < 0) opts.keepAliveInitialDelay = 0;
    }
    if (opts.highWaterMark !== undefined) {
      validateNumber(opts.highWaterMark, 'options.highWaterMark');
      if (opts.highWaterMark < 0) opts.highWaterMark = DEFAULT_HIGH_WATER_MARK;
    }
    this.allowHalfOpen = opts.allowHalfOpen || false;
    this.pauseOnConnect = !!opts.pauseOnConnect;
    this.noDelay = Boolean(opts.noDelay);
    this.keepAlive = Boolean(opts.keepAlive);
    this.keepAliveInitialDelay = ~~((opts.keepAliveInitialDelay ?? 0) / 1000);
    this.highWaterMark = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  }

  private context(): NetContext {
    const ctx = (this.constructor as typeof Server).netContext;
    if (ctx === null) throw new Error('this Server class is not bound to a usernet stack; use stack.net.Server');
    return ctx;
  }

  // ------------------------------------------------------------------ listen

  listen(port?: number, hostname?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number, hostname?: string, listeningListener?: () => void): this;
  listen(port?: number, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number, listeningListener?: () => void): this;
  listen(path: string, backlog?: number, listeningListener?: () => void): this;
  listen(path: string, listeningListener?: () => void): this;
  listen(options: ListenOptions, listeningListener?: () => void): this;
  listen(handle: unknown, backlog?: number, listeningListener?: () => void): this;
  listen(handle: unknown, listeningListener?: () => void): this;
  listen(...args: ListenArgs): this {
    const normalized = normalizeArgs(args);
    let options = normalized.options as ListenOptions & { _handle?: unknown; handle?: unknown; fd?: unknown };
    const cb = normalized.cb;
    if (this._handle !== null) throw ERR_SERVER_ALREADY_LISTEN();
    if (cb !== null) this.once('listening', cb as () => void);
    const backlogFromArgs = toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]) || undefined;
    const given = options._handle ?? options.handle ?? options;
    // (handle[, backlog][, cb]): another usernet server's listening handle.
    if (isListenHandle(given)) {
      this._handle = given;
      this.setupListenHandle(null, -1, -1, backlogFromArgs, false);
      return this;
    }
    options = given as typeof options;
    this.addSignal(options);
    // Node 20 takes only a non-negative fd as one; a negative fd falls through to port/path.
    if (typeof options.fd === 'number' && options.fd >= 0) throw ERR_INVALID_ARG_VALUE('options.fd', options.fd, 'is not supported on a usernet stack');
    if (args.length === 0 || typeof args[0] === 'function' || (options.port === undefined && 'port' in options) || options.port === null) {
      options.port = 0;
    }
    if (typeof options.port === 'number' || typeof options.port === 'string') {
      const port = validatePort(options.port, 'options.port');
      const backlog = options.backlog || backlogFromArgs;
      const ipv6Only = options.ipv6Only === true;
      if (options.host) this.lookupAndListen(port, options.host, backlog, ipv6Only);
      else this.setupListenHandle(null, port, 4, backlog, ipv6Only);
      return this;
    }
    if (options.path && isPipeName(options.path)) {
      this._pipeName = options.path;
      this.pipeAccess = { readableAll: options.readableAll === true, writableAll: options.writableAll === true };
      this.setupListenHandle(options.path, -1, -1, options.backlog || backlogFromArgs, false);
      return this;
    }
    if (!('port' in options || 'path' in options)) {
      throw ERR_INVALID_ARG_VALUE('options', options, 'must have the property "port" or "path"');
    }
    throw ERR_INVALID_ARG_VALUE('options', options);
  }

  private addSignal(options: ListenOptions): void {
    const signal = options?.signal;
    if (signal === undefined) return;
    validateAbortSignal(signal, 'options.signal');
    const onAborted = (): void => {
      this.close();
    };
    if (signal.aborted) {
      process.nextTick(onAborted);
    } else {
      signal.addEventListener('abort', onAborted, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAborted));
    }
  }

  private lookupAndListen(port: number, host: string, backlog: number | undefined, ipv6Only: boolean): void {
    const listeningId = this._listeningId;
    defaultLookup(host, {}, (err, ip, family) => {
      // close() while the name was being looked up: this listen() is void (Node's _listeningId).
      if (listeningId !== this._listeningId) return;
      if (err) this.emit('error', err);
      else this.setupListenHandle(ip as string, port, family === 6 ? 6 : 4, backlog, ipv6Only);
    });
  }

  /** lib/net.js `setupListenHandle`: bind (the IPv6 wildcard first when no address was given), listen. */
  private setupListenHandle(address: string | null, port: number, family: number, backlog: number | undefined, ipv6Only: boolean): void {
    if (this._handle === null) {
      let rval: ListenHandle | number | null = null;
      if (family === -1 && address !== null) {
        const pipe = new PipeListenHandle(address, this.pipeAccess);
        pipe.onlistenerror = (err) => {
          if (this._handle === pipe) this._handle = null;
          this.emit('error', err);
        };
        rval = pipe;
      } else {
        const ctx = this.context();
        if (!address) {
          rval = TcpListenHandle.bind(ctx, '::', port, ipv6Only);
          if (typeof rval === 'number') {
            rval = null;
            address = '0.0.0.0';
            family = 4;
          } else {
            address = '::';
            family = 6;
          }
        }
        if (rval === null) rval = TcpListenHandle.bind(ctx, address!, port, ipv6Only);
      }
      if (typeof rval === 'number') {
        const error = uvExceptionWithHostPort(rval, 'listen', address, port);
        process.nextTick(() => this.emit('error', error));
        return;
      }
      this._handle = rval;
    }
    const handle = this._handle;
    handle.onconnection = (status, client) => this.onconnection(status, client);
    const err = handle.listen(backlog || 511);
    if (err) {
      const ex = uvExceptionWithHostPort(err, 'listen', address, port);
      handle.close();
      this._handle = null;
      process.nextTick(() => this.emit('error', ex));
      return;
    }
    this._connectionKey = `${family}:${address}:${port}`;
    if (this._unref) this.unref();
    process.nextTick(() => {
      if (this._handle !== null) this.emit('listening');
    });
  }

  // ------------------------------------------------------------------ connections

  /** lib/net.js `onconnection`. */
  private onconnection(status: number, client?: StreamHandle): void {
    if (status !== 0 || client === undefined) {
      this.emit('error', errnoException(status, 'accept'));
      return;
    }
    if (this.maxConnections !== undefined && this.maxConnections !== null && this._connections >= this.maxConnections) {
      const local: SocketName = {};
      const remote: SocketName = {};
      client.getsockname(local);
      client.getpeername(remote);
      this.emit('drop', {
        localAddress: local.address,
        localPort: local.port,
        localFamily: local.family,
        remoteAddress: remote.address,
        remotePort: remote.port,
        remoteFamily: remote.family,
      });
      client.close();
      return;
    }
    const SocketClass = (this.constructor as typeof Server).SocketClass;
    const socket = new SocketClass({
      handle: client,
      allowHalfOpen: this.allowHalfOpen,
      pauseOnCreate: this.pauseOnConnect,
      readable: true,
      writable: true,
      readableHighWaterMark: this.highWaterMark,
      writableHighWaterMark: this.highWaterMark,
    });
    if (this.noDelay && client.setNoDelay) {
      socket._noDelay = true;
      client.setNoDelay(true);
    }
    if (this.keepAlive && client.setKeepAlive) {
      socket._keepAlive = true;
      socket._keepAliveInitialDelay = this.keepAliveInitialDelay;
      client.setKeepAlive(true, this.keepAliveInitialDelay);
    }
    this._connections++;
    socket.server = this;
    socket._server = this;
    this.emit('connection', socket);
  }

  // ------------------------------------------------------------------ the rest of the API

  address(): SocketName | string | null {
    if (this._handle !== null) {
      if (this._pipeName !== undefined) return this._pipeName;
      const out: SocketName = {};
      const err = this._handle.getsockname(out);
      if (err) throw errnoException(err, 'address');
      return out;
    }
    return this._pipeName ?? null;
  }

  get listening(): boolean {
    return this._handle !== null && this._connectionKey !== undefined;
  }

  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (this._handle === null) this.once('close', () => cb(ERR_SERVER_NOT_RUNNING()));
      else this.once('close', cb);
    }
    if (this._handle !== null) {
      this._handle.close();
      this._handle = null;
    }
    this._listeningId++;
    this._emitCloseIfDrained();
    return this;
  }

  _emitCloseIfDrained(): void {
    if (this._handle !== null || this._connections > 0) return;
    process.nextTick(() => this.emit('close'));
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this._connections;
    process.nextTick(cb, null, n);
    return this;
  }

  ref(): this {
    this._unref = false;
    this._handle?.ref();
    return this;
  }

  unref(): this {
    this._unref = true;
    this._handle?.unref();
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this._handle === null) return;
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }
}
