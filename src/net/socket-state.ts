/**
 * What a `Socket` shows of itself without moving data: socket names (`remoteAddress` …),
 * counters (`bytesRead`, `bytesWritten`, `bufferSize`), `readyState`/`pending`, the TCP options
 * (`setNoDelay`, `setKeepAlive`), the idle timer (`setTimeout`, `'timeout'`) and `ref`/`unref`,
 * with Node 20's names and rules. The data path and lifecycle are in `socket.ts`.
 */

import { Duplex } from 'stream';
import type { SocketName, StreamHandle } from './handle';
import { timerDuration, validateFunction } from './validate';

/** A chunk as the Writable machinery hands it over. */
export type Chunk = { chunk: unknown; encoding: BufferEncoding };

export function byteLengthOf(c: Chunk): number {
  return typeof c.chunk === 'string' ? Buffer.byteLength(c.chunk, c.encoding) : (c.chunk as Uint8Array).byteLength;
}

export abstract class SocketState extends Duplex {
  connecting = false;
  _handle: StreamHandle | null = null;
  /** A socket this one wraps (Node's `_parent`); its idle timer counts this one's activity. */
  _parent: SocketState | null = null;
  _peername: SocketName | null = null;
  _sockname: SocketName | null = null;
  _pendingData: Chunk[] | null = null;
  _pendingEncoding = '';
  /** Set by `setTimeout` (undefined until then, as in Node). */
  timeout: number | undefined = undefined;
  /** Node's kSetNoDelay / kSetKeepAlive / kSetKeepAliveInitialDelay (seconds). */
  _noDelay = false;
  _keepAlive = false;
  _keepAliveInitialDelay = 0;
  /** The handle's counters, kept when it closes (Node's kBytesRead / kBytesWritten). */
  protected _bytesReadClosed = 0;
  protected _bytesWrittenClosed = 0;
  protected _timer: NodeJS.Timeout | null = null;
  /** Bytes of the last write still queued in the handle (Node's kLastWriteQueueSize); set by `socket-write.ts`. */
  _lastWriteQueueSize = 0;

  // ------------------------------------------------------------------ options

  setNoDelay(enable?: boolean): this {
    const on = Boolean(enable === undefined ? true : enable);
    if (this._handle === null) {
      this._noDelay = on;
      return this;
    }
    if (this._handle.setNoDelay && on !== this._noDelay) {
      this._noDelay = on;
      this._handle.setNoDelay(on);
    }
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelayMsecs?: number): this {
    const on = Boolean(enable);
    const initialDelay = ~~((initialDelayMsecs ?? 0) / 1000);
    if (this._handle === null) {
      this._keepAlive = on;
      this._keepAliveInitialDelay = initialDelay;
      return this;
    }
    if (!this._handle.setKeepAlive) return this;
    if (on !== this._keepAlive || (on && this._keepAliveInitialDelay !== initialDelay)) {
      this._keepAlive = on;
      this._keepAliveInitialDelay = initialDelay;
      this._handle.setKeepAlive(on, initialDelay);
    }
    return this;
  }

  setTimeout(msecs: number, callback?: () => void): this {
    if (this.destroyed) return this;
    this.timeout = msecs;
    const ms = timerDuration(msecs, 'msecs');
    this.clearTimer();
    if (ms === 0) {
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.removeListener('timeout', callback);
      }
    } else {
      this._timer = setTimeout(() => this._onTimeout(), ms);
      this._timer.unref();
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.once('timeout', callback);
      }
    }
    return this;
  }

  clearTimer(): void {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
  }

  _onTimeout(): void {
    const handle = this._handle;
    const last = this._lastWriteQueueSize;
    if (last > 0 && handle !== null) {
      // Writes still draining count as activity (Node: compare the write queue size).
      const now = handle.writeQueueSize;
      if (last !== now) {
        this._lastWriteQueueSize = now;
        this._unrefTimer();
        return;
      }
    }
    this.emit('timeout');
  }

  /** Activity: restarts the idle timers of this socket and its parents. */
  _unrefTimer(): void {
    for (let s: SocketState | null = this; s !== null; s = s._parent) s._timer?.refresh();
  }

  ref(): this {
    if (this._handle === null) {
      this.once('connect', () => this.ref());
      return this;
    }
    this._handle.ref();
    return this;
  }

  unref(): this {
    if (this._handle === null) {
      this.once('connect', () => this.unref());
      return this;
    }
    this._handle.unref();
    return this;
  }

  // ------------------------------------------------------------------ names and counters

  _getpeername(): SocketName {
    if (this._handle === null || this.connecting) return this._peername ?? {};
    if (this._peername === null) {
      const out: SocketName = {};
      if (this._handle.getpeername(out) !== 0) return out;
      this._peername = out;
    }
    return this._peername;
  }

  _getsockname(): SocketName {
    if (this._handle === null) return {};
    if (this._sockname === null) {
      const out: SocketName = {};
      if (this._handle.getsockname(out) !== 0) return out;
      this._sockname = out;
    }
    return this._sockname;
  }

  address(): SocketName {
    return this._getsockname();
  }

  get remoteAddress(): string | undefined {
    return this._getpeername().address;
  }

  get remoteFamily(): string | undefined {
    return this._getpeername().family;
  }

  get remotePort(): number | undefined {
    return this._getpeername().port;
  }

  get localAddress(): string | undefined {
    return this._getsockname().address;
  }

  get localPort(): number | undefined {
    return this._getsockname().port;
  }

  get localFamily(): string | undefined {
    return this._getsockname().family;
  }

  /** Node's legacy alias of `connecting` (read-only). */
  get _connecting(): boolean {
    return this.connecting;
  }

  get pending(): boolean {
    return this._handle === null || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  get bufferSize(): number | undefined {
    return this._handle !== null ? this.writableLength : undefined;
  }

  get bytesRead(): number {
    return this._handle !== null ? this._handle.bytesRead : this._bytesReadClosed;
  }

  /**
   * Bytes handed to the current handle (Node's legacy `_bytesDispatched`): per connection, so a
   * socket that connects again counts from zero, as in Node.
   */
  get _bytesDispatched(): number {
    return this._handle !== null ? this._handle.bytesWritten : this._bytesWrittenClosed;
  }

  get bytesWritten(): number | undefined {
    let bytes = this._bytesDispatched;
    const state = (this as unknown as { writableBuffer?: Chunk[] }).writableBuffer;
    if (state === undefined) return undefined;
    for (const el of state) bytes += byteLengthOf(el);
    if (this._pendingData !== null) for (const el of this._pendingData) bytes += byteLengthOf(el);
    return bytes;
  }

}
