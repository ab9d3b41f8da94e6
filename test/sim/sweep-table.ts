/**
 * The loss × buffer-size sweep: one 128 KiB transfer per cell and seed between two stacks on a
 * switch with 5 ms latency per port and seeded loss on both ports, in both directions, summarised as the median completion time and the
 * total retransmissions over three seeds. The table is kept as a snapshot (sweep.test.ts), so a
 * change in TCP's behaviour under loss shows up in review as a changed row.
 */

import { runScenario } from '../../src/sim';

export const SWEEP_LOSS = [0, 0.01, 0.03, 0.1] as const;
export const SWEEP_BUFFERS = [4096, 16384, 65536, 262144] as const;
export const SWEEP_SEEDS = [1, 2, 3] as const;
export const SWEEP_BYTES = 128 * 1024;

export interface SweepCell {
  loss: number;
  bufferSize: number;
  /** Median simulated ms from connect to both ends closed; null when a flow failed. */
  medianMs: number | null;
  retransmits: number;
  failures: number;
  /** Invariant violations (should be none); listed under the table. */
  violations: string[];
}

export function sweepCell(loss: number, bufferSize: number): SweepCell {
  const times: number[] = [];
  let retransmits = 0;
  let failures = 0;
  const violations: string[] = [];
  for (const seed of SWEEP_SEEDS) {
    const r = runScenario({ seed, latencyMs: 5, bufferSize, impair: { loss }, flows: [{ bytes: SWEEP_BYTES }] });
    const f = r.flows[0]!;
    retransmits += f.retransmits;
    if (f.outcome === 'complete' && f.durationMs !== undefined) times.push(f.durationMs);
    else failures++;
    violations.push(...r.violations.map((v) => `loss ${loss} buffer ${bufferSize} seed ${seed}: ${v}`));
  }
  times.sort((a, b) => a - b);
  return { loss, bufferSize, medianMs: failures > 0 ? null : times[Math.floor(times.length / 2)]!, retransmits, failures, violations };
}

/** The whole sweep as a text table (rows: loss; columns: buffer size). */
export function sweepTable(): { table: string; violations: string[] } {
  const head = ['loss \\ buffer', ...SWEEP_BUFFERS.map((b) => `${b / 1024} KiB`)];
  const rows: string[][] = [head];
  const violations: string[] = [];
  for (const loss of SWEEP_LOSS) {
    const row = [`${(loss * 100).toFixed(0)} %`];
    for (const b of SWEEP_BUFFERS) {
      const c = sweepCell(loss, b);
      violations.push(...c.violations);
      row.push(c.medianMs === null ? `${c.failures} failed, ${c.retransmits} rtx` : `${Math.round(c.medianMs)} ms, ${c.retransmits} rtx`);
    }
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((x, i) => x.padStart(widths[i]!)).join(' | ')).join('\n');
  return { table: `${SWEEP_BYTES / 1024} KiB transfer, 5 ms per switch port, median of ${SWEEP_SEEDS.length} seeds (ms to both ends closed), retransmissions summed\n${table}`, violations };
}
