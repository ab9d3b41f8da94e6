/**
 * RACK-TLP (RFC 8985) in the engine: exact segments out on a simulated clock. The peer is
 * scripted; every case starts from a connection whose handshake took one round trip (RTT ms), so
 * SRTT and RACK's min_RTT are that RTT.
 */
import test from 'ava';
import { isTcpError } from '../../../stack/tcp/events';
import { seqAdd, seqDiff } from '../../../stack/tcp/seq';
import type { TcpEngineOptions } from '../../../stack/tcp/options';
import type { TcpOptions, TcpRepr } from '../../../stack/wire/tcp';
import { ACK, bytes, type Harness, synReceived } from './harness';

const MSS = 1460;
const RTT = 40;
const SACK_SYN: TcpOptions = { mss: MSS, sackPermitted: true };

/** ESTABLISHED with SACK, the handshake's ACK one RTT after the SYN-ACK (SRTT = RTT). */
function established(options: Partial<TcpEngineOptions> = {}, synOptions: TcpOptions = SACK_SYN): Harness {
  const h = synReceived({ congestion: 'newreno', rackTlp: true, ...options }, synOptions);
  h.advance(RTT);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 1) });
  h.events();
  return h;
}

function write(h: Harness, n: number): void {
  const r = h.conn.send(bytes(n));
  if (isTcpError(r) || r !== n) throw new Error('send');
}

/** Segments as [segment index above `una`, payload length]. */
function segs(out: readonly TcpRepr[], una: number): [number, number][] {
  return out.map((s) => [seqDiff(s.seq, una) / MSS, s.payload.length]);
}

function timed(out: readonly { at: number; repr: TcpRepr }[], una: number): [number, number, number][] {
  return out.map((o) => [o.at, seqDiff(o.repr.seq, una) / MSS, o.repr.payload.length]);
}

/** An ACK at `una` + `acked` segments with SACK blocks given in segment indices. */
function ackSack(h: Harness, una: number, acked: number, blocks: [number, number][]): TcpRepr[] {
  const sack = blocks.map(([l, r]) => ({ left: seqAdd(una, l * MSS), right: seqAdd(una, r * MSS) }));
  return h.send({ flags: ACK, ack: seqAdd(una, acked * MSS), options: sack.length > 0 ? { sack } : {} });
}

test('a lost retransmission is found by RACK when later-sent data is SACKed, and resent without the RTO (RFC 8985 §6.2, §9.3)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 20 * MSS);
  t.is(h.flush().length, 10, 'the initial window: segments 0–9 at t=40');
  h.advance(RTT);
  // Segment 0 is lost; 1–3 arrive and are SACKed together: RFC 6675 IsLost, fast retransmit.
  t.deepEqual(segs(ackSack(h, una, 0, [[1, 4]]), una), [[0, MSS]]);
  t.true(h.conn.inRecovery);
  // 4–9 arrive; each duplicate ACK inflates cwnd (NewReno) and lets new data go at t=80.
  const sent: [number, number][] = [];
  for (let r = 5; r <= 10; r++) sent.push(...segs(ackSack(h, una, 0, [[1, r]]), una));
  t.deepEqual(sent, [[10, MSS], [11, MSS], [12, MSS], [13, MSS]], 'new data in recovery: cwnd 8 + 6 segments');
  // The retransmission of 0 is lost too. One RTT later 10–13 (sent after it) are SACKed:
  // RACK marks the retransmission lost (reo_wnd = 0 in recovery) and resends it at once.
  h.advance(RTT);
  const out = ackSack(h, una, 0, [[1, 14]]);
  t.deepEqual(segs(out, una).slice(0, 1), [[0, MSS]]);
  t.is(h.engine.counter('rack-lost'), 1);
  t.is(h.engine.counter('fast-retransmits'), 1, 'one recovery episode, one cwnd reduction');
  t.is(h.conn.retries, 0, 'no RTO');
  // It arrives: everything up to 14 is acknowledged and recovery ends without a timeout.
  h.advance(RTT);
  ackSack(h, una, 14, []);
  t.is(h.conn.retries, 0);
  t.is(h.engine.counter('retransmits'), 2, 'segment 0 twice, nothing else');
});

