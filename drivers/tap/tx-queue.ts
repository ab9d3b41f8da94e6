/**
 * The TAP driver's transmit path: frames go straight to the descriptor; when the kernel says
 * EAGAIN the rest wait in a bounded queue (tail drop beyond it) until the descriptor is writable.
 * With a frame pool (`LinkDriver.useFramePool`), each frame is given back once the queue is done
 * with it: written (the kernel copied it), refused, or dropped — never while it waits.
 */

import type { FramePoolReturn } from '../../stack/link';

/** What the queue writes through: the native handle, or a fake in tests. */
export interface FrameWriter {
  /** Writes frames[from..] until EAGAIN; returns the index of the first frame not written. */
  writeFrames(frames: readonly Uint8Array[], from: number): number;
  /** Asks for (or stops asking for) a call to `TxQueue.flush` when the descriptor is writable. */
  wantWritable(on: boolean): void;
}

export class TxQueue {
  /** Frames handed to the kernel (written, or refused by it: see the native `txErrors`). */
  written = 0;
  writtenBytes = 0;
  /** Frames dropped because the queue was full, cleared, or the writer failed. */
  dropped = 0;
  /** Frames waiting, from `head` on; the array is compacted when the head moves far. */
  private pending: Uint8Array[] = [];
  private head = 0;
  /** Where finished frames go back to (`LinkDriver.useFramePool`); null: nowhere. */
  pool: FramePoolReturn | null = null;

  constructor(
    private readonly writer: FrameWriter,
    readonly limit: number,
    private readonly onError: (err: Error) => void,
  ) {}

  get queued(): number {
    return this.pending.length - this.head;
  }

  /** Writes `frames` in order behind anything already waiting. The queue keeps references. */
  send(frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    if (this.queued > 0) {
      this.enqueue(frames, 0);
      return;
    }
    const next = this.write(frames, 0);
    if (next < frames.length) {
      this.enqueue(frames, next);
      if (this.queued > 0) this.writer.wantWritable(true);
    }
  }

  /** The descriptor became writable: write what waits; stop asking once all of it is out. */
  flush(): void {
    if (this.queued === 0) {
      this.writer.wantWritable(false);
      return;
    }
    this.head = this.write(this.pending, this.head);
    if (this.head >= this.pending.length) {
      this.pending = [];
      this.head = 0;
      this.writer.wantWritable(false);
    } else if (this.head >= 1024) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops everything waiting (on close). */
  clear(): void {
    this.dropped += this.queued;
    this.releaseRange(this.pending, this.head, this.pending.length);
    this.pending = [];
    this.head = 0;
  }

  private write(frames: readonly Uint8Array[], from: number): number {
    let next: number;
    try {
      next = this.writer.writeFrames(frames, from);
    } catch (err) {
      this.dropped += frames.length - from;
      this.releaseRange(frames, from, frames.length);
      this.onError(err as Error);
      return frames.length;
    }
    for (let i = from; i < next; i++) this.writtenBytes += frames[i]!.byteLength;
    this.written += next - from;
    this.releaseRange(frames, from, next);
    return next;
  }

  private enqueue(frames: readonly Uint8Array[], from: number): void {
    const take = Math.min(this.limit - this.queued, frames.length - from);
    for (let i = 0; i < take; i++) this.pending.push(frames[from + i]!);
    this.dropped += frames.length - from - take;
    this.releaseRange(frames, from + take, frames.length);
  }

  /** Gives frames[from..to) back to the pool: the queue holds no reference to them any more. */
  private releaseRange(frames: readonly Uint8Array[], from: number, to: number): void {
    const pool = this.pool;
    if (pool === null) return;
    for (let i = from; i < to; i++) pool.release(frames[i]!);
  }
}
