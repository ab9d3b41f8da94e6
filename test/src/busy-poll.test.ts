/**
 * Busy polling (src/busy-poll.ts): the adaptive window's rules one by one, the poller's
 * bookkeeping on a hand-moved clock, the setImmediate fallback, and a stack that busy-polls in
 * real time.
 */

import test from 'ava';
import { BusyPoller, PollWindow, POLL_WINDOW_START_US, immediateLoopPolling, type LoopPolling } from '../../src/busy-poll';
import { Stack } from '../../src/stack';
import { MemoryLink } from '../../drivers/memory-link';
import { SimulatedClock } from '../../drivers/scheduler';

/** Feeds `w` idle periods and returns the window after each: [idle µs, window µs after] pairs. */
function windowsAfter(w: PollWindow, idles: number[]): Array<[number, number]> {
  return idles.map((idle) => {
    w.idleEnded(idle);
    return [idle, w.windowUs];
  });
}

test('the window grows from zero on short sleeps, doubling up to the maximum', (t) => {
  const w = new PollWindow(100);
  t.is(w.windowUs, 0, 'starts off: no polling until traffic shows it would pay');
  t.deepEqual(windowsAfter(w, [5, 30, 30, 90, 90]), [[5, POLL_WINDOW_START_US], [30, 20], [30, 40], [90, 80], [90, 100]]);
});

test('a sleep the window caught keeps it; two sleeps longer than the maximum in a row halve it, down to no polling', (t) => {
  const w = new PollWindow(100);
  windowsAfter(w, [5, 15, 35, 75]);
  t.is(w.windowUs, 80);
  // Caught (also at the last moment): unchanged. Then long sleeps: every second one halves.
  t.deepEqual(windowsAfter(w, [60, 80, 5000, 5000, 5000, 5000]), [[60, 80], [80, 80], [5000, 80], [5000, 40], [5000, 40], [5000, 20]]);
  t.deepEqual(windowsAfter(w, [5000, 5000, 5000, 5000]), [[5000, 20], [5000, 10], [5000, 10], [5000, 0]], 'below the first step: off until traffic comes back');
});

test('one long pause in a fast exchange (a peer collecting garbage, say) leaves the window alone', (t) => {
  const w = new PollWindow(100);
  windowsAfter(w, [5, 15, 35, 75]);
  t.deepEqual(windowsAfter(w, [40, 5000, 40, 5000, 40]), [[40, 80], [5000, 80], [40, 80], [5000, 80], [40, 80]]);
});

test('a maximum below the first step is the only step', (t) => {
  const w = new PollWindow(4);
  w.idleEnded(1);
  t.is(w.windowUs, 4);
});

test('the maximum must be an integer from 0 to 1000 µs', (t) => {
  for (const bad of [-1, 1.5, 1001, Number.NaN]) t.throws(() => new PollWindow(bad), { instanceOf: RangeError, message: /0 to 1000/ });
  t.is(new PollWindow(0).windowUs, 0);
});

/** A loop on a hand-moved clock that records what the poller asked of it. */
function fakeLoop(): LoopPolling & { timeMs: number; polls: number[]; closed: boolean } {
  const loop = {
    timeMs: 0,
    polls: [] as number[],
    closed: false,
    now: () => loop.timeMs,
    pollFor: (us: number) => void loop.polls.push(us),
    close: () => void (loop.closed = true),
  };
  return loop;
}

test('the poller polls each idle period for the current window and counts what it caught', (t) => {
  const loop = fakeLoop();
  const p = new BusyPoller(100, loop);
  p.idle();
  t.deepEqual(loop.polls, [], 'window 0: the loop sleeps at once');
  loop.timeMs += 0.005;
  p.busy(); // woken after 5 µs: polling would have paid
  p.idle();
  t.deepEqual(loop.polls, [10]);
  loop.timeMs += 0.004;
  p.busy();
  t.deepEqual(p.stats, { windowUs: 10, polls: 1, caught: 1, expired: 0 });
  p.idle();
  loop.timeMs += 0.030; // the window ran out and the loop slept
  p.busy();
  t.deepEqual(p.stats, { windowUs: 20, polls: 2, caught: 1, expired: 1 });
  p.busy(); // more work while busy changes nothing
  t.is(p.stats.windowUs, 20);
});

