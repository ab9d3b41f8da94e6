/** The interface's frame pool: one size class, bounded, and nothing lent twice at once. */

import test from 'ava';
import { FramePool, FRAME_POOL_MAX_FREE } from '../../../stack/iface/frame-pool';

test('lends a view at the start of a class-size buffer, only for frames in the size class', (t) => {
  const pool = new FramePool(1000);
  const f = pool.take(600)!;
  t.is(f.byteLength, 600);
  t.is(f.byteOffset, 0);
  t.is(f.buffer.byteLength, 1000);
  t.is(pool.take(1001), null, 'above the class');
  t.is(pool.take(500), null, 'half the class or less: allocate instead');
  t.not(pool.take(501), null);
});

test('a released buffer is lent again, and only once', (t) => {
  const pool = new FramePool(1000);
  const a = pool.take(900)!;
  pool.release(a);
  t.is(pool.freeCount, 1);
  const b = pool.take(800)!;
  t.is(b.buffer, a.buffer, 'reused');
  t.is(pool.counts.reused, 1);
  const c = pool.take(800)!;
  t.not(c.buffer, b.buffer, 'the free list was empty: a fresh buffer, not the one lent');
});

test('a second release of one loan, and frames the pool never lent, are ignored', (t) => {
  const pool = new FramePool(1000);
  const a = pool.take(900)!;
  pool.release(a);
  pool.release(a);
  t.is(pool.freeCount, 1, 'one loan, one free buffer');
  const b = pool.take(900)!;
  const c = pool.take(900)!;
  t.is(b.buffer, a.buffer);
  t.not(c.buffer, b.buffer, 'the double release did not put the buffer in twice: never lent to two frames');
  pool.release(new Uint8Array(1000));
  pool.release(new Uint8Array(new SharedArrayBuffer(1000)));
  t.is(pool.freeCount, 0, 'foreign memory is not adopted');
});

test('keeps at most maxFree buffers; the rest go to the garbage collector', (t) => {
  const pool = new FramePool(100, 2);
  const lent = [pool.take(90)!, pool.take(90)!, pool.take(90)!];
  for (const f of lent) pool.release(f);
  t.is(pool.freeCount, 2);
  t.is(pool.counts.discarded, 1);
  t.is(new FramePool(100).maxFree, FRAME_POOL_MAX_FREE);
});

test('a frame built with headroom claimed in front is released by its buffer', (t) => {
  const pool = new FramePool(1000);
  const whole = pool.take(954)!;
  const segment = whole.subarray(54); // what TCP fills; the layers below claim the 54 bytes again
  const frame = new Uint8Array(segment.buffer, segment.byteOffset - 54, segment.byteLength + 54);
  pool.release(frame);
  t.is(pool.freeCount, 1);
});

test('rejects a size class that is not a positive integer', (t) => {
  t.throws(() => new FramePool(0), { instanceOf: RangeError });
  t.throws(() => new FramePool(1.5), { instanceOf: RangeError });
});
