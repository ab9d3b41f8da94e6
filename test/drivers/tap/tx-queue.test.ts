/** The TAP transmit queue against a fake descriptor that takes a given number of frames. */

import test from 'ava';
import { TxQueue, type FrameWriter } from '../../../drivers/tap/tx-queue';

/** Accepts `capacity` frames, then answers EAGAIN until `drain()` makes room again. */
class FakeDescriptor implements FrameWriter {
  readonly out: Uint8Array[] = [];
  wantsWritable = false;
  constructor(public capacity: number) {}
  writeFrames(frames: readonly Uint8Array[], from: number): number {
    let i = from;
    for (; i < frames.length && this.capacity > 0; i++, this.capacity--) this.out.push(frames[i]!);
    return i;
  }
  wantWritable(on: boolean): void {
    this.wantsWritable = on;
  }
}

const frame = (n: number): Uint8Array => Uint8Array.of(n);
const ids = (fs: Uint8Array[]): number[] => fs.map((f) => f[0]!);

test('frames the descriptor takes go straight out, nothing waits', (t) => {
  const d = new FakeDescriptor(10);
  const q = new TxQueue(d, 4, (e) => t.fail(e.message));
  q.send([frame(1), frame(2), frame(3)]);
  t.deepEqual(ids(d.out), [1, 2, 3]);
  t.is(q.written, 3);
  t.is(q.writtenBytes, 3);
  t.is(q.queued, 0);
  t.false(d.wantsWritable);
});

test('on EAGAIN the rest waits, in order, and goes out when writable', (t) => {
  const d = new FakeDescriptor(2);
  const q = new TxQueue(d, 8, (e) => t.fail(e.message));
  q.send([frame(1), frame(2), frame(3), frame(4)]);
  t.deepEqual(ids(d.out), [1, 2]);
  t.is(q.queued, 2);
  t.true(d.wantsWritable, 'asks to be told when writable');
  q.send([frame(5)]);
  t.deepEqual(ids(d.out), [1, 2], 'later frames queue behind earlier ones, never overtake');
  d.capacity = 1;
  q.flush();
  t.deepEqual(ids(d.out), [1, 2, 3]);
  t.true(d.wantsWritable);
  d.capacity = 100;
  q.flush();
  t.deepEqual(ids(d.out), [1, 2, 3, 4, 5]);
  t.is(q.queued, 0);
  t.false(d.wantsWritable, 'stops asking once drained');
  t.is(q.dropped, 0);
});

test('beyond the limit new frames are dropped and counted (tail drop)', (t) => {
  const d = new FakeDescriptor(0);
  const q = new TxQueue(d, 3, (e) => t.fail(e.message));
  q.send([frame(1), frame(2)]);
  q.send([frame(3), frame(4), frame(5)]);
  t.is(q.queued, 3);
  t.is(q.dropped, 2);
  d.capacity = 10;
  q.flush();
  t.deepEqual(ids(d.out), [1, 2, 3]);
});

test('clear drops what waits; a failing writer drops the batch and reports', (t) => {
  const d = new FakeDescriptor(0);
  const errors: string[] = [];
  const q = new TxQueue(d, 10, (e) => errors.push(e.message));
  q.send([frame(1), frame(2)]);
  q.clear();
  t.is(q.queued, 0);
  t.is(q.dropped, 2);
  const broken: FrameWriter = {
    writeFrames: () => {
      throw new Error('TAP device is gone (EBADFD)');
    },
    wantWritable: () => undefined,
  };
  const q2 = new TxQueue(broken, 10, (e) => errors.push(e.message));
  q2.send([frame(1), frame(2), frame(3)]);
  t.is(q2.dropped, 3);
  t.is(q2.queued, 0);
  t.deepEqual(errors, ['TAP device is gone (EBADFD)']);
});

test('a long backlog drains in order across many partial writes', (t) => {
  const d = new FakeDescriptor(0);
  const q = new TxQueue(d, 5000, (e) => t.fail(e.message));
  const all = Array.from({ length: 3000 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
  q.send(all);
  while (q.queued > 0) {
    d.capacity = 7;
    q.flush();
  }
  t.is(d.out.length, 3000);
  t.true(d.out.every((f, i) => f === all[i]), 'same frames, same order');
});

/** Records releases; each must come after the frame was written or dropped, and only once. */
class ReleaseLog {
  readonly released: Uint8Array[] = [];
  constructor(private readonly mayRelease: (f: Uint8Array) => boolean, private readonly fail: (m: string) => void) {}
  release(f: Uint8Array): void {
    if (!this.mayRelease(f)) this.fail(`frame ${f[0]} released while the queue still holds it`);
    if (this.released.includes(f)) this.fail(`frame ${f[0]} released twice`);
    this.released.push(f);
  }
}

test('with a pool, written frames go back at once; queued ones only after they are written (EAGAIN)', (t) => {
  const d = new FakeDescriptor(2);
  const q = new TxQueue(d, 8, (e) => t.fail(e.message));
  const pool = new ReleaseLog((f) => d.out.includes(f), (m) => t.fail(m));
  q.pool = pool;
  q.send([frame(1), frame(2), frame(3), frame(4)]);
  t.deepEqual(ids(pool.released), [1, 2], 'the two written, not the two waiting');
  q.send([frame(5)]);
  t.deepEqual(ids(pool.released), [1, 2], 'a frame queued behind others is not written yet');
  d.capacity = 1;
  q.flush();
  t.deepEqual(ids(pool.released), [1, 2, 3]);
  d.capacity = 10;
  q.flush();
  t.deepEqual(ids(pool.released), [1, 2, 3, 4, 5]);
  t.deepEqual(pool.released, d.out, 'each written frame released once, in order');
});

test('with a pool, dropped frames go back too: tail drop, clear, a failing writer', (t) => {
  const d = new FakeDescriptor(0);
  const q = new TxQueue(d, 2, () => undefined);
  const dropped = new Set<Uint8Array>();
  const pool = new ReleaseLog((f) => dropped.has(f), (m) => t.fail(m));
  q.pool = pool;
  const fs = [frame(1), frame(2), frame(3)];
  dropped.add(fs[2]!);
  q.send(fs);
  t.deepEqual(ids(pool.released), [3], 'the tail-dropped frame only');
  dropped.add(fs[0]!).add(fs[1]!);
  q.clear();
  t.deepEqual(ids(pool.released), [3, 1, 2]);
  const broken: FrameWriter = {
    writeFrames: () => {
      throw new Error('gone');
    },
    wantWritable: () => undefined,
  };
  const q2 = new TxQueue(broken, 10, () => undefined);
  const log2 = new ReleaseLog(() => true, (m) => t.fail(m));
  q2.pool = log2;
  q2.send([frame(7), frame(8)]);
  t.deepEqual(ids(log2.released), [7, 8]);
});

test('without a pool nothing is released (the default)', (t) => {
  const d = new FakeDescriptor(1);
  const q = new TxQueue(d, 8, (e) => t.fail(e.message));
  t.is(q.pool, null);
  q.send([frame(1), frame(2)]);
  q.clear();
  t.is(q.dropped, 1);
});
