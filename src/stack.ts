/**
 * The public `Stack`: a `stack/` core driven by a `StackRuntime`, so that `new Stack()` runs by
 * itself — in real time with real drivers, or on a `SimulatedClock` when one is passed.
 *
 * @example
 *   const stack = new Stack();
 *   stack.addInterface(tapDriver, { ipv4: '10.0.0.2/24', gateway4: '10.0.0.1', ipv6: 'fd00::2/64' });
 *   const reply = await stack.ping('10.0.0.1');
 */

import type { LinkDriver } from '../stack/link';
import { Stack as CoreStack, type InterfaceOptions, type NetInterface, type StackOptions as CoreOptions, type EchoReply } from '../stack/stack';
import type { Route } from '../stack/route';
import type { CountersView } from '../stack/counters';
import type { TcpEngine } from '../stack/tcp/engine';
import type { UdpBinding, UdpCatchAll, UdpCatchAllHandler, UdpHandler, UdpSend } from '../stack/udp';
import { IpAddress } from '../stack/wire/address';
import type { Scheduler } from '../drivers/scheduler';
import { StackRuntime, realTimers } from './runtime';
import { createNet, type NetModule } from './net';
import { intercept, type InterceptedConnection, type InterceptOptions, type TcpInterceptor } from './net/intercept';

export interface StackOptions extends CoreOptions {
  /** Where time comes from: real timers by default, a `SimulatedClock` in tests. */
  scheduler?: Scheduler;
  /**
   * Busy polling (src/busy-poll.ts): after traffic, keep the event loop polling for up to this
   * many microseconds (0–1000, adapting to the gaps between messages) before it sleeps. Lower
   * request/response latency for more CPU while traffic flows; default 0, off, as in the kernel.
   */
  busyPollMicros?: number;
}

export interface PingOptions {
  /** Data bytes (default 56, like ping). */
  size?: number;
  identifier?: number;
  sequence?: number;
  /** Default 2000 ms. */
  timeoutMs?: number;
}

/** Errors of the network layer's user calls, shaped like Node's system errors. */
export class NetworkError extends Error {
  constructor(
    readonly code: 'ENETUNREACH' | 'EADDRNOTAVAIL' | 'EMSGSIZE' | 'ETIMEDOUT',
    readonly syscall: string,
    readonly address: string,
  ) {
    super(`${syscall} ${code} ${address}`);
    this.name = 'Error';
  }
}

const SEND_ERRORS = { 'no-route': 'ENETUNREACH', 'no-source': 'EADDRNOTAVAIL', 'too-big': 'EMSGSIZE' } as const;

let nextIdentifier = 1;

export class Stack {
  readonly core: CoreStack;
  readonly runtime: StackRuntime;
  private readonly pings = new Map<string, { resolve: (r: EchoReply) => void; reject: (e: Error) => void; timer: { cancel(): void } }>();

  constructor(options: StackOptions = {}) {
    const { scheduler, busyPollMicros, ...core } = options;
    this.core = new CoreStack(core);
    this.runtime = new StackRuntime(this.core, scheduler ?? realTimers, busyPollMicros ?? 0);
    this.runtime.afterFlush = () => this.settlePings();
  }

  private netModule: NetModule | undefined;

  /** Node's `net` API on this stack's TCP (src/net), created on first use. */
  get net(): NetModule {
    return (this.netModule ??= createNet(this.runtime));
  }

  /**
   * A usernet extension (Node's `net` has no such call): terminates TCP connections to *any*
   * destination of the chosen families, as slirp4netns does for a namespace — interfaces need
   * `acceptAnyDestination`. With `defer` (the default) each attempt waits, its SYN unanswered,
   * until `c.accept()` (an ordinary `stack.net` socket whose `localAddress`/`localPort` are the
   * original destination) or `c.refuse()` (the client sees ECONNREFUSED; `refuse('unreachable')`:
   * EHOSTUNREACH). Ordinary listeners keep their ports. See `src/net/intercept.ts`.
   */
  intercept(options: InterceptOptions, onConnection: (c: InterceptedConnection) => void): TcpInterceptor {
    const net = this.net;
    return intercept(net.context, net.Socket, options, onConnection);
  }

  /** The TCP engine. After calling into it, call `wake()` so its output is sent. */
  get tcp(): TcpEngine {
    return this.core.tcp;
  }

  get interfaces(): readonly NetInterface[] {
    return this.core.interfaces;
  }

