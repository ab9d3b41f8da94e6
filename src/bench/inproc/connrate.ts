/**
 * Row 3: connection rate. `concurrency` loops each repeat for `seconds`: connect, send a small
 * request, read the server's small response up to its end, close. The server answers and ends
 * after the request; the client closes once the response ended (so TIME-WAIT lands on the
 * client, as with HTTP/1.0 clients).
 */

import type * as hostNet from 'net';
import { closeServer, listen, type InProcessPath } from './paths';
import { ownCpuSeconds } from '../cpu';

export const REQUEST = Buffer.from('GET / HTTP/1.0\r\n\r\n');
export const RESPONSE = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');

export interface ConnRateResult {
  connections: number;
  failures: number;
  seconds: number;
  cpuSeconds: number;
}

/** One connect–request–response–close; resolves true on a complete response. */
export function oneExchange(connect: () => hostNet.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect();
    let got = 0;
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve(ok);
    };
    s.on('connect', () => s.write(REQUEST));
    s.on('data', (d: Buffer) => (got += d.length));
    s.on('end', () => finish(got === RESPONSE.length));
    s.on('error', () => finish(false));
    s.on('close', () => finish(got === RESPONSE.length));
  });
}

/**
 * Connections made before the measured period, on every path alike: a JIT-compiled server (usernet,
 * Node itself) reaches its steady speed only after its connection path has been optimised, which
 * takes about a second of connections; the measured period then reports the steady rate.
 */
export const CONNRATE_WARMUP_SECONDS = 1;

/** Runs `concurrency` exchange loops for `seconds`; counts completed exchanges and failures. */
export async function exchangeLoops(connect: () => hostNet.Socket, concurrency: number, seconds: number): Promise<{ ok: number; failed: number; seconds: number }> {
  let ok = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  const loop = async (): Promise<void> => {
    while (process.hrtime.bigint() < end) {
      if (await oneExchange(connect)) ok++;
      else failed++;
      // A run of failures (the peer is gone) must not spin: give up on this loop.
      if (failed > 1000 && failed > ok) return;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ok, failed, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** A server answering each request with `RESPONSE` and its end. */
export function respondingServer(net: { createServer(l: (s: hostNet.Socket) => void): hostNet.Server }): hostNet.Server {
  return net.createServer((s) => {
    s.once('data', () => s.end(RESPONSE));
    s.on('error', () => undefined);
  });
}

export async function connectionRate(path: InProcessPath, concurrency: number, seconds: number): Promise<ConnRateResult> {
  const server = respondingServer(path.serverNet);
  const port = await listen(server);
  await exchangeLoops(() => path.clientNet.connect(port, path.serverHost), concurrency, Math.min(CONNRATE_WARMUP_SECONDS, seconds));
  const cpu0 = ownCpuSeconds();
  const r = await exchangeLoops(() => path.clientNet.connect(port, path.serverHost), concurrency, seconds);
  const cpuSeconds = ownCpuSeconds() - cpu0;
  await closeServer(server);
  return { connections: r.ok, failures: r.failed, seconds: r.seconds, cpuSeconds };
}
