/**
 * An interface's pool of large frame buffers (`LinkDriver.useFramePool`, stack/link.ts): the
 * transmit path builds big TCP segments in buffers a driver gave back once it had written them,
 * instead of a fresh ArrayBuffer per segment. One size class: the largest frame the interface
 * sends (TSO size or MTU, plus the link header); smaller frames are allocated as before.
 */

import type { FramePoolReturn } from '../link';

/**
 * Free buffers kept at most: enough for a burst of TSO segments between two writes, while a
 * larger burst's extra buffers go back to the garbage collector instead of staying pinned.
 */
export const FRAME_POOL_MAX_FREE = 64;

export class FramePool implements FramePoolReturn {
  /** Buffers nobody references, ready to lend. */
  private readonly free: ArrayBuffer[] = [];
  /** Buffers lent out and not yet released (a release of anything else is ignored). */
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** Buffers lent (fresh or reused), reused from `free`, and taken back. */
  readonly counts = { lent: 0, reused: 0, released: 0, discarded: 0 };

  /**
   * `frameBytes`: the size class, the largest frame the interface sends. `maxFree`: how many
   * released buffers are kept (beyond it they are left to the garbage collector).
   */
  constructor(
    readonly frameBytes: number,
    readonly maxFree: number = FRAME_POOL_MAX_FREE,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
  }

  /** Free buffers held now. */
  get freeCount(): number {
    return this.free.length;
  }

  /**
   * A view of `bytes` bytes at the start of a pooled buffer, or null when
   * `bytes` is not in the size class (above it, or at most half of it: a small frame should not
   * hold a large buffer) — the caller then allocates. The caller owns the view until it hands
   * the frame built in it to the link; its bytes may hold an earlier frame's contents.
   */
  take(bytes: number): Uint8Array | null {
    if (bytes > this.frameBytes || bytes * 2 <= this.frameBytes) return null;
    let b = this.free.pop();
    if (b === undefined) b = new ArrayBuffer(this.frameBytes);
    else this.counts.reused++;
    this.lent.add(b);
    this.counts.lent++;
    return new Uint8Array(b, 0, bytes);
  }

  /** See `FramePoolReturn.release`: only a buffer lent and not yet given back is taken. */
  release(frame: Uint8Array): void {
    const b = frame.buffer;
    if (!(b instanceof ArrayBuffer) || !this.lent.has(b)) return;
    this.lent.delete(b);
    this.counts.released++;
    if (this.free.length < this.maxFree) this.free.push(b);
    else this.counts.discarded++;
  }

  /** Forgets the free buffers (the interface is going away). Lent ones are ignored when released. */
  clear(): void {
    this.free.length = 0;
  }
}
