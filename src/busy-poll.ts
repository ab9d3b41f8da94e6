/**
 * Busy polling: after a burst of work, the runtime keeps Node's event loop turning without
 * sleeping for a short window, so that the next frame or socket read is picked up as soon as it
 * is there instead of after a wake-up. It is the user-space form of the kernel's socket busy
 * polling (SO_BUSY_POLL, the net.core.busy_poll sysctl; Documentation/networking/napi.rst,
 * "Busy polling"): latency bought with CPU, off unless asked for.
 *
 * Why it pays: a process blocked in epoll_wait is woken by the kernel, and when its CPU went idle
 * that wake-up is the slowest step on the path — on a virtual machine whose idle vCPUs halt,
 * tens of microseconds. A relay such as `usernet netns` is woken twice per request/response
 * (the request from the TAP, the answer from the host socket); busy polling takes both off the
 * critical path while traffic flows.
 *
 * How: while a libuv idle handle is started, libuv polls for I/O with a zero timeout instead of
 * blocking, and still runs every I/O callback and timer on its turn. The TAP addon's
 * `LoopPoller` (drivers/tap/loop-poll.h) is such a handle: it stops itself at a deadline, and in
 * each turn spins on libuv's epoll descriptor for up to 20 µs, so the loop goes round once per
 * event rather than millions of times a second (every turn of Node's loop allocates). Without
 * the addon, a chain of `setImmediate` does the same at the price of objects per turn.
 *
 * The window adapts as KVM's halt polling does (Documentation/virt/kvm/halt-polling.rst): it
 * grows when the loop slept and was woken soon after (polling a little longer would have caught
 * it), shrinks when the loop slept long (polling was wasted) — here only when that happens twice
 * running — and stays when polling caught the work. Traffic with long pauses between messages
 * therefore costs next to nothing, and an idle stack costs nothing at all.
 */

import { loadTapAddon, type NativeLoopPoller } from '../drivers/tap/native';

/** The window's first step above zero, in microseconds (or the maximum, if smaller). */
export const POLL_WINDOW_START_US = 10;

/**
 * The window the CLI's serving commands (`usernet netns`, `usernet serve`) use unless told
 * otherwise: 200 µs, the default of KVM's halt_poll_ns, which makes the same trade for a vCPU.
 */
export const SERVING_BUSY_POLL_US = 200;

/** Sleeps longer than the maximum in a row before the window halves (see `idleEnded`). */
export const SHRINK_AFTER_LONG_SLEEPS = 2;

/** The largest window accepted: beyond a millisecond, sleeping and being woken costs less. */
export const POLL_WINDOW_LIMIT_US = 1000;

/** The adaptive window alone: no clock, no loop, so its rules can be tested one by one. */
export class PollWindow {
  /** The current window in microseconds; 0 means sleep at once. */
  windowUs = 0;
  private readonly startUs: number;
  /** Sleeps longer than the maximum in a row (shrinking waits for `SHRINK_AFTER_LONG_SLEEPS`). */
  private longSleeps = 0;

  constructor(readonly maxUs: number) {
    if (!Number.isInteger(maxUs) || maxUs < 0 || maxUs > POLL_WINDOW_LIMIT_US) {
      throw new RangeError(`busy poll window must be an integer from 0 to ${POLL_WINDOW_LIMIT_US} µs, got ${maxUs}`);
    }
    this.startUs = Math.min(POLL_WINDOW_START_US, maxUs);
  }

  /** Work arrived `idleUs` after the loop ran out of it; adjusts the window for next time. */
  idleEnded(idleUs: number): void {
    if (idleUs > this.maxUs) {
      // Longer than any window we would poll for: the polling that was done was wasted. Halve
      // only when it happens twice running: one long pause in a fast exchange (a peer's garbage
      // collection, say) is no sign that the exchange has ended, and a halved window would let
      // the next ordinary gaps sleep.
      if (++this.longSleeps < SHRINK_AFTER_LONG_SLEEPS) return;
      this.longSleeps = 0;
      const half = Math.floor(this.windowUs / 2);
      this.windowUs = half < this.startUs ? 0 : half;
      return;
    }
    this.longSleeps = 0;
    if (idleUs <= this.windowUs) return; // polling caught it: the window is right
    // Slept, but a longer window would have caught it.
    this.windowUs = Math.min(this.maxUs, Math.max(this.startUs, this.windowUs * 2));
  }
}

