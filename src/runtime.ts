/**
 * The runtime: the one place that owns time and I/O for a sans-IO `stack/` core (DESIGN.md,
 * "The core is sans-IO"). It starts drivers and feeds their frames to `core.input`, keeps one
 * timer at `core.nextDeadline()`, and after any burst of activity flushes once: `poll`, then
 * every interface's frames to its driver.
 *
 * Time comes from a `Scheduler`: real timers by default, or a `SimulatedClock` in tests, so the
 * same code runs hours of traffic in milliseconds.
 */

import type { LinkDriver } from '../stack/link';
import type { Stack as CoreStack, NetInterface } from '../stack/stack';
import { ImmediateTask, TimeoutTask, type ScheduledTask, type Scheduler } from '../drivers/scheduler';
import type { TcpEngine } from '../stack/tcp/engine';
import type { TcpEvent } from '../stack/tcp/events';
import { FramePool } from '../stack/iface/frame-pool';
import { LINK_HEADROOM } from '../stack/wire/payload';
import { BusyPoller, type BusyPollStats } from './busy-poll';

/**
 * Real time with Node's timers. Deadline timers are unref'd: the stack's housekeeping (neighbour
 * aging, TIME-WAIT) does not keep a process alive by itself — drivers and sockets do, as with
 * the kernel's stack. The flush after a burst uses `setImmediate`.
 */
export const realTimers: Scheduler = {
  now: () => performance.now(),
  at(timeMs: number, fn: () => void): ScheduledTask {
    const wait = timeMs - performance.now();
    if (!(wait > 0)) return new ImmediateTask(setImmediate(fn));
    return new TimeoutTask(setTimeout(fn, Math.ceil(wait)).unref());
  },
};

/**
 * Flushes in a row before the runtime yields to the event loop with a fresh `setImmediate`:
 * loopback traffic can keep `nextDeadline()` at "now" for a while, and other I/O must get a turn.
 */
export const MAX_FLUSHES_PER_TURN = 64;

export class StackRuntime {
  private readonly drivers = new Map<NetInterface, LinkDriver>();
  private flushTask: ScheduledTask | null = null;
  private timerTask: ScheduledTask | null = null;
  private timerAt = Infinity;
  private closed = false;
  private readonly tcpEventListeners: Array<(events: TcpEvent[]) => void> = [];
  /** Called after every flush (the public Stack resolves pings here). */
  afterFlush: (() => void) | null = null;
  /** Keeps the event loop polling after work, when asked for (src/busy-poll.ts). */
  private readonly poller: BusyPoller | null;

  /**
   * `busyPollMicros`: the longest window, in µs, for which the loop keeps polling instead of
   * sleeping once a flush leaves nothing to do; 0 (the default) sleeps at once. Busy polling is
   * about real time, so it needs `realTimers`.
   */
  constructor(
    readonly core: CoreStack,
    readonly clock: Scheduler = realTimers,
    busyPollMicros = 0,
  ) {
    if (busyPollMicros !== 0 && clock !== realTimers) throw new RangeError('busy polling needs real time (no scheduler)');
    this.poller = busyPollMicros === 0 ? null : new BusyPoller(busyPollMicros);
  }

  /** The busy poller's window and counts; null when busy polling is off. */
  get busyPoll(): BusyPollStats | null {
    return this.poller?.stats ?? null;
  }

  now(): number {
    return this.clock.now();
  }

  // The `NetRuntime` the net layer (src/net/context.ts) sits on: tcp, now, kick, onTcpEvents.

  /** The core's TCP engine. After calling into it, `kick()` so its output goes out. */
  get tcp(): TcpEngine {
    return this.core.tcp;
  }

  /** Same as `wake()`, under the name the net layer uses. */
  kick(): void {
    this.wake();
  }

  /**
   * Registers a consumer of the engine's events; from then on every flush drains
   * `tcp.takeEvents()` into the listeners (without one, events stay for the caller to take).
   */
  onTcpEvents(listener: (events: TcpEvent[]) => void): void {
    this.tcpEventListeners.push(listener);
  }

