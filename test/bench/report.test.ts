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
