/**
 * The HTTP service both sides of row 5 run (Node's `http` server, handed usernet sockets or the
 * kernel's): `GET /bytes/N` answers N bytes, written in 64 KiB chunks with backpressure;
 * `PUT` or `POST` reads the body, counts it and answers the count.
 */

import * as http from 'http';
import type * as net from 'net';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
/** Largest body served: the bench never asks for more than a few GiB. */
const MAX_BYTES = 16 * 1024 ** 3;

function sendBytes(res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

export function createBenchHttpServer(): http.Server {
  return http.createServer((req, res) => {
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m !== null && Number(m[1]) <= MAX_BYTES) {
      sendBytes(res, Number(m[1]));
      return;
    }
    if (req.method === 'PUT' || req.method === 'POST') {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`${n}\n`));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
}

/** Hands each socket `serverNet` accepts to `httpServer` (how Node's http runs on usernet). */
export function serveOn(httpServer: http.Server, socket: net.Socket): void {
  httpServer.emit('connection', socket);
}
