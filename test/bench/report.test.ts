import test from 'ava';
import { METRICS } from '../../src/bench/jobs';
import type { CaseResult, PathResult } from '../../src/bench/plan';
import { cell, renderCase } from '../../src/bench/report';
import { summarize } from '../../src/bench/stats';

function path(name: string, role: 'usernet' | 'reference', values: number[]): PathResult {
  return { name, role, samples: values.map((v) => ({ metrics: { [METRICS.throughput.key]: v } })), summary: { [METRICS.throughput.key]: summarize(values) }, errors: [], notes: [] };
}

test('a cell shows the median and the min–max spread', (t) => {
  t.is(cell(path('usernet', 'usernet', [90, 100, 120]), METRICS.throughput), '100 [90–120]');
  t.is(cell(path('usernet', 'usernet', [100]), METRICS.throughput), '100');
  t.is(cell({ ...path('x', 'reference', []), skipped: 'needs root' }, METRICS.throughput), 'skipped');
  t.is(cell({ ...path('x', 'reference', []), errors: ['boom'] }, METRICS.throughput), 'failed');
});

test('a case block lists usernet, each reference and the ratio; skips and errors are said', (t) => {
  const c: CaseResult = {
    row: 1,
    id: 'r1',
    title: 'push',
    metrics: [METRICS.throughput],
    reps: 3,
    paths: [path('usernet', 'usernet', [100, 110, 90]), path('node-loopback', 'reference', [200, 190, 210]), { ...path('pasta', 'reference', []), skipped: 'not installed' }],
    ratios: { 'node-loopback': { [METRICS.throughput.key]: 0.5 }, pasta: { [METRICS.throughput.key]: null } },
    seconds: 1,
  };
  const text = renderCase(c);
  t.regex(text, /^\[1\] push — 3 repetitions/);
  t.regex(text, /MiB\/s\s+100 \[90–110\]\s+200 \[190–210\]\s+0\.50\s+skipped\s+–/);
  t.regex(text, /pasta: skipped — not installed/);
  t.is(renderCase({ ...c, skipped: 'needs root' }).split('\n').length, 1);
});

test('a metric label longer than the column widens it, so the columns stay aligned', (t) => {
  const long = { ...METRICS.throughput, key: 'long', unit: 'a label of twenty-six chars' };
  const both = (values: number[]): Record<string, number>[] => values.map((v) => ({ [METRICS.throughput.key]: v, long: v }));
  const p = (name: string, role: 'usernet' | 'reference'): PathResult => ({
    name, role, samples: both([1]).map((metrics) => ({ metrics })), summary: { [METRICS.throughput.key]: summarize([1]), long: summarize([1]) }, errors: [], notes: [],
  });
  const c: CaseResult = {
    row: 6, id: 'r6', title: 'x', metrics: [METRICS.throughput, long], reps: 1,
    paths: [p('usernet', 'usernet'), p('ref', 'reference')], ratios: { ref: { [METRICS.throughput.key]: 1, long: 1 } }, seconds: 1,
  };
  const lines = renderCase(c).split('\n').slice(1);
  // Two spaces of indent and the 27-character label: usernet's column starts at 30 on every line.
  t.true(lines.every((l) => l[29] === ' ' && /\S/.test(l[30] ?? '')), lines.join('\n'));
});
