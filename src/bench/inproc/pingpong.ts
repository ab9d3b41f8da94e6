/**
 * Row 2: request/response latency. One connection, Nagle off on both ends; the client sends one
 * byte and waits for the server's one-byte answer before sending the next, `roundTrips` times.
 * Each round trip is timed on its own, so the mean and the 99th percentile come from all of them.
 */

import type * as hostNet from 'net';
import { PINGPONG_WARMUP_SECONDS } from '../jobs';
import { LatencyRecorder } from '../stats';
import { closeServer, connected, listen, type InProcessPath } from './paths';

export interface PingPongResult {
  roundTrips: number;
  meanUs: number;
  p99Us: number;
  seconds: number;
}


/** Round trips in batches until `seconds` have passed (at least one batch). */
export async function warmUp(socket: hostNet.Socket, seconds: number): Promise<void> {
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  do await pingPong(socket, 500, null);
  while (process.hrtime.bigint() < until);
}

/**
 * Drives `socket` through `count` one-byte exchanges, timing each into `rec` (when given).
 * Works with any client socket whose peer answers each byte with one byte.
 */
export function pingPong(socket: hostNet.Socket, count: number, rec: LatencyRecorder | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const one = Buffer.from([0x2a]);
    let left = count;
    let pending = 0;
    let t = process.hrtime.bigint();
    const onData = (d: Buffer): void => {
      pending -= d.length;
      if (pending > 0) return;
      rec?.add(Number(process.hrtime.bigint() - t) / 1e3);
      if (--left === 0) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve();
        return;
      }
      t = process.hrtime.bigint();
      pending = 1;
      socket.write(one);
    };
    socket.on('data', onData);
    socket.on('error', reject);
    if (left === 0) return resolve();
    pending = 1;
    socket.write(one);
  });
}

export async function pingPongRun(path: InProcessPath, roundTrips: number, warmupSeconds = PINGPONG_WARMUP_SECONDS): Promise<PingPongResult> {
  const server = path.serverNet.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  const c = path.clientNet.connect(port, path.serverHost);
  c.setNoDelay(true);
  await connected(c);
  const r = await timedPingPong(c, roundTrips, warmupSeconds);
  c.destroy();
  await closeServer(server);
  return { roundTrips, ...r };
}

/**
 * The measurement every ping-pong figure comes from: `warmupSeconds` of untimed round trips, then
 * `roundTrips` timed ones on the connected `socket` (whose peer echoes). With `cpuClock` (CPU
 * seconds of whatever serves the round trips), also the CPU the timed part cost.
 */
export async function timedPingPong(
  socket: hostNet.Socket,
  roundTrips: number,
  warmupSeconds: number,
  cpuClock?: () => number,
): Promise<Omit<PingPongResult, 'roundTrips'> & { cpuSeconds?: number }> {
  await warmUp(socket, warmupSeconds);
  const rec = new LatencyRecorder();
  const cpu0 = cpuClock === undefined ? 0 : cpuClock();
  const t0 = process.hrtime.bigint();
  await pingPong(socket, roundTrips, rec);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const { mean, percentile } = rec.result(99);
  const result = { meanUs: mean, p99Us: percentile, seconds };
  return cpuClock === undefined ? result : { ...result, cpuSeconds: cpuClock() - cpu0 };
}
