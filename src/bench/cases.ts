/**
 * Rows 1–5 of the bench as cases: in-process paths (usernet over a memory link, Node's `net` over
 * the kernel's loopback) and the TAP/veth pair with curl in a namespace. Row 6 is in
 * `netns/cases.ts`.
 */

import * as fs from 'fs';
import { canUseNetns, hasCommand } from '../netns';
import { METRICS, MiB, pingPongWarmup, type Job } from './jobs';
import type { InProcessPathName } from './inproc/paths';
import type { BenchConfig, CasePlan, PathPlan } from './plan';
import { runWorker } from './spawn-worker';

/** The issue's sizes: 1 GiB pushed, 20 000 round trips, 10 000 idle connections. */
export const FULL = { transferBytes: 1024 * MiB, roundTrips: 20_000, idleConnections: 10_000, tapBytes: 1024 * MiB } as const;
/** Largest MTU on Linux loopback-like links that still fits 16-bit IP lengths with headroom. */
export const BIG_MTU = 65520;

/** Open-file limit (soft) of this process, from /proc/self/limits; Infinity when unknown. */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

function profileArgs(c: BenchConfig, caseId: string, pathName: string, rep: number): string[] {
  if (!c.profile || rep !== 0 || pathName !== 'usernet') return [];
  return ['--cpu-prof', `--cpu-prof-dir=${c.profileDir}`, `--cpu-prof-name=${caseId}-${pathName}.cpuprofile`];
}

function workerPath(c: BenchConfig, caseId: string, name: string, job: Job, timeoutMs: number, extraArgs: string[] = []): PathPlan {
  return {
    name,
    role: name === 'usernet' ? 'usernet' : 'reference',
    run: (rep) => runWorker(job, { nodeArgs: [...extraArgs, ...profileArgs(c, caseId, name, rep)], timeoutMs }),
  };
}

const BOTH: InProcessPathName[] = ['usernet', 'node-loopback'];

export function inProcessCases(c: BenchConfig): CasePlan[] {
  const cases: CasePlan[] = [];
  const bytes = Math.max(MiB, Math.round(FULL.transferBytes * c.scale));
  const label = bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(bytes % (1024 * MiB) === 0 ? 0 : 2)} GiB` : `${Math.round(bytes / MiB)} MiB`;
  // Generous: usernet at its slowest (MTU 1500) moves about 100 MiB/s.
  const transferTimeout = 60_000 + (bytes / MiB) * 100;
  if (c.rows.has(1)) {
    for (const [connections, mtu] of [[1, BIG_MTU], [1, 1500], [8, BIG_MTU]] as const) {
      const id = `r1-transfer-${connections}c-mtu${mtu}`;
      cases.push({
        row: 1,
        id,
        title: `push ${label}, ${connections === 1 ? 'one connection' : `${connections} parallel connections`}; usernet memory link MTU ${mtu}, loopback MTU 65536`,
        metrics: [METRICS.throughput, METRICS.cpuPerGB],
        reps: c.reps,
        paths: BOTH.map((p) => workerPath(c, id, p, { kind: 'transfer', path: p, bytes, connections, mtu }, transferTimeout)),
      });
    }
    // The same push over a memory link with checksum offload, like lo: what usernet costs when
    // the link, not the stack, answers for the TCP checksum. The main row-1 case keeps plain frames.
    const id = `r1-transfer-1c-mtu${BIG_MTU}-offloads`;
    cases.push({
      row: 1,
      id,
      title: `push ${label}, one connection; usernet memory link MTU ${BIG_MTU} with checksum offload (like lo), loopback MTU 65536`,
      metrics: [METRICS.throughput, METRICS.cpuPerGB],
      reps: c.reps,
      paths: BOTH.map((p) => {
        const path: InProcessPathName = p === 'usernet' ? 'usernet-offloads' : p;
        return workerPath(c, id, p, { kind: 'transfer', path, bytes, connections: 1, mtu: BIG_MTU }, transferTimeout);
      }),
    });
  }
  if (c.rows.has(2)) {
    const roundTrips = Math.max(1000, Math.round(FULL.roundTrips * c.scale));
    const warmupSeconds = pingPongWarmup(c.scale);
    const id = 'r2-pingpong';
    cases.push({
      row: 2,
      id,
      title: `1-byte ping-pong, ${roundTrips} round trips after ${warmupSeconds} s of warm-up, Nagle off`,
      metrics: [METRICS.meanUs, METRICS.p99Us],
      reps: c.reps,
      paths: BOTH.map((p) => workerPath(c, id, p, { kind: 'pingpong', path: p, roundTrips, warmupSeconds, mtu: 1500 }, 120_000)),
    });
  }
  if (c.rows.has(3)) {
    const seconds = c.connRateSeconds;
    for (const concurrency of [1, 32]) {
      const id = `r3-connrate-${concurrency}`;
      cases.push({
        row: 3,
        id,
        title: `connect, small request, close; ${concurrency} concurrent, ${seconds} s per repetition`,
        metrics: [METRICS.connPerSec, METRICS.cpuPerConnUs],
        reps: c.reps,
        paths: BOTH.map((p) => workerPath(c, id, p, { kind: 'connrate', path: p, concurrency, seconds, mtu: 1500 }, seconds * 1000 + 60_000)),
      });
    }
  }
  if (c.rows.has(4)) {
    const count = Math.max(100, Math.round(FULL.idleConnections * c.scale));
    // Both ends of every loopback connection are descriptors of one process.
    const fdRoom = Math.floor((openFileLimit() - 100) / 2);
    const nodeCount = Math.min(count, fdRoom);
    const id = 'r4-memory';
    cases.push({
      row: 4,
      id,
      title: `memory per established idle connection (both ends in one process), ${count} connections` +
        (nodeCount < count ? `; Node: ${nodeCount} (open-file limit ${openFileLimit()})` : ''),
      metrics: [METRICS.heapPerConn, METRICS.rssPerConn],
      reps: c.reps,
      paths: BOTH.map((p) =>
        workerPath(c, id, p, { kind: 'memory', path: p, count: p === 'usernet' ? count : nodeCount }, 180_000, ['--expose-gc'])),
    });
  }
  if (c.rows.has(5)) cases.push(...tapCases(c));
  return cases;
}

function tapCases(c: BenchConfig): CasePlan[] {
  const can = canUseNetns();
  const missing = ['curl', 'bash'].filter((x) => !hasCommand(x));
  const skip = !can.ok ? `needs root and /dev/net/tun: ${can.reason}` : missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
  const bytes = Math.max(MiB, Math.round(FULL.tapBytes * c.scale));
  const label = bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(0)} GiB` : `${Math.round(bytes / MiB)} MiB`;
  const cases: CasePlan[] = [];
  for (const direction of ['download', 'upload'] as const) {
    const id = `r5-tap-${direction}`;
    cases.push({
      row: 5,
      id,
      title: `curl in a namespace ${direction === 'download' ? 'downloads' : 'uploads'} ${label} (HTTP, MTU 1500): usernet over TAP vs Node on the kernel across veth`,
      metrics: [METRICS.throughput, METRICS.cpuPerGB, { key: 'client cpu s/GB', unit: 'curl CPU s/GB', higherIsBetter: false, digits: 2 }],
      reps: c.reps,
      ...(skip !== undefined ? { skip } : {}),
      paths: (['usernet', 'kernel-veth'] as const).map((server) =>
        workerPath(c, id, server, { kind: 'tap', server, direction, bytes, mtu: 1500 }, 60_000 + (bytes / MiB) * 200)),
    });
  }
  return cases;
}
