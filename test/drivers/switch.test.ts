import test from 'ava';
import { MemorySwitch } from '../../drivers/switch';
import { SimulatedClock } from '../../drivers/scheduler';
import { ethFrame } from './frames';
import { formatMac, parseMac } from '../../stack/wire/address';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C = '02:00:00:00:00:0c';

function lan(ports = 3, options: { ageingMs?: number; macTableLimit?: number } = {}) {
  const clock = new SimulatedClock();
  const sw = new MemorySwitch(ports, { scheduler: clock, ...options });
  const seen: string[][] = [];
  for (let i = 0; i < ports; i++) {
    seen.push([]);
    sw.port(i).start((frames) => {
      for (const f of frames) seen[i]!.push(`${formatMac(f.subarray(6, 12))}>${formatMac(f.subarray(0, 6))}`);
    });
  }
  const send = (port: number, dst: string, src: string): void => {
    sw.port(port).send([ethFrame(dst, src)]);
    clock.advance(0);
  };
  const take = (): string[][] => seen.map((s) => s.splice(0));
  return { clock, sw, send, take };
}

test('unknown unicast floods, then learned addresses are forwarded to one port only', (t) => {
  const { sw, send, take } = lan();
  send(0, B, A);
  t.deepEqual(take(), [[], [`${A}>${B}`], [`${A}>${B}`]], 'B unknown: flooded to every other port');
  t.is(sw.lookup(parseMac(A)!), 0);
  send(1, A, B);
  t.deepEqual(take(), [[`${B}>${A}`], [], []], 'A learned on port 0');
  send(0, B, A);
  t.deepEqual(take(), [[], [`${A}>${B}`], []], 'B learned on port 1: C no longer sees it');
  t.deepEqual(sw.stats, { forwarded: 2, flooded: 1, filtered: 0, runts: 0 });
});

test('broadcast and multicast always flood, never back to the sender', (t) => {
  const { send, take } = lan();
  send(1, A, B);
  send(0, 'ff:ff:ff:ff:ff:ff', A);
  send(2, '33:33:00:00:00:01', C);
  const got = take();
  t.deepEqual(got[0], [`${B}>${A}`, `${C}>33:33:00:00:00:01`]);
  t.deepEqual(got[1], [`${A}>ff:ff:ff:ff:ff:ff`, `${C}>33:33:00:00:00:01`]);
  t.deepEqual(got[2], [`${B}>${A}`, `${A}>ff:ff:ff:ff:ff:ff`]);
});

test('a frame for an address behind its own port is filtered', (t) => {
  const { sw, send, take } = lan();
  send(0, 'ff:ff:ff:ff:ff:ff', A);
  send(0, 'ff:ff:ff:ff:ff:ff', C); // A and C share port 0 (a hub behind it)
  take();
  send(0, C, A);
  t.deepEqual(take(), [[], [], []]);
  t.is(sw.stats.filtered, 1);
});

test('entries age out, hosts that move are relearned, and the table is bounded', (t) => {
  const { clock, sw, send, take } = lan(3, { ageingMs: 1000, macTableLimit: 2 });
  send(1, A, B);
  clock.advance(1001);
  t.is(sw.lookup(parseMac(B)!), undefined, 'forgotten after the ageing time');
  send(0, B, A);
  t.deepEqual(take()[2], [`${B}>${A}`, `${A}>${B}`], 'flooded again');
  send(2, A, B); // B moved to port 2
  t.is(sw.lookup(parseMac(B)!), 2);
  send(1, A, C); // a third address evicts the least recently seen (A)
  t.is(sw.lookup(parseMac(A)!), undefined);
  t.is(sw.lookup(parseMac(C)!), 1);
});

test('runts are counted; bad port numbers are refused', (t) => {
  const { sw, clock } = lan(2);
  sw.port(0).send([new Uint8Array(11)]);
  clock.advance(0);
  t.is(sw.stats.runts, 1);
  t.throws(() => sw.port(2), { instanceOf: RangeError });
  t.throws(() => new MemorySwitch(0), { instanceOf: RangeError });
});

test('a flooded frame reaches each port in a buffer of its own; a forwarded one is the frame sent', (t) => {
  const clock = new SimulatedClock();
  const sw = new MemorySwitch(4, { scheduler: clock });
  const got: Uint8Array[][] = [[], [], [], []];
  for (let i = 0; i < 4; i++) sw.port(i).start((frames) => got[i]!.push(...frames));
  const flooded = ethFrame(B, A);
  sw.port(0).send([flooded]);
  clock.advance(0);
  const copies = [got[1]![0]!, got[2]![0]!, got[3]![0]!];
  t.is(new Set(copies.map((f) => f.buffer)).size, 3, 'three receivers, three buffers: one may modify its frame');
  t.is(copies.filter((f) => f === flooded).length, 1, 'one of them takes the sent frame itself');
  for (const f of copies) t.deepEqual([...f], [...flooded]);
  const unicast = ethFrame(A, B);
  sw.port(1).send([unicast]);
  clock.advance(0);
  t.is(got[0]![0], unicast, 'A was learned on port 0: the frame goes there as it was sent');
});
