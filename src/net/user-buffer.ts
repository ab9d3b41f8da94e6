/**
 * Node's `onread` socket option (`net.connect({ onread: { buffer, callback } })`): received bytes
 * are copied into a buffer the user supplies — one buffer reused, or a fresh one from a function —
 * and handed to `callback(nread, buffer)` instead of `'data'` events; a callback that returns
 * `false` stops reading until `resume()`. libuv reads at most `buffer.length` bytes at a time, so
 * a chunk from the engine is cut into pieces that fit; what a stop leaves over waits here (the
 * kernel would have kept it in the socket) and comes first once reading resumes.
 */

import type { StreamHandle } from './handle';

export interface OnreadOption {
  buffer: Uint8Array | (() => Uint8Array);
  callback: (this: unknown, nread: number, buf: Uint8Array) => boolean | void;
}

/** The option as Node recognises it: an object with a Uint8Array or a function, and a callback. */
export function isOnreadOption(x: unknown): x is OnreadOption {
  if (x === null || typeof x !== 'object') return false;
  const o = x as { buffer?: unknown; callback?: unknown };
  return (o.buffer instanceof Uint8Array || typeof o.buffer === 'function') && typeof o.callback === 'function';
}

export class UserBufferReader {
  private buffer: Uint8Array | null = null;
  /** Bytes received but not yet handed to the callback (reading stopped halfway through a chunk). */
  private remainder: Uint8Array | null = null;

  constructor(
    private readonly option: OnreadOption,
    private readonly owner: unknown,
  ) {}

  /**
   * A handle was attached (Node's `initSocketHandle`): a buffer function is asked for the first
   * buffer now, and for the next one after every callback.
   */
  attach(): void {
    this.remainder = null;
    this.buffer = null;
    this.nextBuffer();
  }

  private nextBuffer(): void {
    const b = this.option.buffer;
    if (typeof b !== 'function') {
      this.buffer = b;
      return;
    }
    const next = b();
    if (next instanceof Uint8Array) this.buffer = next;
  }

  /**
   * Hands `chunk` to the callback in buffer-sized pieces. Returns false when a callback asked to
   * stop (it returned `false`) or `stillReading()` turned false; the rest is kept for `drain`.
   */
  deliver(chunk: Uint8Array, stillReading: () => boolean): boolean {
    let rest = chunk;
    while (rest.byteLength > 0) {
      if (this.buffer === null) this.nextBuffer();
      const buf = this.buffer;
      if (buf === null || buf.byteLength === 0) break;
      const n = Math.min(buf.byteLength, rest.byteLength);
      buf.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      const keepReading = this.option.callback.call(this.owner, n, buf) !== false;
      if (typeof this.option.buffer === 'function') this.nextBuffer();
      if (!keepReading || !stillReading()) {
        this.remainder = rest.byteLength > 0 ? rest : null;
        return false;
      }
    }
    this.remainder = null;
    return true;
  }

  /**
   * Starts `handle` reading again (the socket's resume). Bytes a stop left over go to the callback
   * first, a tick later as a read would; the engine resumes only if the callback did not stop
   * again. `current` says whether the socket still owns the handle; `fail` reports a read error.
   * Returns 0 or the errno of a synchronous readStart.
   */
  start(handle: StreamHandle, current: () => boolean, fail: (errno: number) => void): number {
    if (this.remainder === null) return handle.readStart();
    handle.reading = true;
    process.nextTick(() => {
      const reading = (): boolean => current() && handle.reading;
      if (!reading()) return;
      const rest = this.remainder;
      this.remainder = null;
      if (rest !== null && !this.deliver(rest, reading)) {
        if (reading()) {
          handle.reading = false;
          const err = handle.readStop();
          if (err) fail(err);
        }
        return;
      }
      const err = handle.readStart();
      if (err) fail(err);
    });
    return 0;
  }
}
