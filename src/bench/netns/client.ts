#!/usr/bin/env node
/**
 * The client side of row 6's ping-pong and connection rate, run inside the namespace with
 * `ip netns exec NAME node client.js '<job json>'`; it reaches the host's servers through the
 * tool under test (usernet netns, slirp4netns or pasta) and prints one `BENCH-SAMPLE` line.
 */

import * as net from 'net';
import { SAMPLE_PREFIX, METRICS, type MetricSpec, type Sample } from '../jobs';
import { procsCpuSeconds } from '../cpu';
import { timedPingPong } from '../inproc/pingpong';
import { connected } from '../inproc/paths';
import { CONNRATE_WARMUP_SECONDS, exchangeLoops } from '../inproc/connrate';

export type NamespaceClientJob =
  /** `cpuPids`: the serving tool's processes, whose CPU over the timed round trips is reported. */
  | { kind: 'pingpong'; host: string; port: number; roundTrips: number; warmupSeconds: number; cpuPids?: number[] }
  | { kind: 'connrate'; host: string; port: number; concurrency: number; seconds: number };

/** The serving tool's CPU per timed round trip (user + system, all its processes). */
export const PINGPONG_CPU = { key: 'pingpong cpu µs/rt', unit: 'ping-pong CPU µs/rt', higherIsBetter: false, digits: 1 } as const satisfies MetricSpec;

async function pingPongJob(j: Extract<NamespaceClientJob, { kind: 'pingpong' }>): Promise<Sample> {
  const s = net.connect({ host: j.host, port: j.port, noDelay: true });
  await connected(s);
  // /proc is not namespaced by `ip netns exec`: the tool's processes are readable from here.
  const pids = j.cpuPids;
  const r = await timedPingPong(s, j.roundTrips, j.warmupSeconds, pids === undefined ? undefined : () => procsCpuSeconds(pids));
  s.destroy();
  const metrics: Record<string, number> = { [METRICS.meanUs.key]: r.meanUs, [METRICS.p99Us.key]: r.p99Us };
  if (r.cpuSeconds !== undefined) metrics[PINGPONG_CPU.key] = (r.cpuSeconds * 1e6) / j.roundTrips;
  return { metrics };
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
