import test from 'ava';
import { Stack } from '../../src/stack';
import { StackRuntime } from '../../src/runtime';
import { Stack as CoreStack } from '../../stack/stack';
import { MemoryLink } from '../../drivers/memory-link';
import { SimulatedClock } from '../../drivers/scheduler';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';

test('one deadline timer at a time, re-armed as deadlines move; nothing pending when idle', (t) => {
  const clock = new SimulatedClock();
  const core = new CoreStack();
  const rt = new StackRuntime(core, clock);
  const [a] = MemoryLink.pair({ scheduler: clock });
  rt.attach(a, core.addInterface(a, { ipv4: '10.9.0.1/24', ipv6: 'fd09::1/64' }, 0));
  t.true(clock.pending <= 2, 'a flush and at most one timer');
  clock.advance(5000); // DAD done, announcements sent
  t.is(core.nextDeadline(), Infinity);
  t.is(clock.pending, 0, 'idle: no timer left');
  core.sendEcho('10.9.0.2', {}, clock.now());
  rt.kick();
  rt.kick();
  t.is(clock.pending, 1, 'kicks coalesce into one flush');
  clock.advance(0);
  t.is(clock.pending, 1, 'the ARP retry timer');
  t.is(clock.nextTime(), 6000);
  clock.advance(10_000); // ARP gives up
  t.is(clock.pending, 0);
});

test('onTcpEvents receives engine events after each flush; close clears everything', async (t) => {
  const clock = new SimulatedClock();
  const s = new Stack({ scheduler: clock });
  const seen: string[] = [];
  s.runtime.onTcpEvents((evs: TcpEvent[]) => seen.push(...evs.map((e) => e.kind)));
  const l = s.tcp.listen(IpAddress.parse('127.0.0.1')!, 80);
  if (isTcpError(l)) return t.fail(l.error);
  const c = s.runtime.tcp.connect({ remote: IpAddress.parse('127.0.0.1')!, remotePort: 80 }, s.runtime.now());
  if (isTcpError(c)) return t.fail(c.error);
  s.runtime.kick();
  clock.advance(10);
  t.true(seen.includes('accept') && seen.includes('established'), seen.join(','));
  await s.close();
  t.is(clock.pending, 0);
});

test('ping over the public Stack with a real clock (loopback), then close lets the process go', async (t) => {
  const s = new Stack();
  const r = await s.ping('127.0.0.1', { size: 100 });
  t.is(r.data.length, 100);
  const r6 = await s.ping('::1');
  t.is(r6.from.toString(), '::1');
  await t.throwsAsync(s.ping('not an address'), { instanceOf: TypeError });
  await t.throwsAsync(s.ping('192.0.2.1'), { message: /ENETUNREACH/ });
  await s.close();
});

/** The part of the core the runtime drives, with a deadline the test moves by hand. */
function fakeCore(): { core: CoreStack; polls: number[]; setDeadline(t: number): void } {
  let deadline = Infinity;
  const polls: number[] = [];
  const fake = {
    poll: (now: number) => void polls.push(now),
    drain: () => [],
    drainEach: () => undefined,
    nextDeadline: () => deadline,
    tcp: { takeEvents: (): TcpEvent[] => [] },
    close: () => undefined,
  };
  return { core: fake as unknown as CoreStack, polls, setDeadline: (t) => (deadline = t) };
}

test('the deadline timer is lazy: a later deadline keeps it (it fires early and re-arms), an earlier one or none replaces it', (t) => {
  const clock = new SimulatedClock();
  const { core, polls, setDeadline } = fakeCore();
  const rt = new StackRuntime(core, clock);
  setDeadline(100);
  rt.kick();
  clock.advance(0);
  t.deepEqual([clock.pending, clock.nextTime()], [1, 100]);
  setDeadline(300); // e.g. an RTO pushed out by an ACK
  rt.kick();
  clock.advance(0);
  t.deepEqual([clock.pending, clock.nextTime()], [1, 100], 'the timer at 100 is kept');
  polls.length = 0;
  clock.advance(100);
  t.deepEqual(polls, [100], 'it fires early: one harmless poll');
  t.deepEqual([clock.pending, clock.nextTime()], [1, 300], 're-armed for the real deadline');
  setDeadline(150); // earlier than the timer: replaced
  rt.kick();
  clock.advance(0);
  t.deepEqual([clock.pending, clock.nextTime()], [1, 150]);
  setDeadline(Infinity); // idle: no timer left
  rt.kick();
  clock.advance(0);
  t.is(clock.pending, 0);
  polls.length = 0;
  clock.advance(1000);
  t.deepEqual(polls, []);
});
