/**
 * Link impairment, in the manner of Linux's netem: `impair(link, options)` wraps a `LinkDriver`
 * and loses, duplicates, corrupts, reorders, delays and rate-limits the frames crossing it, in
 * both directions, each direction drawing from its own seeded PRNG. The same seed and the same
 * traffic give exactly the same decisions; timing goes through a `Scheduler`, so with a
 * `SimulatedClock` whole runs repeat exactly.
 *
 * Per frame, in order: loss; corruption (one random bit flipped, in a copy); duplication (the
 * copy gets the same treatment afterwards); delay ± jitter (uniform; jitter can reorder, as in
 * netem); rate (bytes per second, frames queue behind each other); reordering (the frame is held
 * back and released right behind the next frame, or alone after `reorderHoldMs`).
 */

import type { LinkDriver, LinkType } from '../stack/link';
import { copyFrame } from './memory-link';
import { Xoshiro128, deriveSeed, type Prng } from './prng';
import { realScheduler, type ScheduledTask, type Scheduler } from './scheduler';

/** netem's default `limit`: frames waiting in one direction before new ones are dropped. */
export const IMPAIR_QUEUE_FRAMES = 1000;
/** How long a frame held back for reordering waits for a successor before it goes alone. */
export const DEFAULT_REORDER_HOLD_MS = 10;

/** What to do to frames in one direction. Probabilities are in [0, 1]; times in ms. */
export interface ImpairOptions {
  readonly loss?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  readonly corrupt?: number;
  readonly delay?: number;
  /** Each frame's delay is `delay` plus a uniform draw from [-jitter, +jitter), at least 0. */
  readonly jitter?: number;
  /** Bytes per second; frames are serialised one after another. Unlimited when absent. */
  readonly rate?: number;
  readonly reorderHoldMs?: number;
  /** Bound on frames delayed or queued; default `IMPAIR_QUEUE_FRAMES`. */
  readonly queueFrames?: number;
}

export interface ImpairConfig extends ImpairOptions {
  /** Seeds both directions' PRNGs (each derives its own stream). Default 1. */
  readonly seed?: number;
  /** Default `realScheduler`. */
  readonly scheduler?: Scheduler;
  /** Overrides for frames the wrapper's user sends (merged over the shared options). */
  readonly send?: ImpairOptions;
  /** Overrides for frames arriving from the wrapped link. */
  readonly receive?: ImpairOptions;
  /** Replaces the seeded PRNGs (tests that script decisions). */
  readonly prng?: { readonly send: Prng; readonly receive: Prng };
}

/**
 * What one direction did. At any time: frames + duplicated = passed + lost + queueDrops +
 * discardedOnClose + the direction's `inFlight` (zero once closed).
 */
export interface ImpairStats {
  /** Frames that entered this direction. */
  frames: number;
  /** Frames (including duplicates) handed on. */
  passed: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  /** Frames that went out behind a frame that entered after them (held back on purpose). */
  reordered: number;
  /** Frames that waited on the scheduler (delay, jitter or rate). */
  delayed: number;
  /** Frames dropped because `queueFrames` were already waiting. */
  queueDrops: number;
  /** Frames still waiting when the link was closed. */
  discardedOnClose: number;
}

interface Released {
  readonly frame: Uint8Array;
  readonly holdBack: boolean;
  /** The frame stays valid after `input` returns (ours, or the sender's by contract). */
  readonly owned: boolean;
}

interface Group {
  readonly atMs: number;
  readonly items: Released[];
  task: ScheduledTask | null;
}

function probability(name: string, v: number | undefined): number {
  const p = v ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`impair: ${name} must be a probability in [0, 1], got ${v}`);
  return p;
}

function nonNegative(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`impair: ${name} must be a finite number ≥ 0, got ${v}`);
  return x;
}

/** One direction of an impaired link: `input` takes batches, `output` gets what survives. */
export class ImpairedDirection {
  readonly stats: ImpairStats = { frames: 0, passed: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0, delayed: 0, queueDrops: 0, discardedOnClose: 0 };
  private readonly loss: number;
  private readonly duplicate: number;
  private readonly reorder: number;
  private readonly corrupt: number;
  private readonly delay: number;
  private readonly jitter: number;
  private readonly rate: number | null;
  private readonly reorderHoldMs: number;
  private readonly queueFrames: number;
  private readonly groups = new Set<Group>();
  private lastGroup: Group | null = null;
  private waiting = 0;
  private wireFreeAtMs = -Infinity;
  private held: { frame: Uint8Array; timeout: ScheduledTask } | null = null;
  private closed = false;

