/** `SendBuffer.copyInto`: segment bytes copied straight from the user's chunks, wherever they start. */

import test from 'ava';
import { SendBuffer } from '../../../stack/tcp/send-buffer';
import { bytes } from './harness';

test('copyInto copies a range spanning several chunks to where it is told, and nothing else', (t) => {
  const b = new SendBuffer(1000);
  b.push(bytes(30));
  b.push(bytes(5, 30));
  b.push(bytes(100, 35));
  const into = new Uint8Array(60).fill(0xee);
  t.is(b.copyInto(20, 40, into, 10), 40);
  t.deepEqual(into.subarray(10, 50), bytes(40, 20));
  t.true(into.subarray(0, 10).every((x) => x === 0xee), 'bytes before `at` untouched');
  t.true(into.subarray(50).every((x) => x === 0xee), 'bytes after the range untouched');
});

test('copyInto counts from the first unacknowledged byte after consume, and stops at the end', (t) => {
  const b = new SendBuffer(1000);
  b.push(bytes(50));
  b.push(bytes(50, 50));
  b.consume(45);
  const into = new Uint8Array(100);
  t.is(b.copyInto(0, 10, into, 0), 10);
  t.deepEqual(into.subarray(0, 10), bytes(10, 45));
  t.is(b.copyInto(40, 100, into, 0), 15, 'only what the buffer holds');
  t.deepEqual(into.subarray(0, 15), bytes(15, 85));
  t.is(b.copyInto(55, 10, into, 0), 0, 'past the end');
  t.is(b.copyInto(0, 0, into, 0), 0);
});
