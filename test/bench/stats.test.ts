import test from 'ava';
import { LatencyRecorder, quantileSorted, ratio, summarize } from '../../src/bench/stats';

test('summarize gives median, quartiles, min, max and mean of finite samples', (t) => {
  const s = summarize([5, 1, 4, 2, 3, NaN, Infinity]);
  t.deepEqual(s, { n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4, mean: 3 });
});

test('summarize of an even count interpolates the median; none → null', (t) => {
  t.is(summarize([10, 20])?.median, 15);
  t.is(summarize([]), null);
  t.is(summarize([NaN]), null);
});

test('quantileSorted interpolates between order statistics and clamps p', (t) => {
  const s = [0, 10, 20, 30, 40];
  t.is(quantileSorted(s, 0.99), 39.6);
  t.is(quantileSorted(s, 2), 40);
  t.is(quantileSorted(s, -1), 0);
  t.true(Number.isNaN(quantileSorted([], 0.5)));
});

test('ratio is oriented so that above 1 means usernet is ahead', (t) => {
  const fast = summarize([200])!;
  const slow = summarize([100])!;
  t.is(ratio(fast, slow, true), 2, 'twice the throughput');
  t.is(ratio(slow, fast, true), 0.5);
  t.is(ratio(summarize([50])!, summarize([100])!, false), 2, 'half the latency');
  t.is(ratio(null, slow, true), null);
  t.is(ratio(summarize([0])!, slow, true), null);
});

test('LatencyRecorder reports mean and p99 of what was added', (t) => {
  const r = new LatencyRecorder();
  for (let i = 1; i <= 100; i++) r.add(i);
  t.is(r.count, 100);
  const { mean, percentile } = r.result(99);
  t.is(mean, 50.5);
  t.is(Math.round(percentile * 100) / 100, 99.01);
  t.true(Number.isNaN(new LatencyRecorder().result().mean));
});