test('a timer flush during an idle period neither restarts polling nor ends the period', (t) => {
  const loop = fakeLoop();
  const p = new BusyPoller(100, loop);
  p.idle();
  loop.timeMs += 0.005;
  p.busy();
  p.idle();
  loop.timeMs += 0.003;
  p.idle(); // a deadline timer's flush found nothing to send
  t.deepEqual(loop.polls, [10]);
  loop.timeMs += 0.004;
  p.busy(); // 7 µs after the period began: caught
  t.is(p.stats.caught, 1);
});

test('stop closes the loop poller and ends polling for good', (t) => {
  const loop = fakeLoop();
  const p = new BusyPoller(100, loop);
  p.idle();
  loop.timeMs += 0.001;
  p.busy();
  p.stop();
  t.true(loop.closed);
  p.idle();
  t.deepEqual(loop.polls, []);
});

test.serial('the setImmediate fallback turns the loop until the deadline, then lets it sleep', async (t) => {
  const original = globalThis.setImmediate;
  let turns = 0;
  let reached: () => void = () => undefined;
  const fifty = new Promise<void>((r) => (reached = r));
  const counting = ((fn: () => void) => {
    if (++turns === 50) reached();
    return original(fn);
  }) as typeof setImmediate;
  globalThis.setImmediate = counting;
  try {
    const loop = immediateLoopPolling();
    // A second of polling: a sleeping loop would make no turns at all, a polling one
    // reaches fifty long before (waiting for the count, not a fixed time, keeps a machine busy
    // with other test files from failing the test by not running this process for a while).
    const started = Date.now();
    loop.pollFor(1_000_000);
    const outcome = await Promise.race([fifty.then(() => 'turning'), new Promise((r) => setTimeout(() => r('asleep'), 900))]);
    t.is(outcome, 'turning');
    await new Promise((r) => setTimeout(r, Math.max(0, 1020 - (Date.now() - started))));
    const after = turns;
    await new Promise((r) => setTimeout(r, 20));
    t.is(turns, after, 'no turns once the deadline passed');
    loop.pollFor(1_000_000);
    loop.close();
    await new Promise((r) => setTimeout(r, 20));
    t.true(turns <= after + 1, 'closed: at most the turn already queued');
  } finally {
    globalThis.setImmediate = original;
  }
});

test.serial('a stack with busyPollMicros polls between the messages of a real-time exchange', async (t) => {
  const a = new Stack({ seed: 1, busyPollMicros: 200 });
  const b = new Stack({ seed: 2 });
  t.is(b.runtime.busyPoll, null, 'off by default');
  const [la, lb] = MemoryLink.pair();
  a.addInterface(la, { ipv4: '10.77.0.1/24', dad: false });
  b.addInterface(lb, { ipv4: '10.77.0.2/24', dad: false });
  const server = b.net.createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((r) => server.listen(7, '10.77.0.2', r));
  const c = a.net.connect(7, '10.77.0.2');
  await new Promise<void>((r) => c.once('connect', r));
  for (let i = 0; i < 200; i++) {
    c.write('x');
    await new Promise((r) => c.once('data', r));
  }
  const stats = a.runtime.busyPoll;
  t.truthy(stats);
  t.true(stats!.polls > 0 && stats!.caught > 0, JSON.stringify(stats));
  c.destroy();
  server.close();
  await a.close();
  await b.close();
});

test('busyPollMicros is checked, and needs real time', (t) => {
  t.throws(() => new Stack({ busyPollMicros: 5000 }), { instanceOf: RangeError, message: /0 to 1000/ });
  t.throws(() => new Stack({ busyPollMicros: 100, scheduler: new SimulatedClock() }), { instanceOf: RangeError, message: /real time/ });
});
