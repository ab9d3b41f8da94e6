/**
 * CUBIC (RFC 9438). Expected windows are worked out here from the RFC's equations — Figure 1
 * W_cubic(t) = C·(t − K)³ + W_max, Figure 2 K = ∛((W_max − cwnd_epoch)/C), §4.3's W_est with
 * α_cubic = 3(1 − β)/(1 + β), §4.6 β_cubic = 0.7, §4.7 fast convergence — in segments of SMSS =
 * 1000 bytes and seconds, and compared with the controller's byte window.
 *
 * Acknowledging a whole window in one call makes §4.2's per-ACK rule, cwnd += (target −
 * cwnd)/cwnd per segment, land exactly on the target, so each checkpoint is a single value of
 * W_cubic(t + RTT) (or W_est), whatever happened before it.
 */

import test from 'ava';
import { Cubic } from '../../../../stack/tcp/congestion/cubic';
import { createCongestionControl } from '../../../../stack/tcp/congestion/create';
import { isTcpError } from '../../../../stack/tcp/events';
import { DEFAULT_CONNECTION_OPTIONS, DEFAULT_ENGINE_OPTIONS } from '../../../../stack/tcp/options';
import { seqAdd } from '../../../../stack/tcp/seq';
import { A, ACK, B, Harness, activeEstablished, established } from '../harness';

const MSS = 1000;
const C = 0.4;
const BETA = 0.7;
const ALPHA = (3 * (1 - BETA)) / (1 + BETA); // 0.5294…

/** RFC 9438 Figure 1, in segments. */
function wCubic(t: number, k: number, wMax: number): number {
  return C * (t - k) ** 3 + wMax;
}

/** Slow start from the initial window (10 segments) up to `segments`, 2 segments per ACK. */
function grownTo(segments: number, rtt: { srtt: number | undefined }): Cubic {
  const c = new Cubic(MSS, rtt);
  while (c.cwnd < segments * MSS) c.onAck(Math.min(2 * MSS, segments * MSS - c.cwnd), 0);
  return c;
}

/** A loss at a flight of `flight` bytes, then the end of NewReno recovery with that much in flight. */
function lossAndRecovery(c: Cubic, flight: number): void {
  c.onLoss(flight);
  c.onRecoveryEnd(flight);
}

/** One window acknowledged at time `ms`. */
function ackWindow(c: Cubic, ms: number): number {
  c.onAck(c.cwnd, ms);
  return c.cwnd / MSS;
}

test('after a loss: β_cubic reduction, K, the concave region up to W_max and the convex region beyond', (t) => {
  const rtt = { srtt: 100 };
  const c = grownTo(100, rtt);
  t.is(c.cwnd, 100_000);
  c.onLoss(100_000);
  // §4.6: ssthresh = 0.7 · flight; during NewReno recovery cwnd = ssthresh + 3·SMSS.
  t.is(c.ssthresh, 70_000);
  t.is(c.cwnd, 73_000);
  t.is(c.wMax, 100_000);
  c.onRecoveryEnd(100_000);
  t.is(c.cwnd, 70_000);

  // The stage starts at the first ACK (t = 10 s here). K = ∛((100 − 70)/0.4) = ∛75 ≈ 4.2172 s.
  const t0 = 10_000;
  const first = ackWindow(c, t0);
  const k = Math.cbrt((100 - 70) / C);
  t.true(Math.abs(c.k! - k) < 1e-9);
  // At t = 0 W_cubic = cwnd_epoch = 70 < W_est = 70 + α, so the Reno-friendly estimate rules.
  t.true(Math.abs(first - (70 + ALPHA)) < 0.002, `${first}`);

  // Concave region: t = 1 s, target W_cubic(1.1) = 100 − 0.4·3.1172³ ≈ 87.884 segments.
  const at1 = ackWindow(c, t0 + 1000);
  t.true(Math.abs(at1 - wCubic(1.1, k, 100)) < 0.002, `${at1}`);
  t.true(at1 > 87.8 && at1 < 88);
  // Growth slows toward the plateau: one RTT before K the target is W_cubic(K) = W_max exactly.
  const plateau = ackWindow(c, t0 + (k - 0.1) * 1000);
  t.true(Math.abs(plateau - 100) < 0.002, `${plateau}`);
  // Convex region: K + 1 s → W_cubic(K + 1.1) = 100 + 0.4·1.331 = 100.5324.
  const convex1 = ackWindow(c, t0 + (k + 1) * 1000);
  t.true(Math.abs(convex1 - 100.5324) < 0.002, `${convex1}`);
  // K + 3 s → 100 + 0.4·3.1³ = 111.9164: growth accelerates away from W_max.
  const convex3 = ackWindow(c, t0 + (k + 3) * 1000);
  t.true(Math.abs(convex3 - 111.9164) < 0.002, `${convex3}`);
  t.true(convex3 - convex1 > 10 * (convex1 - plateau));
  // §4.2: the target is at most 1.5·cwnd however far the curve has run (K + 20 s: W ≈ 3800).
  const capped = ackWindow(c, t0 + (k + 20) * 1000);
  t.true(Math.abs(capped - 1.5 * convex3) < 0.002, `${capped}`);
});