test('tail loss: the probe resends the last segment after 2·SRTT; its SACK lets RACK repair the tail (RFC 8985 §7.3, §7.4)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  // 0–7 arrive and are acknowledged at t=80; 8 and 9, the tail, are lost.
  h.advance(RTT);
  t.deepEqual(ackSack(h, una, 8, []), []);
  // PTO = 2·SRTT = 80 ms (two segments in flight: no delayed-ACK allowance); the RTO is 200 ms.
  const probe = h.advance(3 * RTT);
  t.deepEqual(timed(probe, una), [[160, 9, MSS]], 'the last segment, at t=80+2·SRTT');
  t.is(h.engine.counter('tail-loss-probes'), 1);
  // The probe draws a SACK for 9 at t=200: RACK sees 8 was sent before it and marks it lost.
  const repair = ackSack(h, una, 8, [[9, 10]]);
  t.deepEqual(segs(repair, una), [[8, MSS]]);
  t.true(h.conn.inRecovery);
  h.advance(RTT);
  t.deepEqual(ackSack(h, una, 10, []), []);
  t.false(h.conn.inRecovery);
  t.is(h.conn.retries, 0, 'no RTO');
  t.deepEqual(h.advance(2000), [], 'nothing left to send');
});

test('the probe sends new data when the peer window allows it, whatever cwnd says; one probe per episode (RFC 8985 §7.3)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 15 * MSS);
  t.is(h.flush().length, 10, 'cwnd: segments 0–9 at t=40');
  // Nothing comes back. PTO = 2·SRTT after the last new data: the probe is new segment 10.
  const out = h.advance(250);
  t.deepEqual(timed(out, una), [
    [120, 10, MSS],
    // No second probe in the episode: next is the RTO, re-armed by the probe (§7.3), at 120 + 200.
  ]);
  t.is(h.engine.counter('tail-loss-probes'), 1);
  t.deepEqual(timed(h.advance(100), una), [[320, 0, MSS]]);
  t.is(h.conn.retries, 1);
});

test('a probe with the peer window full resends only what was sent, never bytes beyond SND.MAX (soak seed 1901)', (t) => {
  // The peer's window holds 2000 bytes: 2000 are written and sent (one full segment and 540
  // bytes), then more is written, which waits for the window. No ACK comes.
  const h = synReceived({ congestion: 'newreno', rackTlp: true }, SACK_SYN);
  h.advance(RTT);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 1), window: 2000 });
  h.events();
  const una = seqAdd(h.iss, 1);
  write(h, 2000);
  t.deepEqual(h.flush().map((s) => [seqDiff(s.seq, una), s.payload.length]), [[0, MSS], [MSS, 540]]);
  write(h, 3 * MSS);
  t.deepEqual(h.flush(), [], 'the window is full');
  // PTO = 2·SRTT. The probe cannot send new data (the window is full), so it resends the last
  // segment sent: its 540 bytes — not a full MSS from there, whose last 920 bytes were never sent,
  // lie outside the window and are unknown to SND.MAX.
  const probe = h.advance(3 * RTT);
  t.deepEqual(probe.map((o) => [seqDiff(o.repr.seq, una), o.repr.payload.length]), [[MSS, 540]]);
  t.is(h.engine.counter('tail-loss-probes'), 1);
  // An ACK for all of it is an ordinary ACK (not "ACK of unsent data"): new data follows.
  const next = h.send({ flags: ACK, ack: seqAdd(una, 2000), window: 2000 });
  t.deepEqual(next.map((s) => [seqDiff(s.seq, una), s.payload.length]).slice(0, 1), [[2000, MSS]]);
});

test('a pure ACK carries SND.MAX, not a SND.NXT rewound by the retransmission timeout (no ACK war)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 4 * MSS);
  t.is(h.flush().length, 4);
  // Nothing comes back: the probe, then the RTO rewinds SND.NXT to SND.UNA and resends segment 0.
  h.advance(1000);
  t.true(h.conn.retries >= 1);
  // Out-of-order data from the peer draws an immediate ACK: its SEQ is the highest sent (4
  // segments), which the peer may already have received — a rewound SEQ would be unacceptable to
  // it (RFC 9293 §3.10.7.4) and answered with an ACK of its own.
  const out = h.send({ flags: ACK, ack: una, seq: seqAdd(h.peerNxt, 100), payload: bytes(10) });
  const acks = out.filter((s) => s.payload.length === 0);
  t.is(acks.length, 1);
  t.is(seqDiff(acks[0]!.seq, una), 4 * MSS);
});

