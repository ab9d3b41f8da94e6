/**
 * Scenarios drawn from a seed, for soak runs: how many stacks, which family, what the links do
 * (loss, reordering, duplication, corruption, delay and jitter, rate), buffer sizes, and a few
 * flows with their sizes and start times. The seed alone reproduces the scenario and its run.
 */

import { Xoshiro128, type Prng } from '../../drivers/prng';
import type { ImpairOptions } from '../../drivers/impair';
import type { FlowSpec, ScenarioOptions } from './scenario';

export interface RandomScenarioOptions {
  /**
   * Whether servers write back while clients write (both directions at once). Default true.
   */
  bidirectional?: boolean;
  /** Largest flow, in bytes (default 64 KiB). */
  maxBytes?: number;
}

function pick<T>(rng: Prng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)]!;
}

/** The scenario for `seed` (same seed, same scenario, on every machine). */
export function randomScenario(seed: number, o: RandomScenarioOptions = {}): ScenarioOptions {
  const rng = new Xoshiro128(seed);
  const stacks = rng.nextFloat() < 0.8 ? 2 : 3;
  const impair: ImpairOptions = {
    loss: pick(rng, [0, 0, 0.01, 0.03, 0.08, 0.15]),
    reorder: pick(rng, [0, 0, 0.05, 0.2]),
    duplicate: pick(rng, [0, 0, 0.01, 0.05]),
    corrupt: pick(rng, [0, 0, 0, 0.01, 0.03]),
    delay: pick(rng, [0, 0, 2, 20]),
    jitter: pick(rng, [0, 0, 1, 5]),
    ...(rng.nextFloat() < 0.2 ? { rate: pick(rng, [200_000, 1_000_000, 10_000_000]) } : {}),
  };
  const maxBytes = o.maxBytes ?? 64 * 1024;
  const flows: FlowSpec[] = [];
  for (let k = 1 + rng.nextInt(3); k > 0; k--) {
    const from = rng.nextInt(stacks);
    const to = (from + 1 + rng.nextInt(stacks - 1)) % stacks;
    const bytes = rng.nextFloat() < 0.1 ? 0 : rng.nextInt(maxBytes + 1);
    const back = rng.nextInt(maxBytes / 4 + 1);
    flows.push({ from, to, bytes, reverseBytes: o.bidirectional === false ? 0 : back, startMs: rng.nextInt(500) });
  }
  const bufferSize = pick(rng, [2048, 4096, 16384, 65536, undefined]);
  return {
    seed,
    stacks,
    family: rng.nextFloat() < 0.5 ? 4 : 6,
    impair,
    latencyMs: pick(rng, [0, 1, 5]),
    ...(bufferSize !== undefined ? { bufferSize } : {}),
    flows,
  };
}
