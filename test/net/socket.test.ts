/**
 * `Socket` on usernet TCP, in the spirit of Node's test/parallel/test-net-*: properties, data
 * integrity, backpressure tied to the receive window, options reaching the TCP connection,
 * binding, lookups, IPv6 — each on one stack (loopback) and on two stacks over a memory link.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import { once } from 'events';
import type { AddressInfo } from 'net';
import { SimulatedClock } from '../../drivers/scheduler';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import type { BaseSocket } from '../../src/net';
import type { TcpHandle } from '../../src/net/tcp-handle';
import { type Topology, listening, topologies, until } from './helpers';

type Socket = InstanceType<typeof BaseSocket>;

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  return new Promise((resolve, reject) => {
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

function tcpHandleOf(s: Socket): TcpHandle {
  return s._handle as unknown as TcpHandle;
}

for (const make of topologies) {
  const each = (name: string, fn: (t: import('ava').ExecutionContext, topo: Topology) => Promise<void>): void => {
    test(`${name} (${make.name})`, async (t) => {
      const topo = make();
      try {
        await fn(t, topo);
      } finally {
        await topo.close();
      }
    });
  };

  each('addresses, families, readyState, pending and counters through a connection', async (t, topo) => {
    const serverSockets: Socket[] = [];
    const server = topo.serverNet.createServer((s) => {
      serverSockets.push(s);
      s.resume();
    });
    const port = await listening(server, 0, topo.serverHost);
    const c = new topo.clientNet.Socket();
    t.true(c.pending);
    t.is(c.readyState, 'open', 'as in Node: readable and writable before connect');
    t.is(c.bytesWritten, 0);
    t.is(c.bufferSize, undefined);
    t.is(c.timeout, undefined);
    t.deepEqual(c.address(), {});
    c.connect(port, topo.serverHost);
    t.true(c.connecting);
    t.is(c.readyState, 'opening');
    t.is(c.remoteAddress, undefined);
    await once(c, 'connect');
    t.false(c.pending);
    t.false(c.connecting);
    t.is(c.readyState, 'open');
    t.is(c.remoteAddress, topo.serverHost);
    t.is(c.remotePort, port);
    t.is(c.remoteFamily, 'IPv4');
    t.is(c.localFamily, 'IPv4');
    t.deepEqual(c.address(), { address: c.localAddress, family: 'IPv4', port: c.localPort });
    await until(() => serverSockets.length === 1);
    const s = serverSockets[0]!;
    t.is(s.remotePort, c.localPort);
    t.is(s.remoteAddress, c.localAddress);
    t.is(s.localPort, port);
    t.is(s.server, server);
    c.write('12345');
    c.write(Buffer.from('678'), 'buffer' as BufferEncoding);
    t.is(c.bytesWritten, 8);
    c.end('90');
    t.is(c.readyState, 'readOnly');
    await once(s, 'end');
    t.is(s.bytesRead, 10);
    t.is(c.bytesWritten, 10);
    await once(c, 'close');
    t.is(c.readyState, 'closed');
    t.true(c.destroyed);
    t.is(c.bytesWritten, 10);
    await new Promise((r) => server.close(r));
  });

  each('4 MiB each way arrive intact (echo)', async (t, topo) => {
    const server = topo.serverNet.createServer((s) => s.pipe(s));
    const port = await listening(server, 0, topo.serverHost);
    const payload = randomBytes(4 * 1024 * 1024);
    const c = topo.clientNet.connect(port, topo.serverHost);
    const received = collect(c);
    for (let off = 0; off < payload.length; off += 100_000) c.write(payload.subarray(off, off + 100_000));
    c.end();
    const back = await received;
    t.is(back.length, payload.length);
    t.is(sha(back), sha(payload));
    await new Promise((r) => server.close(r));
  });

  each('a paused reader closes the receive window; the writer sees backpressure and drain', async (t, topo) => {
    let serverSocket: Socket | undefined;
    const server = topo.serverNet.createServer((s) => {
      serverSocket = s;
      s.pause();
    });
    const port = await listening(server, 0, topo.serverHost);
    const c = topo.clientNet.connect(port, topo.serverHost);
    await once(c, 'connect');
    // More than the receiver's and the sender's TCP buffers together (256 KiB each).
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    let refused = false;
    for (let i = 0; i < 24; i++) {
      refused = !c.write(chunk) || refused;
      written += chunk.length;
    }
    t.true(refused, 'write() returned false');
    await until(() => serverSocket !== undefined);
    const conn = tcpHandleOf(serverSocket!).connection!;
    // The receiver stops reading: its TCP buffer fills and the advertised window closes (to less
    // than the window-scale granularity).
    await until(() => conn.stats().rcvWnd < 8, 5000, 'closed window');
    t.true(conn.stats().receiveQueued > 0);
    t.true(c.writableLength > 0, 'the writer is held back');
    let drained = false;
    c.once('drain', () => (drained = true));
    const all = collect(serverSocket!);
    serverSocket!.resume();
    await until(() => drained, 5000, 'drain');
    c.end();
    const got = await all;
    t.is(got.length, written);
    await new Promise((r) => server.close(r));
  });

  each('setNoDelay and setKeepAlive reach the TCP connection (client options and server options)', async (t, topo) => {
    let serverSocket: Socket | undefined;
    const server = topo.serverNet.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 3000 }, (s) => (serverSocket = s));
    const port = await listening(server, 0, topo.serverHost);
    const c = topo.clientNet.connect({ port, host: topo.serverHost, noDelay: true, keepAlive: true, keepAliveInitialDelay: 5000 });
    await once(c, 'connect');
    const cc = tcpHandleOf(c).connection!;
    t.true(cc.opts.noDelay);
    t.like(cc.opts.keepAlive, { enable: true, idleMs: 5000, intervalMs: 1000, count: 10 });
    c.setNoDelay(false);
    t.false(cc.opts.noDelay);
    c.setKeepAlive(false);
    t.false(cc.opts.keepAlive.enable);
    await until(() => serverSocket !== undefined);
    const sc = tcpHandleOf(serverSocket!).connection!;
    t.true(sc.opts.noDelay);
    t.like(sc.opts.keepAlive, { enable: true, idleMs: 3000 });
    c.destroy();
    serverSocket!.destroy();
    await new Promise((r) => server.close(r));
  });

  each('IPv6: connect, addresses and data', async (t, topo) => {
    const server = topo.serverNet.createServer((s) => s.end(`you are ${s.remoteAddress} ${s.remoteFamily}`));
    const port = await listening(server, 0, topo.serverHost6);
    t.deepEqual(server.address(), { address: topo.serverHost6, family: 'IPv6', port });
    const c = topo.clientNet.connect(port, topo.serverHost6);
    const text = (await collect(c)).toString();
    t.is(c.remoteFamily, undefined, 'closed sockets have no peer name');
    t.regex(text, /^you are [0-9a-f:]+ IPv6$/);
    await new Promise((r) => server.close(r));
  });

  each('localPort and localAddress bind the client; a foreign localAddress fails with bind EADDRNOTAVAIL', async (t, topo) => {
    const seen: Array<number | undefined> = [];
    const server = topo.serverNet.createServer((s) => {
      seen.push(s.remotePort);
      s.end();
    });
    const port = await listening(server, 0, topo.serverHost);
    const localAddress = topo.serverHost === '127.0.0.1' ? '127.0.0.1' : '10.0.0.2';
    const c = topo.clientNet.connect({ port, host: topo.serverHost, localPort: 40123, localAddress });
    await once(c, 'connect');
    t.is(c.localPort, 40123);
    t.is(c.localAddress, localAddress);
    c.resume();
    await once(c, 'close');
    t.deepEqual(seen, [40123]);
    const bad = topo.clientNet.connect({ port, host: topo.serverHost, localAddress: '192.0.2.77' });
    const [err] = (await once(bad, 'error')) as [Error & { code: string; syscall: string }];
    t.is(err.code, 'EADDRNOTAVAIL');
    t.is(err.syscall, 'bind');
    t.is(err.message, 'bind EADDRNOTAVAIL 192.0.2.77');
    await new Promise((r) => server.close(r));
  });

  each('writes before connect are sent after it; callbacks run in order; setEncoding', async (t, topo) => {
    const server = topo.serverNet.createServer((s) => s.pipe(s));
    const port = await listening(server, 0, topo.serverHost);
    const c = topo.clientNet.connect(port, topo.serverHost);
    c.setEncoding('utf8');
    const order: number[] = [];
    c.write('é', () => order.push(1));
    c.write('t', () => order.push(2));
    c.end('é', () => order.push(3));
    let text = '';
    c.on('data', (d: string) => {
      t.is(typeof d, 'string');
      text += d;
    });
    await once(c, 'close');
    t.is(text, 'été');
    t.deepEqual(order, [1, 2, 3]);
    await new Promise((r) => server.close(r));
  });

  each('custom lookup option: called with the host, its answer is used; lookup event', async (t, topo) => {
    const server = topo.serverNet.createServer((s) => s.end('ok'));
    const port = await listening(server, 0, topo.serverHost);
    const asked: string[] = [];
    const c = topo.clientNet.connect({
      port,
      host: 'service.example',
      lookup: (host, _opts, cb) => {
        asked.push(host);
        setImmediate(() => cb(null, topo.serverHost, 4));
      },
      autoSelectFamily: false,
    });
    const [err, address, family, host] = await once(c, 'lookup');
    t.deepEqual([err, address, family, host], [null, topo.serverHost, 4, 'service.example']);
    t.is((await collect(c)).toString(), 'ok');
    t.deepEqual(asked, ['service.example']);
    await new Promise((r) => server.close(r));
  });

  each('resetAndDestroy sends RST: the peer gets read ECONNRESET', async (t, topo) => {
    const server = topo.serverNet.createServer((s) => s.resume());
    const port = await listening(server, 0, topo.serverHost);
    const serverErr = new Promise<Error>((resolve) => server.once('connection', (s: Socket) => s.on('error', resolve)));
    const c = topo.clientNet.connect(port, topo.serverHost);
    await once(c, 'connect');
    c.resetAndDestroy();
    const [hadError] = await once(c, 'close');
    t.false(hadError);
    const err = (await serverErr) as Error & { code: string };
    t.is(err.message, 'read ECONNRESET');
    t.is(err.code, 'ECONNRESET');
    await new Promise((r) => server.close(r));
  });
}

test('resetAndDestroy on a socket without a handle: ERR_SOCKET_CLOSED', async (t) => {
  const stack = new Stack();
  const s = new stack.net.Socket();
  s.resetAndDestroy();
  const [err] = (await once(s, 'error')) as [Error & { code: string }];
  t.is(err.code, 'ERR_SOCKET_CLOSED');
  await stack.close();
});

test('connect timeout option emits timeout while the SYN goes unanswered', async (t) => {
  const [a] = MemoryLink.pair();
  const stack = new Stack();
  stack.addInterface(a, { ipv4: '10.1.0.2/24', dad: false });
  const c = stack.net.connect({ port: 80, host: '10.1.0.1', timeout: 50 });
  t.is(c.timeout, 50);
  await once(c, 'timeout');
  t.true(c.connecting);
  c.destroy();
  await stack.close();
});

test('a connection to a host that never answers fails with ETIMEDOUT or EHOSTUNREACH (simulated clock)', async (t) => {
  const clock = new SimulatedClock();
  const [a] = MemoryLink.pair({ scheduler: clock });
  const stack = new Stack({ scheduler: clock });
  stack.addInterface(a, { ipv4: '10.1.0.2/24', dad: false });
  const c = stack.net.connect(80, '10.1.0.1');
  const failed = once(c, 'error');
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 400 && c.connecting; i++) {
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
  }
  const [err] = (await failed) as [Error & { code: string; syscall: string }];
  t.true(['ETIMEDOUT', 'EHOSTUNREACH'].includes(err.code), err.code);
  t.is(err.message, `connect ${err.code} 10.1.0.1:80`);
  t.is(err.syscall, 'connect');
  await stack.close();
});

test('default lookup: localhost reaches the loopback interface on IPv4 or IPv6 listeners', async (t) => {
  const stack = new Stack();
  const net = stack.net;
  for (const host of ['127.0.0.1', '::1']) {
    const server = net.createServer((s) => s.end(s.localAddress));
    const port = await listening(server, 0, host);
    const c = net.connect(port, 'localhost');
    t.is((await collect(c)).toString(), host);
    if (host === '::1') t.deepEqual(c.autoSelectFamilyAttemptedAddresses, [`127.0.0.1:${port}`, `::1:${port}`]);
    await new Promise((r) => server.close(r));
  }
  await stack.close();
});

test('server address() has the port as soon as listen() returns', async (t) => {
  const stack = new Stack();
  const server = stack.net.createServer();
  server.listen(0);
  const a = server.address() as AddressInfo;
  t.true(a.port > 0);
  t.true(server.listening);
  await once(server, 'listening');
  server.close();
  await stack.close();
});

test('no route to the destination: connect ENETUNREACH, emitted asynchronously', async (t) => {
  const stack = new Stack();
  const c = stack.net.connect(80, '192.0.2.1');
  let sync = true;
  const errP = once(c, 'error').then((v) => ((sync = false), v));
  t.true(sync);
  const [err] = (await errP) as [Error & { code: string; syscall: string; address: string; port: number }];
  t.is(err.message, 'connect ENETUNREACH 192.0.2.1:80');
  t.like(err, { code: 'ENETUNREACH', syscall: 'connect', address: '192.0.2.1', port: 80 });
  await stack.close();
});

test('the peer resets while writes wait for buffer space: read ECONNRESET, the waiting writes fail', async (t) => {
  const stack = new Stack();
  const net = stack.net;
  const server = net.createServer((s) => {
    s.pause();
    setTimeout(() => s.resetAndDestroy(), 50);
  });
  const port = await listening(server, 0, '127.0.0.1');
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  const big = Buffer.alloc(2 * 1024 * 1024);
  const results: string[] = [];
  c.write(big, (err) => results.push(err ? (err as Error & { code: string }).code : 'ok'));
  const [err] = (await once(c, 'error')) as [Error & { code: string }];
  t.is(err.message, 'read ECONNRESET');
  await once(c, 'close');
  await until(() => results.length === 1);
  t.not(results[0], 'ok', 'the write did not complete');
  await new Promise((r) => server.close(r));
  await stack.close();
});

test('a socket can connect again after a failed attempt (Node undestroys it)', async (t) => {
  const stack = new Stack();
  t.teardown(() => stack.close());
  const net = stack.net;
  const c = new net.Socket();
  c.connect(1, '127.0.0.1');
  const [err] = (await once(c, 'error')) as [Error & { code: string }];
  t.is(err.code, 'ECONNREFUSED');
  await once(c, 'close');
  const server = net.createServer((s) => s.end('second time'));
  const port = await listening(server, 0, '127.0.0.1');
  c.connect(port, '127.0.0.1');
  let text = '';
  c.on('data', (d) => (text += d));
  await once(c, 'end');
  t.is(text, 'second time');
  await new Promise((r) => server.close(r));
});

test('after close: names are gone, counters stay, writes fail with EPIPE (ended by the peer), as Node', async (t) => {
  const stack = new Stack();
  t.teardown(() => stack.close());
  const net = stack.net;
  const server = net.createServer((s) => s.end('abc'));
  const port = await listening(server, 0, '127.0.0.1');
  const c = net.connect(port, '127.0.0.1');
  c.resume();
  await once(c, 'close');
  t.is(c.bytesRead, 3);
  t.is(c.remoteAddress, undefined);
  t.deepEqual(c.address(), {});
  const werr = (await new Promise<Error | null | undefined>((r) => c.write('x', (e) => r(e)))) as Error & { code: string };
  t.is(werr.code, 'EPIPE');
  t.is(werr.message, 'This socket has been ended by the other party');
  await new Promise((r) => server.close(r));
});
