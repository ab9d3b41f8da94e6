/**
 * `stack.intercept()` (src/net/intercept.ts), a usernet extension to `net`: a "client" stack routes
 * everything through a "router" stack over a memory link; the router terminates connections to any
 * destination and decides, per SYN, to accept (an ordinary stack.net socket with the original
 * destination as its local side) or refuse (the client's connect fails with ECONNREFUSED or
 * EHOSTUNREACH).
 */

import test from 'ava';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import type { InterceptedConnection } from '../../src/net/intercept';

function pair(): { client: Stack; router: Stack; close(): Promise<void> } {
  const [a, b] = MemoryLink.pair({ mtu: 1500 });
  const router = new Stack({ seed: 2 });
  router.addInterface(b, { ipv4: '10.0.2.2/24', ipv6: 'fd00:2::2/64', dad: false, acceptAnyDestination: true });
  const client = new Stack({ seed: 1 });
  client.addInterface(a, { ipv4: '10.0.2.100/24', ipv6: 'fd00:2::100/64', gateway4: '10.0.2.2', gateway6: 'fd00:2::2', dad: false });
  return { client, router, close: async () => { await client.close(); await router.close(); } };
}

/** Connects from `s` and resolves with the socket once connected, or the error code. */
function dial(s: Stack, host: string, port: number): Promise<{ ok: boolean; code?: string; socket?: ReturnType<Stack['net']['connect']> }> {
  return new Promise((resolve) => {
    const c = s.net.connect({ host, port, allowHalfOpen: true });
    c.once('connect', () => resolve({ ok: true, socket: c }));
    c.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? e.message }));
  });
}

test('deferred: the client is not connected until accept(); the socket carries the original destination', async (t) => {
  const p = pair();
  let offered: InterceptedConnection | undefined;
  let connectedEarly = false;
  const icpt = p.router.intercept({ family: 'both', allowHalfOpen: true }, (c) => {
    offered = c;
    setTimeout(() => {
      t.false(connectedEarly, 'no handshake before accept()');
      const s = c.accept();
      t.is(c.state, 'accepted');
      t.is(s.localAddress, '93.184.216.34');
      t.is(s.localPort, 8443);
      t.is(s.remoteAddress, '10.0.2.100');
      s.on('data', (d: Buffer) => s.end(`echo:${d.toString()}`));
    }, 150);
  });
  const conn = dial(p.client, '93.184.216.34', 8443);
  void conn.then(() => (connectedEarly = true));
  const r = await conn;
  t.true(r.ok);
  t.is(offered?.localAddress, '93.184.216.34');
  t.is(offered?.localPort, 8443);
  t.is(offered?.family, 'IPv4');
  const reply = await new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    r.socket!.on('data', (d: Buffer) => chunks.push(d));
    r.socket!.on('end', () => resolve(Buffer.concat(chunks).toString()));
    r.socket!.write('hi');
  });
  t.is(reply, 'echo:hi');
  r.socket!.end();
  icpt.close();
  await p.close();
});

test('refuse(): ECONNREFUSED at the client, at once (IPv4 and IPv6)', async (t) => {
  const p = pair();
  const icpt = p.router.intercept({}, (c) => c.refuse());
  const started = Date.now();
  t.like(await dial(p.client, '192.0.2.7', 81), { ok: false, code: 'ECONNREFUSED' });
  t.like(await dial(p.client, '2001:db8::7', 81), { ok: false, code: 'ECONNREFUSED' });
  t.true(Date.now() - started < 1000, 'no retransmission needed');
  icpt.close();
  await p.close();
});

test("refuse('unreachable'): EHOSTUNREACH at the client", async (t) => {
  const p = pair();
  const icpt = p.router.intercept({ family: 4 }, (c) => c.refuse('unreachable'));
  t.like(await dial(p.client, '192.0.2.7', 81), { ok: false, code: 'EHOSTUNREACH' });
  icpt.close();
  await p.close();
});

test('an undecided SYN expires: expire event, accept() then throws EINVAL', async (t) => {
  const p = pair();
  const expired = new Promise<InterceptedConnection>((resolve) => {
    p.router.intercept({ family: 4, timeoutMs: 100 }, (c) => c.once('expire', () => resolve(c)));
  });
  const c = p.client.net.connect({ host: '192.0.2.9', port: 80 });
  c.on('error', () => undefined);
  const ic = await expired;
  t.is(ic.state, 'expired');
  t.throws(() => ic.accept(), { code: 'EINVAL' });
  c.destroy();
  await p.close();
});

test('ordinary listeners keep their ports; without defer the connection is offered established', async (t) => {
  const p = pair();
  const server = p.router.net.createServer((s) => s.end('service'));
  await new Promise<void>((r) => server.listen(7, '10.0.2.2', r));
  const offered: string[] = [];
  const icpt = p.router.intercept({ family: 4, defer: false }, (c) => {
    offered.push(`${c.localAddress}:${c.localPort}`);
    t.is(c.state, 'accepted');
    c.accept().end('intercepted');
  });
  const read = async (host: string, port: number): Promise<string> => {
    const r = await dial(p.client, host, port);
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      r.socket!.on('data', (d: Buffer) => chunks.push(d));
      r.socket!.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
  };
  t.is(await read('10.0.2.2', 7), 'service');
  t.is(await read('198.51.100.1', 7), 'intercepted');
  t.deepEqual(offered, ['198.51.100.1:7']);
  icpt.close();
  server.close();
  await p.close();
});

test('one interceptor per family; bad options throw', (t) => {
  const s = new Stack();
  const a = s.intercept({ family: 6 }, () => undefined);
  t.throws(() => s.intercept({ family: 'both' }, () => undefined), { code: 'EADDRINUSE' });
  t.notThrows(() => s.intercept({ family: 4 }, () => undefined).close(), 'the failed call released IPv4');
  t.throws(() => s.intercept({ family: 5 as never }, () => undefined), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => s.intercept({ timeoutMs: -1 }, () => undefined), { code: 'ERR_INVALID_ARG_VALUE' });
  a.close();
  void s.close();
});