test('reordering within the reordering window does not retransmit; beyond it RACK does, when the timer fires (RFC 8985 §6.2 step 5)', (t) => {
  for (const arrives of [true, false]) {
    const h = established();
    const una = seqAdd(h.iss, 1);
    write(h, 10 * MSS);
    t.is(h.flush().length, 10);
    h.advance(RTT);
    // Segment 1 overtakes 0: reo_wnd = min_RTT/4 = 10 ms, so 0 may still come until t=90.
    t.deepEqual(ackSack(h, una, 0, [[1, 2]]), []);
    if (arrives) {
      h.advance(5);
      t.deepEqual(ackSack(h, una, 2, []), [], 'segment 0 arrived late: no retransmission');
      t.deepEqual(h.advance(10), []);
      t.is(h.engine.counter('retransmits'), 0);
    } else {
      t.deepEqual(timed(h.advance(20), una), [[90, 0, MSS]], 'resent when the reordering timer fires');
      t.is(h.engine.counter('rack-lost'), 1);
    }
  }
});

test('no probe with nothing outstanding, nor when the RTO would come first (RFC 8985 §7.2)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 2 * MSS);
  t.is(h.flush().length, 2);
  h.advance(RTT);
  ackSack(h, una, 2, []);
  t.is(h.conn.tlp.probeAt, Infinity);
  t.deepEqual(h.advance(5000), [], 'all acknowledged: no probe, no timer');
  t.is(h.engine.counter('tail-loss-probes'), 0);
  // One segment in flight: PTO = 2·SRTT + 200 ms (WCDelAckT) lands after the RTO, which resends it.
  write(h, MSS);
  const start = h.now;
  t.is(h.flush().length, 1);
  const out = h.advance(1000);
  t.deepEqual(timed(out, una).slice(0, 1), [[start + 200, 2, MSS]]);
  t.is(h.engine.counter('tail-loss-probes'), 0);
});

test('without SACK, or with rackTlp off, there is no probe: the RTO resends (RFC 8985 §4 requires SACK)', (t) => {
  for (const h of [established({ rackTlp: false }), established({}, { mss: MSS })]) {
    const una = seqAdd(h.iss, 1);
    write(h, 4 * MSS);
    t.is(h.flush().length, 4);
    t.deepEqual(timed(h.advance(300), una), [[RTT + 200, 0, MSS]]);
    t.is(h.engine.counter('tail-loss-probes'), 0);
  }
});

test('a probe the peer reports as a D-SACK repaired nothing; a probe that reveals more loss hands it to RACK (RFC 8985 §7.4)', (t) => {
  for (const tailLost of [false, true]) {
    const h = established();
    const una = seqAdd(h.iss, 1);
    write(h, 10 * MSS);
    t.is(h.flush().length, 10);
    h.advance(RTT);
    // Only 0–7 are acknowledged at t=80: either 8–9 were lost, or (tailLost false) just their ACK.
    ackSack(h, una, 8, []);
    const cwnd = h.conn.cc.cwnd;
    t.deepEqual(timed(h.advance(3 * RTT), una), [[160, 9, MSS]]);
    if (tailLost) {
      // 8 was lost as well; the probe's SACK lets RACK resend it, in a recovery of its own.
      t.deepEqual(segs(ackSack(h, una, 8, [[9, 10]]), una), [[8, MSS]]);
      h.advance(RTT);
      ackSack(h, una, 10, []);
      t.true(h.conn.cc.cwnd < cwnd, 'cwnd reduced by the recovery');
    } else {
      // The peer had 8 and 9 already: the probe comes back as a D-SACK below the cumulative ACK.
      const out = h.send({ flags: ACK, ack: seqAdd(una, 10 * MSS), options: { sack: [{ left: seqAdd(una, 9 * MSS), right: seqAdd(una, 10 * MSS) }] } });
      t.deepEqual(out, []);
      t.is(h.conn.tlp.endSeq, undefined, 'episode over');
      t.is(h.engine.counter('tlp-recoveries'), 0);
      t.false(h.conn.inRecovery);
      t.true(h.conn.cc.cwnd >= cwnd, 'no reduction');
    }
  }
});

