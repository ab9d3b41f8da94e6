/** Helpers for relay tests on Node's real `net` over 127.0.0.1. */

import * as net from 'net';

export function listenOn(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

export function closed(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Connects with allowHalfOpen and resolves once connected. */
export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
  });
}

/** Everything `s` receives until its FIN (or until it fails: then the error is returned too). */
export function readAll(s: net.Socket): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve({ data: Buffer.concat(chunks) }));
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(chunks), error: e.code ?? e.message }));
  });
}

/** Resolves with the first value `next` gives, and a way to wait for more. */
export function queue<T>(): { push(v: T): void; next(): Promise<T> } {
  const items: T[] = [];
  const waiting: Array<(v: T) => void> = [];
  return {
    push(v) {
      const w = waiting.shift();
      if (w) w(v);
      else items.push(v);
    },
    next() {
      const v = items.shift();
      return v !== undefined ? Promise.resolve(v) : new Promise((r) => waiting.push(r));
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
