/**
 * `Server` on usernet TCP, in the spirit of Node's test/parallel/test-net-server-*: every form of
 * `listen()`, address errors, close semantics, connection counting, `maxConnections` and `drop`,
 * `listen(handle)`, `pauseOnConnect`, abort signals, `ipv6Only`.
 */

import test from 'ava';
import { once } from 'events';
import type { AddressInfo } from 'net';
import { Stack } from '../../src/stack';
import type { BaseSocket } from '../../src/net';
import type { TcpHandle } from '../../src/net/tcp-handle';
import { delay, listening, twoStacks, until } from './helpers';

type Socket = InstanceType<typeof BaseSocket>;

let stack: Stack;
test.before(() => {
  stack = new Stack();
});
test.after.always(() => stack.close());

function closeServer(s: { close(cb: (err?: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

test('listen() forms: no args, port+cb, port+host+backlog+cb, options, string port', async (t) => {
  const net = stack.net;
  const a = net.createServer();
  await listening(a);
  t.like(a.address(), { address: '::', family: 'IPv6' });
  const b = net.createServer();
  const port = await new Promise<number>((r) => b.listen(0, '127.0.0.1', 10, () => r((b.address() as AddressInfo).port)));
  t.deepEqual(b.address(), { address: '127.0.0.1', family: 'IPv4', port });
  const c = net.createServer();
  await new Promise<void>((r) => c.listen({ port: 0, host: 'localhost', backlog: 5 }, r));
  t.like(c.address(), { address: '127.0.0.1', family: 'IPv4' });
  const d = net.createServer();
  await new Promise<void>((r) => d.listen('0', () => r()));
  t.true((d.address() as AddressInfo).port > 0);
  const e = net.createServer();
  await new Promise<void>((r) => e.listen(() => r()));
  t.true((e.address() as AddressInfo).port > 0);
  for (const s of [a, b, c, d, e]) await closeServer(s);
  t.is(a.address(), null);
});

test('a taken port: EADDRINUSE as an async error event (no throw), with Node\'s message', async (t) => {
  const net = stack.net;
  const first = net.createServer();
  const port = await listening(first);
  const second = net.createServer();
  second.on('listening', () => t.fail('must not listen'));
  let sync = true;
  const errP = once(second, 'error');
  t.notThrows(() => second.listen(port));
  const [err] = (await errP.then((v) => ((sync = false), v))) as [Error & { code: string; errno: number; syscall: string; address: string; port: number }];
  t.false(sync);
  t.is(err.code, 'EADDRINUSE');
  t.is(err.message, `listen EADDRINUSE: address already in use :::${port}`);
  t.like(err, { syscall: 'listen', address: '::', port });
  t.false(second.listening);
  const v4 = net.createServer();
  const [err4] = (await (v4.listen(port, '127.0.0.1'), once(v4, 'error'))) as [Error];
  t.is(err4.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
  await closeServer(first);
});

test('an address the stack does not own: EADDRNOTAVAIL', async (t) => {
  const s = stack.net.createServer();
  s.listen(8080, '10.9.9.9');
  const [err] = (await once(s, 'error')) as [Error & { code: string }];
  t.is(err.code, 'EADDRNOTAVAIL');
  t.is(err.message, 'listen EADDRNOTAVAIL: address not available 10.9.9.9:8080');
});

test('close() stops accepting at once and emits close after the last connection; getConnections counts', async (t) => {
  const net = stack.net;
  const sockets: Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.resume();
  });
  const port = await listening(server, 0, '127.0.0.1');
  const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
  await until(() => sockets.length === 2);
  const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
  t.is(count, 2);
  let closed = false;
  server.close(() => (closed = true));
  t.false(server.listening);
  const refused = net.connect(port, '127.0.0.1');
  const [err] = (await once(refused, 'error')) as [Error & { code: string }];
  t.is(err.code, 'ECONNREFUSED');
  await delay(20);
  t.false(closed, 'close waits for open connections');
  clients[0]!.end();
  await once(sockets[0]!, 'close');
  t.is(await new Promise<number>((r) => server.getConnections((_e, n) => r(n))), 1);
  t.false(closed);
  clients[1]!.end();
  await until(() => closed);
  t.pass();
});

test('maxConnections: excess connections are closed and drop is emitted with their addresses', async (t) => {
  const net = stack.net;
  const server = net.createServer((s) => s.resume());
  server.maxConnections = 1;
  const port = await listening(server, 0, '127.0.0.1');
  const first = net.connect(port, '127.0.0.1');
  await once(first, 'connect');
  const dropped = once(server, 'drop');
  const second = net.connect(port, '127.0.0.1');
  await once(second, 'connect');
  const [info] = (await dropped) as [Record<string, unknown>];
  t.like(info, { localAddress: '127.0.0.1', localPort: port, localFamily: 'IPv4', remoteAddress: '127.0.0.1', remotePort: second.localPort, remoteFamily: 'IPv4' });
  second.resume();
  await once(second, 'end');
  first.end();
  second.end();
  await closeServer(server);
});

test('listen(handle): a second server takes over another usernet server\'s listening handle', async (t) => {
  const net = stack.net;
  const a = net.createServer(() => t.fail('the first server must not get connections'));
  const port = await listening(a, 0, '127.0.0.1');
  const b = net.createServer((s) => s.end('from b'));
  await new Promise<void>((r) => b.listen(a._handle, () => r()));
  t.like(b.address(), { port });
  const c = net.connect(port, '127.0.0.1');
  let text = '';
  c.on('data', (d) => (text += d));
  await once(c, 'end');
  t.is(text, 'from b');
  a._handle = null;
  await closeServer(b);
});

test('pauseOnConnect: no data events until resume(); the bytes wait in TCP', async (t) => {
  const net = stack.net;
  let socket: Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (s) => (socket = s));
  const port = await listening(server, 0, '127.0.0.1');
  const c = net.connect(port, '127.0.0.1', () => c.write('early bytes'));
  await until(() => socket !== undefined);
  const s = socket!;
  s.on('data', () => t.true(gotResume, 'data only after resume'));
  let gotResume = false;
  await until(() => ((s._handle as unknown as TcpHandle).connection?.stats().receiveQueued ?? 0) > 0);
  t.is(s.readableLength, 0);
  gotResume = true;
  const [d] = (await (s.resume(), once(s, 'data'))) as [Buffer];
  t.is(d.toString(), 'early bytes');
  c.end();
  s.end();
  await closeServer(server);
});

test('an abort signal closes the server; an already aborted one closes it on the next tick', async (t) => {
  const net = stack.net;
  const ac = new AbortController();
  const server = net.createServer();
  server.listen({ port: 0, signal: ac.signal });
  await once(server, 'listening');
  ac.abort();
  await once(server, 'close');
  t.false(server.listening);
  const early = net.createServer();
  early.listen({ port: 0, signal: AbortSignal.abort() });
  await once(early, 'close');
  t.false(early.listening);
});

test('ipv6Only: an IPv6 wildcard listener refuses IPv4; a dual-stack one accepts it', async (t) => {
  const net = stack.net;
  const only6 = net.createServer((s) => s.end());
  await new Promise<void>((r) => only6.listen({ port: 0, host: '::', ipv6Only: true }, r));
  const port = (only6.address() as AddressInfo).port;
  const v4 = net.connect(port, '127.0.0.1');
  const [err] = (await once(v4, 'error')) as [Error & { code: string }];
  t.is(err.code, 'ECONNREFUSED');
  await closeServer(only6);
  const dual = net.createServer((s) => s.end(s.remoteAddress));
  const p2 = await listening(dual, 0, '::');
  const c = net.connect(p2, '127.0.0.1');
  let text = '';
  c.on('data', (d) => (text += d));
  await once(c, 'end');
  t.is(text, '127.0.0.1');
  await closeServer(dual);
});

test('ref/unref on servers and sockets are recorded on their handles', async (t) => {
  const net = stack.net;
  const server = net.createServer((s) => s.end());
  server.unref();
  const port = await listening(server, 0, '127.0.0.1');
  t.false(server._handle!.hasRef());
  server.ref();
  t.true(server._handle!.hasRef());
  const c = net.connect(port, '127.0.0.1').unref();
  await once(c, 'connect');
  t.false(c._handle!.hasRef());
  c.ref();
  t.true(c._handle!.hasRef());
  c.resume();
  await once(c, 'close');
  await closeServer(server);
});

test('over a memory link: a server on the peer stack serves many clients at once', async (t) => {
  const topo = twoStacks();
  try {
    const server = topo.serverNet.createServer((s) => s.pipe(s));
    const port = await listening(server, 0, topo.serverHost);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const c = topo.clientNet.connect(port, topo.serverHost);
        let text = '';
        c.setEncoding('utf8');
        c.on('data', (d: string) => (text += d));
        c.end(`client ${i}`);
        return once(c, 'close').then(() => text);
      }),
    );
    t.deepEqual(results, Array.from({ length: 20 }, (_, i) => `client ${i}`));
    await closeServer(server);
  } finally {
    await topo.close();
  }
});
