import test from 'ava';
import { Xoshiro128, deriveSeed } from '../../drivers/prng';

test('xoshiro128** from state {1, 2, 3, 4} gives the reference sequence', (t) => {
  // The first outputs of the reference C implementation for s = {1, 2, 3, 4}.
  const g = Xoshiro128.fromState(1, 2, 3, 4);
  t.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], [11520, 0, 5927040]);
});

test('the same seed gives the same sequence; different seeds differ', (t) => {
  const draw = (seed: number) => {
    const g = new Xoshiro128(seed);
    return Array.from({ length: 8 }, () => g.nextUint32());
  };
  t.deepEqual(draw(42), draw(42));
  t.notDeepEqual(draw(42), draw(43));
  t.notDeepEqual(draw(0), draw(1));
  t.notDeepEqual(deriveSeed(7, 0), deriveSeed(7, 1));
  t.throws(() => new Xoshiro128(NaN), { instanceOf: RangeError });
  t.throws(() => Xoshiro128.fromState(0, 0, 0, 0), { instanceOf: RangeError });
});

test('floats lie in [0, 1) with a mean near one half; nextInt stays in range and covers it', (t) => {
  const g = new Xoshiro128(2024);
  let sum = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const x = g.nextFloat();
    t.true(x >= 0 && x < 1);
    sum += x;
  }
  // Standard deviation of the mean is sqrt(1/12 / n) ≈ 0.0009: 5 sigma is 0.0046.
  t.true(Math.abs(sum / n - 0.5) < 0.0046, `mean ${sum / n}`);
  const seen = new Array<number>(7).fill(0);
  for (let i = 0; i < 7000; i++) seen[g.nextInt(7)]!++;
  t.true(seen.every((c) => c > 850 && c < 1150), `counts ${seen}`);
  t.throws(() => g.nextInt(0), { instanceOf: RangeError });
  t.throws(() => g.nextInt(1.5), { instanceOf: RangeError });
});
