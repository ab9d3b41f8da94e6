/**
 * What `usernet demo` shows, whichever way the namespace is made: a few steps, each a line of
 * result, then a short segment trace and the connection table. The steps run against the
 * built-in services (on the services address) and a host server reached through the relay.
 */

import type { CommandIo } from '../cli/decode';
import { formatConnectionTable, type StatusSource } from '../services/status';
import type { TraceLink } from './trace';

export interface Step {
  title: string;
  run(): Promise<string>;
}

/** Runs the steps in order, printing each result; returns how many failed. */
export async function tellStory(io: CommandIo, steps: readonly Step[]): Promise<number> {
  let failed = 0;
  for (const [i, step] of steps.entries()) {
    const t0 = performance.now();
    let text: string;
    let ok = true;
    try {
      text = (await step.run()).trimEnd();
    } catch (e) {
      ok = false;
      text = (e as Error).message;
    }
    if (!ok) failed++;
    const ms = (performance.now() - t0).toFixed(0);
    io.out(`${String(i + 1).padStart(2)}. ${step.title} — ${ok ? 'ok' : 'FAILED'} (${ms} ms)\n`);
    for (const line of text.split('\n').slice(0, 8)) io.out(`      ${line}\n`);
  }
  return failed;
}

export function printTrace(io: CommandIo, trace: TraceLink, what: string): void {
  io.out(`\nsegments of ${what}, as usernet saw them on the link:\n`);
  for (const l of trace.lines) io.out(`  ${l}\n`);
  if (trace.omitted > 0) io.out(`  … ${trace.omitted} more\n`);
}

export function printTable(io: CommandIo, status: StatusSource): void {
  io.out('\nusernet\'s connections now (ss -ti style):\n');
  io.out(`${formatConnectionTable(status.connections()).trimEnd().replace(/^/gm, '  ')}\n`);
  const extra = status.extra?.() ?? {};
  for (const [k, v] of Object.entries(extra)) io.out(`  ${k}: ${v}\n`);
}
