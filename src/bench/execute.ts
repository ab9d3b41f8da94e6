/**
 * Runs the cases of a plan: repetitions interleaved across paths (usernet, reference, usernet …)
 * so that drift on a shared machine hits both alike; summaries and ratios at the end.
 */

import type { Sample } from './jobs';
import type { CasePlan, CaseResult, PathResult } from './plan';
import { ratio, summarize } from './stats';

function summarizePath(metricKeys: readonly string[], r: PathResult): void {
  for (const key of metricKeys) {
    const values = r.samples.map((s: Sample) => s.metrics[key]).filter((v): v is number => typeof v === 'number');
    r.summary[key] = summarize(values);
  }
}

export async function runCase(plan: CasePlan, log: (line: string) => void): Promise<CaseResult> {
  const t0 = Date.now();
  const paths: PathResult[] = plan.paths.map((p) => ({
    name: p.name,
    role: p.role,
    samples: [],
    summary: {},
    errors: [],
    notes: [],
    ...(p.skip !== undefined ? { skipped: p.skip } : plan.skip !== undefined ? { skipped: plan.skip } : {}),
  }));
  if (plan.skip === undefined) {
    for (let rep = 0; rep < plan.reps; rep++) {
      for (let i = 0; i < plan.paths.length; i++) {
        const p = plan.paths[i]!;
        const r = paths[i]!;
        // A path that failed its first repetition is not tried again (it would fail the same way).
        if (r.skipped !== undefined || (rep > 0 && r.samples.length === 0)) continue;
        try {
          const s = await p.run(rep);
          r.samples.push(s);
          for (const n of s.notes ?? []) if (!r.notes.includes(n)) r.notes.push(n);
          const shown = plan.metrics.map((m) => `${m.key}=${(s.metrics[m.key] ?? NaN).toFixed(m.digits)}`).join(' ');
          log(`  ${plan.id} ${p.name} #${rep + 1}: ${shown}`);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          r.errors.push(msg);
          log(`  ${plan.id} ${p.name} #${rep + 1}: FAILED ${msg}`);
        }
      }
    }
  } else {
    log(`  ${plan.id}: skipped (${plan.skip})`);
  }
  for (const r of paths) summarizePath(plan.metrics.map((m) => m.key), r);
  const ours = paths.find((r) => r.role === 'usernet');
  const ratios: CaseResult['ratios'] = {};
  for (const ref of paths.filter((r) => r.role === 'reference')) {
    ratios[ref.name] = {};
    for (const m of plan.metrics) {
      ratios[ref.name]![m.key] = ratio(ours?.summary[m.key] ?? null, ref.summary[m.key] ?? null, m.higherIsBetter);
    }
  }
  return {
    row: plan.row,
    id: plan.id,
    title: plan.title,
    metrics: plan.metrics,
    reps: plan.reps,
    paths,
    ratios,
    ...(plan.skip !== undefined ? { skipped: plan.skip } : {}),
    seconds: (Date.now() - t0) / 1000,
  };
}
