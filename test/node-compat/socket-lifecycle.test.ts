/**
 * Node's `test-net-*` cases about a socket's life: connecting, ending, destroying, resetting and
 * what still works afterwards. Each runs on usernet's `stack.net` and on Node's own `net`.
 */

import * as assert from 'assert';
import type { Server, Socket } from 'net';
import { type Net, both, checkError, connectPort, portOf } from './common';

/** A port nobody listens on: a server is opened and closed first (Node's tests use common.PORT). */
function closedPort(net: Net, then: (port: number) => void): void {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const port = portOf(s);
    s.close(() => then(port));
  });
}

// test-net-end-without-connect.
both('end-without-connect: end() on a socket never connected does not throw', (net, common) => {
  const sock = new net.Socket();
  sock.on('error', common.mustNotCall());
  assert.strictEqual(sock.end(), sock);
});

// test-net-socket-destroy-twice: ECONNREFUSED once, destroy() inside 'error', 'close' once.
both('socket-destroy-twice: destroy in the error handler; one error, one close', (net, common) => {
  closedPort(net, (port) => {
    const conn = net.createConnection(port, '127.0.0.1');
    conn.on('error', common.mustCall((e: Error) => {
      checkError(e, { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port, message: `connect ECONNREFUSED 127.0.0.1:${port}` });
      conn.destroy();
    }));
    conn.on('close', common.mustCall((hadError: boolean) => assert.strictEqual(hadError, true)));
  });
});

// test-net-connect-after-destroy: destroy() right after connect(): no 'connect'.
both('connect-after-destroy: destroy() before the connection completes', (net, common) => {
  const server = net.createServer(() => undefined).listen(0, common.mustCall(() => {
    const c = net.createConnection(portOf(server));
    c.on('connect', common.mustNotCall());
    c.on('error', common.mustNotCall());
    c.on('close', common.mustCall(() => server.close()));
    c.destroy();
  }));
});

// test-net-after-close: after 'close' the handle is gone and every getter and setter still works.
both('after-close: setters and getters do not throw once the socket closed', (net, common) => {
  const server = net.createServer((s) => s.end());
  server.listen(0, common.mustCall(() => {
    const c = net.createConnection(portOf(server));
    c.resume();
    c.on('close', common.mustCall(() => {
      assert.strictEqual((c as unknown as { _handle: unknown })._handle, null);
      assert.doesNotThrow(() => {
        c.setNoDelay();
        c.setKeepAlive();
        void c.bufferSize;
        c.pause();
        c.resume();
        c.address();
        void c.remoteAddress;
        void c.remotePort;
      });
      server.close();
    }));
  }));
});

// test-net-socket-end-before-connect: end() while connecting still closes the socket.
both('socket-end-before-connect: end() while connecting, then close', (net, common) => {
  const server = net.createServer((s) => s.resume());
  server.listen(common.mustCall(() => {
    const socket = net.createConnection(portOf(server));
    socket.on('close', common.mustCall(() => server.close()));
    socket.end();
  }));
});

// test-net-socket-close-after-end: a reader that reads late sees 'end' before 'close'.
both('socket-close-after-end: end is emitted before close when data is read late', (net, common) => {
  const server = net.createServer();
  server.on('connection', common.mustCall((socket: Socket) => {
    let endEmitted = false;
    socket.once('readable', () => setTimeout(() => socket.read(), 100));
    socket.on('end', () => (endEmitted = true));
    socket.on('close', common.mustCall(() => {
      assert.ok(endEmitted, 'end before close');
      server.close();
    }));
    socket.end('foo');
  }));
  server.listen(common.mustCall(() => {
    const socket = connectPort(net, portOf(server), () => socket.end('foo'));
    socket.resume();
  }));
});

// test-net-end-destroyed: when 'end' comes after our own end(), the socket is not destroyed yet.
both('end-destroyed: socket not destroyed when end is emitted', (net, common) => {
  const server = net.createServer();
  server.on('connection', common.mustCall((s: Socket) => s.resume()));
  server.listen(common.mustCall(() => {
    const socket = net.createConnection({ port: portOf(server) });
    socket.on('connect', common.mustCall(() => {
      socket.on('end', common.mustCall(() => {
        assert.strictEqual(socket.destroyed, false);
        server.close();
      }));
      socket.end();
    }));
    socket.resume();
  }));
});

// test-net-allow-half-open: allowHalfOpen false by default; after 'end' the socket is not destroyed
// at once; 'finish' and 'close' follow.
both('allow-half-open: the default ends our side on the peer\'s FIN, without destroying first', (net, common) => {
  const server = net.createServer(common.mustCall((socket: Socket) => socket.end(Buffer.alloc(1024))));
  server.listen(0, common.mustCall(() => {
    const socket = net.connect(portOf(server));
    assert.strictEqual(socket.allowHalfOpen, false);
    socket.resume();
    socket.on('end', common.mustCall(() => {
      process.nextTick(common.mustCall(() => {
        assert.strictEqual(socket.destroyed, false);
        server.close();
      }));
    }));
    socket.on('finish', common.mustCall(() => assert.strictEqual(socket.destroyed, false)));
    socket.on('close', common.mustCall());
  }));
});

