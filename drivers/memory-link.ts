/**
 * In-memory links: `MemoryLink.pair()` gives two `LinkDriver`s joined by a virtual cable, and
 * `MemoryEndpoint` is the end of such a cable (also used by the switch's ports).
 *
 * Ownership: a frame passed to `send` is handed to the receiver as it is, not copied — the
 * `LinkDriver.send` contract already says callers must not touch a frame's bytes after sending
 * it, so from then on the frame is the receiver's alone, which may keep and modify it (the
 * endpoint says so with `framesOwnedByReceiver`). A sender must therefore never pass the same
 * frame twice; a medium that delivers one frame to several receivers (a switch flooding) gives
 * each extra receiver a copy of its own (`copyFrame`).
 *
 * Delivery is always asynchronous, through a `Scheduler`: `latencyMs` after `send` (0 by default),
 * in batches — every frame due by the time a delivery runs is handed to `receive` in one call,
 * in the order sent. With `realScheduler` that is the next turn of the event loop; with a
 * `SimulatedClock` it is when the test advances the clock.
 */

import type { LinkDriver, LinkOffloads, LinkType } from '../stack/link';
import { realScheduler, type ScheduledTask, type Scheduler } from './scheduler';
import { completeTcpChecksum, MEMORY_LINK_OFFLOADS, partialTcpSegment } from './memory-offloads';

/**
 * Frames one endpoint holds waiting for delivery. Linux's default `txqueuelen` (1000) — enough
 * for a window of full-size segments on a fast link, small enough that a runaway sender is
 * dropped and counted instead of eating memory.
 */
export const DEFAULT_QUEUE_FRAMES = 1000;
export const DEFAULT_MTU = 1500;
/** Destination, source and EtherType: added to the MTU to get the largest Ethernet frame. */
export const ETHERNET_HEADER_BYTES = 14;

export interface MemoryLinkOptions {
  /** Largest IP packet; default 1500. */
  readonly mtu?: number;
  /** Default 'ethernet'. */
  readonly linkType?: LinkType;
  /** Default `realScheduler`. */
  readonly scheduler?: Scheduler;
  /** One-way delay added to every frame, in ms; default 0. */
  readonly latencyMs?: number;
  /** Bound on frames waiting at a receiving endpoint; default `DEFAULT_QUEUE_FRAMES`. */
  readonly queueFrames?: number;
  /**
   * Offer checksum offload, as a veth pair or lo does (`MEMORY_LINK_OFFLOADS`, see
   * memory-offloads.ts): TCP segments from an end that agreed `txTcpChecksum` cross with their
   * partial checksums and arrive vouched for at an end that agreed `rxChecksumAndCoalescing`;
   * at an end that did not, the link completes the checksum. Default false: plain frames.
   */
  readonly offloads?: boolean;
}

/** Counters of one endpoint. `dropped*` frames were counted and discarded. */
export interface MemoryLinkStats {
  /** Frames this endpoint accepted from `send`. */
  sent: number;
  sentBytes: number;
  /** Frames handed to this endpoint's `receive`. */
  delivered: number;
  deliveredBytes: number;
  /** Arriving frames refused because `queueFrames` were already waiting. */
  droppedQueueFull: number;
  /** Frames passed to `send` longer than the MTU allows. */
  droppedOversize: number;
  /** Frames sent or arriving after `close`, or still queued when it was called. */
  droppedClosed: number;
}

interface Pending {
  readonly frame: Uint8Array;
  readonly dueMs: number;
  /** A TCP checksum left partial by the sender, for a receiver that agreed to take it so. */
  readonly vouched: boolean;
}

function positive(name: string, v: number, integer: boolean): number {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return v;
}

/**
 * One end of an in-memory medium. What `send` accepts goes to `medium` (the peer, or a switch);
 * what the medium hands to `arrive` is delivered to this end's `receive` after the latency.
 */
