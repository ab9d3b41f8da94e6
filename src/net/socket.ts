/**
 * `Socket`: Node's `net.Socket` on a usernet handle (its observable state — names, counters,
 * options, the idle timer — is in `socket-state.ts`). A `stream.Duplex` that mirrors how Node's
 * `lib/net.js` sits on its libuv handle (STYLE.md, "The net layer"): data → `push`, `push` false →
 * `readStop()` (the receive window closes), EOF → `push(null)`, `_final` → `shutdown` (our FIN),
 * errors → `destroy(err)`; `'error'` comes before `'close'`, both asynchronous. Names, defaults
 * and event order follow Node 20; the connect path (lookup, bind, connect) is in `connect.ts`.
 */

import { Duplex } from 'stream';
import type { NetContext } from './context';
import { lookupAndConnect, type ConnectOptions } from './connect';
import {
  ERR_FEATURE_UNAVAILABLE_ON_PLATFORM,
  ERR_INVALID_HANDLE_TYPE,
  ERR_MISSING_ARGS,
  ERR_SOCKET_CLOSED,
  UV_EOF,
  abortError,
  errnoException,
} from './errors';
import type { StreamHandle } from './handle';
import { PipeHandle, connectPipe } from './ipc';
import type { Server } from './server';
import { TcpHandle } from './tcp-handle';
import { type Chunk, SocketState } from './socket-state';
import { type WriteCallback, onReadableStreamEnd, writeGeneric } from './socket-write';
import { type OnreadOption, UserBufferReader, isOnreadOption } from './user-buffer';
import { normalizeArgs, validateNumber, validateString } from './validate';

export interface SocketConstructorOptions {
  allowHalfOpen?: boolean;
  readable?: boolean;
  writable?: boolean;
  signal?: AbortSignal;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** Internal (as in Node): the handle of an accepted connection. */
  handle?: StreamHandle;
  pauseOnCreate?: boolean;
  manualStart?: boolean;
  fd?: number;
  /** Node's `onread`: bytes go to `callback(nread, buffer)` in a buffer of the user's, not 'data'. */
  onread?: OnreadOption;
}

const kNormalized = Symbol('normalizedArgs');

function noop(): void {}

export class Socket extends SocketState {
  /** The stack whose TCP this class connects on; set by each stack's `net` module. */
  static netContext: NetContext | null = null;

  _hadError = false;
  _host: string | null = null;
  server: Server | null = null;
  _server: Server | null = null;
  resetAndClosing = false;
  /** Set by the `onread` option (Node's kBuffer / kBufferCb / kBufferGen). */
  _userBuffer: UserBufferReader | null = null;

  constructor(options?: SocketConstructorOptions | number) {
    if (typeof options === 'number') throw ERR_FEATURE_UNAVAILABLE_ON_PLATFORM('net.Socket({ fd }) on a usernet stack');
    // The four keys set below come first in the literal: V8 adds a property to a spread copy
    // slowly (~0.4 µs each, a new map every time), while overwriting one it already has is cheap.
    const o: SocketConstructorOptions & { emitClose?: boolean; autoDestroy?: boolean; decodeStrings?: boolean } = {
      allowHalfOpen: false,
      emitClose: false,
      autoDestroy: true,
      decodeStrings: false,
      ...options,
    };
    if (o.fd !== undefined) throw ERR_FEATURE_UNAVAILABLE_ON_PLATFORM('net.Socket({ fd }) on a usernet stack');
    o.allowHalfOpen = Boolean(o.allowHalfOpen);
    o.emitClose = false; // 'close' is emitted by the handle's close callback, with hadError
    o.autoDestroy = true;
    o.decodeStrings = false;
    const { handle, pauseOnCreate, manualStart, noDelay, keepAlive, keepAliveInitialDelay: givenDelay, signal, onread, ...duplexOptions } = o;
    let keepAliveInitialDelay = givenDelay;
    if (keepAliveInitialDelay !== undefined) {
      validateNumber(keepAliveInitialDelay, 'options.keepAliveInitialDelay');
      if (keepAliveInitialDelay < 0) keepAliveInitialDelay = 0; // as Node: a negative delay is none
    }
    super(duplexOptions);
    this._noDelay = Boolean(noDelay);
    this._keepAlive = Boolean(keepAlive);
    this._keepAliveInitialDelay = ~~((keepAliveInitialDelay ?? 0) / 1000);
    if (handle !== undefined) this._handle = handle;
    if (isOnreadOption(onread)) this._userBuffer = new UserBufferReader(onread, this);
    this.on('end', onReadableStreamEnd);
    this.initHandle();
    if (this._handle !== null && o.readable !== false) {
      if (pauseOnCreate) {
        this._handle.reading = false;
        this._handle.readStop();
        (this as { readableFlowing: boolean | null }).readableFlowing = false;
      } else if (!manualStart) {
        this.read(0);
      }
    }
    if (signal !== undefined) this.addSignal(signal);
  }