// test-net-write-after-end-nt: write() after the peer's FIN fails with EPIPE on the next tick.
both('write-after-end-nt: write after end gives EPIPE, its error on the next tick', (net, common) => {
  const server = net.createServer(common.mustCall((socket: Socket) => socket.end()));
  server.listen(() => {
    const client = connectPort(net, portOf(server), common.mustCall(() => {
      let hasError = false;
      client.on('error', common.mustCall(() => {
        hasError = true;
        server.close();
      }));
      client.on('end', common.mustCall(() => {
        const ret = client.write('hello', common.expectsError({ code: 'EPIPE', name: 'Error' }));
        assert.strictEqual(ret, false);
        assert.ok(!hasError, 'the error is emitted on the next tick');
      }));
      client.end();
    }));
  });
});

// test-net-socket-destroy-send: destroy() returns this, twice; write after it fails.
both('socket-destroy-send: write after destroy gives ERR_STREAM_DESTROYED', (net, common) => {
  const server = net.createServer();
  server.listen(0, common.mustCall(() => {
    const conn = net.createConnection(portOf(server));
    conn.on('connect', common.mustCall(() => {
      assert.strictEqual(conn.destroy().destroy(), conn);
      conn.on('error', common.mustNotCall());
      conn.write(Buffer.from('kaboom'), common.expectsError({ code: 'ERR_STREAM_DESTROYED', message: 'Cannot call write after a stream was destroyed', name: 'Error' }));
      server.close();
    }));
  }));
});

// test-net-socket-write-after-close: a closed handle makes write fail with EBADF; no handle at all
// with ERR_SOCKET_CLOSED.
both('socket-write-after-close: write on a closed handle (EBADF) and on none (ERR_SOCKET_CLOSED)', (net, common) => {
  type Internals = { _handle: { close(): void } | null };
  const a = net.createServer();
  a.listen(common.mustCall(() => {
    const client = net.connect({ port: portOf(a) }, common.mustCall(() => {
      client.on('error', common.mustCall((err: Error) => {
        a.close();
        assert.strictEqual(err.constructor, Error);
        assert.strictEqual(err.message, 'write EBADF');
      }));
      (client as unknown as Internals)._handle!.close();
      client.write('foo');
    }));
  }));
  const b = net.createServer();
  b.listen(common.mustCall(() => {
    const client = net.connect({ port: portOf(b) }, common.mustCall(() => {
      client.on('error', common.mustCall((err: Error) => {
        b.close();
        checkError(err, { code: 'ERR_SOCKET_CLOSED' });
      }));
      (client as unknown as Internals)._handle!.close();
      (client as unknown as Internals)._handle = null;
      client.write('foo');
    }));
  }));
});

// test-net-connect-reset-after-destroy: resetAndDestroy() returns this; the peer reads ECONNRESET.
both('connect-reset-after-destroy: the peer gets read ECONNRESET; writes fail', (net, common) => {
  const server = net.createServer();
  server.listen(0, common.mustCall(() => {
    const conn = net.createConnection(portOf(server));
    server.on('connection', common.mustCall((socket: Socket) => {
      socket.on('error', common.expectsError({ code: 'ECONNRESET', message: 'read ECONNRESET', name: 'Error' }));
    }));
    conn.on('connect', common.mustCall(() => {
      assert.strictEqual(conn.resetAndDestroy().destroy(), conn);
      conn.on('error', common.mustNotCall());
      conn.write(Buffer.from('fzfzfzfzfz'), common.expectsError({ code: 'ERR_STREAM_DESTROYED', message: 'Cannot call write after a stream was destroyed', name: 'Error' }));
      server.close();
    }));
  }));
});

// test-net-connect-reset-before-connected: resetAndDestroy() while connecting, then destroy().
both('connect-reset-before-connected: no connect, no error', (net, common) => {
  const server = net.createServer();
  server.listen(0);
  const socket = net.connect(portOf(server), '127.0.0.1', common.mustNotCall());
  socket.on('error', common.mustNotCall());
  socket.on('close', common.mustCall());
  server.close();
  socket.resetAndDestroy();
  socket.destroy();
});

