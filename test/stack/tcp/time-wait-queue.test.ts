/**
 * The engine keeps TIME-WAIT blocks out of its per-poll scan, in a queue ordered by deadline
 * (engine.ts, `timeWaiting`). Whatever the order in which connections enter TIME-WAIT, and when
 * one is restarted by a retransmitted FIN, each still ends exactly 2·MSL after it last (re)started
 * (RFC 9293 §3.6.1, §3.10.7.4), and the engine's deadline says so.
 */
import test from 'ava';
import type { TcpConnection } from '../../../stack/tcp/connection';
import { isTcpError } from '../../../stack/tcp/events';
import { B } from './harness';
import { Pair } from './pair';

const MSL = 500;

/** Runs everything due up to `t`, then sets the clock to `t` exactly (`run` jumps to deadlines). */
function advanceTo(p: Pair, t: number): void {
  p.run(() => false, t - p.now);
  p.now = Math.max(p.now, t);
}

test('staggered connections leave TIME-WAIT 2·MSL after entering it, oldest first', (t) => {
  const p = new Pair({ delayMs: 1, jitterMs: 0, loss: 0, seed: 3 }, { mslMs: MSL });
  const l = p.b.listen(B, 80);
  if (isTcpError(l)) throw new Error(l.error);
  const clients: TcpConnection[] = [];
  const enteredAt = new Map<TcpConnection, number>();
  const closedAt = new Map<TcpConnection, number>();
  const watch = (): void => {
    for (const c of clients) {
      if (c.state === 'TIME-WAIT' && !enteredAt.has(c)) enteredAt.set(c, p.now);
      if (c.state === 'CLOSED' && !closedAt.has(c)) closedAt.set(c, p.now);
    }
    // Servers close once the client's FIN arrived (so the clients end in TIME-WAIT).
    for (const e of p.eventsB) if (e.kind === 'accept' && e.conn.state === 'CLOSE-WAIT') e.conn.shutdown();
  };
  // Eight connections, each closed at a different time, in an order unlike their opening order.
  for (let i = 0; i < 8; i++) {
    const c = p.a.connect({ remote: B, remotePort: 80 }, p.now);
    if (isTcpError(c)) throw new Error(c.error);
    clients.push(c);
  }
  t.true(p.run(() => clients.every((c) => c.state === 'ESTABLISHED')));
  const closeOrder = [5, 0, 7, 2, 1, 6, 3, 4];
  for (const i of closeOrder) {
    clients[i]!.shutdown();
    const until = p.now + 37;
    p.run(() => {
      watch();
      return p.now >= until;
    });
  }
  t.true(p.run(() => {
    watch();
    return clients.every((c) => c.state === 'CLOSED');
  }));
  for (const c of clients) {
    t.true(enteredAt.has(c), 'went through TIME-WAIT');
    t.is(closedAt.get(c)! - enteredAt.get(c)!, 2 * MSL);
  }
  t.is(p.a.nextDeadline(), Infinity);
});

test('a restarted TIME-WAIT ahead in the queue neither ends early nor holds up the others', (t) => {
  const p = new Pair({ delayMs: 1, jitterMs: 0, loss: 0, seed: 4 }, { mslMs: MSL });
  const l = p.b.listen(B, 80);
  if (isTcpError(l)) throw new Error(l.error);
  const a = p.a.connect({ remote: B, remotePort: 80 }, p.now);
  const b = p.a.connect({ remote: B, remotePort: 80 }, p.now);
  if (isTcpError(a) || isTcpError(b)) throw new Error('connect');
  t.true(p.run(() => p.eventsB.filter((e) => e.kind === 'accept').length === 2));
  const serverOf = (c: TcpConnection): TcpConnection => {
    for (const e of p.eventsB) if (e.kind === 'accept' && e.conn.remotePort === c.localPort) return e.conn;
    throw new Error('not accepted');
  };
  const closeBoth = (c: TcpConnection): void => {
    c.shutdown();
    t.true(p.run(() => {
      if (serverOf(c).state === 'CLOSE-WAIT') serverOf(c).shutdown();
      return c.state === 'TIME-WAIT';
    }));
  };
  closeBoth(a);
  const aEntered = p.now;
  advanceTo(p, p.now + 100);
  closeBoth(b);
  const bEntered = p.now;
  // The peer's FIN again, 200 ms into a's TIME-WAIT: it restarts a's 2·MSL.
  const s = serverOf(a);
  advanceTo(p, aEntered + 200);
  t.is(a.state, 'TIME-WAIT');
  const restartedAt = p.now;
  p.a.input(s.local, s.remote, {
    srcPort: s.localPort, dstPort: s.remotePort, seq: (s.sndNxt - 1) >>> 0, ack: s.rcvNxt, flags: 0x11, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0),
  }, p.now);
  // a acknowledges it; the peer is gone and would answer that ACK with RST, so it is not delivered.
  p.a.poll(p.now);
  t.deepEqual(p.a.takeOutput().map((o) => o.repr.flags), [0x10]);
  let aClosed = NaN;
  let bClosed = NaN;
  t.true(p.run(() => {
    if (a.state === 'CLOSED' && Number.isNaN(aClosed)) aClosed = p.now;
    if (b.state === 'CLOSED' && Number.isNaN(bClosed)) bClosed = p.now;
    return a.state === 'CLOSED' && b.state === 'CLOSED';
  }));
  t.is(bClosed - bEntered, 2 * MSL, 'b is not held up behind the restarted a');
  t.is(aClosed - restartedAt, 2 * MSL, 'a ends 2·MSL after its restart');
});
