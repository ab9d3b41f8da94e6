/**
 * Node's `test-net-*` cases about what `connect()` options do: noDelay and keepAlive as connect
 * options, allowHalfOpen on the client, binding the client's local port, ipv6Only listeners and
 * write() argument checks. Each runs on usernet's `stack.net` and on Node's own `net`.
 */

import * as assert from 'assert';
import type { Socket } from 'net';
import { both, checkError, portOf } from './common';

type HandleMethods = { _handle: Record<string, (...args: unknown[]) => unknown> };

// test-net-connect-nodelay: a truthy noDelay option reaches the handle as setNoDelay(true) once
// connected; a falsy one never calls it.
both('connect-nodelay: the noDelay option, truthy and falsy', (net, common) => {
  const cases: Array<[unknown, boolean]> = [[true, true], [1, true], ['true', true], [{}, true], [[], true], [false, false], [0, false], ['', false]];
  let open = cases.length;
  const server = net.createServer((socket) => socket.end());
  server.listen(0, common.mustCall(() => {
    for (const [value, expected] of cases) {
      const socket = net.connect({ port: portOf(server), noDelay: value } as never, common.mustCall(() => socket.end()));
      (socket as unknown as HandleMethods)._handle.setNoDelay = expected
        ? common.mustCall((enable: unknown) => assert.strictEqual(enable, true))
        : common.mustNotCall(`setNoDelay for noDelay ${String(value)}`);
      socket.resume();
      socket.on('close', () => {
        if (--open === 0) server.close();
      });
    }
  }));
});

// test-net-connect-keepalive: keepAlive and keepAliveInitialDelay as connect options; the delay is
// whole seconds, negative means 0.
both('connect-keepalive: the keepAlive option with initial delays', (net, common) => {
  const delays: Array<[number | undefined, number]> = [[123, 0], [456123, 456], [-123000, 0], [undefined, 0]];
  let open = delays.length + 1;
  const server = net.createServer((socket) => socket.end());
  const done = (): void => {
    if (--open === 0) server.close();
  };
  server.listen(0, common.mustCall(() => {
    for (const [delay, seconds] of delays) {
      const socket = net.connect({ port: portOf(server), keepAlive: true, keepAliveInitialDelay: delay } as never, common.mustCall(() => socket.end()));
      (socket as unknown as HandleMethods)._handle.setKeepAlive = common.mustCall((enable: unknown, initialDelay: unknown) => {
        assert.strictEqual(enable, true);
        assert.strictEqual(initialDelay, seconds, `delay ${String(delay)}`);
      });
      socket.resume();
      socket.on('close', done);
    }
    const off = net.connect({ port: portOf(server), keepAlive: false } as never, common.mustCall(() => off.end()));
    (off as unknown as HandleMethods)._handle.setKeepAlive = common.mustNotCall('setKeepAlive without keepAlive');
    off.resume();
    off.on('close', done);
  }));
});

// test-net-connect-options-allowhalfopen: a half-open client keeps writing after the server's FIN.
both('connect-options-allowhalfopen: the client writes after receiving FIN', (net, common) => {
  const server = net.createServer({ allowHalfOpen: true }, common.mustCall((socket: Socket) => {
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.on('end', common.mustCall(() => {
      assert.strictEqual(got, 'after your FIN');
      server.close();
    }));
    socket.end('bye');
  }));
  server.listen(0, common.mustCall(() => {
    const client = net.connect({ port: portOf(server), allowHalfOpen: true });
    assert.strictEqual(client.allowHalfOpen, true);
    client.setEncoding('utf8');
    let got = '';
    client.on('data', (d: string) => (got += d));
    client.on('end', common.mustCall(() => {
      assert.strictEqual(got, 'bye');
      assert.strictEqual(client.writable, true);
      assert.strictEqual(client.readyState, 'writeOnly');
      setTimeout(common.mustCall(() => client.end('after your FIN')), 20);
    }));
    client.on('close', common.mustCall((hadError: boolean) => assert.strictEqual(hadError, false)));
  }));
});

// test-net-client-bind-twice: a client cannot bind the port a server listens on.
both('client-bind-twice: localPort of a listening server gives EADDRINUSE', (net, common) => {
  const server = net.createServer(common.mustNotCall());
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const port = portOf(server);
    const socket = net.connect({ port, host: '127.0.0.1', localPort: port });
    socket.on('connect', common.mustNotCall());
    socket.on('error', common.mustCall((err: Error) => {
      checkError(err, { code: 'EADDRINUSE', syscall: 'bind' });
      server.close();
    }));
  }));
});

// test-net-listen-ipv6only: an IPv6-only wildcard listener refuses IPv4 clients.
both('listen-ipv6only: an IPv4 client is refused by an ipv6Only listener', (net, common) => {
  const server = net.createServer(common.mustNotCall());
  server.listen({ host: '::', port: 0, ipv6Only: true }, common.mustCall(() => {
    const socket = net.connect({ host: '127.0.0.1', port: portOf(server) });
    socket.on('connect', common.mustNotCall());
    socket.on('error', common.mustCall((err: Error) => {
      checkError(err, { code: 'ECONNREFUSED' });
      server.close();
    }));
  }));
});

// test-net-write-arguments: null and non-chunk values throw Node's stream errors.
both('write-arguments: write(null) and other non-chunks throw', (net, common) => {
  const socket = new net.Socket({ highWaterMark: 0 } as never);
  socket.on('error', common.mustNotCall());
  assert.throws(() => socket.write(null as never), { code: 'ERR_STREAM_NULL_VALUES', name: 'TypeError', message: 'May not write null values to stream' });
  for (const value of [true, false, undefined, 1, 1.0, +Infinity, -Infinity, [], {}]) {
    const s = new net.Socket({ highWaterMark: 0 } as never);
    assert.throws(() => s.write(value as never), {
      code: 'ERR_INVALID_ARG_TYPE',
      name: 'TypeError',
      message: /^The "chunk" argument must be of type string or an instance of Buffer(, TypedArray,)? or (Uint8Array|DataView)\./,
    });
  }
});

// test-net-socket-constructor (the parts without fds): readable/writable options of a socket
// that has no handle yet, and allowHalfOpen.
both('socket-constructor: allowHalfOpen and the states of a socket without a handle', (net) => {
  const s = new net.Socket({ allowHalfOpen: true });
  assert.strictEqual(s.allowHalfOpen, true);
  assert.strictEqual(new net.Socket().allowHalfOpen, false);
  assert.strictEqual(s.pending, true);
  assert.strictEqual(s.connecting, false);
  assert.strictEqual(s.readyState, 'open');
  assert.strictEqual(s.bufferSize, undefined);
  assert.strictEqual(s.bytesRead, 0);
  assert.strictEqual(s.bytesWritten, 0);
  assert.strictEqual(s.remoteAddress, undefined);
  assert.deepStrictEqual(s.address(), {});
  s.destroy();
});
