/**
 * Node's `test-net-server-*` and `test-net-listen-*` cases, ported (see README.md): each runs on
 * usernet's `stack.net` and, as the control, on Node's own `net`.
 */

import * as assert from 'assert';
import type { Socket } from 'net';
import { both, checkError, portOf } from './common';

// test-net-server-close: two connections, the server closes and destroys both; 'close' on the
// server once, 'close' on each accepted socket, and no connection left.
both('server-close: close() then destroying the connections emits close once', (net, common) => {
  const events: string[] = [];
  const accepted: Socket[] = [];
  const server = net.createServer(common.mustCall((c: Socket) => {
    c.on('close', common.mustCall(() => events.push('client')));
    accepted.push(c);
    if (accepted.length === 2) {
      server.close();
      for (const s of accepted) s.destroy();
    }
  }, 2));
  server.on('close', common.mustCall(() => events.push('server')));
  server.listen(0, common.mustCall(() => {
    for (let i = 0; i < 2; i++) net.createConnection(portOf(server)).on('error', () => undefined).resume();
  }));
  common.onExit(() => {
    assert.strictEqual(events.length, 3);
    assert.strictEqual(events.filter((e) => e === 'server').length, 1);
    assert.strictEqual(events.filter((e) => e === 'client').length, 2);
  });
});

// test-net-listen-error / test-net-better-error-messages-listen: an address this host does not
// have gives EADDRNOTAVAIL as an 'error' event, never the listening callback.
both('listen-error: listen on an address not ours is an EADDRNOTAVAIL error event', (net, common) => {
  const server = net.createServer(common.mustNotCall());
  server.listen(1, '1.1.1.1', common.mustNotCall());
  server.on('error', common.mustCall((e: Error) => {
    checkError(e, { code: 'EADDRNOTAVAIL', syscall: 'listen', address: '1.1.1.1', port: 1, message: /^listen EADDRNOTAVAIL: address not available 1\.1\.1\.1:1$/ });
  }));
});

// test-net-listen-close-server: close() right after listen(): neither listening nor error.
both('listen-close-server: close() before listening completes silences listen', (net, common) => {
  const server = net.createServer(common.mustNotCall());
  server.listen(0, common.mustNotCall());
  server.on('error', common.mustNotCall());
  server.close(common.mustCall());
});

// test-net-server-close-before-calling-lookup-callback: close while the host lookup runs.
both('server-close-before-lookup: close() while listen(host) looks the name up', (net, common) => {
  const server = net.createServer().listen(0, 'localhost', common.mustNotCall());
  server.close();
  setTimeout(common.mustCall(() => assert.strictEqual(server.listening, false)), 100);
});

