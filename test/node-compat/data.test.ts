/**
 * Node's `test-net-*` cases about moving bytes: counters, writes while connecting, corking,
 * flow control under pause/resume, big writes and write callbacks. Each runs on usernet's
 * `stack.net` and on Node's own `net`.
 */

import * as assert from 'assert';
import type { Socket } from 'net';
import { both, connectPort, portOf } from './common';

// test-net-bytes-stats: bytesRead / bytesWritten over two connections of one socket.
both('bytes-stats: counters per connection, the socket reconnected once', (net, common) => {
  let bytesRead = 0;
  let bytesWritten = 0;
  let count = 0;
  const server = net.createServer((s) => {
    s.resume();
    s.on('end', () => (bytesRead += s.bytesRead));
  });
  server.listen(0, common.mustCall(() => {
    const socket = net.createConnection(portOf(server));
    socket.on('connect', () => {
      count++;
      socket.write('foo', () => socket.end('bar'));
    });
    socket.on('finish', () => (bytesWritten += socket.bytesWritten));
    socket.on('close', common.mustCall(() => {
      if (count < 2) socket.connect(portOf(server));
      else server.close();
    }, 2));
    socket.resume();
  }));
  common.onExit(() => {
    assert.strictEqual(bytesRead, 12);
    assert.strictEqual(bytesWritten, 12);
  });
});

// test-net-connect-buffer / test-net-connect-buffer2: writes while connecting are queued, counted
// in bytes (not characters), and anything but strings and buffers throws.
both('connect-buffer: writes while opening, bytesWritten in bytes, bad chunks throw', (net, common) => {
  let connected = false;
  const server = net.createServer(common.mustCall((s: Socket) => {
    server.close();
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (buf += d));
    s.on('end', common.mustCall(() => {
      assert.strictEqual(buf, "L'État, c'est moi");
      s.end();
    }));
  }));
  server.listen(0, common.mustCall(() => {
    const socket = new net.Socket({ highWaterMark: 0 } as ConstructorParameters<typeof net.Socket>[0]);
    socket.connect(portOf(server), common.mustCall(() => (connected = true)));
    assert.strictEqual(socket.readyState, 'opening');
    for (const v of [null, true, false, undefined, 1, 1.0, 1 / 0, +Infinity, -Infinity, [], {}]) {
      assert.throws(() => socket.write(v as never), TypeError, `write(${String(v)})`);
    }
    const a = "L'État, c'est ";
    const r = socket.write(a, common.mustCall(() => assert.ok(connected)));
    assert.strictEqual(socket.bytesWritten, Buffer.byteLength(a));
    assert.strictEqual(r, false);
    socket.end('moi');
    assert.strictEqual(socket.readyState, 'opening');
    socket.resume();
  }));
});

// test-net-socket-byteswritten: corked writes become one writev; bytesWritten counts bytes.
both('socket-byteswritten: cork, two writes, uncork: 7 bytes', (net, common) => {
  const server = net.createServer((s) => s.end());
  server.listen(0, common.mustCall(() => {
    const socket = net.connect(portOf(server));
    socket.cork();
    socket.write('one');
    socket.write(Buffer.from('twø', 'utf8'));
    socket.uncork();
    assert.strictEqual(socket.bytesWritten, 3 + 4);
    socket.on('connect', common.mustCall(() => assert.strictEqual(socket.bytesWritten, 3 + 4)));
    socket.on('end', common.mustCall(() => {
      assert.strictEqual(socket.bytesWritten, 3 + 4);
      server.close();
    }));
    socket.resume();
  }));
});

// test-net-buffersize: bufferSize counts queued writes while connecting and is 0 at 'finish'.
both('buffersize: bufferSize grows while connecting, 0 on finish', (net, common) => {
  const server = net.createServer((socket) => {
    socket.on('readable', () => socket.read());
    socket.on('end', () => server.close());
  });
  server.listen(0, common.mustCall(() => {
    const client = net.connect(portOf(server));
    client.on('finish', common.mustCall(() => assert.strictEqual(client.bufferSize, 0)));
    for (let i = 1; i < 10; i++) {
      client.write('a');
      assert.strictEqual(client.bufferSize, i);
    }
    client.end();
  }));
});

