/**
 * UDP for a served namespace: the stack's UDP catch-alls feed the `UdpRelay` (every datagram to
 * a foreign address, or to the gateway = the host's loopback, goes out over a host socket), and
 * the `DnsForwarder` answers port 53 of the services address (over UDP, and over TCP through
 * `handleTcp`). Datagrams to other ports of the services address get ICMP port unreachable.
 */

import * as hostNet from 'net';
import type { Stack } from '../stack';
import { IpAddress } from '../../stack/wire/address';
import type { UdpBinding, UdpCatchAll } from '../../stack/udp';
import { UdpRelay, type UdpRelayOptions } from '../relay/udp';
import { DnsForwarder, DNS_PORT, hostResolvers, type DnsForwarderOptions, type DnsUpstream } from '../relay/dns';
import type { NetApi, RelaySocket } from '../relay/types';

export interface NamespaceUdpOptions {
  gateway4: string;
  gateway6: string;
  services4: string;
  services6: string;
  /** Where DNS queries go: these upstreams; undefined = the host's `/etc/resolv.conf`; null = no DNS. */
  dnsUpstreams?: readonly DnsUpstream[] | null;
  relay?: Omit<UdpRelayOptions, 'gateway4' | 'gateway6'>;
  dns?: DnsForwarderOptions;
}

export class NamespaceUdp {
  private readonly handles: Array<UdpBinding | UdpCatchAll> = [];
  private readonly services: readonly IpAddress[];

  private constructor(
    readonly relay: UdpRelay,
    /** null when DNS is off (or the host names no resolver). */
    readonly dns: DnsForwarder | null,
    o: NamespaceUdpOptions,
  ) {
    this.services = [o.services4, o.services6].flatMap((a) => IpAddress.parse(a) ?? []);
  }

  /** Binds the catch-alls (both families) and port 53 of the services addresses on `stack`. */
  static attach(stack: Stack, o: NamespaceUdpOptions): NamespaceUdp {
    const send = stack.sendUdp.bind(stack);
    const relay = new UdpRelay(send, { ...o.relay, gateway4: o.gateway4, gateway6: o.gateway6 });
    const upstreams = o.dnsUpstreams === undefined ? hostResolvers() : o.dnsUpstreams;
    const dns = upstreams === null ? null : new DnsForwarder(upstreams, send, o.dns);
    const self = new NamespaceUdp(relay, dns, o);
    try {
      for (const family of [4, 6] as const) {
        self.handles.push(stack.bindUdpAny(family, (d) => !self.isServices(d.dst) && relay.datagram(d)));
      }
      if (dns !== null) {
        for (const a of [o.services4, o.services6]) self.handles.push(stack.bindUdp(DNS_PORT, (d) => dns.query(d), a));
      }
    } catch (e) {
      self.close();
      throw e;
    }
    return self;
  }

  private isServices(a: IpAddress): boolean {
    return this.services.some((s) => s.equals(a));
  }

  /**
   * For the TCP dispatcher: takes a connection to port 53 of the services address (DNS over
   * TCP, spliced to the upstream) and returns true; false for anything else.
   */
  handleTcp(socket: RelaySocket, net: NetApi = hostNet as unknown as NetApi): boolean {
    if (this.dns === null || socket.localPort !== DNS_PORT || socket.localAddress === undefined) return false;
    const local = IpAddress.parse(socket.localAddress.replace(/^::ffff:(?=\d+\.)/, ''));
    if (local === null || !this.isServices(local)) return false;
    this.dns.relayTcp(socket, net);
    return true;
  }

  /** Lines for the status page. */
  status(): Record<string, string | number> {
    const r = this.relay;
    const dropped = Object.entries(r.drops).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
    return {
      'udp: flows': `${r.size} (opened ${r.totals.opened}, expired ${r.totals.expired}, evicted ${r.totals.evicted})`,
      'udp: datagrams out/in': `${r.totals.datagramsOut}/${r.totals.datagramsIn}`,
      ...(dropped === '' ? {} : { 'udp: dropped': dropped }),
      ...(this.dns === null ? { dns: 'off' } : {
        'dns: upstreams': this.dns.upstreams.map((u) => (u.address.includes(':') ? `[${u.address}]:${u.port}` : `${u.address}:${u.port}`)).join(' ') || 'none',
        'dns: queries/answers/timeouts/dropped': `${this.dns.totals.queries}/${this.dns.totals.answers}/${this.dns.totals.timeouts}/${this.dns.totals.dropped}`,
      }),
    };
  }

  /** Unbinds from the stack and closes the relay's and the forwarder's host sockets. */
  close(): void {
    for (const h of this.handles.splice(0)) h.close();
    this.relay.close();
    this.dns?.close();
  }
}