// test-net-server-listen-options: every listen() form, bad ports, bad options.
both('server-listen-options: listen forms, ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_VALUE', (net, common) => {
  function close(this: { close(): void }): void {
    this.close();
  }
  net.createServer().listen().on('listening', common.mustCall(close));
  net.createServer().listen(common.mustCall(close));
  net.createServer().listen(0).on('listening', common.mustCall(close));
  net.createServer().listen({ port: 0 }).on('listening', common.mustCall(close));
  const forms: Array<(port: unknown, cb: () => void) => unknown> = [
    (port, cb) => net.createServer().listen({ port: port as number }, cb),
    (port, cb) => net.createServer().listen(port as number, cb),
  ];
  for (const listen of forms) {
    for (const ok of ['0', 0, undefined, null]) listen(ok, common.mustCall(close));
    for (const bad of [-1, NaN, 123.456, 65536, 1 / 0, -1 / 0]) {
      assert.throws(() => listen(bad, common.mustNotCall()), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
    }
  }
  assert.throws(() => net.createServer().listen({ port: -1, path: '/tmp/usernet-never' }, common.mustNotCall()), { code: 'ERR_SOCKET_BAD_PORT' });
  const noPortNorPath = /^The argument 'options' must have the property "port" or "path"\. Received .+$/;
  const invalid = /^The argument 'options' is invalid\. Received .+$/;
  const fails = (options: unknown, message: RegExp): void => {
    assert.throws(() => net.createServer().listen(options as number, common.mustNotCall()), { code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError', message });
  };
  fails(false, invalid);
  fails({ port: false }, invalid);
  fails(true, invalid);
  fails({ port: true }, invalid);
  fails({ fd: -1 }, noPortNorPath); // Node 20: a negative fd is no fd at all
  fails({ path: -1 }, invalid);
  fails({}, noPortNorPath);
  fails({ host: 'localhost' }, noPortNorPath);
  fails({ host: { port: 3000 } }, noPortNorPath);
  fails({ exclusive: true }, noPortNorPath);
});

// test-net-server-call-listen-multiple-times.
both('server-call-listen-multiple-times: after EADDRINUSE, after close; twice throws', (net, common) => {
  const dummy = new net.Server();
  const server = new net.Server();
  dummy.listen(common.mustCall(() => server.listen(portOf(dummy))));
  server.on('error', common.mustCall((e: Error) => {
    checkError(e, { code: 'EADDRINUSE', syscall: 'listen' });
    server.listen(common.mustCall(() => {
      dummy.close();
      server.close();
    }));
  }));

  const twice = new net.Server();
  twice.listen(common.mustCall(() => twice.close()));
  assert.throws(() => twice.listen(), { code: 'ERR_SERVER_ALREADY_LISTEN', name: 'Error' });

  const again = new net.Server();
  again.listen(common.mustCall(() => {
    again.close();
    again.listen(common.mustCall(() => again.close()));
  }));
});

// test-net-server-call-listen-multiple-times uses `net.Server()`; Node's classes are callable.
both('net.Server(), net.Socket() and net.Stream() work without new', (net, common) => {
  const server = (net.Server as unknown as () => InstanceType<typeof net.Server>)();
  assert.ok(server instanceof net.Server);
  const socket = (net.Socket as unknown as (o: object) => Socket)({ allowHalfOpen: true });
  assert.ok(socket instanceof net.Socket);
  assert.strictEqual(socket.allowHalfOpen, true);
  assert.ok(((net as unknown as { Stream: () => Socket }).Stream)() instanceof net.Socket);
  server.listen(0, common.mustCall(() => server.close()));
});

// test-net-server-max-connections: 20 clients, maxConnections 10; the first 10 get data, the
// rest are closed without any.
both('server-max-connections: connections beyond the limit are closed without data', (net, common) => {
  const N = 20;
  let closes = 0;
  const waits: Array<() => void> = [];
  const server = net.createServer(common.mustCall((connection: Socket) => {
    connection.write('hello');
    waits.push(() => connection.end());
  }, N / 2));
  server.maxConnections = N / 2;
  const make = (index: number): void => {
    const c = net.createConnection(portOf(server));
    let gotData = false;
    c.on('connect', common.mustCall(() => {
      if (index + 1 < N) make(index + 1);
      c.on('close', common.mustCall(() => {
        closes++;
        if (closes < N / 2) assert.ok(N / 2 <= index, `${index} was not among the first to close`);
        if (closes === N / 2) {
          for (const w of waits.splice(0)) w();
          server.close();
        }
        assert.strictEqual(gotData, index < N / 2, `client ${index} data`);
      }));
    }));
    c.on('end', () => c.end());
    c.on('data', (b: Buffer) => {
      gotData = true;
      assert.ok(b.length > 0);
    });
    c.on('error', () => undefined);
  };
  server.listen(0, common.mustCall(() => make(0)));
  common.onExit(() => assert.strictEqual(closes, N));
});

// test-net-server-drop-connections (Node 20): the 'drop' event names the dropped connection.
both('server-drop-connections: drop event with the connection\'s addresses', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => {
    s.resume();
    const second = net.connect(portOf(server), '127.0.0.1');
    second.on('error', () => undefined);
    second.resume();
    second.on('close', common.mustCall(() => {
      s.end();
      first.end();
      server.close();
    }));
  }));
  server.maxConnections = 1;
  server.on('drop', common.mustCall((data?: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; remoteFamily?: string }) => {
    assert.ok(data !== undefined);
    assert.strictEqual(data.localPort, portOf(server));
    assert.ok(typeof data.remotePort === 'number' && data.remotePort > 0);
    assert.match(String(data.remoteAddress), /127\.0\.0\.1$/);
    assert.ok(data.localAddress !== undefined && data.remoteFamily !== undefined);
  }));
  let first: Socket;
  server.listen(0, common.mustCall(() => {
    first = net.connect(portOf(server), '127.0.0.1');
    first.resume();
  }));
});

