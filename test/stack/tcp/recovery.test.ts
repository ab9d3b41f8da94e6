/**
 * Loss detection and recovery as the Linux kernel exercises it (found by the TAP interop tests in
 * test/interop/tcp-impair.test.ts): duplicate ACKs under SACK (RFC 6675 §2) while the peer's
 * window keeps moving, SACKs the peer merges (RFC 6675 §4 IsLost), and small windows that need
 * Limited Transmit (RFC 3042) to draw three duplicate ACKs.
 */
import test from 'ava';
import { isTcpError } from '../../../stack/tcp/events';
import { seqAdd, seqDiff } from '../../../stack/tcp/seq';
import type { TcpOptions } from '../../../stack/wire/tcp';
import { ACK, bytes, established, type Harness } from './harness';

const MSS = 1460;
const SACK_SYN: TcpOptions = { mss: MSS, sackPermitted: true };
/**
 * Duplicate-ACK counting alone: these cases feed ACKs with no time passing, and RACK (RFC 8985
 * §6.2, on by default, tested in rack.test.ts) would size its reordering window from that zero
 * RTT and mark the hole lost on the first SACK.
 */
const DUPACKS_ONLY = { congestion: 'newreno', rackTlp: false } as const;

function write(h: Harness, n: number): void {
  const r = h.conn.send(bytes(n));
  if (isTcpError(r) || r !== n) throw new Error('send');
}

/** SACK option for segments [from, to) (in MSS units above `una`). */
function sackSegments(una: number, from: number, to: number): TcpOptions {
  return { sack: [{ left: seqAdd(una, from * MSS), right: seqAdd(una, to * MSS) }] };
}

test('with SACK, ACKs reporting new SACKed data are duplicates even when the window grows: the third fast-retransmits (RFC 6675 §2)', (t) => {
  const h = established(DUPACKS_ONLY, SACK_SYN);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  const una = seqAdd(h.iss, 1);
  // Segment 0 is lost; 1, 2 and 3 arrive, and each ACK opens the window a little (Linux's
  // receive-buffer auto-tuning does this on nearly every ACK).
  t.deepEqual(h.send({ flags: ACK, ack: una, window: 60000, options: sackSegments(una, 1, 2) }), []);
  t.deepEqual(h.send({ flags: ACK, ack: una, window: 61000, options: sackSegments(una, 1, 3) }), []);
  const fr = h.send({ flags: ACK, ack: una, window: 62000, options: sackSegments(una, 1, 4) });
  t.deepEqual(fr.map((s) => [seqDiff(s.seq, una), s.payload.length]), [[0, MSS]]);
  t.is(h.engine.counter('fast-retransmits'), 1);
  t.true(h.conn.inRecovery);
});

test('with SACK, window updates that report nothing new are not duplicate ACKs (RFC 5681 §2, RFC 6675 §2)', (t) => {
  const h = established(DUPACKS_ONLY, SACK_SYN);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  const una = seqAdd(h.iss, 1);
  h.send({ flags: ACK, ack: una, window: 60000, options: sackSegments(una, 1, 2) });
  t.is(h.conn.dupAcks, 1);
  for (const window of [61000, 62000, 63000]) {
    t.deepEqual(h.send({ flags: ACK, ack: una, window, options: sackSegments(una, 1, 2) }), []);
  }
  t.is(h.conn.dupAcks, 1);
  t.is(h.engine.counter('fast-retransmits'), 0);
});

test('with SACK, one duplicate ACK that SACKs more than 2·SMSS above SND.UNA starts recovery (RFC 6675 §4 IsLost, §5)', (t) => {
  const h = established({ congestion: 'newreno' }, SACK_SYN);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  const una = seqAdd(h.iss, 1);
  // Segment 0 is lost; 1–3 arrive and the peer reports them in one (merged) SACK, as Linux may.
  const fr = h.send({ flags: ACK, ack: una, options: sackSegments(una, 1, 4) });
  t.deepEqual(fr.map((s) => [seqDiff(s.seq, una), s.payload.length]), [[0, MSS]]);
  t.is(h.engine.counter('fast-retransmits'), 1);
  t.true(h.conn.inRecovery);
});

test('with SACK, 2·SMSS SACKed above SND.UNA in one duplicate ACK is still taken for reordering', (t) => {
  const h = established(DUPACKS_ONLY, SACK_SYN);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  const una = seqAdd(h.iss, 1);
  t.deepEqual(h.send({ flags: ACK, ack: una, options: sackSegments(una, 1, 3) }), []);
  t.false(h.conn.inRecovery);
  t.is(h.engine.counter('fast-retransmits'), 0);
});

test('Limited Transmit: the first two duplicate ACKs each send one new segment beyond cwnd, the third fast-retransmits (RFC 3042)', (t) => {
  const h = established({ congestion: 'newreno' });
  write(h, 20 * MSS);
  t.is(h.flush().length, 10, 'the initial window');
  const una = seqAdd(h.iss, 1);
  const cwnd = h.conn.cc.cwnd;
  const at = (segs: { seq: number; payload: Uint8Array }[]): number[][] => segs.map((s) => [seqDiff(s.seq, una) / MSS, s.payload.length]);
  // Segment 0 is lost; the peer's duplicate ACKs each let one new segment out.
  t.deepEqual(at(h.send({ flags: ACK, ack: una })), [[10, MSS]]);
  t.deepEqual(at(h.send({ flags: ACK, ack: una })), [[11, MSS]]);
  t.is(h.conn.cc.cwnd, cwnd, 'cwnd is not changed');
  const third = at(h.send({ flags: ACK, ack: una }));
  t.deepEqual(third[0], [0, MSS], 'fast retransmit');
  t.is(h.engine.counter('fast-retransmits'), 1);
});

test('Limited Transmit sends only new data, and only within the peer window', (t) => {
  const h = established({ congestion: 'newreno' });
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  // Nothing new to send: a duplicate ACK sends nothing (no early retransmission either).
  t.deepEqual(h.send({ flags: ACK, ack: seqAdd(h.iss, 1) }), []);
  t.is(h.conn.dupAcks, 1);

  const w = established({ congestion: 'newreno' });
  write(w, 20 * MSS);
  t.is(w.flush().length, 10);
  const una = seqAdd(w.iss, 1);
  // The peer's window shrinks to exactly what is in flight (a window update, not a duplicate) …
  t.deepEqual(w.send({ flags: ACK, ack: una, window: 10 * MSS }), []);
  t.is(w.conn.dupAcks, 0);
  // … so the duplicate ACK that follows may not send beyond it.
  t.deepEqual(w.send({ flags: ACK, ack: una, window: 10 * MSS }), []);
  t.is(w.conn.dupAcks, 1);
});
