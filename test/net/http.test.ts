/**
 * Node's own `http` on usernet sockets: an `http.Server` fed by `server.emit('connection',
 * socket)` from a usernet server, and `http.request` with `createConnection` from `stack.net`,
 * through a keep-alive agent — 1000 requests, then a large streamed body both ways. And
 * `stream.pipeline` between a usernet socket and a file, with backpressure.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import { once } from 'events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import type { BaseSocket } from '../../src/net';
import { type Topology, listening, topologies } from './helpers';

type Socket = InstanceType<typeof BaseSocket>;

const BODY_BYTES = 16 * 1024 * 1024;

/** A keep-alive agent whose sockets come from usernet (Node's Agent calls `createConnection`). */
function usernetAgent(topo: Topology, opts: http.AgentOptions): http.Agent {
  const agent = new http.Agent(opts);
  const create = (options: { port?: number }): Socket => topo.clientNet.createConnection({ port: options.port!, host: topo.serverHost });
  (agent as unknown as { createConnection: typeof create }).createConnection = create;
  return agent;
}

function get(agent: http.Agent, port: number, path: string, body?: Readable): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: 'usernet.test', port, path, method: body ? 'POST' : 'GET' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

for (const make of topologies) {
  test(`http.Server and http.request on usernet sockets: 1000 keep-alive requests and a ${BODY_BYTES >> 20} MiB body each way (${make.name})`, async (t) => {
    const topo = make();
    const big = randomBytes(BODY_BYTES);
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const httpServer = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      if (req.url === '/big') {
        // Streamed in pieces, honouring backpressure.
        Readable.from((function* () {
          for (let off = 0; off < big.length; off += 256 * 1024) yield big.subarray(off, off + 256 * 1024);
        })()).pipe(res);
        return;
      }
      if (req.method === 'POST') {
        const h = createHash('sha256');
        req.on('data', (d: Buffer) => h.update(d));
        req.on('end', () => res.end(h.digest('hex')));
        return;
      }
      res.end(`hello ${req.url}`);
    });
    const connections: Socket[] = [];
    const tcp = topo.serverNet.createServer((s) => {
      connections.push(s);
      httpServer.emit('connection', s);
    });
    const agent = usernetAgent(topo, { keepAlive: true, maxSockets: 4 });
    try {
      const port = await listening(tcp, 0, topo.serverHost);
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => get(agent, port, `/r${i}`)));
      t.true(results.every((r, i) => r.status === 200 && r.body.toString() === `hello /r${i}`));
      t.true(connections.length <= 4, `${connections.length} connections for 1000 requests`);
      const down = await get(agent, port, '/big');
      t.is(down.body.length, big.length);
      t.is(digest(down.body), digest(big));
      const up = await get(agent, port, '/upload', Readable.from([big.subarray(0, BODY_BYTES / 2), big.subarray(BODY_BYTES / 2)]));
      t.is(up.body.toString(), digest(big));
    } finally {
      agent.destroy();
      httpServer.close();
      for (const c of connections) c.destroy();
      await new Promise((r) => tcp.close(r));
      await topo.close();
    }
  });
}

test('stream.pipeline: file → usernet socket → file, with backpressure, byte for byte', async (t) => {
  const topo = topologies[0]!();
  const dir = mkdtempSync(join(tmpdir(), `usernet-net-${process.pid}-`));
  try {
    const src = join(dir, 'src.bin');
    const dst = join(dir, 'dst.bin');
    const data = randomBytes(8 * 1024 * 1024);
    writeFileSync(src, data);
    let maxBuffered = 0;
    const server = topo.serverNet.createServer((s) => {
      // A slow file writer: the socket must stop reading instead of buffering everything.
      const out = createWriteStream(dst, { highWaterMark: 16 * 1024 });
      s.on('data', () => (maxBuffered = Math.max(maxBuffered, s.readableLength)));
      void pipeline(s, out).then(() => server.emit('stored'));
    });
    const port = await listening(server, 0, topo.serverHost);
    const stored = once(server, 'stored');
    const c = topo.clientNet.connect(port, topo.serverHost);
    await pipeline(createReadStream(src), c);
    await stored;
    const back = readFileSync(dst);
    t.is(back.length, data.length);
    t.true(back.equals(data));
    t.true(maxBuffered <= 1024 * 1024, `socket buffered at most ${maxBuffered} bytes`);
    await new Promise((r) => server.close(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await topo.close();
  }
});

test('http.Server.listen-like use: a usernet server handing its sockets to http, fetched by Node clients over usernet', async (t) => {
  const topo = topologies[1]!();
  const httpServer = http.createServer((req, res) => res.end(JSON.stringify({ url: req.url, remote: req.socket.remoteAddress })));
  const tcp = topo.serverNet.createServer((s) => httpServer.emit('connection', s));
  try {
    const port = await listening(tcp, 0, topo.serverHost);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ port, path: '/x', createConnection: () => topo.clientNet.createConnection(port, topo.serverHost) } as http.RequestOptions, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(s));
        })
        .on('error', reject);
    });
    t.deepEqual(JSON.parse(body), { url: '/x', remote: '10.0.0.2' });
    t.true((tcp.address() as AddressInfo).port === port);
  } finally {
    httpServer.close();
    await new Promise((r) => tcp.close(r));
    await topo.close();
  }
});