  /** Adds an interface on `driver` and starts the driver (see `stack/stack.ts` for options). */
  addInterface(driver: LinkDriver, options: InterfaceOptions = {}): NetInterface {
    const iface = this.core.addInterface(driver, options, this.runtime.now());
    this.runtime.attach(driver, iface);
    return iface;
  }

  addAddress(iface: NetInterface, cidr: string): void {
    this.core.addAddress(iface, cidr, this.runtime.now());
    this.runtime.wake();
  }

  addRoute(r: { destination: string; gateway?: string; iface?: NetInterface; metric?: number }): Route {
    return this.core.addRoute(r);
  }

  routes(): Route[] {
    return this.core.routes();
  }

  counters(): CountersView {
    return this.core.counters();
  }

  /** Schedules a flush: call after using `tcp` directly so its segments go out. */
  wake(): void {
    this.runtime.wake();
  }

  bindUdp(port: number, onDatagram: UdpHandler, address?: string): UdpBinding {
    return this.core.bindUdp(port, (d, now) => {
      onDatagram(d, now);
      this.runtime.wake();
    }, address);
  }

  /** The UDP catch-all of `family` for `acceptAnyDestination` interfaces (namespace mode). */
  bindUdpAny(family: 4 | 6, onDatagram: UdpCatchAllHandler): UdpCatchAll {
    return this.core.bindUdpAny(family, (d, now) => {
      const taken = onDatagram(d, now);
      this.runtime.wake();
      return taken;
    });
  }

  /** Sends one UDP datagram; throws a NetworkError when it cannot be routed. */
  sendUdp(d: UdpSend): void {
    const r = this.core.sendUdp(d, this.runtime.now());
    if (r !== null) throw new NetworkError(SEND_ERRORS[r], 'send', d.dst.toString());
    this.runtime.wake();
  }

  /** Sends one echo request and resolves with the reply, or rejects (ETIMEDOUT, ENETUNREACH …). */
  ping(dst: string, options: PingOptions = {}): Promise<EchoReply> {
    const to = IpAddress.parse(dst);
    if (to === null) return Promise.reject(new TypeError(`"${dst}" is not an IP address`));
    const size = options.size ?? 56;
    if (!Number.isInteger(size) || size < 0 || size > 65000) return Promise.reject(new RangeError(`ping size ${size}`));
    const identifier = options.identifier ?? (nextIdentifier++ & 0xffff);
    const sequence = options.sequence ?? 1;
    const key = `${to.key}/${identifier}/${sequence}`;
    if (this.pings.has(key)) return Promise.reject(new Error(`a ping ${key} is already waiting`));
    const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
    const r = this.core.sendEcho(to, { identifier, sequence, data }, this.runtime.now());
    if (r !== null) return Promise.reject(new NetworkError(SEND_ERRORS[r], 'ping', dst));
    this.runtime.wake();
    return new Promise((resolve, reject) => {
      const expire = (): void => {
        this.pings.delete(key);
        reject(new NetworkError('ETIMEDOUT', 'ping', dst));
      };
      const timeoutMs = options.timeoutMs ?? 2000;
      // A waiting ping keeps the process alive (unlike the stack's own deadline timers).
      let timer: { cancel(): void };
      if (this.runtime.clock === realTimers) {
        const h = setTimeout(expire, timeoutMs);
        timer = { cancel: () => clearTimeout(h) };
      } else {
        timer = this.runtime.clock.at(this.runtime.now() + timeoutMs, expire);
      }
      this.pings.set(key, { resolve, reject, timer });
    });
  }

  private settlePings(): void {
    for (const r of this.core.takeEchoReplies()) {
      const key = `${r.from.key}/${r.identifier}/${r.sequence}`;
      const p = this.pings.get(key);
      if (p === undefined) continue;
      this.pings.delete(key);
      p.timer.cancel();
      p.resolve(r);
    }
  }

  /** Closes drivers, clears timers, fails waiting pings; the process may exit afterwards. */
  async close(): Promise<void> {
    this.netModule?.context.close();
    for (const p of this.pings.values()) {
      p.timer.cancel();
      p.reject(new Error('stack closed'));
    }
    this.pings.clear();
    await this.runtime.close();
  }
}

export type { InterfaceOptions, NetInterface, EchoReply };
export type { InterceptOptions, InterceptedConnection, TcpInterceptor };
