import test from 'ava';
import { Stack } from '../../stack/stack';
import { pair } from './pair';

test('two stacks ping each other over IPv4 and IPv6, with 4000-byte pings fragmenting', (t) => {
  const p = pair({ ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' }, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
  p.run(3000); // DAD
  const data = Uint8Array.from({ length: 4000 }, (_, i) => i & 0xff);
  t.is(p.a.sendEcho('10.0.0.2', { identifier: 7, sequence: 1, data }, p.now), null);
  t.is(p.a.sendEcho('fd00::2', { identifier: 7, sequence: 2, data }, p.now), null);
  t.is(p.a.sendEcho('10.0.0.2', { identifier: 7, sequence: 3 }, p.now), null);
  p.run(p.now + 1000);
  const replies = p.a.takeEchoReplies();
  t.deepEqual(replies.map((r) => [r.from.toString(), r.sequence, r.data.length]), [
    ['10.0.0.2', 1, 4000],
    ['10.0.0.2', 3, 56],
    ['fd00::2', 2, 4000],
  ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)) as never);
  t.deepEqual(replies[0]!.data, data);
  const cb = p.b.counters();
  t.is(cb.counts.ipv4!.ReasmOKs, 1);
  t.is(cb.counts.ipv6!.ReasmOKs, 1);
  t.is(cb.counts.icmp!.OutEchoReps, 2);
  t.log(JSON.stringify(cb));
});

test('a stack with no driver pings itself over loopback', (t) => {
  const s = new Stack();
  t.is(s.sendEcho('127.0.0.1', { sequence: 9 }, 0), null);
  t.is(s.sendEcho('::1', { sequence: 10 }, 0), null);
  t.is(s.nextDeadline(), 0);
  s.poll(0);
  s.poll(0);
  t.deepEqual(s.takeEchoReplies().map((r) => r.sequence), [9, 10]);
  t.is(s.nextDeadline(), Infinity);
});