/**
 * What the poller needs of the event loop: real time, and a way to keep the loop polling for I/O
 * without sleeping until a deadline.
 */
export interface LoopPolling {
  /** Monotonic milliseconds. */
  now(): number;
  /** Keep the loop from sleeping for the next `microseconds` (replaces the deadline); 0 stops. */
  pollFor(microseconds: number): void;
  /** Stops for good. */
  close(): void;
}

/**
 * The native poller of the TAP addon (drivers/tap/loop-poll.cc): a libuv idle handle, nothing on
 * the JavaScript heap per turn, never keeping the process alive. Null where the addon is not
 * built (it is Linux only).
 */
export function nativeLoopPolling(): LoopPolling | null {
  let poller: NativeLoopPoller;
  try {
    poller = new (loadTapAddon().LoopPoller)();
  } catch {
    return null;
  }
  return { now: () => performance.now(), pollFor: (us) => poller.pollFor(us), close: () => poller.close() };
}

/**
 * Busy polling with `setImmediate`, where the addon is missing: a pending immediate also makes
 * libuv poll with a zero timeout. Each turn allocates an Immediate, so the native poller is
 * preferred; this one also keeps the process alive until its deadline (at most a millisecond).
 */
export function immediateLoopPolling(): LoopPolling {
  let deadline = 0;
  let running = false;
  let closed = false;
  const turn = (): void => {
    if (closed || performance.now() >= deadline) {
      running = false;
      return;
    }
    setImmediate(turn);
  };
  return {
    now: () => performance.now(),
    pollFor(us) {
      deadline = performance.now() + us / 1000;
      if (us > 0 && !running && !closed) {
        running = true;
        setImmediate(turn);
      }
    },
    close() {
      closed = true;
    },
  };
}

export interface BusyPollStats {
  /** The current window in microseconds. */
  windowUs: number;
  /** Times the runtime ran out of work with a window above zero, and so polled. */
  polls: number;
  /** Idle periods that ended while polling (the wake-ups saved). */
  caught: number;
  /** Idle periods that outlasted the window: the loop slept and was woken. */
  expired: number;
}

/**
 * Drives the polling for a runtime: `busy()` whenever work arrives (the runtime's `wake`),
 * `idle()` when a flush leaves nothing to do, `stop()` at close.
 */
export class BusyPoller {
  private readonly window: PollWindow;
  /** When the runtime last ran out of work (loop ms); NaN while it has work. */
  private idleSince = Number.NaN;
  /** The window the current idle period is being polled for (µs); 0: not polled. */
  private polledUs = 0;
  private stopped = false;
  private readonly counts = { polls: 0, caught: 0, expired: 0 };

  constructor(maxUs: number, private readonly loop: LoopPolling = nativeLoopPolling() ?? immediateLoopPolling()) {
    this.window = new PollWindow(maxUs);
  }

  get stats(): BusyPollStats {
    return { windowUs: this.window.windowUs, ...this.counts };
  }

  /** Work arrived (a frame, a write, a timer's output): ends the idle period, if one was running. */
  busy(): void {
    if (Number.isNaN(this.idleSince)) return;
    const idleUs = (this.loop.now() - this.idleSince) * 1000;
    if (this.polledUs > 0) {
      if (idleUs <= this.polledUs) this.counts.caught++;
      else this.counts.expired++;
    }
    this.window.idleEnded(idleUs);
    this.idleSince = Number.NaN;
  }

  /** The runtime has nothing left to do: poll for the window before the loop may sleep. */
  idle(): void {
    if (this.stopped || !Number.isNaN(this.idleSince)) return; // already idle (a timer's flush)
    this.idleSince = this.loop.now();
    this.polledUs = this.window.windowUs;
    if (this.polledUs === 0) return;
    this.counts.polls++;
    this.loop.pollFor(this.polledUs);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.loop.close();
  }
}
