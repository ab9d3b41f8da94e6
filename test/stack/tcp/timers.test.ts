/**
 * Timers and loss recovery on the wire: RTO backoff to ETIMEDOUT (RFC 6298 §5), keepalive
 * (RFC 1122 §4.2.3.6), fast retransmit and NewReno recovery (RFC 5681 §3.2, RFC 6582), the user
 * timeout (RFC 5482), ICMP errors (RFC 1122 §4.2.3.9).
 */
import test from 'ava';
import { isTcpError } from '../../../stack/tcp/events';
import { seqAdd, seqDiff } from '../../../stack/tcp/seq';
import { A, ACK, B, bytes, established, flagsOf, synSent, type Harness } from './harness';

function write(h: Harness, n: number): void {
  const r = h.conn.send(bytes(n));
  if (isTcpError(r) || r !== n) throw new Error('send');
}

test('RTO: retransmissions back off 1, 2, 4 … s (capped) and end in ETIMEDOUT without a RST', (t) => {
  const h = established({ maxRetransmits: 5, minRtoMs: 1000 });
  h.conn.rtt.sample(0);
  write(h, 100);
  t.is(h.flush().length, 1);
  const sent = h.advance(1_000_000);
  const resends = sent.filter((s) => s.repr.payload.length === 100);
  t.deepEqual(resends.map((s) => s.at), [1000, 3000, 7000, 15000, 31000]);
  t.true(resends.every((s) => s.repr.seq === seqAdd(h.iss, 1)));
  t.is(sent.filter((s) => flagsOf(s.repr).includes('R')).length, 0);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['error:ETIMEDOUT', 'closed']);
  t.is(h.conn.stats().retransmits, 5);
});

test('RTO: the maximum caps the backoff', (t) => {
  const h = established({ maxRetransmits: 8, minRtoMs: 1000, maxRtoMs: 5000 });
  h.conn.rtt.sample(0);
  write(h, 100);
  h.flush();
  const at = h.advance(1_000_000).filter((s) => s.repr.payload.length === 100).map((s) => s.at);
  t.deepEqual(at, [1000, 3000, 7000, 12000, 17000, 22000, 27000, 32000]);
});

test('RTO: after a timeout cwnd is one segment and data resumes from SND.UNA (go-back-N)', (t) => {
  const h = established();
  write(h, 5000);
  const first = h.flush();
  t.is(first.length, 4);
  const rto = h.advance(200);
  t.deepEqual(rto.map((s) => [s.repr.seq, s.repr.payload.length]), [[seqAdd(h.iss, 1), 1460]]);
  t.is(h.conn.cc.cwnd, 1460);
  // The ACK of the resent segment lets two more go (slow start).
  const next = h.send({ flags: ACK, ack: seqAdd(h.iss, 1461) });
  t.deepEqual(next.map((s) => s.payload.length), [1460, 1460]);
});

test('RTT: samples set SRTT/RTTVAR per RFC 6298 §2', (t) => {
  const h = established();
  write(h, 100);
  h.flush();
  h.advance(100);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 101) });
  const s = h.conn.stats();
  // First sample 0 ms (handshake), then 100 ms: rttvar = 3/4·0 + 1/4·100, srtt = 7/8·0 + 1/8·100.
  t.is(s.srtt, 12.5);
  t.is(s.rttvar, 25);
  t.is(s.rto, 200);
});

test('fast retransmit on the third duplicate ACK, NewReno partial ACK, recovery exit (RFC 5681, 6582)', (t) => {
  const h = established({ congestion: 'newreno' }); // ssthresh = FlightSize/2 is NewReno's (CUBIC: congestion/cubic.test.ts)
  write(h, 14600);
  const first = h.flush();
  t.is(first.length, 10);
  const una = seqAdd(h.iss, 1);
  // Segments 0 and 3 are lost; each later arrival draws a duplicate ACK of SND.UNA.
  t.deepEqual(h.send({ flags: ACK, ack: una }), []);
  t.deepEqual(h.send({ flags: ACK, ack: una }), []);
  const fr = h.send({ flags: ACK, ack: una });
  t.deepEqual(fr.map((s) => [s.seq, s.payload.length]), [[una, 1460]]);
  t.is(h.engine.counter('fast-retransmits'), 1);
  t.true(h.conn.inRecovery);
  t.is(h.conn.cc.ssthresh, 7300);
  t.is(h.conn.cc.cwnd, 7300 + 3 * 1460);
  // Partial ACK: up to segment 3 (segment 3 was lost too): retransmit it at once.
  const partial = h.send({ flags: ACK, ack: seqAdd(una, 3 * 1460) });
  t.is(partial[0]!.seq, seqAdd(una, 3 * 1460));
  t.true(h.conn.inRecovery);
  // Full ACK ends recovery.
  h.send({ flags: ACK, ack: seqAdd(una, 14600) });
  t.false(h.conn.inRecovery);
  t.is(h.conn.cc.cwnd, 2920); // RFC 6582 §3.2 step 6: min(ssthresh, max(FlightSize, SMSS) + SMSS)
});

