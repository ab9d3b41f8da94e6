/**
 * The relay's host-socket reader (src/relay/host-reader.ts): reads land in one shared buffer and
 * are copied out; large ones into pooled chunks that come back only once the target's TCP has let
 * go of their last byte, small ones into buffers of their own.
 */

import test from 'ava';
import { PassThrough } from 'stream';
import { ChunkPool, HOST_READ_SIZE, HostReader, POOLED_READ_MIN } from '../../src/relay/host-reader';

/** A reader whose target reports `released.bytes` as let go (null: unknown). */
function reader(limit = 4): { r: HostReader; pool: ChunkPool; got: Buffer[]; released: { bytes: number | null }; accept: { more: boolean } } {
  const pool = new ChunkPool(limit);
  const released: { bytes: number | null } = { bytes: 0 };
  const r = new HostReader(pool, () => released.bytes);
  const got: Buffer[] = [];
  const accept = { more: true };
  r.attach(new PassThrough(), (c) => {
    got.push(c);
    return accept.more;
  });
  return { r, pool, got, released, accept };
}

/** What Node does on a read: fill the onread buffer, then call back with the count. */
function deliver(r: HostReader, n: number, fill: number): boolean {
  r.onread.buffer.fill(fill, 0, n);
  return r.onread.callback(n);
}

test('a large read is copied into a pooled chunk, reused only after the target released its last byte', (t) => {
  const { r, pool, got, released } = reader();
  deliver(r, HOST_READ_SIZE, 0xa1);
  deliver(r, POOLED_READ_MIN, 0xb2);
  t.is(got.length, 2);
  t.is(got[0]!.length, HOST_READ_SIZE);
  t.is(got[1]!.length, POOLED_READ_MIN);
  t.not(got[0]!.buffer, r.onread.buffer.buffer, 'copied out of the shared read buffer');
  t.not(got[0]!.buffer, got[1]!.buffer, 'each read in its own chunk');
  t.is(r.outstanding, 2);

  // One byte short of the first chunk's end: nothing may be reused yet.
  released.bytes = HOST_READ_SIZE - 1;
  deliver(r, HOST_READ_SIZE, 0xc3);
  t.is(pool.reused, 0);
  t.true(got[0]!.every((b) => b === 0xa1), 'the lent bytes are untouched');
  t.is(r.outstanding, 3);

  released.bytes = HOST_READ_SIZE;
  deliver(r, HOST_READ_SIZE, 0xd4);
  t.is(pool.reused, 1);
  t.is(got[3]!.buffer, got[0]!.buffer, 'the released chunk carries the next large read');
  t.true(got[1]!.every((b) => b === 0xb2), 'the chunk still lent is untouched');
  t.is(pool.allocated, 3);
});

test('small reads get buffers of their own size and never take a chunk', (t) => {
  const { r, pool, got } = reader();
  deliver(r, 1, 0x11);
  deliver(r, POOLED_READ_MIN - 1, 0x22);
  t.deepEqual(
    got.map((c) => c.length),
    [1, POOLED_READ_MIN - 1],
  );
  t.true(got[1]!.every((b) => b === 0x22));
  t.is(pool.allocated, 0);
  t.is(r.outstanding, 0);
});

test('a target that cannot say what it released never gets a chunk back', (t) => {
  const { r, pool, released } = reader();
  released.bytes = null;
  for (let i = 0; i < 5; i++) deliver(r, HOST_READ_SIZE, i);
  t.is(pool.reused, 0);
  t.is(pool.allocated, 5);
});

test('the sink saying "full" stops reading: the callback returns false', (t) => {
  const { r, accept } = reader();
  t.true(deliver(r, 10, 1));
  accept.more = false;
  t.false(deliver(r, 10, 2));
});

test('reads before attach are kept and handed over, in order, on attach', (t) => {
  const r = new HostReader(new ChunkPool(), () => 0);
  deliver(r, 3, 7);
  deliver(r, 2, 8);
  const got: number[][] = [];
  r.attach(new PassThrough(), (c) => {
    got.push([...c]);
    return true;
  });
  t.deepEqual(got, [
    [7, 7, 7],
    [8, 8],
  ]);
});

test('the pool keeps at most its limit of free chunks', (t) => {
  const pool = new ChunkPool(2);
  const chunks = [pool.take(), pool.take(), pool.take()];
  for (const c of chunks) pool.give(c);
  t.is(pool.size, 2);
  t.is(pool.take().length, HOST_READ_SIZE);
  t.is(pool.reused, 1);
});
