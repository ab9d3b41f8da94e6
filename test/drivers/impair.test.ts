import test from 'ava';
import { impair, type ImpairConfig } from '../../drivers/impair';
import { MemoryLink } from '../../drivers/memory-link';
import { SimulatedClock } from '../../drivers/scheduler';
import type { LinkDriver } from '../../stack/link';
import { numbered, numberOf } from './frames';

interface Run {
  arrivals: Array<{ n: number; t: number; bytes: Uint8Array }>;
  stats: ReturnType<typeof impair>['stats'];
}

/** Sends frames 0..count-1 through an impaired end of a memory link, one per `gapMs`. */
function run(config: Omit<ImpairConfig, 'scheduler'>, count: number, gapMs = 1, length = 60): Run {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, queueFrames: 100_000 });
  const lossy = impair(a, { ...config, scheduler: clock });
  const arrivals: Run['arrivals'] = [];
  lossy.start(() => undefined);
  b.start((frames) => frames.forEach((f) => arrivals.push({ n: numberOf(f), t: clock.now(), bytes: f })));
  for (let i = 0; i < count; i++) {
    lossy.send([numbered(i, length)]);
    clock.advance(gapMs);
  }
  clock.runUntilIdle();
  return { arrivals, stats: lossy.stats };
}

const everything = { loss: 0.1, duplicate: 0.05, reorder: 0.1, corrupt: 0.05, delay: 3, jitter: 2 };

test('the same seed replays exactly the same decisions; another seed does not', (t) => {
  const one = run({ ...everything, seed: 7 }, 500);
  const again = run({ ...everything, seed: 7 }, 500);
  const other = run({ ...everything, seed: 8 }, 500);
  t.deepEqual(again.arrivals, one.arrivals);
  t.deepEqual(again.stats, one.stats);
  t.notDeepEqual(other.arrivals.map((a) => a.n), one.arrivals.map((a) => a.n));
});

test('loss over 10 000 frames stays within five standard deviations of the rate', (t) => {
  for (const [seed, loss] of [[1, 0.1], [2, 0.01], [3, 0.5]] as const) {
    const r = run({ loss, seed }, 10_000, 0);
    const sigma = Math.sqrt(10_000 * loss * (1 - loss));
    t.true(Math.abs(r.stats.send.lost - 10_000 * loss) < 5 * sigma, `seed ${seed}: lost ${r.stats.send.lost} of 10000 at ${loss}`);
    t.is(r.arrivals.length, 10_000 - r.stats.send.lost);
    t.is(r.stats.send.passed, r.arrivals.length);
    t.deepEqual(r.arrivals.map((a) => a.n), [...r.arrivals.map((a) => a.n)].sort((x, y) => x - y), 'loss alone keeps order');
  }
});

test('reordering is observable: every frame arrives once, some behind a later one', (t) => {
  const r = run({ reorder: 0.3, seed: 11 }, 200);
  const order = r.arrivals.map((a) => a.n);
  t.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i));
  const inversions = order.filter((n, i) => i > 0 && n < order[i - 1]!).length;
  t.true(r.stats.send.reordered > 20, `reordered ${r.stats.send.reordered}`);
  t.is(inversions, r.stats.send.reordered, 'each held frame lands right behind its successor');
});

test('a held frame with no successor goes alone after reorderHoldMs', (t) => {
  const r = run({ reorder: 1, reorderHoldMs: 7, seed: 3 }, 1, 0);
  t.deepEqual(r.arrivals.map((a) => [a.n, a.t]), [[0, 7]]);
  t.is(r.stats.send.reordered, 0);
});

test('inFlight counts a held frame and frames waiting on their delay until they are handed on', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const lossy = impair(a, { reorder: 1, reorderHoldMs: 7, delay: 2, seed: 3, scheduler: clock });
  lossy.start(() => undefined);
  b.start(() => undefined);
  lossy.send([numbered(0, 60), numbered(1, 60), numbered(2, 60)]);
  const d = lossy.sendDirection;
  t.is(d.inFlight, 3, 'all wait on the 2 ms delay');
  clock.advance(2);
  t.is(d.inFlight, 1, '0 was held and released behind 1; 2 is held with no successor');
  const st = d.stats;
  t.is(st.frames + st.duplicated, st.passed + st.lost + st.queueDrops + st.discardedOnClose + d.inFlight);
  clock.runUntilIdle();
  t.is(d.inFlight, 0);
  t.is(d.stats.passed, 3);
});

test('duplicates are identical copies and counted', (t) => {
  const r = run({ duplicate: 0.2, seed: 5 }, 1000);
  t.true(r.stats.send.duplicated > 120 && r.stats.send.duplicated < 280, `duplicated ${r.stats.send.duplicated}`);
  t.is(r.arrivals.length, 1000 + r.stats.send.duplicated);
  const byNumber = new Map<number, Uint8Array[]>();
  for (const a of r.arrivals) byNumber.set(a.n, [...(byNumber.get(a.n) ?? []), a.bytes]);
  const dups = [...byNumber.values()].filter((v) => v.length === 2);
  t.is(dups.length, r.stats.send.duplicated);
  for (const [x, y] of dups) t.deepEqual(x, y);
});

