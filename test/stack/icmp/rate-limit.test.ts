import test from 'ava';
import { TokenBucket } from '../../../stack/icmp/rate-limit';

test('burst then the sustained rate', (t) => {
  const b = new TokenBucket(10, 3);
  t.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  t.false(b.take(50));
  t.true(b.take(100));
  t.false(b.take(100));
  t.throws(() => new TokenBucket(0, 1), { instanceOf: RangeError });
});
