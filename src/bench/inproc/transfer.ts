/**
 * Row 1: bulk transfer. `connections` clients each push `bytes / connections` to a server that
 * discards what it reads; the clock runs from the first connect until the server has counted
 * every byte. Writes honour backpressure (`write` false → wait for `'drain'`).
 */

import type * as hostNet from 'net';
import { ownCpuSeconds } from '../cpu';
import { closeServer, connected, listen, type InProcessPath } from './paths';

/** Bytes per `write`: Node's default highWaterMark for files, a typical application chunk. */
export const WRITE_CHUNK = 64 * 1024;

export interface TransferResult {
  bytes: number;
  seconds: number;
  cpuSeconds: number;
}

function push(socket: hostNet.Socket, bytes: number, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = bytes;
    socket.on('error', reject);
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        const more = socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end(resolve);
    };
    pump();
  });
}

export async function transfer(path: InProcessPath, bytes: number, connections: number): Promise<TransferResult> {
  const chunk = Buffer.alloc(WRITE_CHUNK, 0x5a);
  const per = Math.floor(bytes / connections);
  const total = per * connections;
  let received = 0;
  let done: () => void = () => undefined;
  const allReceived = new Promise<void>((r) => (done = r));
  const server = path.serverNet.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= total) done();
    });
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  const cpu0 = ownCpuSeconds();
  const t0 = process.hrtime.bigint();
  const clients = Array.from({ length: connections }, () => path.clientNet.connect(port, path.serverHost));
  await Promise.all(clients.map(async (c) => {
    await connected(c);
    await push(c, per, chunk);
  }));
  await allReceived;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = ownCpuSeconds() - cpu0;
  if (received !== total) throw new Error(`received ${received} of ${total} bytes`);
  for (const c of clients) c.destroy();
  await closeServer(server);
  return { bytes: total, seconds, cpuSeconds };
}
