/**
 * `make soak SEEDS=N [FROM=K] [UNI=1]`: runs the random scenarios of N seeds and prints every
 * failing seed with the one command that replays it; `make soak SEED=K [UNI=1]` replays one seed
 * and prints its scenario, flows and violations. UNI=1 keeps servers from writing back (the mix
 * `make test` runs). Exit status 1 when any seed broke an invariant.
 */

import { randomScenario, runScenario } from '../../src/sim';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function num(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number, got ${v}`);
  return n;
}

export function replayCommand(seed: number, unidirectional: boolean): string {
  return `make soak SEED=${seed}${unidirectional ? ' UNI=1' : ''}`;
}

function main(): number {
  const uni = arg('uni') === '1';
  const one = arg('seed');
  if (one !== undefined && one !== '') {
    const seed = num('seed', 0);
    const scenario = randomScenario(seed, { bidirectional: !uni });
    console.log(`scenario ${JSON.stringify(scenario)}`);
    const r = runScenario(scenario);
    for (const f of r.flows) console.log(`  ${f.name}: ${f.outcome}${f.error ? ` (${f.error})` : ''}, ${f.delivered}+${f.deliveredBack} bytes, ${f.retransmits} retransmissions${f.durationMs !== undefined ? `, ${Math.round(f.durationMs)} ms` : ''}`);
    for (const v of r.violations) console.log(`  VIOLATION ${v}`);
    console.log(r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`);
    return r.violations.length === 0 ? 0 : 1;
  }
  const count = num('seeds', 100);
  const from = num('from', 1);
  const started = Date.now();
  let failed = 0;
  for (let seed = from; seed < from + count; seed++) {
    const r = runScenario(randomScenario(seed, { bidirectional: !uni }));
    if (r.violations.length === 0) continue;
    failed++;
    console.log(`seed ${seed}: ${r.violations[0]}${r.violations.length > 1 ? ` (+${r.violations.length - 1} more)` : ''}\n  replay: ${replayCommand(seed, uni)}`);
  }
  console.log(`soak: ${count} seeds from ${from}${uni ? ' (unidirectional)' : ''}, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
