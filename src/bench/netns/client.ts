#!/usr/bin/env node
/**
 * The client side of row 6's ping-pong and connection rate, run inside the namespace with
 * `ip netns exec NAME node client.js '<job json>'`; it reaches the host's servers through the
 * tool under test (usernet netns, slirp4netns or pasta) and prints one `BENCH-SAMPLE` line.
 */

import * as net from 'net';
import { SAMPLE_PREFIX, METRICS, type Sample } from '../jobs';
import { timedPingPong } from '../inproc/pingpong';
import { connected } from '../inproc/paths';
import { CONNRATE_WARMUP_SECONDS, exchangeLoops } from '../inproc/connrate';

export type NamespaceClientJob =
  | { kind: 'pingpong'; host: string; port: number; roundTrips: number; warmupSeconds: number }
  | { kind: 'connrate'; host: string; port: number; concurrency: number; seconds: number };

async function pingPongJob(j: Extract<NamespaceClientJob, { kind: 'pingpong' }>): Promise<Sample> {
  const s = net.connect({ host: j.host, port: j.port, noDelay: true });
  await connected(s);
  const r = await timedPingPong(s, j.roundTrips, j.warmupSeconds);
  s.destroy();
  return { metrics: { [METRICS.meanUs.key]: r.meanUs, [METRICS.p99Us.key]: r.p99Us } };
}

async function connRateJob(j: Extract<NamespaceClientJob, { kind: 'connrate' }>): Promise<Sample> {
  await exchangeLoops(() => net.connect(j.port, j.host), j.concurrency, Math.min(CONNRATE_WARMUP_SECONDS, j.seconds));
  const r = await exchangeLoops(() => net.connect(j.port, j.host), j.concurrency, j.seconds);
  return { metrics: { [METRICS.connPerSec.key]: r.ok / r.seconds }, notes: r.failed > 0 ? [`${r.failed} failed exchanges`] : [] };
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: client.js <job json>');
  const job = JSON.parse(arg) as NamespaceClientJob;
  const sample = job.kind === 'pingpong' ? await pingPongJob(job) : await connRateJob(job);
  process.stdout.write(`${SAMPLE_PREFIX}${JSON.stringify(sample)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench netns client: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
