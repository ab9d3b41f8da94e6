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
import type { ScheduledTask, Scheduler } from '../drivers/scheduler';
import type { TcpEngine } from '../stack/tcp/engine';
import type { TcpEvent } from '../stack/tcp/events';

/**
 * Real time with Node's timers. Deadline timers are unref'd: the stack's housekeeping (neighbour
 * aging, TIME-WAIT) does not keep a process alive by itself — drivers and sockets do, as with
 * the kernel's stack. The flush after a burst uses `setImmediate`.
 */
export const realTimers: Scheduler = {
  now: () => performance.now(),
  at(timeMs: number, fn: () => void): ScheduledTask {
    const wait = timeMs - performance.now();
    if (!(wait > 0)) {
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(fn, Math.ceil(wait));
    h.unref();
    return { cancel: () => clearTimeout(h) };
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

  constructor(
    readonly core: CoreStack,
    readonly clock: Scheduler = realTimers,
  ) {}

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

  /** Starts `driver` and connects it to `iface`; frames it delivers go to the core. */
  attach(driver: LinkDriver, iface: NetInterface): void {
    if (this.closed) throw new Error('runtime is closed');
    this.drivers.set(iface, driver);
    driver.useOffloads?.(iface.offloads);
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
    if (this.closed || this.flushTask !== null) return;
    this.flushTask = this.clock.at(this.clock.now(), () => {
      this.flushTask = null;
      this.flush();
    });
  }

  /** Polls the core, hands frames to drivers, and re-arms the single deadline timer. */
  flush(): void {
    if (this.closed) return;
    for (let i = 0; i < MAX_FLUSHES_PER_TURN; i++) {
      const now = this.clock.now();
      this.core.poll(now);
      for (const { iface, frames } of this.core.drain()) this.drivers.get(iface)?.send(frames);
      if (this.core.nextDeadline() > now) break;
    }
    this.afterFlush?.();
    if (this.tcpEventListeners.length > 0) {
      const events = this.core.tcp.takeEvents();
      if (events.length > 0) for (const l of this.tcpEventListeners) l(events);
    }
    this.arm();
  }

  private arm(): void {
    const next = this.core.nextDeadline();
    if (next <= this.clock.now()) {
      this.wake();
      return;
    }
    if (next === this.timerAt && this.timerTask !== null) return;
    this.timerTask?.cancel();
    this.timerTask = null;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timerTask = this.clock.at(next, () => {
      this.timerTask = null;
      this.timerAt = Infinity;
      this.flush();
    });
  }

  /** Stops timers, closes every driver, and closes the core. Resolves when drivers are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushTask?.cancel();
    this.timerTask?.cancel();
    this.flushTask = this.timerTask = null;
    this.core.close();
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((d) => d.close()));
  }
}
