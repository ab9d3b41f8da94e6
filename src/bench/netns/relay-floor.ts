#!/usr/bin/env node
/**
 * What any Node.js relay costs in row 6's ping-pong, whatever its TCP: three processes on the
 * host's loopback — a client, an echo server, and between them a Node process that does nothing
 * but copy bytes between two kernel sockets (`net.Socket` 'data' → `write`). Against the client
 * talking to the echo server directly, the difference is what a relaying Node process adds to a
 * round trip on this machine: two wake-ups, two reads, two writes and the event loop around them.
 * usernet adds its TCP/IP on top; slirp4netns (C) adds only the system calls.
 *
 *   node dist/src/bench/netns/relay-floor.js [round trips, default 20000]
 */

import { fork, type ChildProcess } from 'child_process';
import * as net from 'net';
import { PINGPONG_WARMUP_SECONDS } from '../jobs';
import { timedPingPong } from '../inproc/pingpong';
import { connected } from '../inproc/paths';

type Role = 'echo' | 'relay';

/** Runs in a child: an echo server, or a relay to the echo server on `upstream`; reports its port. */
function child(role: Role, upstream: number): void {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    if (role === 'echo') {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('error', () => undefined);
      return;
    }
    const up = net.connect(upstream, '127.0.0.1');
    up.setNoDelay(true);
    s.on('data', (d: Buffer) => up.write(d));
    up.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port));
}

function start(role: Role, upstream = 0): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(__filename, ['--child', role, String(upstream)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    proc.once('message', (port) => resolve({ proc, port: port as number }));
    proc.once('error', reject);
  });
}

async function measure(port: number, roundTrips: number, warmupSeconds: number): Promise<LatencyFigures> {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await connected(s);
  const r = await timedPingPong(s, roundTrips, warmupSeconds);
  s.destroy();
  return { mean: r.meanUs, p99: r.p99Us };
}

export interface LatencyFigures {
  mean: number;
  p99: number;
}

/** Ping-pong straight to an echo server, and through a Node relay to it; each in its own process. */
export async function relayFloor(roundTrips: number, warmupSeconds = PINGPONG_WARMUP_SECONDS): Promise<{ direct: LatencyFigures; relayed: LatencyFigures }> {
  const echo = await start('echo');
  try {
    const relay = await start('relay', echo.port);
    try {
      return { direct: await measure(echo.port, roundTrips, warmupSeconds), relayed: await measure(relay.port, roundTrips, warmupSeconds) };
    } finally {
      relay.proc.kill();
    }
  } finally {
    echo.proc.kill();
  }
}

async function main(): Promise<void> {
  const roundTrips = Number(process.argv[2] ?? 20_000);
  if (!Number.isInteger(roundTrips) || roundTrips < 1) throw new Error(`round trips: a positive integer, got ${process.argv[2]}`);
  const { direct, relayed } = await relayFloor(roundTrips);
  const f = (x: number): string => x.toFixed(1);
  console.log(`1-byte ping-pong over loopback, ${roundTrips} round trips (client, echo and relay in separate processes)`);
  console.log(`  direct:                mean ${f(direct.mean)} µs, p99 ${f(direct.p99)} µs`);
  console.log(`  through a Node relay:  mean ${f(relayed.mean)} µs, p99 ${f(relayed.p99)} µs`);
  console.log(`  the relay adds:        ${f(relayed.mean - direct.mean)} µs per round trip`);
}

if (require.main === module && process.argv[2] === '--child') child(process.argv[3] as Role, Number(process.argv[4]));
else if (require.main === module)
  main().catch((e: unknown) => {
    process.stderr.write(`relay-floor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