export class MemoryEndpoint implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkType;
  /**
   * Every frame `arrive` takes is the receiver's alone (a sent frame nobody touches again, or a
   * copy of its own), so what `receive` gets is the receiver's.
   */
  readonly framesOwnedByReceiver = true as const;
  readonly stats: MemoryLinkStats = {
    sent: 0,
    sentBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    droppedQueueFull: 0,
    droppedOversize: 0,
    droppedClosed: 0,
  };
  private readonly scheduler: Scheduler;
  private readonly latencyMs: number;
  private readonly queueFrames: number;
  private readonly maxFrameBytes: number;
  private receive: ((frames: Uint8Array[], checksumVouched?: Uint8Array) => void) | null = null;
  private closed = false;
  private queue: Pending[] = [];
  private queueHead = 0;
  private delivery: ScheduledTask | null = null;
  /** Set only with the `offloads` option: what this end offers (`LinkDriver.offloads`). */
  readonly offloads?: LinkOffloads;
  /** What the stack on this end agreed to use (`useOffloads`); nothing until told. */
  private agreed: LinkOffloads = {};

  /**
   * `medium` gets each accepted frame as the sender passed it, and with it the frame itself: it
   * may hand it to one receiver's `arrive`, and must give any other receiver a copy.
   */
  constructor(options: MemoryLinkOptions, private readonly medium: (frame: Uint8Array, partialChecksum: boolean) => void) {
    this.mtu = positive('mtu', options.mtu ?? DEFAULT_MTU, true);
    this.linkType = options.linkType ?? 'ethernet';
    if (this.linkType !== 'ethernet' && this.linkType !== 'ip') throw new RangeError(`unknown link type ${String(this.linkType)}`);
    this.scheduler = options.scheduler ?? realScheduler;
    const latencyMs = options.latencyMs ?? 0;
    if (!(latencyMs >= 0) || !Number.isFinite(latencyMs)) throw new RangeError(`latencyMs must be ≥ 0, got ${latencyMs}`);
    this.latencyMs = latencyMs;
    this.queueFrames = positive('queueFrames', options.queueFrames ?? DEFAULT_QUEUE_FRAMES, true);
    this.maxFrameBytes = this.mtu + (this.linkType === 'ethernet' ? ETHERNET_HEADER_BYTES : 0);
    if (options.offloads === true) this.offloads = MEMORY_LINK_OFFLOADS;
  }

  useOffloads(agreed: LinkOffloads): void {
    if (this.offloads === undefined) return;
    this.agreed = {
      ...(agreed.txTcpChecksum === true ? { txTcpChecksum: true as const } : {}),
      ...(agreed.rxChecksumAndCoalescing === true ? { rxChecksumAndCoalescing: true as const } : {}),
    };
  }

  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void {
    if (this.receive !== null) throw new Error('MemoryEndpoint.start called twice');
    if (this.closed) throw new Error('MemoryEndpoint.start after close');
    this.receive = receive;
    this.scheduleDelivery();
  }

  send(frames: Uint8Array[]): void {
    for (const frame of frames) {
      if (this.closed) {
        this.stats.droppedClosed++;
      } else if (frame.byteLength > this.maxFrameBytes) {
        this.stats.droppedOversize++;
      } else {
        this.stats.sent++;
        this.stats.sentBytes += frame.byteLength;
        // Under txTcpChecksum every TCP segment the stack sends has a partial checksum.
        this.medium(frame, this.agreed.txTcpChecksum === true && partialTcpSegment(frame, this.linkType) !== null);
      }
    }
  }

  /**
   * Called by the medium with a frame this endpoint now owns (nothing else reads or writes it
   * any more). Queues it for delivery `latencyMs` from now; returns false when it was dropped
   * (closed or queue full). `partialChecksum`: its TCP checksum holds only the pseudo-header
   * sum — delivered vouched for when this end agreed receive offload, else completed here.
   */
  arrive(frame: Uint8Array, partialChecksum = false): boolean {
    if (this.closed) {
      this.stats.droppedClosed++;
      return false;
    }
    if (this.queue.length - this.queueHead >= this.queueFrames) {
      this.stats.droppedQueueFull++;
      return false;
    }
    let vouched = false;
    if (partialChecksum) {
      if (this.agreed.rxChecksumAndCoalescing === true) vouched = true;
      else {
        const segment = partialTcpSegment(frame, this.linkType);
        if (segment !== null) completeTcpChecksum(segment);
      }
    }
    this.queue.push({ frame, dueMs: this.scheduler.now() + this.latencyMs, vouched });
    this.scheduleDelivery();
    return true;
  }

  /** Frames waiting to be delivered. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.delivery?.cancel();
      this.delivery = null;
      this.stats.droppedClosed += this.queued;
      this.queue = [];
      this.queueHead = 0;
    }
    return Promise.resolve();
  }

  private scheduleDelivery(): void {
    if (this.delivery !== null || this.receive === null || this.queued === 0) return;
    // Times only grow along the queue (one latency for all), so the head is always due first.
    const dueMs = this.queue[this.queueHead]!.dueMs;
    this.delivery = this.scheduler.at(dueMs, () => this.deliver(dueMs));
  }

  /**
   * Hands over, in one batch, every frame due by now — or by `dueMs`, the time this delivery was
   * asked for, since a real timer may fire a fraction of a millisecond early.
   */
  private deliver(dueMs: number): void {
    this.delivery = null;
    if (this.closed || this.receive === null) return;
    const cutoff = Math.max(dueMs, this.scheduler.now());
    const batch: Uint8Array[] = [];
    let vouched: number[] | null = null;
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.dueMs <= cutoff) {
      const p = this.queue[this.queueHead++]!;
      if (p.vouched) (vouched ??= []).push(batch.length);
      batch.push(p.frame);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.scheduleDelivery();
    if (batch.length === 0) return;
    this.stats.delivered += batch.length;
    for (const f of batch) this.stats.deliveredBytes += f.byteLength;
    if (vouched === null) {
      this.receive(batch);
      return;
    }
    const marks = new Uint8Array(batch.length);
    for (const i of vouched) marks[i] = 1;
    this.receive(batch, marks);
  }
}

/** A copy of `frame` over a buffer of its own (also when `frame` is a Node Buffer view). */
export function copyFrame(frame: Uint8Array): Uint8Array {
  return new Uint8Array(frame);
}

export const MemoryLink = {
  /**
   * Two connected endpoints `[a, b]`: what `a` sends, `b` receives and the other way round — the
   * very frames sent, not copies (see the ownership note above). Both share the options (MTU,
   * link type, scheduler, latency, queue bound).
   */
  pair(options: MemoryLinkOptions = {}): [MemoryEndpoint, MemoryEndpoint] {
    let b: MemoryEndpoint;
    const a = new MemoryEndpoint(options, (frame, partial) => b.arrive(frame, partial));
    b = new MemoryEndpoint(options, (frame, partial) => a.arrive(frame, partial));
    return [a, b];
  },
} as const;