// test-net-connect-reset-until-connected: reset once both ends saw the connection.
both('connect-reset-until-connected: the server side reads ECONNRESET', (net, common) => {
  const server = net.createServer();
  server.listen(0, common.mustCall(() => {
    const conn = net.createConnection(portOf(server));
    let count = 2;
    const ready = (): void => {
      if (--count === 0) conn.resetAndDestroy();
    };
    conn.on('close', common.mustCall());
    server.on('connection', common.mustCall((socket: Socket) => {
      ready();
      socket.on('error', common.expectsError({ code: 'ECONNRESET', message: 'read ECONNRESET', name: 'Error' }));
      server.close();
    }));
    conn.on('connect', ready);
  }));
});

// test-net-socket-reset-twice: resetAndDestroy() on a socket whose connect failed does nothing more.
both('socket-reset-twice: reset after a refused connect emits nothing more', (net, common) => {
  closedPort(net, (port) => {
    const conn = net.createConnection(port, '127.0.0.1');
    conn.on('error', common.mustCall(() => conn.resetAndDestroy()));
    conn.on('close', common.mustCall());
  });
});

// test-net-socket-ready-without-cb: connect(server.address()) without a callback emits 'ready'.
both('socket-ready-without-cb: ready is emitted', (net, common) => {
  const server = net.createServer(common.mustCall((conn: Socket) => {
    conn.end();
    server.close();
  }));
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const client = new net.Socket();
    client.on('ready', common.mustCall(() => client.end()));
    client.resume();
    client.connect(server.address() as { port: number });
  }));
});

// test-net-socket-connecting: `connecting` is true until the connect callback.
both('socket-connecting: connecting flag and readyState while opening', (net, common) => {
  const server = net.createServer((conn) => {
    conn.end();
    server.close();
  });
  server.listen(() => {
    const client = connectPort(net, portOf(server), common.mustCall(() => {
      assert.strictEqual(client.connecting, false);
      assert.strictEqual(client.readyState, 'open');
      client.end();
    }));
    client.resume();
    assert.strictEqual(client.connecting, true);
    assert.strictEqual((client as unknown as { _connecting: boolean })._connecting, true, 'the legacy alias');
    assert.strictEqual(client.readyState, 'opening');
    assert.strictEqual(client.pending, true);
  });
});

// test-net-reconnect: 50 reconnects of one socket, each 'close' without error.
both('reconnect: one socket connects again after each close', (net, common) => {
  const N = 50;
  let recv = 0;
  let ends = 0;
  let disconnects = 0;
  const server: Server = net.createServer((socket) => {
    socket.resume();
    socket.write('hello\r\n');
    socket.on('end', () => socket.end());
    socket.on('close', (hadError: boolean) => assert.strictEqual(hadError, false));
  });
  server.listen(0, common.mustCall(() => {
    const client = net.createConnection(portOf(server));
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      recv++;
      assert.strictEqual(chunk, 'hello\r\n');
      client.end();
    });
    client.on('end', () => ends++);
    client.on('close', common.mustCall((hadError: boolean) => {
      assert.strictEqual(hadError, false);
      if (disconnects++ < N) client.connect(portOf(server));
      else server.close();
    }, N + 1));
  }));
  common.onExit(() => {
    assert.strictEqual(disconnects, N + 1);
    assert.strictEqual(recv, N + 1);
    assert.strictEqual(ends, N + 1);
  });
}, { timeoutMs: 15000 });

// test-net-error-twice: the server writes into a connection the client destroyed: one error only.
both('error-twice: a write into a destroyed connection errors once', (net, common) => {
  const buf = Buffer.alloc(10 * 1024 * 1024, 'x');
  const errs: Error[] = [];
  let clientSocket: Socket;
  const ready = (serverSocket: Socket): void => {
    clientSocket.destroy();
    serverSocket.write(buf);
  };
  let serverSocket: Socket | null = null;
  const server = net.createServer(common.mustCall((s: Socket) => {
    serverSocket = s;
    s.on('error', (er: Error) => errs.push(er));
    s.on('close', common.mustCall(() => server.close()));
    if (clientSocket !== undefined) ready(s);
  }));
  server.listen(0, common.mustCall(() => {
    const c = net.connect(portOf(server));
    c.on('connect', common.mustCall(() => {
      clientSocket = c;
      if (serverSocket !== null) ready(serverSocket);
    }));
  }));
  common.onExit(() => {
    assert.strictEqual(errs.length, 1, errs.map((e) => e.message).join(', '));
    assert.ok(['ECONNRESET', 'EPIPE'].includes((errs[0] as Error & { code: string }).code));
  });
});

// test-net-better-error-messages-port-hostname / test-net-dns-error: a name that does not resolve.
both('better-error-messages-port-hostname: ENOTFOUND for a name that does not exist', (net, common) => {
  const c = net.createConnection(7, 'this.hostname.is.invalid');
  c.on('connect', common.mustNotCall());
  c.on('error', common.mustCall((e: Error) => {
    checkError(e, { syscall: 'getaddrinfo', hostname: 'this.hostname.is.invalid' });
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes((e as Error & { code: string }).code));
  }));
});