// test-net-server-options: createServer with a non-object, non-function first argument.
both('server-options: createServer(\'\') and createServer(0) throw ERR_INVALID_ARG_TYPE', (net) => {
  for (const bad of ['', 0]) {
    assert.throws(() => net.createServer(bad as never), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError', message: /^The "options" argument must be of type object\. Received / });
  }
});

// test-net-server-close (callback form) and test-net-server-unref: close() on a server that is not
// running reports ERR_SERVER_NOT_RUNNING; unref() returns the server and leaves it listening.
both('server close(cb) when not running; unref keeps it usable', (net, common) => {
  net.createServer().close(common.mustCall((err?: Error) => {
    checkError(err, { code: 'ERR_SERVER_NOT_RUNNING', message: 'Server is not running.' });
  }));
  const s = net.createServer(common.mustCall((c: Socket) => c.end('x')));
  assert.strictEqual(s.unref(), s);
  s.listen(0, common.mustCall(() => {
    assert.strictEqual(s.listening, true);
    const c = net.connect(portOf(s));
    c.resume();
    c.on('end', common.mustCall(() => s.close(common.mustCall())));
  }));
});

// test-net-server-pause-on-connect: a paused server socket sees no data until resumed.
both('server-pause-on-connect: data waits for resume()', (net, common) => {
  const msg = 'test';
  let stopped = true;
  const paused = net.createServer({ pauseOnConnect: true }, common.mustCall((socket: Socket) => {
    socket.on('data', common.mustCall((d: Buffer) => {
      assert.strictEqual(stopped, false, 'data before resume()');
      assert.strictEqual(d.toString(), msg);
      socket.end();
      paused.close();
    }));
    setTimeout(() => {
      assert.strictEqual(socket.bytesRead, 0, 'nothing read while paused');
      stopped = false;
      socket.resume();
    }, 200);
  }));
  const flowing = net.createServer({ pauseOnConnect: false }, common.mustCall((socket: Socket) => {
    socket.on('data', common.mustCall((d: Buffer) => {
      assert.strictEqual(d.toString(), msg);
      socket.end();
      flowing.close();
    }));
  }));
  paused.listen(0, common.mustCall(() => net.createConnection(portOf(paused)).end(msg).resume()));
  flowing.listen(0, common.mustCall(() => net.createConnection(portOf(flowing)).end(msg).resume()));
});

// test-net-server-address / test-net-local-address-port: the accepted socket's local name.
both('local-address-port: accepted socket reports 127.0.0.1 and the server port', (net, common) => {
  const server = net.createServer(common.mustCall((socket: Socket) => {
    assert.strictEqual(socket.localAddress, '127.0.0.1');
    assert.strictEqual(socket.localPort, portOf(server));
    assert.strictEqual(socket.localFamily, 'IPv4');
    socket.on('end', common.mustCall(() => server.close()));
    socket.resume();
  }));
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    assert.deepStrictEqual({ ...address, port: 0 }, { address: '127.0.0.1', family: 'IPv4', port: 0 });
    const client = net.createConnection(portOf(server), '127.0.0.1');
    client.on('connect', common.mustCall(() => client.end()));
  }));
});

// test-net-server-connections / getConnections: the count follows accepted sockets.
both('server getConnections counts open connections', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => {
    server.getConnections(common.mustSucceed((n: number) => {
      assert.strictEqual(n, 1);
      s.end();
    }));
    s.on('close', common.mustCall(() => {
      server.getConnections(common.mustSucceed((n: number) => {
        assert.strictEqual(n, 0);
        server.close();
      }));
    }));
    s.resume();
  }));
  server.listen(0, common.mustCall(() => net.connect(portOf(server)).resume()));
});

// test-net-listening: `listening` is false before listen() completes its bind, true while
// listening, false after close().
both('listening: the listening property through a server\'s life', (net, common) => {
  const server = net.createServer();
  assert.strictEqual(server.listening, false);
  server.listen(0, common.mustCall(() => {
    assert.strictEqual(server.listening, true);
    server.close(common.mustCall(() => assert.strictEqual(server.listening, false)));
    assert.strictEqual(server.listening, false);
  }));
});

// test-net-server-address: address() for IPv4, IPv6 and the default (dual-stack '::') listener;
// null once closed.
both('server-address: address() per family and the default wildcard', (net, common) => {
  const v4 = net.createServer();
  v4.listen(0, '127.0.0.1', common.mustCall(() => {
    assert.deepStrictEqual(v4.address(), { address: '127.0.0.1', family: 'IPv4', port: portOf(v4) });
    v4.close(common.mustCall(() => assert.strictEqual(v4.address(), null)));
  }));
  const v6 = net.createServer();
  v6.listen(0, '::1', common.mustCall(() => {
    assert.deepStrictEqual(v6.address(), { address: '::1', family: 'IPv6', port: portOf(v6) });
    v6.close();
  }));
  const any = net.createServer();
  any.listen(common.mustCall(() => {
    assert.deepStrictEqual(any.address(), { address: '::', family: 'IPv6', port: portOf(any) });
    any.close();
  }));
  const anyV4 = net.createServer();
  anyV4.listen(0, '0.0.0.0', common.mustCall(() => {
    assert.deepStrictEqual(anyV4.address(), { address: '0.0.0.0', family: 'IPv4', port: portOf(anyV4) });
    anyV4.close();
  }));
});

// test-net-server-listen-remove-callback: the listening callback is a once listener.
both('server-listen-remove-callback: listen callbacks do not accumulate', (net, common) => {
  const server = net.createServer();
  server.on('close', common.mustCall(() => assert.strictEqual(server.listeners('listening').length, 0), 2));
  server.listen(0, common.mustCall(() => server.close()));
  server.once('close', () => server.listen(0, common.mustCall(() => server.close())));
});

// test-net-server-unref-persistent: ref() and unref() before listen() still take effect, and both
// return the server.
both('server-unref-persistent: unref() before listen() is remembered', (net, common) => {
  const server = net.createServer();
  assert.strictEqual(server.unref(), server);
  assert.strictEqual(server.ref(), server);
  assert.strictEqual(server.unref(), server);
  server.listen(0, common.mustCall(() => {
    const handle = (server as unknown as { _handle: { hasRef(): boolean } })._handle;
    assert.strictEqual(handle.hasRef(), false);
    server.ref();
    assert.strictEqual(handle.hasRef(), true);
    server.close();
  }));
});
