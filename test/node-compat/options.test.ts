/**
 * Node's `test-net-*` cases about a socket's options and names: timeouts, keepalive, Nagle,
 * local and remote addresses, connect() argument checks and custom lookups. Each runs on
 * usernet's `stack.net` and on Node's own `net`.
 */

import * as assert from 'assert';
import type { Socket } from 'net';
import { both, checkError, portOf } from './common';

// test-net-socket-timeout: argument checks, then an idle timeout that fires once; setTimeout on a
// destroyed socket returns it and arms nothing.
both('socket-timeout: invalid delays and callbacks throw; the timeout fires', (net, common) => {
  const s = new net.Socket();
  for (const bad of ['100', true, false, undefined, null, '', {}, () => undefined, []]) {
    assert.throws(() => s.setTimeout(bad as never, () => undefined), { code: 'ERR_INVALID_ARG_TYPE' }, String(bad));
  }
  for (const bad of [-0.001, -1, -Infinity, Infinity, NaN]) {
    assert.throws(() => s.setTimeout(bad, () => undefined), { code: 'ERR_OUT_OF_RANGE' }, String(bad));
  }
  for (const ok of [0, 0.001, 1, 1e6]) s.setTimeout(ok, () => undefined);
  for (const badCb of [1, '100', true, false, null, {}, [], Symbol('test')]) {
    for (const ms of [0, 1]) {
      assert.throws(() => s.setTimeout(ms, badCb as never), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
    }
  }
  s.destroy();
  const server = new net.Server();
  server.listen(0, common.mustCall(() => {
    const socket = net.createConnection(portOf(server));
    const r = socket.setTimeout(1, common.mustCall(() => {
      socket.destroy();
      assert.strictEqual(socket.setTimeout(1, common.mustNotCall()), socket);
      server.close();
    }));
    assert.strictEqual(r, socket);
  }));
});

// test-net-settimeout: a timeout disabled right after it was set never fires.
both('settimeout: setTimeout(0) cancels the idle timer', (net, common) => {
  const T = 100;
  const server = net.createServer((c) => {
    c.resume();
    c.write('hello');
  });
  server.listen(0, common.mustCall(() => {
    const socket = net.createConnection(portOf(server), 'localhost');
    socket.resume();
    assert.ok(socket.setTimeout(T, common.mustNotCall('timeout')) instanceof net.Socket);
    socket.setTimeout(0);
    setTimeout(common.mustCall(() => {
      socket.destroy();
      server.close();
    }), T * 2);
  }));
});

// test-net-timeout-no-handle: a socket that never connected still times out.
both('timeout-no-handle: the idle timer runs without a handle', (net, common) => {
  const socket = new net.Socket();
  socket.setTimeout(common.platformTimeout(50));
  socket.on('timeout', common.mustCall(() => {
    assert.strictEqual((socket as unknown as { _handle: unknown })._handle, null);
    socket.destroy();
  }));
  socket.on('connect', common.mustNotCall());
});

// test-net-can-reset-timeout: writing from the 'timeout' handler keeps the connection going.
both('can-reset-timeout: a write in the timeout handler, then a clean end', (net, common) => {
  const server = net.createServer(common.mustCall((stream: Socket) => {
    stream.setTimeout(100);
    stream.resume();
    stream.once('timeout', common.mustCall(() => stream.write('WHAT.')));
    stream.on('end', common.mustCall(() => stream.end()));
  }));
  server.listen(0, common.mustCall(() => {
    const c = net.createConnection(portOf(server));
    c.on('data', () => c.end());
    c.on('end', common.mustCall(() => server.close()));
  }));
});

// test-net-keepalive: keepalive probes at 50 ms do not disturb an idle connection.
both('keepalive: setKeepAlive(true, 50) leaves both ends open', (net, common) => {
  let serverConnection: Socket;
  let clientConnection: Socket;
  const server = net.createServer(common.mustCall((connection: Socket) => {
    serverConnection = connection;
    setTimeout(common.mustCall(() => {
      assert.strictEqual(serverConnection.readyState, 'open');
      assert.strictEqual(clientConnection.readyState, 'open');
      serverConnection.end();
      clientConnection.end();
      server.close();
    }), common.platformTimeout(100));
    connection.setTimeout(0);
    assert.strictEqual(connection.setKeepAlive(true, common.platformTimeout(50)), connection);
    connection.on('end', () => connection.end());
    connection.resume();
  }));
  server.listen(0, common.mustCall(() => {
    clientConnection = net.createConnection(portOf(server));
    clientConnection.setTimeout(0);
    clientConnection.resume();
  }));
});

/** Replaces `method` on the socket's handle (created by connect()) with a recording wrapper. */
function spyOnHandle(socket: Socket, method: 'setNoDelay' | 'setKeepAlive', calls: unknown[][]): void {
  const handle = (socket as unknown as { _handle: Record<string, (...a: unknown[]) => unknown> })._handle;
  const original = handle[method]!;
  handle[method] = function (this: unknown, ...args: unknown[]) {
    calls.push(args);
    return original.apply(this, args);
  };
}

// test-net-persistent-nodelay / test-net-persistent-keepalive: options set before connect() reach
// the handle once connected (Node's test patches TCPWrap; here the handle connect() made).
both('persistent-nodelay/keepalive: options set before connect reach the handle', (net, common) => {
  const server = net.createServer((c) => c.end());
  server.listen(0, common.mustCall(() => {
    const sock = new net.Socket();
    sock.setNoDelay();
    sock.setKeepAlive(true, 1500);
    sock.connect(portOf(server));
    const noDelay: unknown[][] = [];
    const keepAlive: unknown[][] = [];
    spyOnHandle(sock, 'setNoDelay', noDelay);
    spyOnHandle(sock, 'setKeepAlive', keepAlive);
    sock.resume();
    sock.on('end', common.mustCall(() => {
      assert.deepStrictEqual(noDelay, [[true]]);
      assert.deepStrictEqual(keepAlive, [[true, 1]]);
      server.close();
    }));
  }));
});

// test-net-socket-setnodelay: truthy/falsy arguments, on a handle that has setNoDelay or not.
both('socket-setnodelay: only changes reach the handle; default true', (net, common) => {
  const make = (handle: object): Socket => new net.Socket({ handle: { readStart() {}, ...handle } } as never);
  const truthy = [true, 1, 'true', {}, []];
  const falsy = [false, 0, ''];
  make({ setNoDelay: common.mustCall((enable: unknown) => assert.strictEqual(enable, true)) }).setNoDelay();
  const once = make({ setNoDelay: common.mustCall((enable: unknown) => assert.strictEqual(enable, true), 1) });
  for (const v of truthy) once.setNoDelay(v as boolean);
  const never = make({ setNoDelay: common.mustNotCall() });
  for (const v of falsy) never.setNoDelay(v as boolean);
  const thrice = make({ setNoDelay: common.mustCall(3) });
  for (const v of [...truthy, ...falsy, ...truthy]) thrice.setNoDelay(v as boolean);
  const none = make({});
  assert.ok(none.setNoDelay(true) instanceof net.Socket);
});

// test-net-remote-address-port: remote names on both ends, also after close.
both('remote-address-port: remoteAddress/Family/Port on both ends and after close', (net, common) => {
  const addresses = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];
  const families = ['IPv4', 'IPv6'];
  let closed = 0;
  const server = net.createServer(common.mustCall((socket: Socket) => {
    assert.ok(addresses.includes(socket.remoteAddress!), socket.remoteAddress);
    assert.ok(families.includes(socket.remoteFamily!), socket.remoteFamily);
    assert.ok(socket.remotePort);
    assert.notStrictEqual(socket.remotePort, portOf(server));
    socket.on('end', () => {
      if (++closed === 2) server.close();
    });
    socket.on('close', common.mustCall(() => {
      assert.ok(addresses.includes(socket.remoteAddress!));
      assert.ok(families.includes(socket.remoteFamily!));
    }));
    socket.resume();
  }, 2));
  server.listen(0, 'localhost', common.mustCall(() => {
    const port = portOf(server);
    for (const client of [net.createConnection(port, 'localhost'), net.createConnection(port)]) {
      client.on('connect', common.mustCall(() => {
        assert.ok(addresses.includes(client.remoteAddress!));
        assert.ok(families.includes(client.remoteFamily!));
        assert.strictEqual(client.remotePort, port);
        client.end();
      }));
      client.on('close', common.mustCall(() => {
        assert.ok(addresses.includes(client.remoteAddress!));
        assert.ok(families.includes(client.remoteFamily!));
      }));
      client.resume();
    }
  }));
});