test('the RTT used for the target is the connection’s smoothed RTT (§4.2, W_cubic(t + RTT))', (t) => {
  const results: number[] = [];
  for (const srtt of [0, 400]) {
    const c = grownTo(100, { srtt });
    lossAndRecovery(c, 100_000);
    ackWindow(c, 1000);
    results.push(ackWindow(c, 2000));
  }
  const k = Math.cbrt(30 / C);
  t.true(Math.abs(results[0]! - wCubic(1, k, 100)) < 0.002);
  t.true(Math.abs(results[1]! - wCubic(1.4, k, 100)) < 0.002);
});

test('fast convergence: a loss below W_max remembers W_max = cwnd·(1 + β)/2 (§4.7)', (t) => {
  const c = grownTo(100, { srtt: 100 });
  lossAndRecovery(c, 100_000);
  ackWindow(c, 1000);
  const cwnd = c.cwnd; // W_cubic(1.1) ≈ 87.884 segments, below W_max = 100
  t.true(cwnd < 100_000);
  c.onLoss(cwnd);
  t.true(Math.abs(c.wMax! - (cwnd * (1 + BETA)) / 2) < 1); // within the byte cwnd is rounded to
  t.is(c.ssthresh, Math.floor(cwnd * BETA));
  c.onRecoveryEnd(cwnd);
  t.is(c.cwnd, Math.floor(cwnd * BETA));
  // The new curve: K = ∛((W_max − cwnd_epoch)/C) with W_max = 0.85·87.884 = 74.70, cwnd_epoch = 61.52.
  ackWindow(c, 3000);
  const wMax = (cwnd * 0.85) / MSS;
  const k = Math.cbrt((wMax - Math.floor(cwnd * BETA) / MSS) / C);
  t.true(Math.abs(c.k! - k) < 1e-4, `${c.k} vs ${k}`);
  const plateau = ackWindow(c, 3000 + (k - 0.1) * 1000);
  t.true(Math.abs(plateau - wMax) < 0.002, `${plateau} vs ${wMax}`);

  // A loss at or above W_max (no competing flow) keeps W_max = cwnd.
  const d = grownTo(50, { srtt: 100 });
  lossAndRecovery(d, 50_000);
  ackWindow(d, 1000);
  const above = ackWindow(d, 1000 + 10_000) * MSS; // long past K: above the old W_max of 50
  t.true(above > 50_000);
  d.onLoss(Math.floor(above));
  t.true(Math.abs(d.wMax! - above) < 1);
});

test('Reno-friendly region: short RTT, small W_max — cwnd follows W_est, α_cubic becomes 1 at cwnd_prior (§4.3)', (t) => {
  const c = grownTo(20, { srtt: 10 });
  lossAndRecovery(c, 20_000);
  t.is(c.cwnd, 14_000);
  // K = ∛(6/0.4) = 2.466 s, while W_est grows α = 0.529 segments per 10 ms round.
  const k = Math.cbrt(6 / C);
  let wEst = 14;
  for (let round = 0; round < 10; round++) {
    const now = 1000 + round * 10;
    const w = ackWindow(c, now);
    wEst += ALPHA;
    t.true(wCubic((now - 1000) / 1000, k, 20) < wEst, 'the cubic curve is below W_est');
    t.true(Math.abs(w - wEst) < 0.002, `round ${round}: ${w} vs ${wEst}`);
  }
  t.true(Math.abs(c.cwnd / MSS - (14 + 10 * ALPHA)) < 0.002); // 19.294 segments
  // Two more rounds take W_est past cwnd_prior = 20; from then on it grows 1 segment per round.
  ackWindow(c, 1100);
  const w12 = ackWindow(c, 1110);
  t.true(Math.abs(w12 - (14 + 12 * ALPHA)) < 0.002);
  t.true(w12 >= 20);
  const w13 = ackWindow(c, 1120);
  t.true(Math.abs(w13 - w12 - 1) < 0.002, `${w13 - w12}`);
});

