/**
 * Namespace mode in memory: a "namespace" stack with a default route via usernet, and usernet as
 * its router (`UsernetRouter`) on the other end of a memory link. Connections to any destination
 * are held until the host connection is made (deferred interception), then relayed; the gateway
 * reaches real host servers on 127.0.0.1 / ::1; refusals on the host become refusals in the
 * namespace.
 */

import test from 'ava';
import * as net from 'net';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import { UsernetRouter } from '../../src/netns/router';
import { NETNS_DEFAULTS } from '../../src/netns/serve';
import { HostRelay } from '../../src/relay/host-relay';
import type { PendingConnection, RelaySocket } from '../../src/relay/types';
import { closed, listenOn, sleep } from './harness';
import { hostReadChunks } from '../../src/relay/host-reader';
import { bytesReleased } from '../../src/net/socket-write';
import { randomBytes } from 'crypto';

const A = NETNS_DEFAULTS;

function pair(services = [{ kind: 'echo' as const, port: 7 }]): { ns: Stack; router: UsernetRouter; close(): Promise<void> } {
  const [nsLink, routerLink] = MemoryLink.pair({ mtu: A.mtu });
  const router = UsernetRouter.create(routerLink, A, services, 2);
  const ns = new Stack({ seed: 1 });
  ns.addInterface(nsLink, { ipv4: A.ipv4, ipv6: A.ipv6, gateway4: A.gateway4, gateway6: A.gateway6, mtu: A.mtu, dad: false });
  return { ns, router, close: async () => { await ns.close(); await router.close(); } };
}

function conversation(s: net.Socket | RelaySocket, send: string): Promise<{ data: string; error?: string; connected: boolean }> {
  return new Promise((resolve) => {
    let connected = false;
    s.once('connect', () => (connected = true));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ data: Buffer.concat(chunks).toString(), connected }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(chunks).toString(), error: e.code ?? e.message, connected }));
    s.end(send);
  });
}

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

test('a host port nobody listens on: the namespace client is refused (ECONNREFUSED), never connected', async (t) => {
  const { ns, router, close } = pair();
  const host = net.createServer();
  const port = await listenOn(host);
  await closed(host);
  const started = Date.now();
  for (const gw of [A.gateway4, A.gateway6]) {
    const r = await conversation(ns.net.connect({ host: gw, port, allowHalfOpen: true }), 'anyone?');
    t.is(r.error, 'ECONNREFUSED', gw);
    t.false(r.connected, 'the handshake never completed');
  }
  t.true(Date.now() - started < 2000);
  t.is(router.relay.totals.refused, 2);
  t.is(router.relay.totals.opened, 0);
  await close();
});

test('a host reset after connecting reaches the namespace client', async (t) => {
  const { ns, close } = pair();
  const host = net.createServer({ allowHalfOpen: true }, (s) => s.once('data', () => s.resetAndDestroy()));
  const port = await listenOn(host);
  const r = await conversation(ns.net.connect({ host: A.gateway4, port, allowHalfOpen: true }), 'boom');
  t.true(r.connected);
  t.is(r.error, 'ECONNRESET');
  await closed(host);
  await close();
});

test('services answer on the services address; a port without a service is refused (RST), not accepted', async (t) => {
  const { ns, router, close } = pair();
  const r = await conversation(ns.net.connect({ host: A.services4, port: 7, allowHalfOpen: true }), 'echo me');
  t.is(r.data, 'echo me');
  const r6 = await conversation(ns.net.connect({ host: A.services6, port: 7, allowHalfOpen: true }), 'echo v6');
  t.is(r6.data, 'echo v6');
  for (const svc of [A.services4, A.services6]) {
    const none = await conversation(ns.net.connect({ host: svc, port: 9999, allowHalfOpen: true }), 'x');
    t.is(none.error, 'ECONNREFUSED', svc);
    t.false(none.connected);
  }
  t.is(router.relay.totals.opened, 0, 'nothing went to the host');
  await close();
});

test('servicesTcp: an extra handler on the services address takes its port', async (t) => {
  const { ns, router, close } = pair([]);
  router.servicesTcp.set(53, (s) => s.end('dns over tcp'));
  const r = await conversation(ns.net.connect({ host: A.services4, port: 53, allowHalfOpen: true }), 'q');
  t.is(r.data, 'dns over tcp');
  await close();
});