// test-net-socket-local-address: the client's localPort is the server's remotePort, twice with
// one socket.
both('socket-local-address: client localPort equals server remotePort, per connection', (net, common) => {
  let conns = 0;
  const clientLocalPorts: number[] = [];
  const serverRemotePorts: number[] = [];
  const client = new net.Socket();
  const server = net.createServer((socket) => {
    serverRemotePorts.push(socket.remotePort!);
    socket.end();
  });
  server.on('close', common.mustCall(() => {
    assert.deepStrictEqual(clientLocalPorts, serverRemotePorts);
    assert.strictEqual(conns, 2);
  }));
  const connect = (): void => {
    if (conns === 2) {
      server.close();
      return;
    }
    conns++;
    client.once('close', connect);
    assert.strictEqual(client, client.connect(portOf(server), '127.0.0.1', () => clientLocalPorts.push(client.localPort!)));
    client.resume();
  };
  server.listen(0, '127.0.0.1', common.mustCall(connect));
});

// test-net-connect-options-port: port type and range checks in every connect form; numeric strings.
both('connect-options-port: ERR_INVALID_ARG_TYPE and ERR_SOCKET_BAD_PORT; string ports work', (net, common) => {
  const forms: Array<(o: object) => Socket> = [
    (o) => net.connect(o as never),
    (o) => net.createConnection(o as never),
    (o) => new net.Socket().connect(o as never),
  ];
  for (const connect of forms) {
    for (const port of [true, false, null, [], {}]) {
      assert.throws(() => connect({ port, host: 'localhost' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }, `port ${String(port)}`);
    }
    for (const port of ['', ' ', '0x', '-1', -1, 65536, 1.5, NaN, Infinity, -Infinity]) {
      assert.throws(() => connect({ port, host: 'localhost' }), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' }, `port ${String(port)}`);
    }
  }
  for (const port of [-1, 65536, 1.5]) assert.throws(() => net.connect(port), { code: 'ERR_SOCKET_BAD_PORT' });
  const server = net.createServer(common.mustCall((s: Socket) => s.end(), 2));
  let closed = 0;
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const port = String(portOf(server));
    const done = common.mustCall(() => {
      if (++closed === 2) server.close();
    }, 2);
    net.connect({ port, host: '127.0.0.1' } as never, common.mustCall()).on('close', done).resume();
    (net.connect as unknown as (p: string, h: string, cb: () => void) => Socket)(port, '127.0.0.1', common.mustCall()).on('close', done).resume();
  }));
});

