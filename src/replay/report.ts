/**
 * The replay report as text: one header line (capture, endpoint, frames fed / expected / seen),
 * notes, one line per difference, a count of differences within tolerance (listed with
 * `verbose`), expectations that matched nothing, then `PASS` or `FAIL`.
 */

import { counts } from './difference';
import type { ReplayReport } from './index';

export function formatReport(r: ReplayReport, verbose = false): string {
  const lines: string[] = [];
  lines.push(`replay ${r.name} as ${r.endpoint}: frames fed ${r.fed}, expected ${r.expected}, seen ${r.seen}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  for (const d of r.differences) if (counts(d)) lines.push(d.finding === undefined ? d.text : `${d.text} [known finding: ${d.finding}]`);
  for (const d of r.differences) if (d.allowed !== undefined) lines.push(`allowed: ${d.text} — ${d.allowed}`);
  const tolerated = r.differences.filter((d) => d.tolerated !== undefined);
  if (verbose) {
    for (const d of tolerated) lines.push(`within tolerance: ${d.text} — ${d.tolerated}`);
  } else if (tolerated.length > 0) {
    const byCode = new Map<string, number>();
    for (const d of tolerated) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
    const what = [...byCode].map(([c, n]) => `${c} ${n}`).join(', ');
    lines.push(`${tolerated.length} difference(s) within tolerance (${what}); --verbose lists them`);
  }
  for (const a of r.unusedAllowances) {
    lines.push(`expectation matched nothing: ${a.code}${a.subject !== undefined ? ` ${a.subject}` : ''}${a.frames !== undefined ? ` frames ${a.frames.join(',')}` : ''} — ${a.reason}`);
  }
  lines.push(r.pass ? 'PASS' : 'FAIL');
  return `${lines.join('\n')}\n`;
}
