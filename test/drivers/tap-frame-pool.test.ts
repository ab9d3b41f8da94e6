/**
 * The TAP driver's frame recycling (`LinkDriver.useFramePool`): a frame goes back to the pool once
 * the kernel has copied it (written), refused it, or the driver dropped it — and only then.
 * Needs root and /dev/net/tun; skips with a `skipped:` line otherwise. The EAGAIN queue's part is
 * in test/drivers/tap/tx-queue.test.ts (a fake descriptor that says EAGAIN on demand).
 */

import test from 'ava';
import { TapDriver } from '../../drivers/tap';
import type { FramePoolReturn } from '../../stack/link';
import { hasCommand, linkExists, skipUnlessTap, uniqueLinkName } from '../helpers/netns';

const created = new Set<string>();

class RecordingPool implements FramePoolReturn {
  readonly released: Uint8Array[] = [];
  release(frame: Uint8Array): void {
    this.released.push(frame);
  }
}

/** A broadcast frame with an unassigned EtherType: the kernel takes it and has no use for it. */
function frame(n: number): Uint8Array {
  const f = new Uint8Array(64).fill(0xff, 0, 6);
  f.set([0x02, 0, 0, 0, 0, n], 6);
  f[12] = 0x88;
  f[13] = 0xb5; // IEEE 802 local experimental EtherType
  return f;
}

test.serial('frames go back once written, and refused or dropped frames too', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = TapDriver.open({ name: uniqueLinkName('untp'), up: true });
  created.add(d.name);
  t.teardown(() => d.close());
  const pool = new RecordingPool();
  t.true(d.useFramePool(pool));
  d.start(() => undefined);
  const sent = [frame(1), frame(2), frame(3)];
  d.send(sent);
  t.is(d.txQueued, 0);
  t.is(d.txFrames, 3, 'the kernel took all three');
  t.deepEqual(pool.released, sent, 'each written frame released once, in order');
  await d.close();
  const late = [frame(4)];
  d.send(late);
  t.is(pool.released.at(-1), late[0], 'a frame sent after close is dropped and given back');
  t.is(pool.released.length, 4);
});

test.serial('frames the kernel refuses (its side is down) are given back', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = TapDriver.open({ name: uniqueLinkName('untp') });
  created.add(d.name);
  t.teardown(() => d.close());
  const pool = new RecordingPool();
  d.useFramePool(pool);
  d.start(() => undefined);
  d.send([frame(1), frame(2)]);
  t.is(d.txErrors, 2);
  t.is(pool.released.length, 2);
});

test.serial('the pool is given before start, not after', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = TapDriver.open({ name: uniqueLinkName('untp') });
  created.add(d.name);
  t.teardown(() => d.close());
  d.start(() => undefined);
  t.throws(() => d.useFramePool(new RecordingPool()), { message: /before start/ });
});

test.after.always('no TAP device created by these tests is left', (t) => {
  if (!hasCommand('ip')) return t.pass();
  t.deepEqual([...created].filter((name) => linkExists(name)), []);
});