// test-net-connect-no-arg: no port and no path.
both('connect-no-arg: ERR_MISSING_ARGS from every form', (net) => {
  const expected = { code: 'ERR_MISSING_ARGS', message: 'The "options" or "port" or "path" argument must be specified' };
  assert.throws(() => (net.connect as () => Socket)(), expected);
  assert.throws(() => (new net.Socket().connect as () => Socket)(), expected);
  assert.throws(() => net.connect({} as never), expected);
  assert.throws(() => new net.Socket().connect({} as never), expected);
});

// test-net-localerror: bad localPort and localAddress.
both('localerror: localPort must be a number, localAddress an IP', (net) => {
  assert.throws(() => net.connect({ host: 'localhost', port: 0, localPort: 'foobar' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => net.connect({ host: 'localhost', port: 0, localAddress: 'foobar' }), { code: 'ERR_INVALID_IP_ADDRESS', message: 'Invalid IP address: foobar' });
});

// test-net-dns-custom-lookup: the lookup option decides the address; 'lookup' reports it.
both('dns-custom-lookup: a custom lookup for each family; a bad answer is ERR_INVALID_IP_ADDRESS', (net, common) => {
  const check = (family: 4 | 6, then?: () => void): void => {
    const address = family === 4 ? '127.0.0.1' : '::1';
    const server = net.createServer(common.mustCall((client: Socket) => {
      client.end();
      server.close();
      then?.();
    }));
    server.listen(0, address, common.mustCall(() => {
      const lookup = common.mustCall((_host: string, _opts: object, cb: (err: Error | null, ip: string, family: number) => void) => {
        process.nextTick(() => cb(null, address, family));
      });
      const c = net.connect({ port: portOf(server), host: 'localhost', family, lookup } as never);
      c.on('lookup', common.mustCall((err: Error | null, ip: string, type: number) => {
        assert.strictEqual(err, null);
        assert.strictEqual(ip, address);
        assert.strictEqual(type, family);
      }));
      c.resume();
    }));
  };
  check(4, () => check(6));
  // family 4: one lookup answer (Node 20 crashes on a non-array answer to its autoSelectFamily lookup).
  const bad = net.connect({ host: 'localhost', port: 80, family: 4, lookup: (_h: string, _o: object, cb: (e: null, ip: undefined, f: number) => void) => cb(null, undefined, 4) } as never);
  bad.on('error', common.expectsError({ code: 'ERR_INVALID_IP_ADDRESS' }));
});

// test-net-connect-immediate-finish: end() right after connect() to a name whose lookup fails.
both('connect-immediate-finish: a lookup error after end() still reaches error and close', (net, common) => {
  const lookup = common.mustCall((_h: string, _o: object, cb: (e: Error) => void) => {
    const err = Object.assign(new Error('getaddrinfo ENOTFOUND something.invalid'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'something.invalid' });
    process.nextTick(() => cb(err));
  });
  const client = net.connect({ host: 'something.invalid', port: 80, lookup } as never);
  client.once('error', common.mustCall((e: Error) => checkError(e, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'something.invalid' })));
  client.on('close', common.mustCall());
  client.end();
});

// test-net-connect-options-ipv6: an IPv6 connect with family 6 reports IPv6 names (Node's test
// uses a name for ::1; this host's /etc/hosts has none, so the address itself).
both('connect-options-ipv6: family 6 to ::1 with IPv6 names on both ends', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => {
    assert.strictEqual(s.remoteFamily, 'IPv6');
    assert.strictEqual(s.remoteAddress, '::1');
    s.end();
  }));
  server.listen(0, '::1', common.mustCall(() => {
    const c = net.connect({ host: '::1', port: portOf(server), family: 6 }, common.mustCall(() => {
      assert.strictEqual(c.remoteFamily, 'IPv6');
      assert.strictEqual(c.remoteAddress, '::1');
      assert.strictEqual(c.remotePort, portOf(server));
      assert.strictEqual(c.localFamily, 'IPv6');
    }));
    c.resume();
    c.on('end', common.mustCall(() => server.close()));
  }));
});
