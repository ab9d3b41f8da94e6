/**
 * usernet as a namespace's router on one link: a stack whose interface accepts TCP for any
 * destination; built-in services as ordinary listeners on the services address; and the stack's
 * deferred interception (`stack.intercept`) for every other connection the namespace opens, each
 * offered to the `HostRelay` (the gateway address is the host's loopback), which completes the
 * namespace's handshake only once the host connection is up. A services-address port without a
 * service is refused (RST) like a closed port. The link can be a TAP device in a namespace
 * (`serve.ts`) or a memory link to another stack (`usernet demo`).
 */

import createDebug from 'debug';
import * as hostNet from 'net';
import type { LinkDriver } from '../../stack/link';
import { Stack, type TcpInterceptor } from '../stack';
import { HostRelay } from '../relay/host-relay';
import type { RelayServer, RelaySocket } from '../relay/types';
import { createService, type Service, type ServiceSpec } from '../services';
import { stackStatus, type StatusSource } from '../services/status';

const log = createDebug('usernet:relay');

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
  /**
   * TCP handlers on the services address besides the services (e.g. DNS over TCP on 53), by port;
   * set by the owner. A port in neither is refused.
   */
  readonly servicesTcp = new Map<number, (socket: RelaySocket) => void>();

  private constructor(
    readonly stack: Stack,
    readonly relay: HostRelay,
    readonly interceptor: TcpInterceptor,
    readonly services: readonly Service[],
    private readonly serviceServers: readonly RelayServer[],
    readonly status: StatusSource,
  ) {}

  /**
   * Builds the stack on `link` (started at once). Throws on two services on one port.
   * `busyPollMicros`: the stack's busy-poll window (`StackOptions.busyPollMicros`; 0 = off).
   */
  static create(link: LinkDriver, a: RouterAddresses, services: readonly ServiceSpec[], seed: number, busyPollMicros = 0): UsernetRouter {
    const ports = new Set<number>();
    for (const s of services) {
      if (ports.has(s.port)) throw new Error(`two services on port ${s.port}`);
      ports.add(s.port);
    }
    const stack = new Stack({ seed, busyPollMicros });
    const relay = new HostRelay(hostNet, { gateway4: a.gateway4, gateway6: a.gateway6 });
    const isServices = (addr: string): boolean => addr === a.services4 || addr === a.services6;
    let router: UsernetRouter | null = null;
    const status = stackStatus(stack, () => ({
      'relay: active': relay.active.length,
      'relay: connecting': relay.pending,
      'relay: opened': relay.totals.opened,
      'relay: refused/unreachable': `${relay.totals.refused}/${relay.totals.unreachable}`,
      'relay: closed/reset/error': `${relay.totals.closed}/${relay.totals.reset}/${relay.totals.error}`,
      'relay: bytes out/in': `${relay.totals.bytesOut}/${relay.totals.bytesIn}`,
      ...(router?.extraStatus() ?? {}),
    }));
    const svcs = services.map((spec) => createService(spec, status));
    stack.addInterface(link, {
      name: 'tap',
      ipv4: [`${a.gateway4}${prefixOf(a.ipv4)}`, `${a.services4}${prefixOf(a.ipv4)}`],
      ipv6: [`${a.gateway6}${prefixOf(a.ipv6)}`, `${a.services6}${prefixOf(a.ipv6)}`],
      mtu: a.mtu,
      dad: false,
      acceptAnyDestination: true,
      // MLDv2 reports for our groups, so that a snooping bridge on the TAP forwards NDP to us.
      mld: true,
    });
    const servers: RelayServer[] = [];
    for (const svc of svcs) {
      for (const host of [a.services4, a.services6]) {
        const server = stack.net.createServer({ allowHalfOpen: true }, (socket) => svc.handle(socket));
        server.on('error', (e: Error) => log('service %s on %s:%d: %s', svc.kind, host, svc.port, e.message));
        server.listen({ port: svc.port, host });
        servers.push(server);
      }
    }
    // Everything no service takes. On the services address that is a port without a service:
    // refused as a closed port is (RST), not accepted and then reset.
    const interceptor = stack.intercept({ family: 'both', defer: true, allowHalfOpen: true }, (c) => {
      if (!isServices(c.localAddress)) return relay.offer(c);
      const extra = router?.servicesTcp.get(c.localPort);
      if (extra === undefined) return c.refuse();
      extra(c.accept());
    });
    router = new UsernetRouter(stack, relay, interceptor, svcs, servers, status);
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
    this.interceptor.close();
    for (const s of this.services) s.close();
    // Not awaited: a server's close callback waits for its connections, which the stack's close ends.
    for (const s of this.serviceServers) s.close();
    await this.stack.close();
  }
}
