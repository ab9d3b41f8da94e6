/**
 * `sumBytes` adds long ranges 32 bits at a time; folded, it must equal the plain RFC 1071 sum of
 * 16-bit words for every length, alignment, starting sum and continuation split.
 */

import test from 'ava';
import fc from 'fast-check';
import { finishChecksum, fold, sumBytes, verifies } from '../../../stack/wire/checksum';

function reference(b: Uint8Array, start: number, end: number, sum: number): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return sum;
}

test('folded wide sums equal the 16-bit reference (any offset, length, start sum)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(), fc.nat(), fc.nat({ max: 0xfffff }), (b, a, c, sum) => {
      const start = b.length === 0 ? 0 : a % b.length;
      const end = start + (b.length === start ? 0 : c % (b.length - start + 1));
      return fold(sumBytes(b, start, end, sum)) === fold(reference(b, start, end, sum));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a region summed in two even-split calls equals one call; emitted checksums verify', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 2000 }), fc.nat(), (b, k) => {
      const split = 2 * (k % Math.floor(b.length / 2));
      const whole = fold(sumBytes(b));
      const parts = fold(sumBytes(b, split, b.length, sumBytes(b, 0, split)));
      return whole === parts;
    }),
    { numRuns: 1000 },
  );
  // A subarray at an odd byte offset (as frames in a receive buffer are): emit, then verify.
  const backing = new Uint8Array(1601);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 131) & 0xff;
  const seg = backing.subarray(1, 1501);
  seg[16] = seg[17] = 0;
  const ck = finishChecksum(sumBytes(seg, 0, seg.length, 0x1234));
  seg[16] = ck >> 8;
  seg[17] = ck & 0xff;
  t.true(verifies(sumBytes(seg, 0, seg.length, 0x1234)));
  seg[700] ^= 0x40;
  t.false(verifies(sumBytes(seg, 0, seg.length, 0x1234)));
});

test('sums of all-ones words stay exact over megabytes (folds between blocks)', (t) => {
  const b = new Uint8Array(9 * 1024 * 1024).fill(0xff);
  // Every 16-bit word is 0xffff ≡ 0 (mod 0xffff): the folded sum is 0xffff.
  t.is(fold(sumBytes(b)), 0xffff);
  t.is(fold(sumBytes(b, 0, b.length - 1)), fold(reference(b, 0, b.length - 1, 0)));
});
