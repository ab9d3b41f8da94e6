/**
 * The keyed hash behind ISNs and ephemeral ports (stack/tcp/hash.ts). The values are pinned:
 * they were produced by the first implementation (rounds as closures), so a rewrite for speed
 * must give the same ISNs and ports for the same seed.
 */

import test from 'ava';
import { KeyedHash, addressWords, putAddressWords } from '../../../stack/tcp/hash';
import { IpAddress } from '../../../stack/wire/address';

test('HalfSipHash values are those of the first implementation', (t) => {
  t.is(new KeyedHash(1, 2).hash([]), 3850243175);
  t.is(new KeyedHash(1, 2).hash([1, 2, 3]), 3471038940);
  t.is(new KeyedHash(0xdeadbeef, 0x01234567).hash([0x0a000001, 80, 0x0a000002, 40000]), 2912200132);
  t.is(new KeyedHash(0xffffffff, 0).hash([0xfd000000, 0, 0, 1, 443, 0xfd000000, 0, 0, 2, 51234]), 3668545496);
});

test('hash(words, length) hashes only the first length words; words are taken as unsigned', (t) => {
  const k = new KeyedHash(7, 9);
  t.is(k.hash([1, 2, 3, 99, 98], 3), k.hash([1, 2, 3]));
  t.is(k.hash([-1]), k.hash([0xffffffff]));
});

test('putAddressWords writes the same words addressWords returns, at the index given', (t) => {
  const v4 = IpAddress.parse('10.1.2.3')!;
  const v6 = IpAddress.parse('fd00::1:2')!;
  const out = [5];
  const n4 = putAddressWords(out, 1, v4.bytes);
  const n6 = putAddressWords(out, n4, v6.bytes);
  t.is(n4, 2);
  t.is(n6, 6);
  t.deepEqual(out, [5, ...addressWords(v4.bytes), ...addressWords(v6.bytes)]);
  t.deepEqual(addressWords(v4.bytes), [0x0a010203]);
});