test('a probe that alone repaired the tail (no D-SACK, ACK beyond it) counts as a loss: one cwnd reduction (RFC 8985 §7.4.2)', (t) => {
  const h = established();
  const una = seqAdd(h.iss, 1);
  write(h, 10 * MSS);
  t.is(h.flush().length, 10);
  h.advance(RTT);
  ackSack(h, una, 9, []);
  // One segment out: PTO = 2·SRTT + 200 ms is past the RTO; so keep two out with a later write.
  write(h, MSS);
  t.deepEqual(segs(h.flush(), una), [[10, MSS]]);
  t.deepEqual(timed(h.advance(2 * RTT + 1), una), [[160, 10, MSS]], 'the probe: last segment');
  const cwnd = h.conn.cc.cwnd;
  // The probe filled the tail: ACK of everything (= TLP.end_seq) waits for a possible D-SACK...
  ackSack(h, una, 11, []);
  t.is(h.engine.counter('tlp-recoveries'), 0);
  // ...and the next ACK beyond it, with none seen, concludes the original was lost.
  write(h, MSS);
  t.is(h.flush().length, 1);
  h.advance(RTT);
  ackSack(h, una, 12, []);
  t.is(h.engine.counter('tlp-recoveries'), 1);
  t.true(h.conn.cc.cwnd < cwnd + MSS, 'cwnd was reduced rather than grown');
  t.false(h.conn.inRecovery);
});

test('RackState: transmissions replace what they cover; D-SACKs widen the reordering window for 16 recoveries (RFC 8985 §6.2 step 4, RFC 2883)', async (t) => {
  const { RackState, dsackBlock, REO_WND_PERSIST } = await import('../../../stack/tcp/rack');
  const r = new RackState();
  r.onTransmit(0, 100, 0, false);
  r.onTransmit(100, 200, 0, false);
  r.onTransmit(200, 300, 0, false);
  r.onTransmit(50, 250, 10, true);
  t.deepEqual(r.records.map((x) => [x.start, x.end, x.xmitTime, x.retransmitted]), [[0, 50, 0, false], [50, 250, 10, true], [250, 300, 0, false]]);
  // Cumulative ACK at 60 delivers [0,50) and trims the next record.
  t.is(r.onAck(60, 40, undefined, undefined, { tsNow: (ms) => ms }), 1, 'one record delivered');
  t.deepEqual(r.records.map((x) => [x.start, x.end]), [[60, 250], [250, 300]]);
  t.is(r.rtt, 40);
  t.is(r.minRtt, 40);
  // D-SACK: below the cumulative ACK, or inside the second block; not an ordinary SACK.
  t.deepEqual(dsackBlock([{ left: 10, right: 20 }], 60), { left: 10, right: 20 });
  t.deepEqual(dsackBlock([{ left: 110, right: 120 }, { left: 100, right: 200 }], 60), { left: 110, right: 120 });
  t.is(dsackBlock([{ left: 110, right: 120 }], 60), undefined);
  t.is(r.reorderWindow(60, 300, false, false, false, false, 100), 10, 'min_RTT/4');
  t.is(r.reorderWindow(60, 300, false, false, true, false, 100), 0, 'in recovery, no reordering seen');
  t.is(r.reorderWindow(60, 300, true, false, false, false, 100), 20, 'a D-SACK doubles it');
  t.is(r.reorderWindow(60, 300, true, false, false, false, 100), 20, 'once per round (until SND.UNA passes 300)');
  t.is(r.reorderWindow(300, 400, true, false, false, false, 100), 30);
  for (let i = 0; i < REO_WND_PERSIST - 1; i++) r.reorderWindow(400, 400, false, true, false, false, 100);
  t.is(r.reorderWindow(400, 400, false, false, false, false, 100), 30, 'kept for 16 recoveries');
  t.is(r.reorderWindow(400, 400, false, true, false, false, 100), 10, 'then back to min_RTT/4');
  t.is(r.reorderWindow(400, 400, true, false, false, false, 15), 15, 'never above SRTT');
});
