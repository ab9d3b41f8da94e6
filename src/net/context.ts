/**
 * What the net layer needs from a running stack (`NetRuntime`, implemented by `src/runtime.ts`),
 * and the per-stack state every handle shares (`NetContext`): the router that hands TCP events to
 * handles, and the count of referenced handles that keeps the process alive.
 */

import type { TcpEngine } from '../../stack/tcp/engine';
import { IpAddress } from '../../stack/wire/address';
import type { TcpEvent } from '../../stack/tcp/events';
import { TcpEventRouter } from './dispatch';

/** The runtime as the net layer sees it. */
export interface NetRuntime {
  /** The stack's TCP engine (sans-IO); user calls go straight to it. */
  readonly tcp: TcpEngine;
  /** Monotonic ms, the clock the runtime feeds the stack (passed to `connect`). */
  now(): number;
  /** Asks the runtime to poll and flush soon (a coalescing `setImmediate`), after user calls. */
  kick(): void;
  /** Registers the consumer of the engine's events, called after every input/poll/flush. */
  onTcpEvents(listener: (events: TcpEvent[]) => void): void;
  /** Optional: the runtime counts referenced handles itself (see `Liveness`). */
  ref?(): void;
  unref?(): void;
}

/**
 * Keeps the process alive while referenced handles are open, the way libuv's referenced handles
 * do: one real ref'd timer exists only while the count is above zero.
 */
export class Liveness {
  private count = 0;
  private keeper: NodeJS.Timeout | null = null;

  ref(): void {
    if (this.count++ === 0) this.keeper = setInterval(() => undefined, 1 << 30);
  }

  unref(): void {
    if (this.count === 0) return; // after release()
    if (--this.count === 0 && this.keeper !== null) {
      clearInterval(this.keeper);
      this.keeper = null;
    }
  }

  get referenced(): number {
    return this.count;
  }

  /** Drops every reference at once (the stack closed); later calls are ignored. */
  release(): void {
    this.count = 0;
    if (this.keeper !== null) clearInterval(this.keeper);
    this.keeper = null;
  }
}

/** One per stack: shared by its sockets and servers. */
export class NetContext {
  readonly router: TcpEventRouter;
  private readonly liveness: Liveness | null;

  constructor(readonly runtime: NetRuntime) {
    this.router = new TcpEventRouter(() => runtime.kick());
    this.liveness = typeof runtime.ref === 'function' && typeof runtime.unref === 'function' ? null : new Liveness();
    runtime.onTcpEvents((events) => this.router.dispatch(events));
  }

  get tcp(): TcpEngine {
    return this.runtime.tcp;
  }

  /** The text `parseAddress` parsed last and its result (null: not an address). */
  private lastAddressText = '';
  private lastAddress: IpAddress | null = null;

  /**
   * `IpAddress.parse`, remembering the last text: clients connect to the same address again and
   * again, and parsing it anew cost more than the rest of a connect's bookkeeping. Addresses are
   * immutable values (`IpAddress.v4` shares them the same way).
   */
  parseAddress(text: string): IpAddress | null {
    if (text !== this.lastAddressText) {
      this.lastAddress = IpAddress.parse(text);
      this.lastAddressText = text;
    }
    return this.lastAddress;
  }

  private closed = false;

  /** The stack closed: its handles no longer keep the process alive. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.liveness?.release();
  }

  /** A referenced handle opened (or was ref'd again). */
  ref(): void {
    if (this.closed) return;
    if (this.liveness !== null) this.liveness.ref();
    else this.runtime.ref!();
  }

  unref(): void {
    if (this.closed) return;
    if (this.liveness !== null) this.liveness.unref();
    else this.runtime.unref!();
  }
}

/**
 * Tracks one handle's contribution to the count: active and referenced. As with libuv, only an
 * active handle keeps the process alive: a listening server, a socket that is connecting,
 * reading, or has writes or a shutdown pending — not one created but not connected, nor a
 * connected one that is paused with nothing to write.
 */
export class HandleRef {
  private counted = false;
  private wanted = true;
  private open: boolean;
  private closed = false;

  constructor(
    private readonly ctx: NetContext,
    active = true,
  ) {
    this.open = active;
    this.update();
  }

  /** The handle became active (connecting, listening) or idle; a closed handle stays inactive. */
  setActive(active: boolean): void {
    if (this.closed) return;
    this.open = active;
    this.update();
  }

  ref(): void {
    this.wanted = true;
    this.update();
  }

  unref(): void {
    this.wanted = false;
    this.update();
  }

  get hasRef(): boolean {
    return this.wanted;
  }

  /** The handle closed; it never counts again. */
  close(): void {
    this.closed = true;
    this.wanted = false;
    this.open = false;
    this.update();
  }

  private update(): void {
    const should = this.wanted && this.open;
    if (should === this.counted) return;
    this.counted = should;
    if (should) this.ctx.ref();
    else this.ctx.unref();
  }
}
