/**
 * Unit tests of the TCP building blocks: sequence arithmetic (RFC 9293 §3.4), the RTO estimator
 * (RFC 6298), NewReno arithmetic (RFC 5681, 6582, 6928), reassembly, the send buffer, the keyed
 * hash behind ISNs and ephemeral ports (RFC 6528, RFC 6056).
 */
import test from 'ava';
import fc from 'fast-check';
import { NewReno } from '../../../stack/tcp/congestion/newreno';
import { KeyedHash } from '../../../stack/tcp/hash';
import { EphemeralPorts } from '../../../stack/tcp/ports';
import { MAX_REASSEMBLY_RANGES, Reassembly } from '../../../stack/tcp/reassembly';
import { RttEstimator } from '../../../stack/tcp/rtt';
import { SendBuffer } from '../../../stack/tcp/send-buffer';
import { inWindow, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../../../stack/tcp/seq';
import { acceptable } from '../../../stack/tcp/input';
import { A, B, bytes, prng } from './harness';

test('sequence comparisons wrap around 2^32', (t) => {
  t.true(seqLt(0xffffff00, 0x10));
  t.true(seqGt(0x10, 0xffffff00));
  t.true(seqLe(5, 5) && seqGe(5, 5));
  t.is(seqAdd(0xffffffff, 2), 1);
  t.is(seqDiff(1, 0xffffffff), 2);
  t.true(inWindow(0xfffffffe, 0xfffffff0, 100));
  t.true(inWindow(10, 0xfffffff0, 100));
  t.false(inWindow(100, 0xfffffff0, 100));
  t.false(inWindow(5, 5, 0));
});

test('property: seqAdd and seqDiff are inverse for |n| < 2^31', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), (a, n) => {
      return seqDiff(seqAdd(a, n), a) === n && (n > 0 ? seqGt(seqAdd(a, n), a) : true);
    }),
  );
  t.pass();
});

test('segment acceptability test: the four cases of RFC 9293 §3.10.7.4', (t) => {
  t.true(acceptable(100, 0, 100, 0)); // len 0, wnd 0: SEG.SEQ = RCV.NXT
  t.false(acceptable(101, 0, 100, 0));
  t.true(acceptable(150, 0, 100, 100)); // len 0, wnd > 0
  t.false(acceptable(200, 0, 100, 100));
  t.false(acceptable(100, 10, 100, 0)); // len > 0, wnd 0: never
  t.true(acceptable(95, 10, 100, 100)); // last byte in window
  t.true(acceptable(199, 10, 100, 100)); // first byte in window
  t.false(acceptable(80, 10, 100, 100)); // wholly old
});

test('RTO per RFC 6298: first sample, updates, floor, backoff and its collapse', (t) => {
  const r = new RttEstimator(1000, 200, 60_000);
  t.is(r.rto, 1000);
  r.sample(100);
  t.is(r.srtt, 100);
  t.is(r.rttvar, 50);
  t.is(r.rto, 300); // 100 + 4·50
  r.sample(100);
  t.is(r.rttvar, 37.5);
  t.is(r.rto, 250);
  r.backoff();
  r.backoff();
  t.is(r.rto, 1000);
  for (let i = 0; i < 20; i++) r.backoff();
  t.is(r.rto, 60_000);
  r.sample(10);
  t.is(r.backoffs, 0);
  t.true(r.rto >= 200);
});

test('NewReno: IW per RFC 6928, slow start, congestion avoidance, loss, RTO', (t) => {
  t.is(NewReno.initialWindow(1460), 14600);
  t.is(NewReno.initialWindow(536), 5360);
  t.is(NewReno.initialWindow(9000), 18000);
  const cc = new NewReno(1000);
  t.is(cc.cwnd, 10_000);
  cc.onAck(1000);
  t.is(cc.cwnd, 11_000);
  cc.onLoss(20_000);
  t.is(cc.ssthresh, 10_000);
  t.is(cc.cwnd, 13_000);
  cc.onDupAck();
  t.is(cc.cwnd, 14_000);
  cc.onRecoveryEnd(12_000);
  t.is(cc.cwnd, 10_000);
  // Congestion avoidance: one SMSS per cwnd of acknowledged bytes.
  for (let i = 0; i < 10; i++) cc.onAck(1000);
  t.is(cc.cwnd, 11_000);
  cc.onRto(11_000);
  t.is(cc.cwnd, 1000);
  t.is(cc.ssthresh, 5500);
});

