import test from 'ava';
import { MemoryLink, DEFAULT_QUEUE_FRAMES } from '../../drivers/memory-link';
import { SimulatedClock } from '../../drivers/scheduler';
import { numbered, numberOf } from './frames';

function collect(): { batches: number[][]; receive: (frames: Uint8Array[]) => void } {
  const batches: number[][] = [];
  return { batches, receive: (frames) => batches.push(frames.map(numberOf)) };
}

test('frames cross in both directions, asynchronously, in order and batched per delivery', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  t.is(a.mtu, 1500);
  t.is(a.linkType, 'ethernet');
  const atA = collect();
  const atB = collect();
  a.start(atA.receive);
  b.start(atB.receive);
  a.send([numbered(1), numbered(2)]);
  a.send([numbered(3)]);
  b.send([numbered(10)]);
  t.deepEqual(atB.batches, [], 'nothing is delivered inside send');
  clock.advance(0);
  t.deepEqual(atB.batches, [[1, 2, 3]]);
  t.deepEqual(atA.batches, [[10]]);
  t.is(a.stats.sent, 3);
  t.is(b.stats.delivered, 3);
  t.is(b.stats.deliveredBytes, 180);
});

test('latency delays delivery; frames sent at different times arrive in separate batches', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, latencyMs: 5 });
  const atB = collect();
  const times: number[] = [];
  b.start((frames) => {
    times.push(clock.now());
    atB.receive(frames);
  });
  a.send([numbered(1)]);
  clock.advance(1);
  a.send([numbered(2), numbered(3)]);
  clock.advance(3.9);
  t.deepEqual(atB.batches, []);
  clock.runUntilIdle();
  t.deepEqual(atB.batches, [[1], [2, 3]]);
  t.deepEqual(times, [5, 6]);
});

test('the receiver gets the very frame sent, not a copy (the sender gave it away)', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const got: Uint8Array[] = [];
  b.start((frames) => got.push(...frames));
  const backing = new Uint8Array(200);
  const frame = backing.subarray(20, 80);
  frame.set(numbered(7));
  a.send([frame]);
  clock.advance(0);
  t.is(got[0], frame, 'handed over as it is: a view into the sender\'s buffer is fine');
  t.is(numberOf(got[0]!), 7);
  t.true(b.framesOwnedByReceiver);
});

test('a full receive queue drops and counts', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, queueFrames: 3 });
  const atB = collect();
  b.start(atB.receive);
  a.send([1, 2, 3, 4, 5].map((n) => numbered(n)));
  t.is(b.queued, 3);
  clock.advance(0);
  t.deepEqual(atB.batches, [[1, 2, 3]]);
  t.is(b.stats.droppedQueueFull, 2);
  t.is(DEFAULT_QUEUE_FRAMES, 1000);
});

test('frames longer than the MTU allows are dropped and counted, per link type', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, mtu: 100 });
  const atB = collect();
  b.start(atB.receive);
  a.send([numbered(1, 114), numbered(2, 115)]);
  clock.advance(0);
  t.deepEqual(atB.batches, [[1]]);
  t.is(a.stats.droppedOversize, 1);
  const [c, d] = MemoryLink.pair({ scheduler: clock, mtu: 100, linkType: 'ip' });
  const atD = collect();
  d.start(atD.receive);
  c.send([numbered(3, 100), numbered(4, 101)]);
  clock.advance(0);
  t.deepEqual(atD.batches, [[3]]);
});

test('frames that arrive before start wait for it', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  a.send([numbered(1)]);
  clock.advance(10);
  const atB = collect();
  b.start(atB.receive);
  t.deepEqual(atB.batches, []);
  clock.advance(0);
  t.deepEqual(atB.batches, [[1]]);
  t.throws(() => b.start(() => undefined), { message: /start called twice/ });
});

test('close discards what waits and refuses what comes after', async (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, latencyMs: 1 });
  const atB = collect();
  b.start(atB.receive);
  a.send([numbered(1), numbered(2)]);
  await b.close();
  a.send([numbered(3)]);
  clock.runUntilIdle();
  t.deepEqual(atB.batches, []);
  t.is(b.stats.droppedClosed, 3);
  await a.close();
  a.send([numbered(4)]);
  t.is(a.stats.droppedClosed, 1);
  t.is(clock.pending, 0);
});

test('a ping-pong over a 1 ms link takes 2 ms per round trip of simulated time', (t) => {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, latencyMs: 1 });
  let rounds = 0;
  b.start((frames) => b.send(frames));
  a.start((frames) => {
    if (++rounds < 1000) a.send(frames.map((f) => numbered(numberOf(f) + 1)));
  });
  a.send([numbered(0)]);
  clock.runUntilIdle();
  t.is(rounds, 1000);
  t.is(clock.now(), 2000);
});

test('with real time, frames sent in one turn arrive together on a later turn', async (t) => {
  const [a, b] = MemoryLink.pair();
  const got = await new Promise<number[][]>((resolve) => {
    const batches: number[][] = [];
    b.start((frames) => {
      batches.push(frames.map(numberOf));
      resolve(batches);
    });
    a.send([numbered(1)]);
    a.send([numbered(2)]);
    t.deepEqual(batches, []);
  });
  t.deepEqual(got, [[1, 2]]);
  await Promise.all([a.close(), b.close()]);
});