test('keepalive: probes at idle, idle+interval …, then RST and ETIMEDOUT after count (RFC 1122 §4.2.3.6)', (t) => {
  const h = established();
  h.conn.setKeepAlive({ enable: true, idleMs: 10_000, intervalMs: 1_000, count: 3 });
  const sent = h.advance(20_000);
  const probes = sent.filter((s) => flagsOf(s.repr) === '.');
  t.deepEqual(probes.map((s) => s.at), [10_000, 11_000, 12_000]);
  t.true(probes.every((s) => s.repr.seq === h.iss && s.repr.payload.length === 0)); // SND.NXT − 1
  const rst = sent.filter((s) => flagsOf(s.repr).includes('R'));
  t.deepEqual(rst.map((s) => s.at), [13_000]);
  t.deepEqual(h.kinds(), ['error:ETIMEDOUT', 'closed']);
});

test('keepalive: an answer resets the probe count and the idle clock', (t) => {
  const h = established();
  h.conn.setKeepAlive({ enable: true, idleMs: 10_000, intervalMs: 1_000, count: 3 });
  h.advance(11_500);
  h.send({ flags: ACK });
  const sent = h.advance(30_000);
  t.deepEqual(sent.filter((s) => flagsOf(s.repr) === '.').map((s) => s.at), [21_500, 22_500, 23_500]);
  h.advance(30_000);
  t.is(h.conn.state, 'CLOSED');
});

test('keepalive is off by default', (t) => {
  const h = established();
  t.deepEqual(h.advance(10 * 3600_000), []);
  t.is(h.conn.state, 'ESTABLISHED');
  t.is(h.engine.nextDeadline(), Infinity);
});

test('user timeout: unacknowledged data for userTimeoutMs → ETIMEDOUT (RFC 5482)', (t) => {
  const h = established();
  h.conn.setUserTimeout(5000);
  write(h, 100);
  h.flush();
  h.advance(4999);
  t.is(h.conn.state, 'ESTABLISHED');
  h.advance(1);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['error:ETIMEDOUT', 'closed']);
});

test('ICMP: unreachable fails a connection in SYN-SENT; an established one reports it only on give-up', (t) => {
  const h = synSent();
  h.engine.icmpError({ kind: 'host-unreachable', local: A, remote: B, localPort: h.ourPort, remotePort: 80, seq: h.iss }, 10);
  t.deepEqual(h.kinds(), ['error:EHOSTUNREACH', 'closed']);
  const e = established({ maxRetransmits: 2 });
  write(e, 10);
  e.flush();
  e.engine.icmpError({ kind: 'net-unreachable', local: A, remote: B, localPort: 80, remotePort: e.peerPort, seq: seqAdd(e.iss, 1) }, 0);
  t.is(e.conn.state, 'ESTABLISHED');
  e.advance(100_000);
  t.deepEqual(e.kinds(), ['error:ENETUNREACH', 'closed']);
});

test('ICMP quoting a sequence number we never sent is ignored (RFC 5927 §4.1)', (t) => {
  const h = synSent();
  h.engine.icmpError({ kind: 'host-unreachable', local: A, remote: B, localPort: h.ourPort, remotePort: 80, seq: seqAdd(h.iss, 5000) }, 10);
  t.is(h.conn.state, 'SYN-SENT');
  t.is(h.engine.counter('icmp-ignored'), 1);
});

test('after a timeout, retransmission skips what the peer SACKed', (t) => {
  const h = established({}, { mss: 1460, sackPermitted: true });
  write(h, 5 * 1460);
  t.is(h.flush().length, 5);
  const una = seqAdd(h.iss, 1);
  // The peer holds segments 2–3 and reports them.
  h.send({ flags: ACK, ack: una, options: { sack: [{ left: seqAdd(una, 2 * 1460), right: seqAdd(una, 4 * 1460) }] } });
  const resent: number[] = [];
  for (const s of h.advance(200)) resent.push(seqDiff(s.repr.seq, una) / 1460);
  t.deepEqual(resent, [0]);
  for (const s of h.send({ flags: ACK, ack: seqAdd(una, 1460), options: { sack: [{ left: seqAdd(una, 2 * 1460), right: seqAdd(una, 4 * 1460) }] } })) {
    resent.push(seqDiff(s.seq, una) / 1460);
  }
  t.deepEqual(resent, [0, 1, 4]);
});