/** A fake attempt, for the relay alone over Node's net. */
function attempt(localAddress: string, localPort: number): PendingConnection & { decided: Promise<string>; socket?: RelaySocket } {
  let decide: (s: string) => void = () => undefined;
  const decided = new Promise<string>((r) => (decide = r));
  const c = {
    localAddress, localPort, remoteAddress: '10.0.2.100', remotePort: 40000, decided,
    listeners: [] as Array<() => void>,
    accept(): RelaySocket {
      decide('accepted');
      const [a] = [new net.Socket()];
      c.socket = a;
      return a;
    },
    refuse(how: 'reset' | 'unreachable' = 'reset') {
      decide(`refused:${how}`);
    },
    once(_e: 'expire', l: () => void) {
      c.listeners.push(l);
      return c;
    },
    socket: undefined as RelaySocket | undefined,
  };
  return c;
}

test('HostRelay.offer: refused host → refuse(); full relay → refuse(); resetAll refuses attempts still connecting', async (t) => {
  const relay = new HostRelay(net, { gateway4: '10.0.2.2' });
  const host = net.createServer();
  const port = await listenOn(host);
  await closed(host);
  const a = attempt('10.0.2.2', port);
  relay.offer(a);
  t.is(await a.decided, 'refused:reset');
  t.is(relay.totals.refused, 1);
  // An address that never answers (TEST-NET-1 has no route from most hosts, or times out): still
  // connecting when the relay shuts down, so it is refused then.
  const b = attempt('192.0.2.1', 9);
  relay.offer(b);
  if (relay.pending === 1) {
    await relay.resetAll();
    t.regex(await b.decided, /^refused:/);
  } else {
    t.regex(await b.decided, /^refused:/, 'the host refused or had no route at once');
  }
  t.is(relay.pending, 0);
});

test('a download through the relay: host reads are recycled once the namespace acknowledged them, with backpressure, bytes intact', async (t) => {
  const { ns, close } = pair();
  const payload = randomBytes(6 * 1024 * 1024);
  const host = net.createServer({ allowHalfOpen: true }, (s) => {
    // Large writes: the relay's reads of them are large, so they travel in pooled chunks.
    for (let at = 0; at < payload.length; at += 256 * 1024) s.write(payload.subarray(at, at + 256 * 1024));
    s.end();
  });
  const port = await listenOn(host);
  const before = { allocated: hostReadChunks.allocated, reused: hostReadChunks.reused };
  const client = ns.net.connect({ host: A.gateway4, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let received = 0;
  let pauses = 0;
  client.on('data', (c: Buffer) => {
    chunks.push(c);
    received += c.length;
    // A slow reader now and then: the relay must stop reading the host, not buffer without bound.
    if (received > (pauses + 1) * 1024 * 1024) {
      pauses++;
      client.pause();
      setTimeout(() => client.resume(), 20);
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.on('end', resolve);
    client.on('error', reject);
  });
  client.end();
  t.is(Buffer.compare(Buffer.concat(chunks), payload), 0, 'every byte, in order');
  t.true(pauses >= 5);
  t.true(hostReadChunks.reused - before.reused > 0, 'chunks came back to the pool and were reused');
  t.true(hostReadChunks.allocated - before.allocated < 40, 'far fewer chunks than reads (6 MiB is ≥ 96 reads of 64 KiB)');
  await closed(host);
  await close();
});

test('bytesReleased: what a usernet socket’s peer acknowledged; null for a Node socket', async (t) => {
  const { ns, close } = pair();
  let hostSide: net.Socket | undefined;
  const host = net.createServer((s) => {
    hostSide = s;
    s.resume();
  });
  const port = await listenOn(host);
  const client = ns.net.connect({ host: A.gateway4, port });
  await new Promise((r) => client.once('connect', r));
  t.is(bytesReleased(client), 0);
  client.write(Buffer.alloc(100_000, 1));
  const deadline = Date.now() + 5000;
  while (bytesReleased(client) !== 100_000 && Date.now() < deadline) await sleep(10);
  t.is(bytesReleased(client), 100_000);
  t.is(bytesReleased(hostSide!), null);
  client.destroy();
  t.is(bytesReleased(client), null, 'the connection is gone from the socket');
  await closed(host);
  await close();
});