  /** Node's `initSocketHandle`: route the handle's reads here. */
  initHandle(): void {
    (this as unknown as { _undestroy(): void })._undestroy();
    this._sockname = null;
    if (this._handle !== null) {
      this._handle.onread = (nread, buf) => this.onHandleRead(nread, buf);
      this._userBuffer?.attach();
    }
  }

  private addSignal(signal: AbortSignal): void {
    const abort = (): void => {
      this.destroy(abortError(signal.reason));
    };
    if (signal.aborted) {
      process.nextTick(abort);
    } else {
      signal.addEventListener('abort', abort, { once: true });
      this.once('close', () => signal.removeEventListener('abort', abort));
    }
  }

  // ------------------------------------------------------------------ reading

  /** lib/net.js `onStreamRead` (stream_base_commons): the one place handle reads become stream calls. */
  private onHandleRead(nread: number, buf: Buffer | undefined): void {
    const handle = this._handle;
    if (handle === null) return;
    this._unrefTimer();
    if (nread > 0 && !this.destroyed) {
      if (this._userBuffer !== null) {
        const more = this._userBuffer.deliver(buf!, () => handle.reading && !this.destroyed && this._handle === handle);
        if (!more && handle.reading && this._handle === handle) this.stopReading(handle);
        return;
      }
      if (!this.push(buf) && handle.reading) {
        const err = handle.readStop();
        if (err) this.destroy(errnoException(err, 'read'));
      }
      return;
    }
    if (nread === 0) return;
    if (nread !== UV_EOF) {
      this.destroy(errnoException(nread, 'read'));
      return;
    }
    this.push(null);
    this.read(0);
  }

  private stopReading(handle: StreamHandle): void {
    handle.reading = false;
    const err = handle.readStop();
    if (err) this.destroy(errnoException(err, 'read'));
  }

  /** With `onread`, reading follows pause()/resume() directly, as in Node. */
  override pause(): this {
    const handle = this._handle;
    if (this._userBuffer !== null && !this.connecting && handle !== null && handle.reading && !this.destroyed) this.stopReading(handle);
    return super.pause();
  }

  override resume(): this {
    if (this._userBuffer !== null) this.startUserReads();
    return super.resume();
  }

  override read(size?: number): ReturnType<Duplex['read']> {
    if (this._userBuffer !== null) this.startUserReads();
    return super.read(size);
  }

  /** Starts reading for `onread` (what a stop left over goes to the callback first). */
  private startUserReads(): void {
    const handle = this._handle;
    if (this.connecting || handle === null || handle.reading || this.destroyed) return;
    const err = this._userBuffer!.start(handle, () => this._handle === handle && !this.destroyed, (e) => this.destroy(errnoException(e, 'read')));
    if (err) this.destroy(errnoException(err, 'read'));
  }

  override _read(n: number): void {
    if (this.connecting || this._handle === null) {
      this.once('connect', () => this._read(n));
    } else if (!this._handle.reading) {
      const err = this._handle.readStart();
      if (err) this.destroy(errnoException(err, 'read'));
    }
  }

  // ------------------------------------------------------------------ writing

  override _write(chunk: unknown, encoding: BufferEncoding, cb: WriteCallback): void {
    writeGeneric(this, [{ chunk, encoding }], cb);
  }

  override _writev(chunks: Chunk[], cb: WriteCallback): void {
    writeGeneric(this, chunks, cb);
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (this.pending) {
      this.once('connect', () => this._final(cb));
      return;
    }
    const handle = this._handle;
    if (handle === null) {
      cb();
      return;
    }
    const err = handle.shutdown({ oncomplete: () => cb() });
    if (err === 1 || err === -107 /* ENOTCONN */) cb();
    else if (err !== 0) cb(errnoException(err, 'shutdown'));
  }

