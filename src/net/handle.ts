/**
 * The handle contract `Socket` and `Server` sit on — the libuv-like surface Node's `lib/net.js`
 * expects of its TCP and Pipe handles (STYLE.md, "The net layer"). Implemented over usernet's TCP
 * engine (`tcp-handle.ts`, `listen-handle.ts`), over the host's Unix-domain sockets (`ipc.ts`),
 * and by fakes in tests.
 *
 * Status values are 0 for success or a negative errno (`errors.ts` `uvErrno`); `UV_EOF` on
 * `onread` is the peer's FIN. Completions (`oncomplete`, `onconnection`, `onread`) never run
 * inside the call that started them, except where a method documents a synchronous result.
 */

/** `getsockname`/`getpeername` fill this, as libuv's handles do. */
export interface SocketName {
  address?: string;
  family?: 'IPv4' | 'IPv6';
  port?: number;
}

/** A write request: `async` is set by the handle (false: completed inside `writev`). */
export interface WriteReq {
  async: boolean;
  /** Called once the bytes are in the transport's send buffer, with 0 or a negative errno. */
  oncomplete: (status: number) => void;
}

export interface ShutdownReq {
  /** Called once our FIN is queued behind every written byte. */
  oncomplete: (status: number) => void;
}

export interface ConnectReq {
  address: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** 0 when the connection is established, else a negative errno. */
  oncomplete: (status: number) => void;
}

let lastAsyncId = 1 << 20;

/**
 * An id for a handle, as libuv handles have (`getAsyncId()`); Node's `http` client asks for it
 * when it parks a keep-alive socket. Not registered with `async_hooks`.
 */
export function newHandleId(): number {
  return ++lastAsyncId;
}

function noop(): void {}

/** What every handle does the same way: an id of its own (`getAsyncId`). */
export abstract class HandleBase {
  private readonly asyncId = newHandleId();

  getAsyncId(): number {
    return this.asyncId;
  }
}

/** The state every `StreamHandle` keeps the same way: its reader and the byte counts. */
export abstract class StreamHandleBase extends HandleBase {
  onread: (nread: number, chunk: Buffer | undefined) => void = noop;
  reading = false;
  bytesRead = 0;
  bytesWritten = 0;
}

/** A connected (or connecting) byte stream. */
export interface StreamHandle {
  getAsyncId(): number;
  /**
   * Data arrives here while reading: `nread > 0` with a chunk the socket now owns; a negative
   * `nread` is an errno, `UV_EOF` the end of the stream. Nothing arrives after EOF or an error.
   */
  onread: (nread: number, chunk: Buffer | undefined) => void;
  /** Whether the owner asked for data (`readStart` was called last). */
  reading: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Bytes handed to `writev` that the transport has not taken yet. */
  readonly writeQueueSize: number;
  readStart(): number;
  readStop(): number;
  /**
   * Queues `chunks` (the handle now owns them; the caller must not modify them). Returns 0 and
   * completes `req` later or, with `req.async = false`, already; or a negative errno.
   */
  writev(req: WriteReq, chunks: readonly Uint8Array[]): number;
  /** Our FIN after every queued byte; `req` completes once it is queued. 0 or negative errno. */
  shutdown(req: ShutdownReq): number;
  /** Closes the handle (a graceful close for TCP); `cb` runs later, once. */
  close(cb?: () => void): void;
  getsockname(out: SocketName): number;
  getpeername(out: SocketName): number;
  ref(): void;
  unref(): void;
  hasRef(): boolean;
  /** TCP only: RST instead of FIN, then closed. */
  reset?(cb?: () => void): number;
  /** TCP only: source address/port for a later `connect`. */
  bind?(address: string, port: number, family: 4 | 6): number;
  connect?(req: ConnectReq, address: string, port: number, family: 4 | 6): number;
  /** Pipes: connect to a path. */
  connectPath?(req: ConnectReq, path: string): number;
  setNoDelay?(enable: boolean): number;
  /** `delaySecs` 0 keeps the current idle time, as libuv. */
  setKeepAlive?(enable: boolean, delaySecs: number): number;
}

/** A listening socket. */
export interface ListenHandle {
  getAsyncId(): number;
  /** An accepted connection (status 0), or an accept error. */
  onconnection: (status: number, client?: StreamHandle) => void;
  /** Starts accepting; 0 or a negative errno (EADDRINUSE …). */
  listen(backlog: number): number;
  getsockname(out: SocketName): number;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
  hasRef(): boolean;
  /** For pipes: the path (server.address() returns it). */
  readonly pipeName?: string;
}

export function isListenHandle(x: unknown): x is ListenHandle {
  return typeof x === 'object' && x !== null && typeof (x as ListenHandle).listen === 'function' && 'onconnection' in x;
}
