/**
 * UDP of a served namespace in memory: a "namespace" stack with its default route via usernet,
 * usernet's stack (acceptAnyDestination) on the other end of a memory link with `NamespaceUdp`
 * attached. Datagrams to the gateway reach a host UDP server on 127.0.0.1 / ::1; DNS on the
 * services address is forwarded to a test DNS server.
 */

import test from 'ava';
import * as dgram from 'dgram';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import { NETNS_DEFAULTS } from '../../src/netns/serve';
import { NamespaceUdp } from '../../src/netns/udp-services';
import { IpAddress } from '../../stack/wire/address';
import type { UdpDatagram } from '../../stack/udp';
import { dnsQuery, startDnsServer } from '../helpers/dns-server';
import { queue, sleep } from './harness';

const A = NETNS_DEFAULTS;
const prefix = (cidr: string): string => cidr.slice(cidr.indexOf('/'));

async function setup(dnsPort: number | null): Promise<{ ns: Stack; router: Stack; udp: NamespaceUdp; inbox: ReturnType<typeof queue<UdpDatagram>>; close(): Promise<void> }> {
  const [nsLink, routerLink] = MemoryLink.pair({ mtu: 1500 });
  const router = new Stack({ seed: 2 });
  router.addInterface(routerLink, {
    ipv4: [`${A.gateway4}${prefix(A.ipv4)}`, `${A.services4}${prefix(A.ipv4)}`],
    ipv6: [`${A.gateway6}${prefix(A.ipv6)}`, `${A.services6}${prefix(A.ipv6)}`],
    dad: false,
    acceptAnyDestination: true,
  });
  const udp = NamespaceUdp.attach(router, { ...A, dnsUpstreams: dnsPort === null ? null : [{ address: '127.0.0.1', port: dnsPort }] });
  const ns = new Stack({ seed: 1 });
  ns.addInterface(nsLink, { ipv4: A.ipv4, ipv6: A.ipv6, gateway4: A.gateway4, gateway6: A.gateway6, dad: false });
  const inbox = queue<UdpDatagram>();
  ns.bindUdp(4000, (d) => inbox.push(d));
  return { ns, router, udp, inbox, close: async () => { udp.close(); await ns.close(); await router.close(); } };
}

const text = (d: UdpDatagram): string => `${d.src}:${d.srcPort} ${Buffer.from(d.payload).toString()}`;

test('a datagram to the gateway reaches a host UDP server on the loopback and the answer comes back (IPv4, IPv6)', async (t) => {
  const { ns, udp, inbox, close } = await setup(null);
  const servers = await Promise.all((['udp4', 'udp6'] as const).map(async (type) => {
    const s = dgram.createSocket(type);
    s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
    return s;
  }));
  t.teardown(async () => (servers.forEach((s) => s.close()), await close()));
  const [p4, p6] = servers.map((s) => s.address().port);
  ns.sendUdp({ srcPort: 4000, dst: IpAddress.parse(A.gateway4)!, dstPort: p4!, payload: Buffer.from('four') });
  t.is(text(await inbox.next()), `${A.gateway4}:${p4} echo:four`);
  ns.sendUdp({ srcPort: 4000, dst: IpAddress.parse(A.gateway6)!, dstPort: p6!, payload: Buffer.from('six') });
  t.is(text(await inbox.next()), `${A.gateway6}:${p6} echo:six`);
  t.is(udp.relay.size, 2);
  t.regex(String(udp.status()['udp: datagrams out/in']), /^2\/2$/);
});

test('DNS on the services address is forwarded to the upstream; other ports there are unreachable', async (t) => {
  const server = await startDnsServer({ 'example.test': '10.0.2.2' });
  const { ns, udp, inbox, close } = await setup(server.port);
  t.teardown(async () => (await close(), await server.close()));
  ns.sendUdp({ srcPort: 4000, dst: IpAddress.parse(A.services4)!, dstPort: 53, payload: dnsQuery(0xbeef, 'example.test') });
  const a = await inbox.next();
  t.is(`${a.src}:${a.srcPort}`, `${A.services4}:53`);
  t.deepEqual([...a.payload.subarray(a.payload.length - 4)], [10, 0, 2, 2]);
  ns.sendUdp({ srcPort: 4000, dst: IpAddress.parse(A.services6)!, dstPort: 53, payload: dnsQuery(0xbef0, 'example.test') });
  t.is(`${(await inbox.next()).src}`, A.services6);
  ns.sendUdp({ srcPort: 4000, dst: IpAddress.parse(A.services4)!, dstPort: 54, payload: Buffer.from('nobody') });
  for (let i = 0; i < 50 && (ns.counters().counts.icmp?.InDestUnreachs ?? 0) === 0; i++) await sleep(10);
  t.is(ns.counters().counts.icmp?.InDestUnreachs, 1);
  t.is(udp.relay.totals.opened, 0, 'nothing for the services address goes to the relay');
  t.like(udp.dns!.totals, { queries: 2, answers: 2 });
});
