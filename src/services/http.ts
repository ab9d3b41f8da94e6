/**
 * A small HTTP/1.1 service (RFC 9110/9112) on usernet's own TCP, built on Node's `http` server fed
 * with the stack's sockets. Pages:
 *   GET /            the stack's live TCP connections (`ss -ti`-like) and its counters, as text
 *   GET /stats.json  the same as JSON
 *   GET /bytes/N     N bytes (at most 1 GiB) of a repeating pattern, for bulk transfers
 * Anything else is 404; methods other than GET and HEAD are 405.
 */

import * as http from 'http';
import type { RelaySocket } from '../relay/types';
import { formatConnectionTable, formatCounters, type StatusSource } from './status';

/** The largest body `/bytes/N` sends. */
export const MAX_BYTES_BODY = 1 << 30;
const PATTERN = Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => 'usernet '.charCodeAt(i % 8)));

export interface HttpService {
  /** Serves one accepted connection. */
  handle(socket: RelaySocket): void;
  close(): void;
}

function page(status: StatusSource): string {
  const extra = status.extra?.() ?? {};
  const extraText = Object.entries(extra).map(([k, v]) => `${k}: ${v}\n`).join('');
  return `usernet — connections\n\n${formatConnectionTable(status.connections())}\n${extraText === '' ? '' : `${extraText}\n`}counters\n\n${formatCounters(status.counters())}`;
}

function sendBytes(res: http.ServerResponse, n: number, head: boolean): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
  if (head) return void res.end();
  let left = n;
  const pump = (): void => {
    while (left > 0) {
      const c = PATTERN.subarray(0, Math.min(left, PATTERN.length));
      left -= c.length;
      if (!res.write(c)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

export function createHttpService(status: StatusSource): HttpService {
  const server = http.createServer((req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      return void res.end('method not allowed\n');
    }
    const url = req.url ?? '/';
    const bytes = /^\/bytes\/([0-9]{1,10})$/.exec(url);
    if (bytes !== null) {
      const n = Number(bytes[1]);
      if (n > MAX_BYTES_BODY) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return void res.end(`at most ${MAX_BYTES_BODY} bytes\n`);
      }
      return sendBytes(res, n, head);
    }
    let body: string;
    let type: string;
    if (url === '/' || url === '/index.txt') {
      body = page(status);
      type = 'text/plain; charset=utf-8';
    } else if (url === '/stats.json') {
      body = `${JSON.stringify({ connections: status.connections(), counters: status.counters(), extra: status.extra?.() ?? {} }, null, 1)}\n`;
      type = 'application/json';
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found\n');
    }
    res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
    res.end(head ? undefined : body);
  });
  return {
    handle: (socket) => {
      socket.on('error', () => undefined);
      server.emit('connection', socket);
    },
    // Idle keep-alive connections would otherwise stay until their timeout.
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
