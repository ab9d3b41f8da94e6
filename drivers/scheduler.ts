/**
 * Time for drivers that deliver later: a `Scheduler` runs callbacks at a time in milliseconds.
 * `realScheduler` uses Node's timers; `SimulatedClock` is driven by the test, so hours of traffic
 * run in milliseconds and every run repeats exactly (DESIGN.md, "The core is sans-IO").
 */

/** A callback that has been scheduled; `cancel` is harmless after it ran or was cancelled. */
export interface ScheduledTask {
  cancel(): void;
}

export interface Scheduler {
  /** Monotonic milliseconds (may be fractional). */
  now(): number;
  /**
   * Runs `fn` once at `timeMs` or later, never synchronously inside `at`. A time in the past
   * means "as soon as possible". Callbacks due at the same time run in the order they were added.
   */
  at(timeMs: number, fn: () => void): ScheduledTask;
}

/**
 * A pending `setImmediate` as a `ScheduledTask`: one small object per task and no closure — the
 * runtime schedules one per burst of traffic.
 */
export class ImmediateTask implements ScheduledTask {
  constructor(private readonly handle: NodeJS.Immediate) {}
  cancel(): void {
    clearImmediate(this.handle);
  }
}

/** A pending `setTimeout` as a `ScheduledTask` (see `ImmediateTask`). */
export class TimeoutTask implements ScheduledTask {
  constructor(readonly handle: NodeJS.Timeout) {}
  cancel(): void {
    clearTimeout(this.handle);
  }
}

/** Node's timers: `setImmediate` for times already due, `setTimeout` otherwise. */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  at(timeMs: number, fn: () => void): ScheduledTask {
    const wait = timeMs - performance.now();
    if (!(wait > 0)) return new ImmediateTask(setImmediate(fn));
    // setTimeout may fire up to a millisecond before a fractional target; callers that care
    // compare against the time they asked for, not now().
    return new TimeoutTask(setTimeout(fn, Math.ceil(wait)));
  },
};

interface Entry {
  readonly timeMs: number;
  readonly order: number;
  fn: (() => void) | null; // null once cancelled
}

/**
 * Callbacks a runaway simulation may fire in one `runUntilIdle` before it is declared a livelock
 * (a timer that always re-arms itself). Large enough for hours of simulated TCP.
 */
export const SIMULATION_STEP_LIMIT = 10_000_000;

/**
 * A clock that moves only when told to. Due callbacks fire in time order, ties in the order they
 * were scheduled; while a callback runs, `now()` is its scheduled time.
 */
export class SimulatedClock implements Scheduler {
  private current: number;
  private nextOrder = 0;
  private readonly heap: Entry[] = [];
  private live = 0;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`start time must be finite, got ${startMs}`);
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  at(timeMs: number, fn: () => void): ScheduledTask {
    if (Number.isNaN(timeMs)) throw new RangeError('cannot schedule at NaN');
    const entry: Entry = { timeMs: Math.max(timeMs, this.current), order: this.nextOrder++, fn };
    this.push(entry);
    this.live++;
    return {
      cancel: () => {
        if (entry.fn !== null) {
          entry.fn = null;
          this.live--;
        }
      },
    };
  }

  /** Callbacks scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.live;
  }

  /** The time of the earliest pending callback, or undefined when idle. */
  nextTime(): number | undefined {
    this.discardCancelled();
    return this.heap[0]?.timeMs;
  }

  /** Moves time forward by `ms`, running every callback due by then (including ones they add). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    this.advanceTo(this.current + ms);
  }

  /** Moves time to `timeMs` (not backwards), running every callback due by then. */
  advanceTo(timeMs: number): void {
    if (!(timeMs >= this.current)) throw new RangeError(`cannot move the clock from ${this.current} back to ${timeMs}`);
    let steps = 0;
    for (let t = this.nextTime(); t !== undefined && t <= timeMs; t = this.nextTime()) {
      this.runOne();
      if (++steps > SIMULATION_STEP_LIMIT) throw new Error(`simulated clock: more than ${SIMULATION_STEP_LIMIT} callbacks before ${timeMs} ms`);
    }
    this.current = timeMs;
  }

  /** Runs callbacks, jumping time to each, until none is pending. Returns how many ran. */
  runUntilIdle(stepLimit = SIMULATION_STEP_LIMIT): number {
    let steps = 0;
    while (this.nextTime() !== undefined) {
      if (steps >= stepLimit) throw new Error(`simulated clock: still busy after ${stepLimit} callbacks (at ${this.current} ms)`);
      this.runOne();
      steps++;
    }
    return steps;
  }

  private runOne(): void {
    const entry = this.pop();
    const fn = entry.fn!;
    entry.fn = null;
    this.live--;
    this.current = entry.timeMs;
    fn();
  }

  private discardCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === null) this.pop();
  }

  // A binary min-heap on (timeMs, order).
  private static before(a: Entry, b: Entry): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.order < b.order);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!SimulatedClock.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && SimulatedClock.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && SimulatedClock.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