  /**
   * Starts `driver` and connects it to `iface`; frames it delivers go to the core. A driver that
   * gives written frames back (`LinkDriver.useFramePool`) gets a pool sized for the largest frame
   * the interface sends (TSO packet or MTU, plus the link header), which the transmit path uses.
   */
  attach(driver: LinkDriver, iface: NetInterface): void {
    if (this.closed) throw new Error('runtime is closed');
    this.drivers.set(iface, driver);
    driver.useOffloads?.(iface.offloads);
    if (driver.useFramePool !== undefined && iface.framePool === null) {
      const pool = new FramePool(LINK_HEADROOM + (iface.offloads.txTcpSegmentation ?? iface.mtu));
      if (driver.useFramePool(pool)) iface.framePool = pool;
    }
    driver.start((frames, checksumVouched) => {
      if (this.closed) return;
      this.core.input(iface, frames, this.clock.now(), checksumVouched);
      this.wake();
    });
    this.wake();
  }

  /**
   * Asks for a flush soon (after the current burst of work). Callers: the driver receive path,
   * and the user API after anything that may produce output (a write, a connect, a ping).
   */
  wake(): void {
    this.poller?.busy();
    if (this.closed || this.flushTask !== null) return;
    this.flushTask = this.clock.at(this.clock.now(), this.runFlushTask);
  }

  /** Hands one interface's frames to its driver; bound once, as `drainEach` calls it per flush. */
  private readonly sendFrames = (iface: NetInterface, frames: Uint8Array[]): void => {
    this.drivers.get(iface)?.send(frames);
  };

  /** The flush `wake()` schedules; bound once, so that a wake allocates no closure. */
  private readonly runFlushTask = (): void => {
    this.flushTask = null;
    this.flush();
  };

  /** Polls the core, hands frames to drivers and TCP events to listeners, re-arms the deadline timer. */
  flush(): void {
    if (this.closed) return;
    let next = Infinity;
    for (let i = 0; i < MAX_FLUSHES_PER_TURN; i++) {
      const now = this.clock.now();
      this.core.poll(now);
      this.core.drainEach(this.sendFrames);
      next = this.core.nextDeadline();
      if (next > now) break;
    }
    this.afterFlush?.();
    // Listeners may write, connect or close: the deadline is read again after them. (Their
    // output waits for the next flush, one event-loop turn later, as a kernel's would: code
    // written for Node expects a peer's answer on loopback not to arrive inside its own call.)
    if (this.deliverTcpEvents()) {
      if (this.closed) return;
      next = this.core.nextDeadline();
    }
    this.arm(next);
    if (this.flushTask === null) this.poller?.idle();
  }

  /** Hands the engine's events to the listeners; false when there were none (or no listener). */
  private deliverTcpEvents(): boolean {
    if (this.tcpEventListeners.length === 0) return false;
    const events = this.core.tcp.takeEvents();
    if (events.length === 0) return false;
    for (const l of this.tcpEventListeners) l(events);
    return true;
  }

  /**
   * Keeps one timer for `next` (the core's deadline, read at the end of the flush). The timer is
   * lazy: a deadline that moved *later* (an RTO pushed out by an ACK, a delayed ACK that left with
   * data) keeps the timer already set, which fires early, polls harmlessly (DESIGN.md: polling
   * early is harmless) and re-arms for the real deadline; only an earlier deadline, or none at
   * all, replaces it. Request/response traffic moves its deadlines on every segment, and a
   * setTimeout/clearTimeout pair per flush cost more than the whole TCP input path.
   */
  private arm(next: number): void {
    if (next <= this.clock.now()) {
      this.wake();
      return;
    }
    if (this.timerTask !== null) {
      if (next >= this.timerAt && next !== Infinity) return;
      this.timerTask.cancel();
      this.timerTask = null;
    }
    this.timerAt = next;
    if (next === Infinity) return;
    this.timerTask = this.clock.at(next, this.runTimerTask);
  }

  private readonly runTimerTask = (): void => {
    this.timerTask = null;
    this.timerAt = Infinity;
    this.flush();
  };

  /** Stops timers, closes every driver, and closes the core. Resolves when drivers are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.poller?.stop();
    this.flushTask?.cancel();
    this.timerTask?.cancel();
    this.flushTask = this.timerTask = null;
    this.core.close();
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((d) => d.close()));
  }
}