test('RTO: cwnd = 1 segment, ssthresh = β·flight, then slow start and a stage with K = 0, W_max = cwnd_epoch (§4.8)', (t) => {
  const c = grownTo(100, { srtt: 100 });
  c.onRto(100_000);
  t.is(c.cwnd, 1000);
  t.is(c.ssthresh, 70_000);
  t.is(c.wMax, undefined);
  // Slow start resumes: 2 segments per ACK (RFC 3465 L = 2) until ssthresh.
  c.onAck(2000, 5000);
  t.is(c.cwnd, 3000);
  while (c.cwnd < c.ssthresh) c.onAck(2000, 5000);
  t.is(c.cwnd, 71_000);
  // The stage after the timeout: K = 0, plateau 71 segments, so growth is convex from the start.
  ackWindow(c, 6000);
  t.is(c.k, 0);
  const w = ackWindow(c, 9000); // t = 3 s: W_cubic(3.1) = 71 + 0.4·3.1³ = 82.9164
  t.true(Math.abs(w - 82.9164) < 0.002, `${w}`);
});

test('partial ACKs and duplicate ACKs move the window as NewReno recovery does', (t) => {
  const c = grownTo(40, { srtt: 50 });
  c.onLoss(40_000);
  t.is(c.cwnd, 28_000 + 3000);
  c.onDupAck();
  t.is(c.cwnd, 32_000);
  c.onPartialAck(5000); // deflate by 5000, add back one SMSS
  t.is(c.cwnd, 28_000);
  c.onRecoveryEnd(1000);
  t.is(c.cwnd, 2000); // min(ssthresh, max(flight, SMSS) + SMSS)
});

test('selection: engine default, engine option, listener and per-connection override', (t) => {
  t.is(createCongestionControl('cubic', MSS, '', { srtt: undefined }).name, 'cubic');
  t.is(createCongestionControl('newreno', MSS, '', { srtt: undefined }).name, 'newreno');
  t.throws(() => createCongestionControl('vegas' as 'cubic', MSS, '', { srtt: undefined }), { instanceOf: RangeError });
  t.is(established({ congestion: 'newreno' }).conn.cc.name, 'newreno');
  t.is(established({ congestion: 'cubic' }).conn.cc.name, 'cubic');
  t.is(activeEstablished({ congestion: 'cubic' }).conn.cc.name, 'cubic');
  t.is(established({ connection: { ...DEFAULT_CONNECTION_OPTIONS, congestion: 'cubic' } }).conn.cc.name, 'cubic');
  const h = new Harness();
  const own = h.engine.connect({ remote: B, remotePort: 80, options: { congestion: 'newreno' } });
  const dflt = h.engine.connect({ remote: B, remotePort: 81 });
  if (isTcpError(own) || isTcpError(dflt)) return t.fail();
  t.is(own.cc.name, 'newreno');
  t.is(dflt.cc.name, 'cubic');
  const l = h.engine.listen(A, 80, { connection: { congestion: 'cubic' } });
  if (isTcpError(l)) return t.fail();
  t.is(l.connectionOptions.congestion, 'cubic');
});

test('in the engine: fast retransmit with CUBIC sets ssthresh = 0.7·FlightSize, recovery exits as NewReno (RFC 9438 §4.6)', (t) => {
  const h = established({ congestion: 'cubic' });
  h.conn.send(new Uint8Array(14600));
  t.is(h.flush().length, 10);
  const una = seqAdd(h.iss, 1);
  for (let i = 0; i < 3; i++) h.send({ flags: ACK, ack: una });
  t.is(h.engine.counter('fast-retransmits'), 1);
  t.is(h.conn.cc.ssthresh, Math.floor(14600 * BETA)); // 10220, where NewReno has 7300
  t.is(h.conn.cc.cwnd, 10220 + 3 * 1460);
  h.send({ flags: ACK, ack: seqAdd(una, 14600) });
  t.false(h.conn.inRecovery);
  t.is(h.conn.cc.cwnd, 2920); // RFC 6582 §3.2 step 6 with nothing in flight
});

test('the engine default is CUBIC, as on Linux', (t) => {
  t.is(DEFAULT_ENGINE_OPTIONS.congestion, 'cubic');
  t.is(established().conn.cc.name, 'cubic');
});
