/**
 * Row 4: memory per established idle connection. `count` clients connect to one server (both
 * ends live in this process); once every connection is established and accepted, the heap and
 * the resident set are compared with a baseline taken after the server started. Needs
 * `--expose-gc` for a clean heap figure (without it the numbers include garbage).
 */

import type * as hostNet from 'net';
import { closeServer, listen, type InProcessPath } from './paths';

export interface MemoryResult {
  connections: number;
  heapBytesPerConnection: number;
  rssBytesPerConnection: number;
  setupSeconds: number;
  gcExposed: boolean;
}

/** Connections opening at once: enough to be quick, below the listen backlog (511). */
export const CONNECT_BATCH = 256;

function collect(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 50));
}

export async function idleConnections(path: InProcessPath, count: number): Promise<MemoryResult> {
  const accepted: hostNet.Socket[] = [];
  const server = path.serverNet.createServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  // One connection first, so that lazily created per-stack state is in the baseline.
  const clients: hostNet.Socket[] = [];
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = path.clientNet.connect(port, path.serverHost);
      clients.push(c);
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
  await open();
  await settle();
  const gcExposed = collect();
  const base = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  for (let opened = 1; opened < count;) {
    const n = Math.min(CONNECT_BATCH, count - opened);
    await Promise.all(Array.from({ length: n }, open));
    opened += n;
  }
  while (accepted.length < count) await new Promise((r) => setTimeout(r, 10));
  const setupSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await settle();
  collect();
  const after = process.memoryUsage();
  const added = count - 1;
  const result: MemoryResult = {
    connections: count,
    heapBytesPerConnection: (after.heapUsed + after.external - base.heapUsed - base.external) / added,
    rssBytesPerConnection: (after.rss - base.rss) / added,
    setupSeconds,
    gcExposed,
  };
  for (const c of clients) c.destroy();
  for (const s of accepted) s.destroy();
  await closeServer(server);
  return result;
}
