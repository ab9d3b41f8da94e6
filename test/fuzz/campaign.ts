/**
 * The parser fuzzing loop: deterministic for a seed. Each iteration draws an input — a mutated
 * fixture frame (mostly), a structured-random frame, or a mutant of one — and hands it to every
 * parser target. Stops after `iterations` or at `deadline` (Date.now() ms), whichever is first.
 */

import { Xoshiro128 } from '../../drivers/prng';
import { fixtureCorpus } from './corpus';
import { randomFrame } from './generate';
import { mutant } from './mutate';
import { FuzzFailure, PARSER_TARGETS, type ParserTarget } from './parsers';

export interface ParserCampaign {
  seed: number;
  iterations?: number;
  /** Wall-clock end (Date.now() ms); for `make fuzz SECONDS=…`. */
  deadline?: number;
  /** Target names to run; all when absent. */
  targets?: readonly string[];
}

export interface ParserCampaignResult {
  iterations: number;
  /** Per target: inputs accepted as reprs, and drops by reason. */
  outcomes: Record<string, { repr: number; drops: Record<string, number> }>;
}

export function selectTargets(names?: readonly string[]): ParserTarget[] {
  if (names === undefined || names.length === 0) return [...PARSER_TARGETS];
  const known = new Set(PARSER_TARGETS.map((t) => t.name));
  for (const n of names) if (!known.has(n)) throw new Error(`unknown parser target "${n}" (known: ${[...known].join(', ')})`);
  return PARSER_TARGETS.filter((t) => names.includes(t.name));
}

/** Runs the campaign; throws `FuzzFailure` (with the input) at the first broken contract. */
export function runParserCampaign(c: ParserCampaign): ParserCampaignResult {
  const rng = new Xoshiro128(c.seed);
  const targets = selectTargets(c.targets);
  const corpus = fixtureCorpus();
  const outcomes: ParserCampaignResult['outcomes'] = {};
  for (const t of targets) outcomes[t.name] = { repr: 0, drops: {} };
  const limit = c.iterations ?? Infinity;
  let i = 0;
  for (; i < limit; i++) {
    if (c.deadline !== undefined && (i & 63) === 0 && Date.now() >= c.deadline) break;
    const u = rng.nextFloat();
    const input = u < 0.7 ? mutant(rng, corpus) : u < 0.85 ? randomFrame(rng) : mutant(rng, [randomFrame(rng)]);
    for (const t of targets) {
      const r = t.run(input);
      const o = outcomes[t.name]!;
      if (r === 'repr') o.repr++;
      else o.drops[r.reason] = (o.drops[r.reason] ?? 0) + 1;
    }
  }
  return { iterations: i, outcomes };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export { FuzzFailure };
