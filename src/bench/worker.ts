#!/usr/bin/env node
/**
 * Runs one bench job in a fresh process (so heaps, JIT state and profiles do not mix) and prints
 * its sample as one `BENCH-SAMPLE {json}` line. Started by `run.ts` as
 *   node [--cpu-prof …] [--expose-gc] dist/src/bench/worker.js '<job json>'
 */

import { METRICS, SAMPLE_PREFIX, transferMetrics, type Job, type Sample } from './jobs';
import { openPath } from './inproc/paths';
import { transfer } from './inproc/transfer';
import { pingPongRun } from './inproc/pingpong';
import { connectionRate } from './inproc/connrate';
import { idleConnections } from './inproc/memory';
import { tapTransfer } from './tap/transfer';

async function runJob(job: Job): Promise<Sample> {
  switch (job.kind) {
    case 'transfer': {
      const path = openPath(job.path, { mtu: job.mtu });
      try {
        const r = await transfer(path, job.bytes, job.connections);
        return { metrics: transferMetrics(r.bytes, r.seconds, r.cpuSeconds) };
      } finally {
        await path.close();
      }
    }
    case 'pingpong': {
      const path = openPath(job.path, { mtu: job.mtu });
      try {
        const r = await pingPongRun(path, job.roundTrips, job.warmupSeconds);
        return { metrics: { [METRICS.meanUs.key]: r.meanUs, [METRICS.p99Us.key]: r.p99Us } };
      } finally {
        await path.close();
      }
    }
    case 'connrate': {
      const path = openPath(job.path, { mtu: job.mtu });
      try {
        const r = await connectionRate(path, job.concurrency, job.seconds);
        const notes = r.failures > 0 ? [`${r.failures} failed exchanges`] : [];
        return {
          metrics: {
            [METRICS.connPerSec.key]: r.connections / r.seconds,
            [METRICS.cpuPerConnUs.key]: r.connections > 0 ? (r.cpuSeconds * 1e6) / r.connections : NaN,
          },
          notes,
        };
      } finally {
        await path.close();
      }
    }
    case 'memory': {
      const path = openPath(job.path, { queueFrames: 100_000 });
      try {
        const r = await idleConnections(path, job.count);
        const notes = r.gcExposed ? [] : ['no --expose-gc: heap includes garbage'];
        return { metrics: { [METRICS.heapPerConn.key]: r.heapBytesPerConnection, [METRICS.rssPerConn.key]: r.rssBytesPerConnection }, notes };
      } finally {
        await path.close();
      }
    }
    case 'tap':
      return tapTransfer(job);
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: worker.js <job json>');
  const job = JSON.parse(arg) as Job;
  const sample = await runJob(job);
  process.stdout.write(`${SAMPLE_PREFIX}${JSON.stringify(sample)}\n`);
}

main().then(
  // Leftover handles (a driver closing, a server's last timer) must not hold the sample back.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
