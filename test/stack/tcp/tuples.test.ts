/**
 * The engine's connection table (stack/tcp/tuples.ts): one block per 4-tuple, looked up by all
 * four parts — blocks that share their ports but not their addresses are distinct.
 */

import test from 'ava';
import type { ControlBlock } from '../../../stack/tcp/control-block';
import { ConnectionTable } from '../../../stack/tcp/tuples';
import { IpAddress } from '../../../stack/wire/address';

const L1 = IpAddress.parse('10.0.0.1')!;
const L2 = IpAddress.parse('10.0.0.9')!;
const R1 = IpAddress.parse('10.0.0.2')!;
const R2 = IpAddress.parse('10.0.0.3')!;
const L6 = IpAddress.parse('fd00::1')!;
const R6 = IpAddress.parse('fd00::2')!;

/** Only the tuple matters to the table. */
function block(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): ControlBlock {
  return { local, localPort, remote, remotePort } as unknown as ControlBlock;
}

test('get finds a block only under its whole tuple', (t) => {
  const table = new ConnectionTable();
  const a = block(L1, 80, R1, 40000);
  table.add(a);
  t.is(table.get(L1, 80, R1, 40000), a);
  t.is(table.get(IpAddress.parse('10.0.0.1')!, 80, IpAddress.parse('10.0.0.2')!, 40000), a, 'equal addresses, other objects');
  t.is(table.get(L1, 80, R1, 40001), undefined);
  t.is(table.get(L1, 81, R1, 40000), undefined);
  t.is(table.get(L1, 40000, R1, 80), undefined, 'ports swapped');
  t.is(table.get(L2, 80, R1, 40000), undefined);
  t.is(table.get(L1, 80, R2, 40000), undefined);
  t.true(table.has(L1, 80, R1, 40000));
  t.false(table.has(R1, 40000, L1, 80));
});

test('blocks sharing their ports but not their addresses are kept apart', (t) => {
  const table = new ConnectionTable();
  const a = block(L1, 80, R1, 40000);
  const b = block(L1, 80, R2, 40000);
  const c = block(L2, 80, R1, 40000);
  const d = block(L6, 80, R6, 40000);
  for (const x of [a, b, c, d]) table.add(x);
  t.is(table.get(L1, 80, R1, 40000), a);
  t.is(table.get(L1, 80, R2, 40000), b);
  t.is(table.get(L2, 80, R1, 40000), c);
  t.is(table.get(L6, 80, R6, 40000), d);
  t.deepEqual([...table.values()], [a, b, c, d]);
  table.remove(b);
  t.is(table.get(L1, 80, R2, 40000), undefined);
  t.is(table.get(L1, 80, R1, 40000), a);
  t.is(table.get(L2, 80, R1, 40000), c);
  t.deepEqual([...table.values()], [a, c, d]);
});

test('add replaces the block of the same tuple; remove leaves a newer block that reopened it', (t) => {
  const table = new ConnectionTable();
  const old = block(L1, 80, R1, 40000);
  const other = block(L1, 80, R2, 40000);
  const reopened = block(L1, 80, R1, 40000);
  table.add(old);
  table.add(other);
  table.add(reopened);
  t.is(table.get(L1, 80, R1, 40000), reopened);
  t.deepEqual([...table.values()], [reopened, other], 'replaced in place');
  table.remove(old);
  t.is(table.get(L1, 80, R1, 40000), reopened, 'the old block no longer holds the tuple');
  table.remove(reopened);
  table.remove(other);
  t.is(table.get(L1, 80, R1, 40000), undefined);
  t.deepEqual([...table.values()], []);
});

test('the highest ports do not collide with others', (t) => {
  const table = new ConnectionTable();
  const a = block(L1, 65535, R1, 65535);
  const b = block(L1, 65535, R1, 0);
  const c = block(L1, 0, R1, 65535);
  for (const x of [a, b, c]) table.add(x);
  t.is(table.get(L1, 65535, R1, 65535), a);
  t.is(table.get(L1, 65535, R1, 0), b);
  t.is(table.get(L1, 0, R1, 65535), c);
  t.is(table.get(L1, 65534, R1, 65535), undefined);
});
