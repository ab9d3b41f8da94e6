import test from 'ava';
import { SimulatedClock, realScheduler } from '../../drivers/scheduler';

test('due callbacks fire in time order, ties in insertion order, with now() at their time', (t) => {
  const clock = new SimulatedClock(100);
  const log: string[] = [];
  clock.at(130, () => log.push(`c@${clock.now()}`));
  clock.at(110, () => log.push(`a@${clock.now()}`));
  clock.at(120, () => log.push(`b1@${clock.now()}`));
  clock.at(120, () => log.push(`b2@${clock.now()}`));
  clock.at(50, () => log.push(`past@${clock.now()}`)); // in the past: as soon as possible
  t.deepEqual(log, [], 'nothing runs inside at()');
  clock.advance(20);
  t.deepEqual(log, ['past@100', 'a@110', 'b1@120', 'b2@120']);
  t.is(clock.now(), 120);
  t.is(clock.pending, 1);
  clock.advance(5);
  t.is(clock.now(), 125);
  t.is(clock.nextTime(), 130);
  t.is(clock.runUntilIdle(), 1);
  t.deepEqual(log.at(-1), 'c@130');
  t.is(clock.pending, 0);
});

test('callbacks added while advancing run if due, and cancelled ones never run', (t) => {
  const clock = new SimulatedClock();
  const log: number[] = [];
  clock.at(10, () => {
    log.push(clock.now());
    clock.at(clock.now() + 5, () => log.push(clock.now()));
    clock.at(clock.now() + 50, () => log.push(clock.now()));
  });
  const task = clock.at(12, () => log.push(-1));
  task.cancel();
  task.cancel();
  t.is(clock.pending, 1);
  clock.advance(20);
  t.deepEqual(log, [10, 15]);
  clock.runUntilIdle();
  t.deepEqual(log, [10, 15, 60]);
});

test('a callback that re-arms forever is reported, not spun on', (t) => {
  const clock = new SimulatedClock();
  const rearm = (): void => void clock.at(clock.now() + 1, rearm);
  rearm();
  t.throws(() => clock.runUntilIdle(1000), { message: /still busy after 1000 callbacks/ });
  t.throws(() => clock.advance(-1), { instanceOf: RangeError });
  t.throws(() => clock.advanceTo(clock.now() - 1), { instanceOf: RangeError });
});

test('realScheduler runs due callbacks on the next turn and later ones after their delay', async (t) => {
  const order: string[] = [];
  const start = realScheduler.now();
  await new Promise<void>((resolve) => {
    realScheduler.at(start + 1, () => {
      order.push('later');
      t.true(realScheduler.now() >= start);
      resolve();
    });
    realScheduler.at(start - 1, () => order.push('due'));
    realScheduler.at(start, () => order.push('cancelled')).cancel();
    order.push('sync');
  });
  t.deepEqual(order, ['sync', 'due', 'later']);
});
