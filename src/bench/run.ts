#!/usr/bin/env node
/**
 * `make bench`: usernet side by side with its references, measured in one run, reported as
 * medians with spread and as ratios — never as timed assertions. Writes `bench-results.json`
 * and prints the table. Runs compiled JavaScript (`node dist/src/bench/run.js`).
 *
 * Environment: BENCH_SCALE (sizes and counts × this, default 1), BENCH_REPS (default 3),
 * BENCH_ROWS (e.g. `1,2,6`; default all), BENCH_CONNRATE_SECONDS (per repetition, default 5),
 * BENCH_CASES (case ids containing any of these comma-separated words, e.g. `r6-netns-mtu1500`),
 * BENCH_PATHS (only these paths, e.g. `usernet,slirp4netns`; the others are shown as skipped),
 * BENCH_OUT (default bench-results.json), PROFILE=1 (usernet's side under `node --cpu-prof`,
 * profiles in BENCH_PROFILE_DIR, default bench-profiles/, summarised after the table).
 */

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { inProcessCases } from './cases';
import { setClockTicks } from './cpu';
import { runCase } from './execute';
import { netnsCases } from './netns/cases';
import type { BenchConfig, CasePlan, CaseResult } from './plan';
import { summarizeProfileDir } from './profile-summary';
import { renderTable } from './report';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return v;
}

export function readConfig(): BenchConfig {
  const rowsRaw = process.env.BENCH_ROWS ?? '';
  const rows = rowsRaw.trim() === '' ? [1, 2, 3, 4, 5, 6] : rowsRaw.split(/[ ,]+/).filter((s) => s !== '').map(Number);
  for (const r of rows) if (!Number.isInteger(r) || r < 1 || r > 6) throw new Error(`BENCH_ROWS: no row '${r}' (1–6)`);
  const scale = envNumber('BENCH_SCALE', 1);
  return {
    scale,
    reps: Math.round(envNumber('BENCH_REPS', 3)),
    rows: new Set(rows),
    profile: process.env.PROFILE === '1' || process.env.PROFILE === 'true',
    profileDir: path.resolve(process.env.BENCH_PROFILE_DIR ?? 'bench-profiles'),
    connRateSeconds: envNumber('BENCH_CONNRATE_SECONDS', Math.max(0.5, 5 * Math.min(1, scale * 2))),
  };
}

function machine(): Record<string, unknown> {
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  } catch {
    // Not fatal.
  }
  return { node: process.version, kernel, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', uid: process.getuid?.() };
}

async function main(): Promise<void> {
  const config = readConfig();
  try {
    setClockTicks(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
  } catch {
    // 100, the Linux default, stays.
  }
  if (config.profile) fs.mkdirSync(config.profileDir, { recursive: true });
  const out = path.resolve(process.env.BENCH_OUT ?? 'bench-results.json');
  const plans = selectPlans([...inProcessCases(config), ...(await netnsCases(config))]);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`bench: ${plans.length} cases, scale ${config.scale}, ${config.reps} repetitions${config.profile ? `, profiles in ${config.profileDir}` : ''}`);
  const started = Date.now();
  const results: CaseResult[] = [];
  for (const plan of plans) {
    log(`[${plan.row}] ${plan.title}`);
    results.push(await runCase(plan, log));
    // Written after every case, so an interrupted run keeps what it measured.
    writeResults(out, config, results, started);
  }
  process.stdout.write(`\n${renderTable(results)}`);
  process.stdout.write(`\nwrote ${out} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  if (config.profile) process.stdout.write(`\n${summarizeProfileDir(config.profileDir, 12)}`);
}

function envList(name: string): string[] {
  return (process.env[name] ?? '').split(/[ ,]+/).filter((w) => w !== '');
}

/** BENCH_CASES and BENCH_PATHS narrow a run to what is being worked on. */
function selectPlans(all: CasePlan[]): CasePlan[] {
  const cases = envList('BENCH_CASES');
  const paths = envList('BENCH_PATHS');
  const chosen = cases.length === 0 ? all : all.filter((p) => cases.some((w) => p.id.includes(w)));
  if (chosen.length === 0) throw new Error(`BENCH_CASES: no case id contains ${cases.join(' or ')}; ids: ${all.map((p) => p.id).join(', ')}`);
  if (paths.length === 0) return chosen;
  return chosen.map((plan) => ({
    ...plan,
    paths: plan.paths.map((p) => (paths.includes(p.name) || p.skip !== undefined ? p : { ...p, skip: 'not in BENCH_PATHS' })),
  }));
}

function writeResults(file: string, config: BenchConfig, results: CaseResult[], started: number): void {
  const doc = {
    date: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: machine(),
    config: { ...config, rows: [...config.rows] },
    ratioMeaning: 'usernet relative to the reference on medians; above 1 = usernet ahead',
    cases: results,
  };
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
