/**
 * The in-process workloads (rows 1–4) at tiny sizes on both paths: they must move exactly what
 * they claim and report finite figures. No timing is asserted.
 */

import test from 'ava';
import { openPath, type InProcessPathName } from '../../src/bench/inproc/paths';
import { transfer } from '../../src/bench/inproc/transfer';
import { pingPongRun } from '../../src/bench/inproc/pingpong';
import { connectionRate } from '../../src/bench/inproc/connrate';
import { idleConnections } from '../../src/bench/inproc/memory';

for (const name of ['usernet', 'usernet-offloads', 'node-loopback'] as InProcessPathName[]) {
  test(`${name}: transfer moves every byte over 1 and 3 connections`, async (t) => {
    const path = openPath(name, { mtu: 9000 });
    t.teardown(() => path.close());
    const one = await transfer(path, 3 * 65536 + 123, 1);
    t.is(one.bytes, 3 * 65536 + 123);
    t.true(one.seconds > 0 && one.cpuSeconds >= 0);
    const three = await transfer(path, 300_001, 3);
    t.is(three.bytes, 300_000, 'split evenly, remainder dropped');
  });

  test(`${name}: ping-pong, connection rate and idle connections report finite figures`, async (t) => {
    const path = openPath(name);
    t.teardown(() => path.close());
    const pp = await pingPongRun(path, 50, 0.05);
    t.is(pp.roundTrips, 50);
    t.true(Number.isFinite(pp.meanUs) && pp.meanUs > 0 && pp.p99Us > 0);
    const cr = await connectionRate(path, 4, 0.2);
    t.true(cr.connections > 0, 'some exchanges completed');
    t.is(cr.failures, 0);
    const mem = await idleConnections(path, 20);
    t.is(mem.connections, 20);
    t.true(Number.isFinite(mem.heapBytesPerConnection) && Number.isFinite(mem.rssBytesPerConnection));
  });
}
