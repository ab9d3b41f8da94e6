/**
 * RFC 5961 §7: the engine bounds the challenge ACKs it sends (Linux's tcp_challenge_ack_limit),
 * with a per-second budget drawn from [limit/2, 1.5·limit) so it cannot be counted exactly.
 */

import test from 'ava';
import { ChallengeAckLimiter } from '../../../stack/tcp/challenge-ack';
import { DEFAULT_ENGINE_OPTIONS } from '../../../stack/tcp/options';
import { seqAdd } from '../../../stack/tcp/seq';
import { ACK, RST, SYN, established, prng } from './harness';

test('the default bound is 1000 per second, as Linux', (t) => {
  t.is(DEFAULT_ENGINE_OPTIONS.challengeAckLimit, 1000);
});

test('limiter: each second allows between limit/2 and 1.5·limit − 1, and the budget varies', (t) => {
  const budgets = new Set<number>();
  for (let seed = 1; seed <= 20; seed++) {
    const l = new ChallengeAckLimiter(100, prng(seed));
    for (const second of [0, 1, 7]) {
      let n = 0;
      for (let i = 0; i < 1000; i++) if (l.allow(second * 1000 + (i % 1000))) n++;
      t.true(n >= 50 && n <= 149, `seed ${seed} second ${second}: ${n}`);
      budgets.add(n);
    }
  }
  t.true(budgets.size > 5, 'the budget is randomised');
  const off = new ChallengeAckLimiter(Infinity, () => 0);
  for (let i = 0; i < 10_000; i++) t.true(off.allow(0));
  const none = new ChallengeAckLimiter(0, () => 0);
  t.false(none.allow(0));
});

test('in-window RSTs beyond the budget draw no ACK; the next second the budget is back (RFC 5961 §3.2, §7)', (t) => {
  const h = established({ challengeAckLimit: 10 });
  let acks = 0;
  for (let i = 0; i < 100; i++) acks += h.send({ flags: RST, seq: seqAdd(h.peerNxt, 1 + i) }).length;
  t.true(acks >= 5 && acks <= 14, `${acks}`);
  t.is(h.engine.counter('challenge-ack'), 100);
  t.is(h.engine.counter('challenge-ack-limited'), 100 - acks);
  t.is(h.conn.state, 'ESTABLISHED');
  h.advance(1000);
  t.is(h.send({ flags: RST, seq: seqAdd(h.peerNxt, 1) }).length, 1);
  // A RST exactly at RCV.NXT is not a challenge: it still resets, budget or not.
  h.send({ flags: RST, seq: h.peerNxt });
  t.is(h.conn.state, 'CLOSED');
});

test('SYNs in a synchronized state and too-old ACKs share the same budget (§4.2, §5.2)', (t) => {
  const h = established({ challengeAckLimit: 4 });
  let acks = 0;
  for (let i = 0; i < 20; i++) acks += h.send({ flags: SYN }).length;
  // 0x40000000 behind SND.UNA is far more than MAX.SND.WND behind.
  for (let i = 0; i < 20; i++) acks += h.send({ flags: ACK, ack: seqAdd(h.iss, -0x40000000) }).length;
  t.true(acks >= 2 && acks <= 5, `${acks}`);
  t.is(h.engine.counter('challenge-ack'), 20);
  t.is(h.engine.counter('ack-too-old'), 20);
  t.is(h.engine.counter('challenge-ack-limited'), 40 - acks);
});

test('without a bound every challenge is answered', (t) => {
  const h = established({ challengeAckLimit: Infinity });
  let acks = 0;
  for (let i = 0; i < 3000; i++) acks += h.send({ flags: RST, seq: seqAdd(h.peerNxt, 1) }).length;
  t.is(acks, 3000);
});
