/**
 * The readable table of a bench run. Each case is a block: one line per metric, usernet's median
 * with its spread [min–max], then each reference the same way followed by usernet's ratio to it
 * (×: above 1 means usernet is ahead — faster, or lower latency, memory or CPU).
 */

import type { MetricSpec } from './jobs';
import type { CaseResult, PathResult } from './plan';
import type { Summary } from './stats';

function num(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1e5) return v.toExponential(2);
  return v.toFixed(digits);
}

/** `median [min–max]` of one path and metric, or why there is none. */
export function cell(r: PathResult, m: MetricSpec): string {
  if (r.skipped !== undefined) return 'skipped';
  const s: Summary | null | undefined = r.summary[m.key];
  if (s === null || s === undefined) return r.errors.length > 0 ? 'failed' : '–';
  return s.n === 1 ? num(s.median, m.digits) : `${num(s.median, m.digits)} [${num(s.min, m.digits)}–${num(s.max, m.digits)}]`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderCase(c: CaseResult): string {
  const lines: string[] = [];
  lines.push(`[${c.row}] ${c.title} — ${c.reps} repetition${c.reps === 1 ? '' : 's'}${c.skipped !== undefined ? ` — SKIPPED: ${c.skipped}` : ''}`);
  if (c.skipped !== undefined) return lines.join('\n');
  const ours = c.paths.find((p) => p.role === 'usernet');
  const refs = c.paths.filter((p) => p.role === 'reference');
  const labelWidth = Math.max(18, ...c.metrics.map((m) => m.unit.length));
  const header = [pad('metric', labelWidth), pad(ours?.name ?? 'usernet', 28)];
  for (const r of refs) header.push(pad(r.name, 28), pad('×', 6));
  lines.push(`  ${header.join(' ')}`.trimEnd());
  for (const m of c.metrics) {
    const row = [pad(m.unit, labelWidth), pad(ours === undefined ? '–' : cell(ours, m), 28)];
    for (const r of refs) {
      const x = c.ratios[r.name]?.[m.key];
      row.push(pad(cell(r, m), 28), pad(x === null || x === undefined ? '–' : x.toFixed(2), 6));
    }
    lines.push(`  ${row.join(' ')}`.trimEnd());
  }
  for (const p of c.paths) {
    if (p.skipped !== undefined && c.skipped === undefined) lines.push(`  ${p.name}: skipped — ${p.skipped}`);
    for (const e of p.errors) lines.push(`  ${p.name}: error — ${e}`);
    for (const n of p.notes) lines.push(`  ${p.name}: ${n}`);
  }
  return lines.join('\n');
}

export function renderTable(cases: readonly CaseResult[]): string {
  return `${cases.map(renderCase).join('\n\n')}\n\n× = usernet relative to the reference on medians; above 1 means usernet is ahead.\n`;
}