  /**
   * `ownsInput`: true when frames passed to `input` stay valid after it returns (the sending
   * side, by the `LinkDriver.send` contract); false when they must be copied before waiting
   * (the receiving side: a driver owns received frames only until `receive` returns).
   */
  constructor(
    options: ImpairOptions,
    private readonly prng: Prng,
    private readonly scheduler: Scheduler,
    private readonly ownsInput: boolean,
    private readonly output: (frames: Uint8Array[]) => void,
  ) {
    this.loss = probability('loss', options.loss);
    this.duplicate = probability('duplicate', options.duplicate);
    this.reorder = probability('reorder', options.reorder);
    this.corrupt = probability('corrupt', options.corrupt);
    this.delay = nonNegative('delay', options.delay);
    this.jitter = nonNegative('jitter', options.jitter);
    const rate = options.rate;
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) throw new RangeError(`impair: rate must be a positive number of bytes per second, got ${rate}`);
    this.rate = rate ?? null;
    this.reorderHoldMs = nonNegative('reorderHoldMs', options.reorderHoldMs ?? DEFAULT_REORDER_HOLD_MS);
    const queueFrames = options.queueFrames ?? IMPAIR_QUEUE_FRAMES;
    if (!Number.isInteger(queueFrames) || queueFrames < 1) throw new RangeError(`impair: queueFrames must be a positive integer, got ${queueFrames}`);
    this.queueFrames = queueFrames;
  }

  /** Frames accepted but not yet handed on: waiting on the scheduler, or held back to reorder. */
  get inFlight(): number {
    return this.waiting + (this.held === null ? 0 : 1);
  }

  input(frames: Uint8Array[]): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    const immediate: Released[] = [];
    for (const frame of frames) {
      this.stats.frames++;
      // Five draws per frame whatever the options, so turning one knob leaves the other knobs'
      // decisions for the same seed unchanged.
      const uLoss = this.prng.nextFloat();
      const uCorrupt = this.prng.nextFloat();
      const uDuplicate = this.prng.nextFloat();
      const uReorder = this.prng.nextFloat();
      const uJitter = this.prng.nextFloat();
      if (uLoss < this.loss) {
        this.stats.lost++;
        continue;
      }
      let f = frame;
      if (uCorrupt < this.corrupt && f.byteLength > 0) {
        f = copyFrame(f);
        const bit = this.prng.nextInt(f.byteLength * 8);
        f[bit >> 3]! ^= 1 << (bit & 7);
        this.stats.corrupted++;
      }
      const copies = [f];
      if (uDuplicate < this.duplicate) {
        copies.push(copyFrame(f));
        this.stats.duplicated++;
      }
      const delayMs = Math.max(0, this.delay + (this.jitter > 0 ? (2 * uJitter - 1) * this.jitter : 0));
      copies.forEach((c, i) => {
        const item: Released = { frame: c, holdBack: i === 0 && uReorder < this.reorder, owned: this.ownsInput || c !== frame };
        if (this.rate === null && delayMs === 0) {
          immediate.push(item);
          return;
        }
        if (this.waiting >= this.queueFrames) {
          this.stats.queueDrops++;
          return;
        }
        let atMs = now + delayMs;
        if (this.rate !== null) {
          const departMs = Math.max(now, this.wireFreeAtMs) + (c.byteLength * 1000) / this.rate;
          this.wireFreeAtMs = departMs;
          atMs = departMs + delayMs;
        }
        this.stats.delayed++;
        this.later(atMs, item.owned ? item : { frame: copyFrame(c), holdBack: item.holdBack, owned: true });
      });
    }
    if (immediate.length > 0) this.release(immediate);
  }

  /** Drops whatever waits; nothing is output afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const g of this.groups) g.task?.cancel();
    this.groups.clear();
    this.stats.discardedOnClose += this.waiting;
    this.waiting = 0;
    if (this.held !== null) {
      this.held.timeout.cancel();
      this.held = null;
      this.stats.discardedOnClose++;
    }
  }

  /** Queues `item` for `atMs`, in one batch with frames due at the same time. */
  private later(atMs: number, item: Released): void {
    this.waiting++;
    if (this.lastGroup !== null && this.lastGroup.atMs === atMs && this.lastGroup.task !== null) {
      this.lastGroup.items.push(item);
      return;
    }
    const group: Group = { atMs, items: [item], task: null };
    group.task = this.scheduler.at(atMs, () => {
      group.task = null;
      this.groups.delete(group);
      this.waiting -= group.items.length;
      this.release(group.items);
    });
    this.groups.add(group);
    this.lastGroup = group;
  }

  /** Final stage: holds frames back for reordering and outputs the rest as one batch. */
  private release(items: Released[]): void {
    if (this.closed) return;
    const out: Uint8Array[] = [];
    for (const it of items) {
      if (it.holdBack && this.held === null) {
        // Held past this call: on the receiving side it must be a frame of our own.
        const frame = it.owned ? it.frame : copyFrame(it.frame);
        const timeout = this.scheduler.at(this.scheduler.now() + this.reorderHoldMs, () => {
          if (this.held?.frame !== frame) return;
          this.held = null;
          this.emit([frame]);
        });
        this.held = { frame, timeout };
        continue;
      }
      out.push(it.frame);
      if (this.held !== null) {
        this.held.timeout.cancel();
        out.push(this.held.frame);
        this.held = null;
        this.stats.reordered++;
      }
    }
    this.emit(out);
  }

  private emit(frames: Uint8Array[]): void {
    if (frames.length === 0 || this.closed) return;
    this.stats.passed += frames.length;
    this.output(frames);
  }
}

