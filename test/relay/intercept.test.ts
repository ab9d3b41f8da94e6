/**
 * Namespace mode in memory: a "namespace" stack with a default route via usernet, and usernet as
 * its router (`UsernetRouter`) on the other end of a memory link. Connections to any destination
 * are terminated by usernet; the gateway reaches a real host server on 127.0.0.1 / ::1.
 */

import test from 'ava';
import * as net from 'net';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import { UsernetRouter } from '../../src/netns/router';
import { NETNS_DEFAULTS } from '../../src/netns/serve';
import { synDestination } from '../../src/relay/syn-peek';
import { Interceptor } from '../../src/relay/intercept';
import type { NetApi, RelaySocket } from '../../src/relay/types';
import { closed, listenOn, queue } from './harness';

const A = NETNS_DEFAULTS;

function pair(services = [{ kind: 'echo' as const, port: 7 }]): { ns: Stack; router: UsernetRouter; close(): Promise<void> } {
  const [nsLink, routerLink] = MemoryLink.pair({ mtu: A.mtu });
  const router = UsernetRouter.create(routerLink, A, services, 2);
  const ns = new Stack({ seed: 1 });
  ns.addInterface(nsLink, { ipv4: A.ipv4, ipv6: A.ipv6, gateway4: A.gateway4, gateway6: A.gateway6, mtu: A.mtu, dad: false });
  return { ns, router, close: async () => { await ns.close(); await router.close(); } };
}

function conversation(s: net.Socket | RelaySocket, send: string): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ data: Buffer.concat(chunks).toString() }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(chunks).toString(), error: e.code ?? e.message }));
    s.end(send);
  });
}

test('synDestination finds SYNs only', (t) => {
  const frame = new Uint8Array(14 + 20 + 20);
  frame[12] = 0x08;
  frame[14] = 0x45;
  frame[14 + 9] = 6;
  frame[34 + 2] = 0x1f;
  frame[34 + 3] = 0x90;
  frame[34 + 13] = 0x02;
  t.deepEqual(synDestination(frame), { family: 4, port: 8080 });
  frame[34 + 13] = 0x12; // SYN-ACK
  t.is(synDestination(frame), null);
  frame[34 + 13] = 0x02;
  frame[14 + 6] = 0x00;
  frame[14 + 7] = 0x10; // a later fragment
  t.is(synDestination(frame), null);
  t.is(synDestination(frame.subarray(0, 40)), null);
});

test('a connection to any address and port is terminated by usernet, which knows where it was going', async (t) => {
  const [nsLink, routerLink] = MemoryLink.pair({ mtu: 1500 });
  const router = new Stack({ seed: 2 });
  const seen = queue<string>();
  const interceptor = new Interceptor(router.net as unknown as NetApi, (s) => {
    seen.push(`${s.localAddress}:${s.localPort}`);
    s.end('intercepted');
  });
  router.addInterface(interceptor.link(routerLink), { ipv4: '10.0.2.2/24', ipv6: 'fd00:2::2/64', dad: false, acceptAnyDestination: true });
  const ns = new Stack({ seed: 1 });
  ns.addInterface(nsLink, { ipv4: '10.0.2.100/24', ipv6: 'fd00:2::100/64', gateway4: '10.0.2.2', gateway6: 'fd00:2::2', dad: false });
  for (const [host, port] of [['93.184.216.34', 80], ['198.51.100.7', 4444], ['2001:db8::42', 443]] as const) {
    const r = await conversation(ns.net.connect({ host, port, allowHalfOpen: true }), 'x');
    t.is(r.data, 'intercepted');
    t.is(await seen.next(), `${host}:${port}`);
  }
  t.deepEqual(interceptor.ports.sort(), ['4/4444', '4/80', '6/443']);
  await interceptor.close();
  await ns.close();
  await router.close();
});

test('the gateway reaches the host loopback (IPv4 and IPv6), with half-close both ways', async (t) => {
  const { ns, router, close } = pair();
  const host = net.createServer({ allowHalfOpen: true }, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    // Answers only after the client's FIN: the half-close crossed the relay.
    s.on('end', () => s.end(`host got '${Buffer.concat(chunks).toString()}' from ${s.remoteAddress}`));
  });
  const port = await listenOn(host, '::');
  const r4 = await conversation(ns.net.connect({ host: A.gateway4, port, allowHalfOpen: true }), 'over v4');
  t.is(r4.data, `host got 'over v4' from ::ffff:127.0.0.1`);
  const r6 = await conversation(ns.net.connect({ host: A.gateway6, port, allowHalfOpen: true }), 'over v6');
  t.is(r6.data, `host got 'over v6' from ::1`);
  t.is(router.relay.totals.opened, 2);
  await closed(host);
  await close();
});

test('a host reset reaches the namespace client; a refused host port resets it too', async (t) => {
  const { ns, close } = pair();
  const host = net.createServer({ allowHalfOpen: true }, (s) => s.once('data', () => s.resetAndDestroy()));
  const port = await listenOn(host);
  const r = await conversation(ns.net.connect({ host: A.gateway4, port, allowHalfOpen: true }), 'boom');
  t.is(r.error, 'ECONNRESET');
  await closed(host);
  const refused = await conversation(ns.net.connect({ host: A.gateway4, port, allowHalfOpen: true }), 'anyone?');
  t.is(refused.error, 'ECONNRESET');
  await close();
});

test('services answer on the services address; a port without a service is reset', async (t) => {
  const { ns, close } = pair();
  const r = await conversation(ns.net.connect({ host: A.services4, port: 7, allowHalfOpen: true }), 'echo me');
  t.is(r.data, 'echo me');
  const none = await conversation(ns.net.connect({ host: A.services4, port: 9999, allowHalfOpen: true }), 'x');
  t.is(none.error, 'ECONNRESET');
  await close();
});
