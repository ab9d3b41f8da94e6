/**
 * Summaries of repeated measurements: median and spread (min–max and the interquartile range),
 * and the ratio of two medians. The bench reports these, never single runs.
 */

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles (linear interpolation between order statistics). */
  q1: number;
  q3: number;
  mean: number;
}

/** The `p`-quantile (0 ≤ p ≤ 1) of ascending `sorted`, interpolating linearly; NaN when empty. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = Math.min(1, Math.max(0, p)) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, min, max, quartiles and mean of `samples` (finite values only); null when none. */
export function summarize(samples: readonly number[]): Summary | null {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  let total = 0;
  for (const x of s) total += x;
  return {
    n: s.length,
    median: quantileSorted(s, 0.5),
    min: s[0]!,
    max: s[s.length - 1]!,
    q1: quantileSorted(s, 0.25),
    q3: quantileSorted(s, 0.75),
    mean: total / s.length,
  };
}

/**
 * How usernet compares with the reference, as "usernet / reference" of the medians, oriented so
 * that above 1 means usernet is better: for metrics where lower is better (latency, memory, CPU)
 * the ratio is inverted. Null when either side is missing or zero.
 */
export function ratio(usernet: Summary | null, reference: Summary | null, higherIsBetter: boolean): number | null {
  if (usernet === null || reference === null) return null;
  if (usernet.median === 0 || reference.median === 0) return null;
  return higherIsBetter ? usernet.median / reference.median : reference.median / usernet.median;
}

/** Running latency samples: keeps every value (20 000 round trips are cheap) for exact p99. */
export class LatencyRecorder {
  private readonly values: number[] = [];

  add(valueUs: number): void {
    this.values.push(valueUs);
  }

  get count(): number {
    return this.values.length;
  }

  /** Mean and the given percentile (0–100) in the recorded unit; NaN when empty. */
  result(percentile = 99): { mean: number; percentile: number } {
    const s = [...this.values].sort((a, b) => a - b);
    let total = 0;
    for (const x of s) total += x;
    return { mean: s.length === 0 ? NaN : total / s.length, percentile: quantileSorted(s, percentile / 100) };
  }
}