// test-net-write-connect-write: one write before 'connect', one after; both echoed in order.
both('write-connect-write: writes before and after connect arrive in order', (net, common) => {
  const server = net.createServer((socket) => socket.pipe(socket));
  server.listen(0, common.mustCall(() => {
    const conn = net.connect(portOf(server));
    let received = '';
    conn.setEncoding('utf8');
    conn.write('before');
    conn.on('connect', () => conn.write('after'));
    conn.on('data', (buf: string) => {
      received += buf;
      if (received.length >= 'beforeafter'.length) conn.end();
    });
    conn.on('end', common.mustCall(() => {
      server.close();
      assert.strictEqual(received, 'beforeafter');
    }));
  }));
});

// test-net-write-cb-on-destroy-before-connect: a write waiting for the connection fails with
// ERR_SOCKET_CLOSED_BEFORE_CONNECTION when the socket is destroyed first.
both('write-cb-on-destroy-before-connect: ERR_SOCKET_CLOSED_BEFORE_CONNECTION', (net, common) => {
  const server = net.createServer();
  server.listen(0, common.mustCall(() => {
    const socket = new net.Socket();
    socket.on('connect', common.mustNotCall());
    socket.connect({ port: portOf(server) });
    assert.ok(socket.connecting);
    socket.write('foo', common.expectsError({ code: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', name: 'Error' }));
    socket.destroy();
    server.close();
  }));
});

// test-net-pause-resume-connecting: pause()/resume() before the connection decides flowing.
both('pause-resume-connecting: the last of pause/resume before connect wins', (net, common) => {
  let connections = 0;
  let dataEvents = 0;
  const server = net.createServer((conn) => {
    connections++;
    conn.end('This was the year he fell to pieces.');
    if (connections === 5) server.close();
  });
  server.listen(0, common.mustCall(() => {
    const port = portOf(server);
    const onDataOk = (): void => {
      dataEvents++;
    };
    const tearDown = (conn: Socket): void => {
      setTimeout(common.mustCall(() => {
        conn.removeAllListeners('data');
        conn.resume();
      }), 100);
    };
    let c = net.createConnection(port, 'localhost');
    c.resume();
    c.on('data', onDataOk);
    c = net.createConnection(port, 'localhost');
    c.pause();
    c.resume();
    c.on('data', onDataOk);
    c = net.createConnection(port, 'localhost');
    c.pause();
    c.on('data', common.mustNotCall());
    tearDown(c);
    c = net.createConnection(port, 'localhost');
    c.resume();
    c.pause();
    c.resume();
    c.on('data', onDataOk);
    c = net.createConnection(port, 'localhost');
    c.resume();
    c.resume();
    c.pause();
    c.on('data', common.mustNotCall());
    tearDown(c);
  }));
  common.onExit(() => {
    assert.strictEqual(connections, 5);
    assert.strictEqual(dataEvents, 3);
  });
}, { settleMs: 300 });

// test-net-throttle: the server writes until write() returns false; the client pauses for 100 ms
// after each burst; every byte arrives and the pauses happened more than once.
both('throttle: flow control across pauses loses nothing', (net, common) => {
  let charsReceived = 0;
  let npauses = 0;
  let totalLength = 0;
  const server = net.createServer(common.mustCall((connection: Socket) => {
    const body = 'C'.repeat(1024);
    let n = 1;
    while (connection.write(body)) n++;
    connection.write(body);
    connection.write(body);
    n += 2;
    totalLength = n * body.length;
    assert.ok(connection.bufferSize! >= 0, `bufferSize: ${connection.bufferSize}`);
    assert.ok(connection.writableLength <= totalLength, `writableLength ${connection.writableLength}`);
    connection.end();
  }));
  server.listen(0, common.mustCall(() => {
    let paused = false;
    const client = net.createConnection(portOf(server));
    client.setEncoding('ascii');
    client.on('data', common.mustCallAtLeast((d: string) => {
      charsReceived += d.length;
      if (!paused) {
        client.pause();
        npauses++;
        paused = true;
        const x = charsReceived;
        setTimeout(common.mustCallAtLeast(() => {
          assert.strictEqual(charsReceived, x, 'no data while paused');
          client.resume();
          paused = false;
        }), 100);
      }
    }));
    client.on('end', common.mustCall(() => {
      server.close();
      client.end();
    }));
  }));
  common.onExit(() => {
    assert.strictEqual(charsReceived, totalLength);
    assert.ok(npauses > 1, `${npauses} > 1`);
  });
}, { timeoutMs: 15000, settleMs: 250 });

// test-net-large-string: a 40 Ki-character multi-byte string in one write.
both('large-string: one big UTF-8 write arrives whole', (net, common) => {
  const size = 40 * 1024;
  const data = 'あ'.repeat(size);
  const server = net.createServer(common.mustCall((socket: Socket) => {
    let received = 0;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d.length));
    socket.on('end', common.mustCall(() => {
      assert.strictEqual(received, size);
      socket.end();
    }));
  }));
  server.listen(0, common.mustCall(() => {
    const client = net.createConnection(portOf(server));
    client.on('end', common.mustCall(() => server.close()));
    client.resume();
    client.write(data, 'utf8');
    client.end();
  }));
});

// test-net-write-callbacks: every write callback runs, in order, before 'finish'.
both('write-callbacks: each of N write callbacks once, in order, before finish', (net, common) => {
  const N = 500;
  let cbs = 0;
  const server = net.createServer((s) => {
    s.resume();
    s.on('end', () => {
      s.end();
      server.close();
    });
  });
  server.listen(0, common.mustCall(() => {
    const c = net.createConnection(portOf(server));
    for (let i = 0; i < N; i++) {
      c.write(`chunk ${i}\n`, common.mustCall((err?: Error | null) => {
        assert.ifError(err);
        assert.strictEqual(cbs, i, 'callbacks in order');
        cbs++;
      }));
    }
    c.on('finish', common.mustCall(() => assert.strictEqual(cbs, N)));
    c.end();
    c.resume();
  }));
});

// test-net-sync-cork: cork/write/write/uncork 100 times: write() keeps returning true.
both('sync-cork: small corked writes never report a full buffer', (net, common) => {
  const N = 100;
  const buf = Buffer.alloc(2, 'a');
  const server = net.createServer((socket) => {
    socket.resume();
    socket.on('error', common.mustNotCall());
    socket.on('close', common.mustCall(() => server.close()));
  });
  server.listen(0, common.mustCall(() => {
    const conn = net.connect(portOf(server));
    conn.on('connect', common.mustCall(() => {
      let res = true;
      let i = 0;
      for (; i < N && res; i++) {
        conn.cork();
        conn.write(buf);
        res = conn.write(buf);
        conn.uncork();
      }
      assert.strictEqual(i, N);
      conn.end();
    }));
  }));
});

// test-net-socket-end-callback: end(cb), end(data, cb) and end(data, encoding, cb) call cb.
both('socket-end-callback: every end() form calls its callback', (net, common) => {
  // Node's test leaves the server unref'd: closing it when the callbacks ran would reset the
  // connections it has not accepted yet. Here it closes once its three connections have.
  let open = 3;
  const server = net.createServer((socket) => {
    socket.resume();
    socket.on('close', () => {
      if (--open === 0) server.close();
    });
  });
  const cb = common.mustCall(3);
  server.listen(common.mustCall(() => {
    const connect = (...args: unknown[]): void => {
      const socket = connectPort(net, portOf(server), () => (socket.end as (...a: unknown[]) => void)(...args));
      socket.resume();
    };
    connect(cb);
    connect('foo', cb);
    connect('foo', 'utf8', cb);
  }));
});

// test-net-pingpong: readyState across a half-close, and a ping-pong of many round trips.
both('pingpong: 100 round trips, readyState readOnly/writeOnly around the half-close', (net, common) => {
  const N = 100;
  let count = 0;
  const server = net.createServer({ allowHalfOpen: true }, common.mustCall((socket: Socket) => {
    assert.strictEqual(socket.readyState, 'open');
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      for (let i = 0; i < d.length / 4; i++) socket.write('PONG');
    });
    socket.on('end', common.mustCall(() => {
      assert.strictEqual(socket.readyState, 'writeOnly');
      socket.end();
    }));
    socket.on('close', common.mustCall((hadError: boolean) => {
      assert.strictEqual(hadError, false);
      assert.strictEqual(socket.readyState, 'closed');
      server.close();
    }));
  }));
  server.listen(0, common.mustCall(() => {
    const client = net.createConnection(portOf(server), '127.0.0.1');
    client.setEncoding('ascii');
    client.on('connect', common.mustCall(() => {
      assert.strictEqual(client.readyState, 'open');
      client.write('PING');
    }));
    let got = '';
    client.on('data', (d: string) => {
      got += d;
      while (got.startsWith('PONG')) {
        got = got.slice(4);
        count++;
        if (count < N) {
          client.write('PING');
        } else if (count === N) {
          client.end();
          assert.strictEqual(client.readyState, 'readOnly');
        }
      }
    });
    client.on('close', common.mustCall(() => assert.strictEqual(count, N)));
  }));
});