test('corruption flips exactly one bit in a copy, never in the sender’s frame', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const lossy = impair(a, { corrupt: 1, seed: 9, scheduler: clock });
  const got: Uint8Array[] = [];
  lossy.start(() => undefined);
  b.start((frames) => got.push(...frames));
  const sent = Array.from({ length: 50 }, (_, i) => numbered(i, 80));
  const pristine = sent.map((f) => f.slice());
  lossy.send(sent);
  clock.runUntilIdle();
  t.deepEqual(sent, pristine);
  t.is(got.length, 50);
  got.forEach((g, i) => {
    let bits = 0;
    for (let j = 0; j < g.length; j++) for (let x = g[j]! ^ pristine[i]![j]!; x; x &= x - 1) bits++;
    t.is(bits, 1, `frame ${i}`);
  });
  t.is(lossy.stats.send.corrupted, 50);
});

test('delay and jitter shift arrival times within their bounds', (t) => {
  const fixed = run({ delay: 10, seed: 1 }, 5, 1);
  t.deepEqual(fixed.arrivals.map((a) => a.t - a.n), [10, 10, 10, 10, 10]);
  const jittery = run({ delay: 10, jitter: 4, seed: 1 }, 300, 1);
  const delays = jittery.arrivals.map((a) => a.t - a.n);
  t.true(delays.every((d) => d >= 6 && d < 14), `delays ${Math.min(...delays)}..${Math.max(...delays)}`);
  t.true(new Set(delays).size > 100);
  t.is(jittery.stats.send.delayed, 300);
});

test('rate serialises frames: 100-byte frames at 1000 B/s leave every 100 ms', (t) => {
  const r = run({ rate: 1000, delay: 5, seed: 1 }, 4, 0, 100);
  t.deepEqual(r.arrivals.map((a) => a.t), [105, 205, 305, 405]);
  const bounded = run({ rate: 1000, queueFrames: 3, seed: 1 }, 10, 0, 100);
  t.is(bounded.arrivals.length, 3);
  t.is(bounded.stats.send.queueDrops, 7);
});

test('turning one knob leaves the other decisions of the same seed unchanged', (t) => {
  const lossOnly = run({ loss: 0.2, seed: 21 }, 1000);
  const lossAndDelay = run({ loss: 0.2, delay: 4, seed: 21 }, 1000);
  t.deepEqual(lossAndDelay.arrivals.map((a) => a.n), lossOnly.arrivals.map((a) => a.n));
});

test('per-direction options: receive overrides apply to incoming frames only', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const lossy = impair(a, { delay: 2, receive: { loss: 1 }, seed: 1, scheduler: clock });
  const atA: number[] = [];
  const atB: number[] = [];
  lossy.start((frames) => atA.push(...frames.map(numberOf)));
  b.start((frames) => atB.push(...frames.map(numberOf)));
  lossy.send([numbered(1)]);
  b.send([numbered(2)]);
  clock.runUntilIdle();
  t.deepEqual(atB, [1]);
  t.deepEqual(atA, []);
  t.is(lossy.stats.receive.lost, 1);
  t.is(lossy.stats.send.lost, 0);
});

test('received frames that wait are copied: the inner driver may reuse its buffer', (t) => {
  const clock = new SimulatedClock();
  let deliver: (frames: Uint8Array[]) => void = () => undefined;
  const reusing: LinkDriver = {
    mtu: 1500,
    linkType: 'ethernet',
    start: (receive) => (deliver = receive),
    send: () => undefined,
    close: async () => undefined,
  };
  const lossy = impair(reusing, { delay: 1, seed: 1, scheduler: clock });
  const got: number[] = [];
  lossy.start((frames) => got.push(...frames.map(numberOf)));
  const ring = numbered(1);
  deliver([ring]);
  ring.set(numbered(99)); // the driver reuses the slot once receive returned
  clock.runUntilIdle();
  t.deepEqual(got, [1]);
});

test('close discards waiting frames and counts them', async (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const lossy = impair(a, { delay: 5, seed: 1, scheduler: clock });
  const got: Uint8Array[] = [];
  lossy.start(() => undefined);
  b.start((frames) => got.push(...frames));
  lossy.send([numbered(1), numbered(2)]);
  await lossy.close();
  clock.runUntilIdle();
  t.deepEqual(got, []);
  t.is(lossy.stats.send.discardedOnClose, 2);
});

test('bad options are refused', (t) => {
  const [a] = MemoryLink.pair();
  t.throws(() => impair(a, { loss: 1.5 }), { instanceOf: RangeError, message: /loss/ });
  t.throws(() => impair(a, { delay: -1 }), { instanceOf: RangeError, message: /delay/ });
  t.throws(() => impair(a, { rate: 0 }), { instanceOf: RangeError, message: /rate/ });
});
