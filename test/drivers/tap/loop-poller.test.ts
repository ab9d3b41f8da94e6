/**
 * The TAP addon's LoopPoller (drivers/tap/loop-poll.cc), the native half of busy polling: it keeps
 * the event loop turning without sleeping until its deadline, then stops by itself, and it never
 * keeps a process alive.
 */

import test from 'ava';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { loadTapAddon } from '../../../drivers/tap/native';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test.serial('pollFor keeps the loop turning until the deadline, then the loop sleeps again', async (t) => {
  const poller = new (loadTapAddon().LoopPoller)();
  t.false(poller.polling);
  await sleep(5);
  t.is(poller.turns, 0, 'nothing counted before pollFor');
  // A second of polling. The turns are counted by the handle itself: a loop that sleeps
  // between these 5 ms timers counts none, a polling one at least one per 20 µs slice it runs.
  // (Waiting for a count rather than a fixed time keeps a machine busy with other test files
  // from failing the test by not running this process for a while.)
  const started = Date.now();
  poller.pollFor(1_000_000);
  t.true(poller.polling);
  while (poller.turns < 50 && Date.now() - started < 900) await sleep(5);
  t.true(poller.turns >= 50, `${poller.turns} turns`);
  while (poller.polling && Date.now() - started < 5000) await sleep(20);
  t.false(poller.polling, 'stopped by itself at the deadline');
  t.true(Date.now() - started >= 990, 'not before it');
  const after = poller.turns;
  await sleep(5);
  t.is(poller.turns, after);
  poller.pollFor(5000);
  poller.pollFor(0);
  t.false(poller.polling, 'pollFor(0) stops at once');
  poller.close();
  poller.close();
  t.throws(() => poller.pollFor(10), { message: /closed/ });
});

test('pollFor checks its argument', (t) => {
  const poller = new (loadTapAddon().LoopPoller)();
  t.throws(() => poller.pollFor(-1), { instanceOf: RangeError });
  t.throws(() => poller.pollFor(2e6), { instanceOf: RangeError });
  t.throws(() => poller.pollFor('10' as unknown as number), { instanceOf: TypeError });
  poller.close();
});

test('a polling LoopPoller does not keep the process alive', (t) => {
  const native = path.join(__dirname, '..', '..', '..', 'drivers', 'tap', 'native');
  // The child polls for a whole second and has nothing else to do: it must exit at once, still
  // polling when it does.
  const script = `
    require('ts-node/register/transpile-only');
    const p = new (require(${JSON.stringify(native)}).loadTapAddon().LoopPoller)();
    p.pollFor(1e6);
    process.on('exit', () => console.log('exit while polling: ' + p.polling));`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  t.is(out.trim(), 'exit while polling: true');
});