// test-net-writable: a socket that received FIN is still writable inside 'end'.
both('writable: still writable in the end handler', (net, common) => {
  const server = net.createServer(common.mustCall((s: Socket) => {
    server.close();
    s.resume();
    s.end();
  }));
  server.listen(0, '127.0.0.1', common.mustCall(() => {
    const socket = net.connect(portOf(server), '127.0.0.1');
    socket.on('end', common.mustCall(() => {
      assert.strictEqual(socket.writable, true);
      socket.write('hello world');
    }));
    socket.resume();
  }));
});

// test-net-onread-static-buffer: the onread option, with one buffer or a buffer function, and
// reading stopped by pause() or by the callback returning false. No 'data' events.
for (const variant of ['one Buffer', 'one Uint8Array', 'a Buffer function', 'a Uint8Array function', 'explicit pause', 'implicit pause'] as const) {
  both(`onread-static-buffer: ${variant}`, (net, common) => {
    const message = Buffer.from('hello world');
    const server = net.createServer(common.mustCall(function (this: { close(): void }, socket: Socket) {
      this.close();
      socket.end(message);
    }));
    server.listen(0, common.mustCall(() => {
      const pieces: Uint8Array[] = [];
      const pool = [0, 1, 2].map(() => (variant === 'a Buffer function' ? Buffer.alloc(2) : new Uint8Array(2)));
      let poolIndex = -1;
      let poolUsage = 0;
      const fixed = variant === 'one Uint8Array' ? new Uint8Array(8) : Buffer.alloc(8);
      const usesPool = variant.endsWith('function');
      let paused = false;
      const callback = function (this: Socket, nread: number, buf: Uint8Array): boolean | undefined {
        assert.strictEqual(paused, false, 'no callback while paused');
        assert.strictEqual(buf, usesPool ? pool[poolIndex] : fixed);
        pieces.push(Uint8Array.prototype.slice.call(buf, 0, nread));
        if (variant === 'explicit pause' || variant === 'implicit pause') {
          paused = true;
          if (variant === 'explicit pause') this.pause();
          setTimeout(() => {
            paused = false;
            this.resume();
          }, 100);
          if (variant === 'implicit pause') return false;
        }
        return undefined;
      };
      const buffer = usesPool
        ? () => {
            poolUsage++;
            poolIndex = (poolIndex + 1) % pool.length;
            return pool[poolIndex]!;
          }
        : fixed;
      const client = net.connect({ port: portOf(server), onread: { buffer, callback: common.mustCallAtLeast(callback) } } as never);
      client.on('data', common.mustNotCall());
      client.on('end', common.mustCall(() => {
        assert.deepStrictEqual(Buffer.concat(pieces), message);
        if (usesPool) {
          assert.deepStrictEqual(pieces.map((p) => p.length), [2, 2, 2, 2, 2, 1]);
          assert.strictEqual(poolUsage, 7, 'one buffer first, then one after each callback');
        } else {
          assert.deepStrictEqual(pieces.map((p) => p.length), [8, 3]);
        }
      }));
    }));
  }, { settleMs: 300 });
}

// test-net-binary: every byte value as a latin1 ('binary') string, echoed and decoded again.
both('binary: all 256 byte values survive a latin1 round trip', (net, common) => {
  let binary = '';
  for (let i = 0; i < 256; i++) binary += String.fromCharCode(i);
  const data = binary.repeat(20);
  const server = net.createServer((c) => {
    c.setEncoding('latin1');
    c.on('data', (d: string) => c.write(d, 'latin1'));
    c.on('end', () => c.end());
  });
  server.listen(0, common.mustCall(() => {
    const c = net.createConnection(portOf(server));
    let received = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      received += d;
      if (received.length === data.length) c.end();
    });
    c.on('connect', common.mustCall(() => c.write(data, 'latin1')));
    c.on('close', common.mustCall(() => {
      assert.strictEqual(received, data);
      server.close();
    }));
  }));
});
