/**
 * Reading a host socket for the relay without a fresh buffer per read.
 *
 * Node reads a socket into a new 64 KiB ArrayBuffer every time (libuv's suggested size), which
 * V8 counts as external memory: at a gigabyte per second that is sixteen thousand of them, and
 * the external-memory pressure keeps the major collector running (profiles of `usernet netns`
 * downloads showed a quarter of the CPU in concurrent marking). A relay knows more than Node
 * does: the bytes go straight into a usernet socket, whose TCP holds them until the peer
 * acknowledges them and then lets them go in order (`bytesReleased`). So:
 *
 * - every host socket reads into one shared buffer (Node's `onread` option; callbacks run one at
 *   a time and copy out before returning, so sharing is safe) — an idle relayed connection holds
 *   no read buffer of its own;
 * - a large read is copied into a recycled 64 KiB chunk, handed over to the usernet socket
 *   uncopied (`handOverBuffer`), and the chunk goes back to the pool once the peer has
 *   acknowledged its last byte;
 * - a smaller read is copied into a buffer of its own size (small ones come from Node's slab), so
 *   that a stream of small reads never pins a 64 KiB chunk per read.
 */

import type { Duplex } from 'stream';
import { bytesReleased } from '../net/socket-write';

/** What Node asks the kernel for on each read of a TCP socket (libuv's 64 KiB). */
export const HOST_READ_SIZE = 64 * 1024;
/** Reads at least this large are carried in a pooled chunk; smaller ones in their own buffer. */
export const POOLED_READ_MIN = 32 * 1024;
/** Free chunks the pool keeps at most (4 MiB); more are left to the garbage collector. */
export const POOL_LIMIT = 64;

/** Chunks of `HOST_READ_SIZE` bytes, shared by every relay in the process. */
export class ChunkPool {
  private readonly free: Buffer[] = [];
  /** Chunks allocated, and takes served from the free list. */
  allocated = 0;
  reused = 0;

  constructor(private readonly limit = POOL_LIMIT) {}

  take(): Buffer {
    const c = this.free.pop();
    if (c !== undefined) {
      this.reused++;
      return c;
    }
    this.allocated++;
    return Buffer.allocUnsafeSlow(HOST_READ_SIZE);
  }

  give(chunk: Buffer): void {
    if (this.free.length < this.limit) this.free.push(chunk);
  }

  get size(): number {
    return this.free.length;
  }
}

export const hostReadChunks = new ChunkPool();

/** The one buffer every pooled host read lands in first. */
const sharedReadBuffer = Buffer.allocUnsafeSlow(HOST_READ_SIZE);

/**
 * Where read bytes go, each in a buffer nobody else holds (it may be kept uncopied); returns false
 * to stop reading until the source's `resume()`.
 */
export type ChunkSink = (chunk: Buffer) => boolean;

/**
 * The `onread` option of one host socket and what its reads lent out. Create it before the
 * socket (`net.connect({ onread: reader.onread })`), then `attach` the usernet socket the bytes
 * are written to and the sink that writes them.
 */
export class HostReader {
  readonly onread: { buffer: Buffer; callback: (nread: number) => boolean };
  private target: Duplex | null = null;
  private sink: ChunkSink | null = null;
  /** Reads that arrived before `attach` (none in practice: attach follows 'connect' at once). */
  private early: Buffer[] = [];
  /** Pooled chunks lent to the target, oldest first, with the stream offset just past each. */
  private lent: Buffer[] = [];
  private lentEnds: number[] = [];
  private lentHead = 0;
  /** Bytes read so far: the stream offset of the next read's first byte. */
  private read = 0;

  constructor(
    private readonly pool: ChunkPool = hostReadChunks,
    private readonly released: (target: Duplex) => number | null = bytesReleased,
  ) {
    this.onread = { buffer: sharedReadBuffer, callback: (n) => this.onRead(n) };
  }

  attach(target: Duplex, sink: ChunkSink): void {
    this.target = target;
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const c of early) sink(c);
  }

  /** Chunks lent and not yet returned to the pool. */
  get outstanding(): number {
    return this.lent.length - this.lentHead;
  }

  private onRead(n: number): boolean {
    this.reclaim();
    let chunk: Buffer;
    this.read += n;
    if (n >= POOLED_READ_MIN && this.target !== null) {
      const whole = this.pool.take();
      sharedReadBuffer.copy(whole, 0, 0, n);
      chunk = whole.subarray(0, n);
      this.lent.push(whole);
      this.lentEnds.push(this.read);
    } else {
      chunk = Buffer.allocUnsafe(n);
      sharedReadBuffer.copy(chunk, 0, 0, n);
    }
    if (this.sink === null) {
      this.early.push(chunk);
      return true;
    }
    return this.sink(chunk);
  }

  /**
   * Returns to the pool every lent chunk whose bytes the target's TCP has let go. An unknown count
   * (the connection was closed and is finishing on its own) returns nothing: those chunks are
   * left to the garbage collector.
   */
  private reclaim(): void {
    if (this.lentHead === this.lent.length || this.target === null) return;
    const released = this.released(this.target);
    if (released === null) return;
    while (this.lentHead < this.lent.length && this.lentEnds[this.lentHead]! <= released) {
      this.pool.give(this.lent[this.lentHead]!);
      this.lentHead++;
    }
    if (this.lentHead > 32 && this.lentHead * 2 > this.lent.length) {
      this.lent = this.lent.slice(this.lentHead);
      this.lentEnds = this.lentEnds.slice(this.lentHead);
      this.lentHead = 0;
    }
  }
}
