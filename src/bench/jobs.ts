/**
 * What one measurement is: a job the runner hands to a worker process (`worker.ts`) as JSON, and
 * the sample it prints back. One job = one repetition of one case on one path.
 */

import type { InProcessPathName } from './inproc/paths';

export type Job =
  | { kind: 'transfer'; path: InProcessPathName; bytes: number; connections: number; mtu: number }
  | { kind: 'pingpong'; path: InProcessPathName; roundTrips: number; warmupSeconds: number; mtu: number }
  | { kind: 'connrate'; path: InProcessPathName; concurrency: number; seconds: number; mtu: number }
  | { kind: 'memory'; path: InProcessPathName; count: number }
  | { kind: 'tap'; server: 'usernet' | 'kernel-veth'; direction: 'download' | 'upload'; bytes: number; mtu: number };

/** A metric of a case: its key in samples, how to print it, and which way is better. */
export interface MetricSpec {
  key: string;
  unit: string;
  higherIsBetter: boolean;
  /** Digits after the point in the table. */
  digits: number;
}

/** One repetition's figures, keyed by `MetricSpec.key`, plus free-form notes. */
export interface Sample {
  metrics: Record<string, number>;
  notes?: string[];
}

/** Marks the sample line among whatever else a worker prints. */
export const SAMPLE_PREFIX = 'BENCH-SAMPLE ';

export const GB = 1e9;
export const MiB = 1024 * 1024;

export const METRICS = {
  throughput: { key: 'MiB/s', unit: 'MiB/s', higherIsBetter: true, digits: 0 },
  cpuPerGB: { key: 'cpu s/GB', unit: 'CPU s/GB', higherIsBetter: false, digits: 2 },
  meanUs: { key: 'mean µs', unit: 'mean µs', higherIsBetter: false, digits: 1 },
  p99Us: { key: 'p99 µs', unit: 'p99 µs', higherIsBetter: false, digits: 1 },
  connPerSec: { key: 'conn/s', unit: 'conn/s', higherIsBetter: true, digits: 0 },
  cpuPerConnUs: { key: 'cpu µs/conn', unit: 'CPU µs/conn', higherIsBetter: false, digits: 0 },
  heapPerConn: { key: 'heap B/conn', unit: 'heap B/conn', higherIsBetter: false, digits: 0 },
  rssPerConn: { key: 'RSS B/conn', unit: 'RSS B/conn', higherIsBetter: false, digits: 0 },
} as const satisfies Record<string, MetricSpec>;

/** Throughput and CPU cost of moving `bytes` in `seconds` with `cpuSeconds` of CPU. */
export function transferMetrics(bytes: number, seconds: number, cpuSeconds: number | null): Record<string, number> {
  const m: Record<string, number> = { [METRICS.throughput.key]: bytes / MiB / seconds };
  if (cpuSeconds !== null) m[METRICS.cpuPerGB.key] = cpuSeconds / (bytes / GB);
  return m;
}

/**
 * How long round trips run before timing starts, the same on every path. A JIT-compiled server
 * (usernet, Node itself) in a fresh process is still compiling its hot paths for about a second
 * of this traffic — measured through `usernet netns`: a mean of ~280 µs over the first 2 000
 * round trips, ~100 µs from the 5 000th on — and the figures are meant to describe the steady
 * state, as the connection rate's warm-up does.
 */
export const PINGPONG_WARMUP_SECONDS = 2;

/** The warm-up at a benchmark scale: all of it from scale 0.5 up, less for the quick runs tests make. */
export function pingPongWarmup(scale: number): number {
  return Math.max(0.1, Math.min(PINGPONG_WARMUP_SECONDS, PINGPONG_WARMUP_SECONDS * 2 * scale));
}
