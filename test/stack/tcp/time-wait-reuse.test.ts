/**
 * Timestamp clocks per 4-tuple (RFC 7323 §5.4): every incarnation of a 4-tuple sends TSvals
 * beyond the last one's, so a peer still holding the previous incarnation in TIME-WAIT takes the
 * new SYN as a new connection (RFC 6191) instead of answering it as an old duplicate. With a
 * random clock offset per connection, half of such SYNs looked older and waited for TIME-WAIT to
 * end — a client cycling through its ephemeral ports stalled once it came round to ports whose
 * connections the server still held.
 */
import test from 'ava';
import type { TcpConnection } from '../../../stack/tcp/connection';
import { isTcpError } from '../../../stack/tcp/events';
import { A, B } from './harness';
import { Pair } from './pair';

test('one 4-tuple reconnects at once, 20 times, while the server holds the previous incarnation in TIME-WAIT', (t) => {
  const p = new Pair({ delayMs: 1, jitterMs: 0, loss: 0, seed: 5 }, { mslMs: 60_000 });
  const l = p.b.listen(B, 80);
  if (isTcpError(l)) throw new Error(l.error);
  let seen = 0;
  for (let i = 0; i < 20; i++) {
    const c = p.a.connect({ remote: B, remotePort: 80, localPort: 40000 }, p.now);
    if (isTcpError(c)) throw new Error(`connect ${i}: ${c.error}`);
    // Well within the 1 s SYN retransmission: the first SYN was taken.
    t.true(p.run(() => c.state === 'ESTABLISHED', 50), `connection ${i} established at once`);
    // The server closes first, so TIME-WAIT stays on its side; the client follows.
    const server: TcpConnection[] = [];
    const closeServer = (): void => {
      for (; seen < p.eventsB.length; seen++) {
        const e = p.eventsB[seen]!;
        if (e.kind === 'accept') server.push(e.conn);
      }
      for (const s of server) if (s.state === 'ESTABLISHED') s.shutdown();
      if (c.state === 'CLOSE-WAIT') c.shutdown();
    };
    t.true(p.run(() => {
      closeServer();
      return c.state === 'CLOSED';
    }, 1000));
    t.is(server[0]?.state, 'TIME-WAIT');
  }
  t.is(p.b.counter('time-wait-reopened'), 19);
});

test('the timestamp offset is a function of the 4-tuple: the same for one tuple, different for another', (t) => {
  const p = new Pair({ delayMs: 1, jitterMs: 0, loss: 0, seed: 5 });
  const one = p.a.tsOffsetFor(A, 40000, B, 80);
  t.is(p.a.tsOffsetFor(A, 40000, B, 80), one);
  t.not(p.a.tsOffsetFor(A, 40001, B, 80), one);
  t.not(p.a.tsOffsetFor(A, 40000, B, 81), one);
});
