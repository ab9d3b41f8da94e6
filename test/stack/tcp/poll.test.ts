/**
 * The engine's poll scheduling (stack/tcp/engine.ts): a block woken by user calls is served once
 * by the next poll, `nextDeadline` says "now" exactly while one waits, and a block that closes
 * while woken is forgotten.
 */

import test from 'ava';
import { isTcpError } from '../../../stack/tcp/events';
import { bytes, established, flagsOf } from './harness';

test('sends queued twice before a poll leave in one segment; nothing is left woken after it', (t) => {
  const h = established();
  h.now = 10;
  h.engine.poll(h.now);
  t.is(h.engine.nextDeadline() > h.now, true, 'idle: no deadline now');
  t.false(isTcpError(h.conn.send(bytes(10))));
  t.false(isTcpError(h.conn.send(bytes(10, 10))));
  t.is(h.engine.nextDeadline(), h.now, 'woken: poll now');
  const out = h.flush();
  t.deepEqual(
    out.map((r) => [flagsOf(r), r.payload.length]),
    [[flagsOf(out[0]!), 20]],
  );
  t.deepEqual([...out[0]!.payload], [...bytes(20)]);
  t.not(h.engine.nextDeadline(), h.now, 'served: not woken any more');
  t.deepEqual(h.flush(), [], 'a second poll has nothing to send');
});

test('a block aborted while woken is not polled for, and nextDeadline forgets it', (t) => {
  const h = established();
  h.now = 10;
  h.engine.poll(h.now);
  t.false(isTcpError(h.conn.send(bytes(5))));
  t.is(h.engine.nextDeadline(), h.now);
  h.conn.abort();
  const rst = h.out();
  t.deepEqual(rst.map(flagsOf), [flagsOf(rst[0]!)]);
  t.true(flagsOf(rst[0]!).includes('R'));
  t.is(h.conn.state, 'CLOSED');
  t.is(h.engine.nextDeadline(), Infinity, 'nothing woken, nothing active');
  t.deepEqual(h.flush(), [], 'no data from the closed block');
});

test('blocks woken together are each served by the same poll, and woken again by later sends', (t) => {
  const h = established();
  const first = h.conn;
  h.now = 10;
  // A second connection on another peer port, through the same listener.
  h.peerPort = 40001;
  const synAck = h.send({ flags: 0x02, seq: 5000, ack: 0, options: { mss: 1460 } });
  t.is(synAck.length, 1);
  h.send({ flags: 0x10, seq: 5001, ack: (synAck[0]!.seq + 1) >>> 0 });
  const second = h.engine.allConnections().find((c) => c.remotePort === 40001)!;
  t.is(second.state, 'ESTABLISHED');
  h.out();
  t.false(isTcpError(first.send(bytes(3))));
  t.false(isTcpError(second.send(bytes(4))));
  const out = h.flush();
  t.deepEqual(out.map((r) => [r.dstPort, r.payload.length]).sort(), [
    [40000, 3],
    [40001, 4],
  ]);
  // The peer acknowledges the 4 bytes (else Nagle would hold the next small segment).
  t.deepEqual(h.send({ seq: 5001, ack: second.sndNxt }), []);
  t.false(isTcpError(second.send(bytes(2))));
  t.is(h.engine.nextDeadline(), h.now);
  t.deepEqual(h.flush().map((r) => [r.dstPort, r.payload.length]), [[40001, 2]]);
});
