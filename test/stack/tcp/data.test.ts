/**
 * Data transfer on one connection: segmentation by the effective MSS, Nagle (RFC 9293 §3.7.4),
 * delayed ACKs (§3.8.6.3), out-of-order reassembly and immediate ACKs (RFC 5681 §4.2), the
 * receive window and SWS avoidance (§3.8.6.2), zero windows and the persist timer (§3.8.6.1).
 */
import test from 'ava';
import { isTcpError } from '../../../stack/tcp/events';
import { seqAdd } from '../../../stack/tcp/seq';
import { ACK, FIN, SYN, bytes, established, finWait2, closeWait, flagsOf, type Harness } from './harness';

function write(h: Harness, n: number, start = 0): void {
  const r = h.conn.send(bytes(n, start));
  if (isTcpError(r) || r !== n) throw new Error(`send took ${JSON.stringify(r)}`);
}

function dataOf(h: Harness): Uint8Array {
  const chunks = h.events().flatMap((e) => (e.kind === 'data' ? [e.chunk] : []));
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

test('a large write is cut into MSS-sized segments within the initial window (RFC 6928: 10)', (t) => {
  const h = established();
  write(h, 20_000);
  const out = h.flush();
  t.is(out.length, 10);
  t.true(out.every((s) => s.payload.length === 1460));
  t.is(out[0]!.seq, seqAdd(h.iss, 1));
  t.is(out[1]!.seq, seqAdd(h.iss, 1461));
  t.deepEqual(out[0]!.payload, bytes(1460));
});

test('the peer window limits what is sent', (t) => {
  const h = established();
  h.send({ flags: ACK, window: 3000 });
  write(h, 20_000);
  const out = h.flush();
  t.deepEqual(out.map((s) => s.payload.length), [1460, 1460]);
});

test('Nagle on: many small writes make few segments; off: one segment per write', (t) => {
  // 100 writes of 10 bytes, 1 ms apart; the peer acknowledges each segment 20 ms after it left.
  const run = (noDelay: boolean): number => {
    const h = established();
    h.conn.setNoDelay(noDelay);
    let segments = 0;
    const pendingAcks: { at: number; ack: number }[] = [];
    for (let ms = 0; ms < 200; ms++) {
      h.advanceTo(ms);
      while (pendingAcks.length > 0 && pendingAcks[0]!.at <= ms) {
        const a = pendingAcks.shift()!;
        for (const s of h.send({ flags: ACK, ack: a.ack })) {
          segments++;
          pendingAcks.push({ at: ms + 20, ack: seqAdd(s.seq, s.payload.length) });
        }
      }
      if (ms < 100) write(h, 10, ms * 10);
      for (const s of h.flush()) {
        segments++;
        pendingAcks.push({ at: ms + 20, ack: seqAdd(s.seq, s.payload.length) });
      }
    }
    t.is(h.conn.stats().bytesAcked, 1000);
    return segments;
  };
  const nagle = run(false);
  const noDelay = run(true);
  t.is(noDelay, 100);
  t.true(nagle <= 10, `nagle made ${nagle} segments`);
});

test('Nagle (Minshall): n·MSS + tail goes whole; the next small write waits for the small one to be acked', (t) => {
  const h = established();
  write(h, 1460 + 100);
  t.deepEqual(h.flush().map((s) => s.payload.length), [1460, 100]);
  write(h, 50);
  t.deepEqual(h.flush(), []);
  // The full segment acknowledged: the small one still is not, so the 50 bytes still wait.
  t.deepEqual(h.send({ flags: ACK, ack: seqAdd(h.iss, 1461) }), []);
  const after = h.send({ flags: ACK, ack: seqAdd(h.iss, 1561) });
  t.deepEqual(after.map((s) => s.payload.length), [50]);
  t.deepEqual(after.map(flagsOf), ['P.']);
});

test('delayed ACK: one segment is acknowledged after 40 ms; two at once (§3.8.6.3)', (t) => {
  const h = established();
  t.deepEqual(h.send({ flags: ACK, payload: bytes(1000) }), []);
  const later = h.advance(100);
  t.deepEqual(later.map((s) => s.at), [40]);
  t.is(later[0]!.repr.ack, seqAdd(h.peerNxt, 1000));
  h.peerNxt = seqAdd(h.peerNxt, 1000);
  t.deepEqual(h.send({ flags: ACK, payload: bytes(1460) }), []);
  h.peerNxt = seqAdd(h.peerNxt, 1460);
  const second = h.send({ flags: ACK, payload: bytes(1460) });
  t.deepEqual(second.map(flagsOf), ['.']);
  t.is(second[0]!.ack, seqAdd(h.peerNxt, 1460));
});

test('delayed ACK timeout is configurable', (t) => {
  const h = established({ delayedAckMs: 200 });
  h.send({ flags: ACK, payload: bytes(10) });
  t.deepEqual(h.advance(300).map((s) => s.at), [200]);
});

test('out-of-order data: immediate duplicate ACK with SACK; filling the hole: immediate ACK of all', (t) => {
  const h = established({}, { mss: 1460, sackPermitted: true });
  const p = h.peerNxt;
  const dup = h.send({ flags: ACK, seq: seqAdd(p, 1000), payload: bytes(500, 1000) });
  t.deepEqual(dup.map(flagsOf), ['.']);
  t.is(dup[0]!.ack, p);
  t.deepEqual(dup[0]!.options.sack, [{ left: seqAdd(p, 1000), right: seqAdd(p, 1500) }]);
  t.deepEqual(dataOf(h), new Uint8Array(0));
  const fill = h.send({ flags: ACK, seq: p, payload: bytes(1000) });
  t.deepEqual(fill.map(flagsOf), ['.']);
  t.is(fill[0]!.ack, seqAdd(p, 1500));
  t.is(fill[0]!.options.sack, undefined);
  t.deepEqual(dataOf(h), bytes(1500));
});

test('overlapping and duplicate segments are trimmed: each byte delivered once, in order', (t) => {
  const h = established();
  const p = h.peerNxt;
  const all = bytes(3000, 7);
  h.send({ flags: ACK, seq: seqAdd(p, 1000), payload: all.subarray(1000, 2000) });
  h.send({ flags: ACK, seq: seqAdd(p, 1500), payload: all.subarray(1500, 2500) });
  h.send({ flags: ACK, seq: seqAdd(p, 1000), payload: all.subarray(1000, 2000) });
  h.send({ flags: ACK, seq: p, payload: all.subarray(0, 1200) });
  h.send({ flags: ACK, seq: seqAdd(p, 100), payload: all.subarray(100, 3000) });
  t.deepEqual(dataOf(h), all);
  t.is(h.conn.rcvNxt, seqAdd(p, 3000));
});

test('a FIN ahead of a hole waits until the hole is filled', (t) => {
  const h = established();
  const p = h.peerNxt;
  h.send({ flags: FIN | ACK, seq: seqAdd(p, 100), payload: bytes(100, 100) });
  t.is(h.conn.state, 'ESTABLISHED');
  h.send({ flags: ACK, seq: p, payload: bytes(100) });
  t.is(h.conn.state, 'CLOSE-WAIT');
  const ev = h.events().map((e) => e.kind);
  t.deepEqual(ev, ['data', 'data', 'peer-fin']);
});

test('readStop: the window shrinks to zero; readStart delivers and sends a window update', (t) => {
  const h = established({ connection: { receiveBufferSize: 4096, sendBufferSize: 4096, noDelay: false, userTimeoutMs: 0, keepAlive: { enable: false, idleMs: 1, intervalMs: 1, count: 1 } } });
  h.conn.readStop();
  let p = h.peerNxt;
  let acks: import('../../../stack/wire/tcp').TcpRepr[] = [];
  for (let i = 0; i < 4; i++) {
    acks = acks.concat(h.send({ flags: ACK, seq: p, payload: bytes(1024, i) }));
    p = seqAdd(p, 1024);
  }
  acks = acks.concat(h.advance(50).map((s) => s.repr));
  const last = acks[acks.length - 1]!;
  t.is(last.window, 0);
  t.is(last.ack, p);
  t.deepEqual(h.kinds(), []);
  // A zero-window probe with one byte is not accepted but acknowledged.
  const probe = h.send({ flags: ACK, seq: p, payload: bytes(1) });
  t.deepEqual(probe.map((s) => [s.ack, s.window]), [[p, 0]]);
  h.conn.readStart();
  t.deepEqual(h.kinds(), ['data', 'data', 'data', 'data']);
  const update = h.flush();
  t.deepEqual(update.map((s) => [flagsOf(s), s.window]), [['.', 4096]]);
});

test('receiver SWS avoidance: a small read does not reopen the window', (t) => {
  const h = established({ connection: { receiveBufferSize: 8192, sendBufferSize: 8192, noDelay: false, userTimeoutMs: 0, keepAlive: { enable: false, idleMs: 1, intervalMs: 1, count: 1 } } });
  h.conn.readStop();
  h.send({ flags: ACK, payload: bytes(8192) });
  h.advance(50);
  h.conn.readStop();
  // Nothing was read: no update.
  t.deepEqual(h.flush(), []);
});

test('zero window: persist probes back off exponentially (§3.8.6.1) and stop when it opens', (t) => {
  const h = established();
  h.send({ flags: ACK, window: 0 });
  write(h, 1000);
  t.deepEqual(h.flush(), []);
  const probes = h.advance(16_000).filter((s) => s.repr.payload.length === 0);
  t.deepEqual(probes.map((s) => s.at), [200, 600, 1400, 3000, 6200, 12600]); // RTO 200 ms, doubling
  t.true(probes.every((s) => s.repr.seq === seqAdd(h.iss, 0)));
  // Probes answered by zero-window ACKs do not end the connection.
  h.send({ flags: ACK, window: 0 });
  t.is(h.conn.state, 'ESTABLISHED');
  const opened = h.send({ flags: ACK, window: 5000 });
  t.deepEqual(opened.map((s) => s.payload.length), [1000]);
  t.is(h.conn.rtxTimer.kind, 'retransmit');
});

test('window update from the peer opens a blocked send (§3.10.7.4 fifth: SND.WL1/WL2)', (t) => {
  const h = established();
  h.send({ flags: ACK, window: 1460 });
  write(h, 4000);
  t.deepEqual(h.flush().map((s) => s.payload.length), [1460]);
  const more = h.send({ flags: ACK, ack: seqAdd(h.iss, 1461), window: 4000 });
  t.deepEqual(more.map((s) => s.payload.length), [1460, 1080]);
  // An older window update (lower SEG.SEQ) does not shrink the window.
  h.send({ flags: ACK, seq: seqAdd(h.peerNxt, -1), ack: seqAdd(h.iss, 1461), window: 10 });
  t.is(h.conn.sndWnd, 4000);
});

test('send buffer is bounded: send returns what fit, writable follows when acknowledged', (t) => {
  const h = established({ connection: { receiveBufferSize: 4096, sendBufferSize: 4096, noDelay: false, userTimeoutMs: 0, keepAlive: { enable: false, idleMs: 1, intervalMs: 1, count: 1 } } });
  t.is(h.conn.send(bytes(10_000)), 4096);
  t.is(h.conn.send(bytes(1)), 0);
  const out = h.flush();
  const end = seqAdd(out[out.length - 1]!.seq, out[out.length - 1]!.payload.length);
  h.send({ flags: ACK, ack: end });
  t.deepEqual(h.kinds(), ['writable', 'drained']);
});

test('half-close: after our FIN we still receive; after the peer FIN we still send', (t) => {
  const h = finWait2();
  h.events();
  h.send({ flags: ACK, payload: bytes(500) });
  t.deepEqual(dataOf(h), bytes(500));
  const c = closeWait();
  write(c, 3000);
  const out = c.flush();
  t.deepEqual(out.map((s) => s.payload.length), [1460, 1460, 80]);
  t.is(c.conn.send(bytes(1)), 1);
  c.conn.shutdown();
  t.is(c.conn.state, 'LAST-ACK');
  t.deepEqual(c.conn.send(bytes(1)), { error: 'EPIPE' });
});

test('stats report what ss -ti shows', (t) => {
  const h = established();
  write(h, 3000);
  h.flush();
  const s = h.conn.stats();
  t.is(s.state, 'ESTABLISHED');
  t.is(s.bytesInFlight, 3000);
  t.is(s.mss, 1460);
  t.is(s.cwnd, 14600);
  t.is(s.rto, 200); // the handshake's 0 ms sample: the 200 ms floor
});

test('shutdown with queued data: FIN rides on the last data segment', (t) => {
  const h = established();
  write(h, 2000);
  h.conn.shutdown();
  const out = h.flush();
  t.deepEqual(out.map((s) => [flagsOf(s), s.payload.length]), [['.', 1460], ['FP.', 540]]);
  t.is(h.conn.state, 'FIN-WAIT-1');
  h.send({ flags: ACK, ack: seqAdd(h.iss, 2002) });
  t.is(h.conn.state, 'FIN-WAIT-2');
});

test('an unacknowledged FIN is retransmitted by the RTO', (t) => {
  const h = established();
  h.conn.shutdown();
  t.deepEqual(h.flush().map(flagsOf), ['F.']);
  const again = h.advance(200);
  t.deepEqual(again.map((s) => [s.at, flagsOf(s.repr), s.repr.seq]), [[200, 'F.', seqAdd(h.iss, 1)]]);
});

test('data written in SYN-SENT goes out with the handshake ACK', (t) => {
  const { synSent } = require('./harness') as typeof import('./harness');
  const h = synSent();
  t.is(h.conn.send(bytes(100)), 100);
  t.deepEqual(h.flush(), []);
  const out = h.send({ flags: SYN | ACK, seq: h.peerNxt, ack: seqAdd(h.iss, 1), options: { mss: 1460 } });
  t.deepEqual(out.map((s) => [flagsOf(s), s.payload.length]), [['P.', 100]]);
});

test('peer FIN while reading is stopped is reported after the buffered data', (t) => {
  const h = established();
  h.conn.readStop();
  h.send({ flags: FIN | ACK, payload: bytes(300) });
  t.is(h.conn.state, 'CLOSE-WAIT');
  t.deepEqual(h.kinds(), []);
  h.conn.readStart();
  t.deepEqual(h.kinds(), ['data', 'peer-fin']);
});