  override end(cb?: () => void): this;
  override end(chunk: unknown, cb?: () => void): this;
  override end(chunk: unknown, encoding: BufferEncoding, cb?: () => void): this;
  override end(...args: unknown[]): this {
    (Duplex.prototype.end as (...a: unknown[]) => unknown).apply(this, args);
    return this;
  }

  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // ------------------------------------------------------------------ closing

  override _destroy(exception: Error | null, cb: (error: Error | null) => void): void {
    this.connecting = false;
    for (let s: SocketState | null = this; s !== null; s = s._parent) s.clearTimer();
    const handle = this._handle;
    if (handle !== null) {
      const isException = exception !== null;
      this._bytesReadClosed = handle.bytesRead;
      this._bytesWrittenClosed = handle.bytesWritten;
      if (this.resetAndClosing && handle.reset !== undefined) {
        this.resetAndClosing = false;
        const err = handle.reset(() => this.emit('close', isException));
        if (err) this.emit('error', errnoException(err, 'reset'));
      } else {
        handle.close(() => this.emit('close', isException));
      }
      handle.onread = noop;
      this._handle = null;
      this._sockname = null;
      cb(exception);
    } else {
      cb(exception);
      process.nextTick(() => this.emit('close'));
    }
    const server = this._server;
    if (server !== null) {
      server._connections--;
      server._emitCloseIfDrained();
    }
  }

  /** Sends RST instead of FIN (SO_LINGER 0), then destroys the socket. */
  resetAndDestroy(): this {
    if (this._handle !== null) {
      if (this._handle.reset === undefined) throw ERR_INVALID_HANDLE_TYPE();
      if (this.connecting) this.once('connect', () => this._reset());
      else this._reset();
    } else {
      this.destroy(ERR_SOCKET_CLOSED());
    }
    return this;
  }

  _reset(): this {
    this.resetAndClosing = true;
    return this.destroy();
  }

  // ------------------------------------------------------------------ connecting

  connect(options: ConnectOptions, connectionListener?: () => void): this;
  connect(port: number, host?: string, connectionListener?: () => void): this;
  connect(port: number, connectionListener?: () => void): this;
  connect(path: string, connectionListener?: () => void): this;
  connect(...args: unknown[]): this {
    const first = args[0] as { [kNormalized]?: true; options: Record<string, unknown>; cb: (() => void) | null } | undefined;
    const { options, cb } = first !== undefined && first !== null && typeof first === 'object' && first[kNormalized] === true ? first : normalizeArgs(args);
    if (options.port === undefined && (options.path === undefined || options.path === null)) {
      throw ERR_MISSING_ARGS(['options', 'port', 'path']);
    }
    if (cb !== null) this.once('connect', cb as () => void);
    if (Object.prototype.hasOwnProperty.call(this, 'write')) delete (this as { write?: unknown }).write;
    if (this.destroyed) {
      this._handle = null;
      this._peername = null;
      this._sockname = null;
      (this as unknown as { _undestroy(): void })._undestroy();
    }
    const path = options.path;
    const pipe = path !== undefined && path !== null && path !== '';
    if (this._handle === null) {
      this._handle = pipe ? new PipeHandle() : new TcpHandle(this.context());
      this.initHandle();
    }
    this._unrefTimer();
    this.connecting = true;
    if (pipe) {
      validateString(path, 'options.path');
      connectPipe(this, path);
    } else {
      lookupAndConnect(this, options as ConnectOptions);
    }
    return this;
  }

  /** Marks normalized arguments so `connect` does not normalize them twice (Node's normalizedArgsSymbol). */
  static normalized(args: readonly unknown[]): unknown {
    const n = normalizeArgs(args);
    return { options: n.options, cb: n.cb, [kNormalized]: true };
  }

  private context(): NetContext {
    const ctx = (this.constructor as typeof Socket).netContext;
    if (ctx === null) throw new Error('this Socket class is not bound to a usernet stack; use stack.net.Socket');
    return ctx;
  }

  /** Called by the connect path once the handle reports the connection (Node's `afterConnect`). */
  _afterConnect(): void {
    this.connecting = false;
    this._sockname = null;
    this._unrefTimer();
    const handle = this._handle!;
    if (this._noDelay && handle.setNoDelay) handle.setNoDelay(true);
    if (this._keepAlive && handle.setKeepAlive) handle.setKeepAlive(true, this._keepAliveInitialDelay);
    this.emit('connect');
    this.emit('ready');
    if (!this.isPaused()) this.read(0);
  }
}
