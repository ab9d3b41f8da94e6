/**
 * Node's `test-net-*` cases about failing connections: refused connects (again and again),
 * Happy Eyeballs falling back or giving up, writes after the other side closed, and a server at
 * its connection limit. Each runs on usernet's `stack.net` and on Node's own `net`.
 */

import * as assert from 'assert';
import type { Socket } from 'net';
import { type Net, both, checkError, portOf } from './common';

/** A port nobody listens on (a server is opened and closed first). */
function closedPort(net: Net, then: (port: number) => void): void {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const port = portOf(s);
    s.close(() => then(port));
  });
}

type Lookup = (host: string, opts: { all?: boolean }, cb: (err: Error | null, addresses: Array<{ address: string; family: number }>) => void) => void;

// test-net-reconnect-error: a refused socket connects again from its 'close' handler, N times.
both('reconnect-error: N+1 refusals, each error then close(hadError)', (net, common) => {
  const N = 20;
  let disconnects = 0;
  closedPort(net, (port) => {
    const c = net.createConnection(port, '127.0.0.1');
    c.on('connect', common.mustNotCall());
    c.on('error', common.mustCall((e: Error) => checkError(e, { code: 'ECONNREFUSED' }), N + 1));
    c.on('close', common.mustCall((hadError: boolean) => {
      assert.strictEqual(hadError, true);
      if (disconnects++ < N) c.connect(port, '127.0.0.1');
    }, N + 1));
  });
});

// test-net-better-error-messages-port: the refused connect names address and port.
both('better-error-messages-port: ECONNREFUSED with address, port, syscall, errno', (net, common) => {
  closedPort(net, (port) => {
    const c = net.createConnection(port, '127.0.0.1');
    c.on('connect', common.mustNotCall());
    c.on('error', common.mustCall((e: Error) => {
      checkError(e, { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port, errno: -111, message: `connect ECONNREFUSED 127.0.0.1:${port}` });
    }));
  });
});

// test-net-autoselectfamily: the first address refuses, the next one connects.
both('autoselectfamily: falls back from a refused ::1 to 127.0.0.1', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => s.end('ok')));
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const port = portOf(server);
    const lookup: Lookup = (_host, opts, cb) => {
      assert.strictEqual(opts.all, true);
      cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    };
    const c = net.connect({ host: 'example.test', port, lookup, autoSelectFamily: true } as never);
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (got += d));
    c.on('connect', common.mustCall(() => {
      assert.deepStrictEqual((c as unknown as { autoSelectFamilyAttemptedAddresses: string[] }).autoSelectFamilyAttemptedAddresses, [`::1:${port}`, `127.0.0.1:${port}`]);
      assert.strictEqual(c.remoteAddress, '127.0.0.1');
    }));
    c.on('end', common.mustCall(() => {
      assert.strictEqual(got, 'ok');
      server.close();
    }));
  }));
});

// test-net-autoselectfamily (all fail): an AggregateError whose code is the first error's.
both('autoselectfamily: every address refused gives an AggregateError', (net, common) => {
  closedPort(net, (port) => {
    const lookup: Lookup = (_host, _opts, cb) => cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    const c = net.connect({ host: 'example.test', port, lookup, autoSelectFamily: true } as never);
    c.on('connect', common.mustNotCall());
    c.on('error', common.mustCall((e: Error) => {
      assert.ok(e instanceof AggregateError, `${e.name}: ${e.message}`);
      assert.strictEqual((e as AggregateError & { code: string }).code, 'ECONNREFUSED');
      const inner = (e as AggregateError).errors as Array<Error & { address: string; port: number }>;
      assert.deepStrictEqual(inner.map((x) => [x.address, x.port]), [['::1', port], ['127.0.0.1', port]]);
    }));
    c.on('close', common.mustCall());
  });
});

// test-net-write-after-close: the server writes after both ends closed: the write callback gets an
// error and no 'error' event is emitted.
both('write-after-close: a late write reports through its callback only', (net, common) => {
  let serverSocket: Socket;
  const server = net.createServer(common.mustCall((socket: Socket) => {
    serverSocket = socket;
    socket.resume();
    socket.on('error', common.mustNotCall());
  }));
  server.listen(0, common.mustCall(() => {
    const client = net.connect(portOf(server), '127.0.0.1', common.mustCall(() => {
      client.on('end', common.mustCall(() => {
        serverSocket.write('test', common.mustCall((err?: Error | null) => {
          assert.ok(err);
          server.close();
        }));
      }));
      client.end();
    }));
  }));
});

// test-net-server-max-connections-close-makes-more-available: once an accepted connection closes,
// the next client is accepted again.
both('server-max-connections-close-makes-more-available: a freed slot is reused', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => {
    s.resume();
    s.end('hello');
  }, 2));
  server.maxConnections = 1;
  const received: string[] = [];
  const client = (then: () => void): void => {
    const c = net.connect(portOf(server), '127.0.0.1');
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (got += d));
    c.on('error', () => undefined);
    c.on('close', () => {
      received.push(got);
      then();
    });
  };
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    client(() => client(common.mustCall(() => {
      assert.deepStrictEqual(received, ['hello', 'hello']);
      server.close();
    })));
  }));
});

// test-net-server-listen-options-signal: a bad signal throws; aborting closes the server; a
// signal aborted before listen() closes it too.
both('server-listen-options-signal: abort closes the server', (net, common) => {
  assert.throws(() => net.createServer().listen({ port: 0, signal: 'INVALID_SIGNAL' as never }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
  const server = net.createServer();
  const controller = new AbortController();
  server.on('close', common.mustCall());
  server.listen({ port: 0, signal: controller.signal });
  controller.abort();
  const early = net.createServer();
  early.on('close', common.mustCall());
  early.listen({ port: 0, signal: AbortSignal.abort() });
});

// test-net-connect-abort-controller: aborting a connect (before, during, after) destroys the
// socket with an AbortError.
for (const when of ['before connect()', 'while connecting', 'once connected'] as const) {
  both(`connect-abort-controller: abort ${when}`, (net, common) => {
    const server = net.createServer((s) => s.resume());
    server.listen(0, '127.0.0.1', common.mustCall(() => {
      const controller = new AbortController();
      if (when === 'before connect()') controller.abort();
      const socket = net.connect({ port: portOf(server), host: '127.0.0.1', signal: controller.signal });
      if (when === 'while connecting') controller.abort();
      if (when === 'once connected') socket.on('connect', common.mustCall(() => controller.abort()));
      else socket.on('connect', common.mustNotCall());
      socket.on('error', common.mustCall((e: Error) => checkError(e, { name: 'AbortError', code: 'ABORT_ERR' })));
      socket.on('close', common.mustCall(() => server.close()));
    }));
    // Node 20 with a signal aborted before connect() to an IP literal: 'error', 'close', then
    // 'connect' and a second 'close' — the connect queued on the next tick runs after the abort.
    // usernet does not copy that (README.md); the variant runs on usernet only.
  }, when === 'before connect()' ? { only: 'usernet' } : {});
}
