/**
 * The shape of a bench run: cases (one per table block), each with usernet's path and the
 * references measured in the same run, and what running them produced.
 */

import type { MetricSpec, Sample } from './jobs';
import type { Summary } from './stats';

export type Role = 'usernet' | 'reference';

export interface PathPlan {
  /** `usernet`, `node-loopback`, `kernel-veth`, `slirp4netns`, `pasta` … */
  name: string;
  role: Role;
  /** Why this path cannot run here (missing root, tool, command); then `run` is never called. */
  skip?: string;
  /** Runs one repetition (`rep` from 0) and returns its figures. */
  run(rep: number): Promise<Sample>;
}

export interface CasePlan {
  /** The row number (1–6). */
  row: number;
  id: string;
  title: string;
  metrics: readonly MetricSpec[];
  reps: number;
  paths: PathPlan[];
  /** Why the whole case is skipped (e.g. needs root); its paths are then not run. */
  skip?: string;
}

export interface PathResult {
  name: string;
  role: Role;
  samples: Sample[];
  /** Per metric key: median and spread over `samples`. */
  summary: Record<string, Summary | null>;
  errors: string[];
  notes: string[];
  skipped?: string;
}

export interface CaseResult {
  row: number;
  id: string;
  title: string;
  metrics: readonly MetricSpec[];
  reps: number;
  paths: PathResult[];
  /** Per reference path, per metric: usernet relative to it, above 1 = usernet ahead. */
  ratios: Record<string, Record<string, number | null>>;
  skipped?: string;
  seconds: number;
}

export interface BenchConfig {
  /** Multiplies sizes and durations (1 = the issue's). */
  scale: number;
  reps: number;
  /** Rows to run (1–6). */
  rows: ReadonlySet<number>;
  /** Save `node --cpu-prof` profiles of usernet's side into `profileDir`. */
  profile: boolean;
  profileDir: string;
  /** Seconds each connection-rate repetition lasts. */
  connRateSeconds: number;
}
