import test from 'ava';
import * as net from 'net';
import { createHash } from 'crypto';
import { splice, type Splice } from '../../src/relay/splice';
import type { RelaySocket } from '../../src/relay/types';
import { closed, connect, listenOn, queue, readAll, sleep } from './harness';

/**
 * A client ⇄ relay ⇄ server chain on 127.0.0.1: the relay accepts the client's connection and
 * splices it onto a fresh connection to `serverPort`.
 */
async function chain(serverPort: number): Promise<{ port: number; splices: ReturnType<typeof queue<Splice>>; close(): Promise<void> }> {
  const splices = queue<Splice>();
  const relay = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: serverPort, host: '127.0.0.1', allowHalfOpen: true });
    splices.push(splice(client as RelaySocket, upstream as RelaySocket, 'test'));
  });
  const port = await listenOn(relay);
  return { port, splices, close: () => closed(relay) };
}

async function server(onConnection: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer({ allowHalfOpen: true }, onConnection);
  const port = await listenOn(srv);
  return { port, close: () => closed(srv) };
}

test('data both ways; the client half-closes first, the server answers after the FIN', async (t) => {
  const got = queue<string>();
  const srv = await server((s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      // The FIN arrived through the relay; this direction still works.
      got.push(Buffer.concat(chunks).toString());
      s.end('world, after your FIN');
    });
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  client.end('hello');
  const reply = await readAll(client);
  t.is(await got.next(), 'hello');
  t.is(reply.data.toString(), 'world, after your FIN');
  t.is(reply.error, undefined);
  const r = await (await c.splices.next()).result;
  t.deepEqual(r, { outcome: 'closed', aToB: 5, bToA: 21 });
  await c.close();
  await srv.close();
});

test('the server half-closes first; the client keeps sending and the server still reads it', async (t) => {
  const got = queue<string>();
  const srv = await server((s) => {
    s.end('banner');
    const chunks: Buffer[] = [];
    s.on('data', (ch: Buffer) => chunks.push(ch));
    s.on('end', () => got.push(Buffer.concat(chunks).toString()));
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  const reply = readAll(client);
  t.is((await reply).data.toString(), 'banner');
  // Our side is still open after the peer's FIN (half-open).
  client.write('still ');
  client.end('here');
  t.is(await got.next(), 'still here');
  const r = await (await c.splices.next()).result;
  t.is(r.outcome, 'closed');
  await c.close();
  await srv.close();
});

test('a reset by the server reaches the client as ECONNRESET', async (t) => {
  const srv = await server((s) => {
    s.once('data', () => s.resetAndDestroy());
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  const reply = readAll(client);
  client.write('provoke');
  t.is((await reply).error, 'ECONNRESET');
  const r = await (await c.splices.next()).result;
  t.is(r.outcome, 'reset');
  t.is(r.failedSide, 'b');
  t.is(r.code, 'ECONNRESET');
  await c.close();
  await srv.close();
});

test('a reset by the client reaches the server as ECONNRESET', async (t) => {
  const serverSide = queue<string>();
  const srv = await server((s) => {
    s.on('error', (e: NodeJS.ErrnoException) => serverSide.push(e.code ?? 'error'));
    s.on('end', () => serverSide.push('FIN'));
    s.on('data', () => undefined);
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  client.write('x');
  await sleep(50);
  client.resetAndDestroy();
  t.is(await serverSide.next(), 'ECONNRESET');
  const r = await (await c.splices.next()).result;
  t.is(r.outcome, 'reset');
  t.is(r.failedSide, 'a');
  await c.close();
  await srv.close();
});

test('a refused upstream connection resets the accepted client', async (t) => {
  const srv = await server(() => undefined);
  const deadPort = srv.port;
  await srv.close();
  const c = await chain(deadPort);
  const client = await connect(c.port);
  const reply = await readAll(client);
  t.is(reply.error, 'ECONNRESET');
  const r = await (await c.splices.next()).result;
  t.is(r.outcome, 'error');
  t.is(r.code, 'ECONNREFUSED');
  await c.close();
});

test('backpressure: a server that does not read stops the relay from buffering; all bytes arrive later', async (t) => {
  const TOTAL = 48 << 20;
  const serverSock = queue<net.Socket>();
  const srv = await server((s) => {
    s.pause();
    serverSock.push(s);
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  const sent = createHash('sha256');
  let written = 0;
  const chunk = Buffer.alloc(64 << 10);
  const pump = (): void => {
    while (written < TOTAL) {
      for (let i = 0; i < chunk.length; i += 4096) chunk.writeUInt32BE(written + i, i);
      sent.update(chunk);
      written += chunk.length;
      if (!client.write(chunk)) return void client.once('drain', pump);
    }
    client.end();
  };
  pump();
  const s = await serverSock.next();
  const sp = await c.splices.next();
  await sleep(400);
  const stalled = sp.bytes().aToB;
  // Loopback socket buffers hold a few MB; the relay itself holds at most its high-water mark.
  t.true(stalled < 24 << 20, `relay moved ${stalled} bytes while the server was not reading`);
  await sleep(200);
  t.true(sp.bytes().aToB - stalled < 1 << 20, 'the relay is not still reading');
  t.is(sp.b.listenerCount('drain'), 1, 'stalled: the relay waits for the server side to drain, once');
  const got = createHash('sha256');
  let received = 0;
  s.on('data', (d: Buffer) => {
    got.update(d);
    received += d.length;
  });
  s.resume();
  await new Promise<void>((resolve) => s.once('end', () => resolve()));
  s.end();
  t.is(received, TOTAL);
  t.is(got.digest('hex'), sent.digest('hex'));
  t.is((await sp.result).outcome, 'closed');
  t.is(sp.b.listenerCount('drain'), 0, 'the drain listener went with the drain');
  await c.close();
  await srv.close();
});

test('a splice registers no drain listener until a write is refused (backpressure only)', async (t) => {
  const srv = await server((s) => s.pipe(s));
  const c = await chain(srv.port);
  const client = await connect(c.port);
  const sp = await c.splices.next();
  client.write('ping');
  const [echo] = (await new Promise((resolve) => client.once('data', (d: Buffer) => resolve([d])))) as [Buffer];
  t.is(echo.toString(), 'ping');
  t.deepEqual([sp.a.listenerCount('drain'), sp.b.listenerCount('drain')], [0, 0]);
  client.end();
  t.is((await sp.result).outcome, 'closed');
  await c.close();
  await srv.close();
});

test('reset() ends both sides with a RST', async (t) => {
  const serverSide = queue<string>();
  const srv = await server((s) => {
    s.on('error', (e: NodeJS.ErrnoException) => serverSide.push(e.code ?? 'error'));
    s.on('data', () => undefined);
  });
  const c = await chain(srv.port);
  const client = await connect(c.port);
  const reply = readAll(client);
  client.write('x');
  const sp = await c.splices.next();
  await sleep(50);
  sp.reset();
  t.is((await reply).error, 'ECONNRESET');
  t.is(await serverSide.next(), 'ECONNRESET');
  t.is((await sp.result).code, 'shutdown');
  await c.close();
  await srv.close();
});
