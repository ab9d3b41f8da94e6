/**
 * usernet as a namespace's router on one link: a stack whose interface accepts TCP for any
 * destination, an `Interceptor` that terminates every connection arriving on the link, and a
 * dispatcher that hands each to a built-in service (on the services address) or to the
 * `HostRelay` (everything else; the gateway address is the host's loopback). The link can be a
 * TAP device in a namespace (`serve.ts`) or a memory link to another stack (`usernet demo`).
 */

import * as hostNet from 'net';
import type { LinkDriver } from '../../stack/link';
import { Stack } from '../stack';
import { Interceptor } from '../relay/intercept';
import { HostRelay } from '../relay/host-relay';
import type { NetApi, RelaySocket } from '../relay/types';
import { createService, type Service, type ServiceSpec } from '../services';
import { stackStatus, type StatusSource } from '../services/status';

export interface RouterAddresses {
  /** The namespace's own address with its prefix (`10.0.2.100/24`). */
  ipv4: string;
  ipv6: string;
  /** usernet's addresses on the link. */
  gateway4: string;
  gateway6: string;
  services4: string;
  services6: string;
  mtu: number;
}

function prefixOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? '' : cidr.slice(slash);
}

export class UsernetRouter {
  /** Lines the status page adds (e.g. forwards); set by the owner. */
  extraStatus: () => Record<string, string | number> = () => ({});

  private constructor(
    readonly stack: Stack,
    readonly relay: HostRelay,
    readonly interceptor: Interceptor,
    readonly services: readonly Service[],
    readonly status: StatusSource,
  ) {}

  /** Builds the stack on `link` (started at once). Throws on two services on one port. */
  static create(link: LinkDriver, a: RouterAddresses, services: readonly ServiceSpec[], seed: number): UsernetRouter {
    const ports = new Set<number>();
    for (const s of services) {
      if (ports.has(s.port)) throw new Error(`two services on port ${s.port}`);
      ports.add(s.port);
    }
    const stack = new Stack({ seed });
    const relay = new HostRelay(hostNet as unknown as NetApi, { gateway4: a.gateway4, gateway6: a.gateway6 });
    const byPort = new Map<number, Service>();
    const isServices = (addr: string | undefined): boolean => addr === a.services4 || addr === a.services6 || addr === `::ffff:${a.services4}`;
    const dispatch = (socket: RelaySocket): void => {
      if (isServices(socket.localAddress)) {
        const svc = socket.localPort === undefined ? undefined : byPort.get(socket.localPort);
        if (svc !== undefined) return svc.handle(socket);
        // No service on this port: refuse the way a closed port would (a RST).
        socket.on('error', () => undefined);
        return void socket.resetAndDestroy();
      }
      relay.open(socket);
    };
    const interceptor = new Interceptor(stack.net as unknown as NetApi, dispatch);
    let router: UsernetRouter | null = null;
    const status = stackStatus(stack, () => ({
      'relay: active': relay.active.length,
      'relay: opened': relay.totals.opened,
      'relay: closed/reset/error': `${relay.totals.closed}/${relay.totals.reset}/${relay.totals.error}`,
      'relay: bytes out/in': `${relay.totals.bytesOut}/${relay.totals.bytesIn}`,
      ...(router?.extraStatus() ?? {}),
    }));
    const svcs = services.map((spec) => createService(spec, status));
    for (const s of svcs) byPort.set(s.port, s);
    stack.addInterface(interceptor.link(link), {
      name: 'tap',
      ipv4: [`${a.gateway4}${prefixOf(a.ipv4)}`, `${a.services4}${prefixOf(a.ipv4)}`],
      ipv6: [`${a.gateway6}${prefixOf(a.ipv6)}`, `${a.services6}${prefixOf(a.ipv6)}`],
      mtu: a.mtu,
      dad: false,
      acceptAnyDestination: true,
    });
    router = new UsernetRouter(stack, relay, interceptor, svcs, status);
    return router;
  }

  /** Synchronous: resets every relayed connection and every TCP connection, flushes the RSTs. */
  resetConnectionsNow(): void {
    for (const e of this.relay.active) e.splice.reset();
    for (const c of this.stack.tcp.allConnections()) if (c.state !== 'TIME-WAIT' && c.state !== 'CLOSED') c.abort();
    this.stack.runtime.flush();
  }

  /** Resets what is open, closes listeners, services and the stack (and with it the link). */
  async close(): Promise<void> {
    this.resetConnectionsNow();
    await this.relay.resetAll();
    await this.interceptor.close();
    for (const s of this.services) s.close();
    await this.stack.close();
  }
}