test('reassembly: overlaps trimmed, in-order take, SACK blocks newest first', (t) => {
  const r = new Reassembly();
  t.true(r.insert(1000, bytes(100, 0)));
  t.true(r.insert(1300, bytes(100, 0)));
  t.false(r.insert(1020, bytes(50, 0))); // wholly duplicate
  t.true(r.insert(1050, bytes(100, 50))); // extends 1000–1100 to 1150
  t.is(r.bytes, 250);
  t.deepEqual(r.sackBlocks(4), [{ left: 1000, right: 1150 }, { left: 1300, right: 1400 }]);
  t.true(r.insert(1350, bytes(100)));
  t.deepEqual(r.sackBlocks(1), [{ left: 1300, right: 1450 }]);
  t.deepEqual(r.takeFrom(990), []);
  const got = r.takeFrom(1000);
  t.deepEqual(got.map((c) => c.length), [100, 50]);
  t.is(r.count, 2);
  t.deepEqual(r.takeFrom(1200), []);
  r.clear();
  t.is(r.bytes, 0);
});

test('reassembly: the number of ranges is bounded', (t) => {
  const r = new Reassembly();
  for (let i = 0; i < MAX_REASSEMBLY_RANGES + 10; i++) r.insert(1000 + i * 10, bytes(1));
  t.is(r.count, MAX_REASSEMBLY_RANGES);
});

test('property: reassembly delivers every byte exactly once whatever the arrival order', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 1, max: 200 })), { maxLength: 60 }), fc.integer({ min: 0, max: 0xffffffff }), (pieces, base) => {
      const data = bytes(1200, 9);
      const r = new Reassembly();
      let next = base;
      const out: number[] = [];
      const arrive = (off: number, len: number): void => {
        const end = Math.min(1200, off + len);
        const skip = seqDiff(next, seqAdd(base, off));
        if (skip >= end - off) return;
        if (skip >= 0) {
          for (const b of data.subarray(off + skip, end)) out.push(b);
          next = seqAdd(base, end);
          for (const c of r.takeFrom(next)) {
            for (const b of c) out.push(b);
            next = seqAdd(next, c.length);
          }
        } else {
          r.insert(seqAdd(base, off), data.slice(off, end));
        }
      };
      for (const [off, len] of pieces) arrive(off, len);
      arrive(0, 1200);
      return out.length === 1200 && out.every((b, i) => b === data[i]) && r.count === 0;
    }),
  );
  t.pass();
});

test('send buffer: bounded, views when possible, copies across chunks, consume', (t) => {
  const b = new SendBuffer(100);
  const x = bytes(60);
  t.is(b.push(x), 60);
  t.is(b.push(bytes(60, 60)), 40);
  t.is(b.free, 0);
  const v = b.read(10, 20);
  t.is(v.buffer, x.buffer); // a view into the user's chunk
  const across = b.read(50, 20);
  t.deepEqual(across, bytes(20, 50));
  b.consume(55);
  t.is(b.length, 45);
  t.deepEqual(b.read(0, 10), bytes(10, 55));
  b.consume(45);
  t.is(b.length, 0);
  t.deepEqual(b.read(0, 10), new Uint8Array(0));
});

test('keyed hash: deterministic per key, different across keys and inputs', (t) => {
  const k = new KeyedHash(1, 2);
  t.is(k.hash([1, 2, 3]), k.hash([1, 2, 3]));
  t.not(k.hash([1, 2, 3]), k.hash([1, 2, 4]));
  t.not(k.hash([1, 2, 3]), new KeyedHash(1, 3).hash([1, 2, 3]));
});

test('ephemeral ports stay in range, skip ports in use, and report exhaustion (RFC 6056)', (t) => {
  const p = new EphemeralPorts(prng(3), 40000, 40009);
  const used = new Set<number>();
  for (let i = 0; i < 10; i++) {
    const port = p.pick(A, B, 80, (q) => used.has(q));
    t.true(port !== null && port >= 40000 && port <= 40009);
    used.add(port!);
  }
  t.is(p.pick(A, B, 80, (q) => used.has(q)), null);
});

test('SACK scoreboard: valid blocks merged, invalid ignored, skip and run lengths (RFC 2018 §5)', (t) => {
  const { SackScoreboard } = require('../../../stack/tcp/sack') as typeof import('../../../stack/tcp/sack');
  const s = new SackScoreboard();
  s.update([{ left: 2000, right: 3000 }, { left: 5000, right: 6000 }, { left: 9000, right: 99999 }, { left: 10, right: 500 }], 1000, 8000);
  t.is(s.size, 2);
  s.update([{ left: 2500, right: 4000 }], 1000, 8000);
  t.is(s.size, 2);
  t.is(s.skipSacked(1000), 1000);
  t.is(s.runLength(1000), 1000);
  t.is(s.skipSacked(2200), 4000);
  t.is(s.runLength(4000), 1000);
  t.is(s.runLength(6000), Infinity);
  s.advance(5500);
  t.is(s.size, 1);
  t.is(s.skipSacked(5500), 6000);
});