/**
 * A `LinkDriver` whose traffic crosses two `ImpairedDirection`s. It has no `useFramePool`: it
 * keeps sent frames (delay, reordering) and may pass one frame to the inner link twice
 * (duplication), so the inner link's "done with this frame" would not mean the memory is free.
 */
export class ImpairedLink implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkType;
  /** Frames the user sends (toward the wrapped link). */
  readonly sendDirection: ImpairedDirection;
  /** Frames arriving from the wrapped link (toward the user). */
  readonly receiveDirection: ImpairedDirection;
  private receive: ((frames: Uint8Array[]) => void) | null = null;

  constructor(readonly inner: LinkDriver, config: ImpairConfig = {}) {
    this.mtu = inner.mtu;
    this.linkType = inner.linkType;
    const scheduler = config.scheduler ?? realScheduler;
    const seed = config.seed ?? 1;
    const sendPrng = config.prng?.send ?? new Xoshiro128(deriveSeed(seed, 0));
    const receivePrng = config.prng?.receive ?? new Xoshiro128(deriveSeed(seed, 1));
    this.sendDirection = new ImpairedDirection({ ...config, ...config.send }, sendPrng, scheduler, true, (frames) => inner.send(frames));
    this.receiveDirection = new ImpairedDirection({ ...config, ...config.receive }, receivePrng, scheduler, false, (frames) => this.receive?.(frames));
  }

  get stats(): { readonly send: ImpairStats; readonly receive: ImpairStats } {
    return { send: this.sendDirection.stats, receive: this.receiveDirection.stats };
  }

  start(receive: (frames: Uint8Array[]) => void): void {
    if (this.receive !== null) throw new Error('ImpairedLink.start called twice');
    this.receive = receive;
    this.inner.start((frames) => this.receiveDirection.input(frames));
  }

  send(frames: Uint8Array[]): void {
    this.sendDirection.input(frames);
  }

  async close(): Promise<void> {
    this.sendDirection.close();
    this.receiveDirection.close();
    await this.inner.close();
  }
}

/**
 * Wraps `link` so both directions are impaired by `config` (with per-direction overrides in
 * `config.send` / `config.receive`). @example impair(a, { loss: 0.01, delay: 20, seed: 7, scheduler: clock })
 */
export function impair(link: LinkDriver, config: ImpairConfig = {}): ImpairedLink {
  return new ImpairedLink(link, config);
}
