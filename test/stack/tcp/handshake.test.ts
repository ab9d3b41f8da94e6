/**
 * Connection establishment (RFC 9293 §3.5, §3.10.7.1–§3.10.7.3): passive and active open,
 * simultaneous open, resets for closed ports, listener corner cases, SYN retransmission, bounds.
 */
import test from 'ava';
import { IpAddress } from '../../../stack/wire/address';
import { isTcpError } from '../../../stack/tcp/events';
import { seqAdd } from '../../../stack/tcp/seq';
import { A, ACK, B, FIN, Harness, listening, PLAIN_SYN, RST, SYN, flagsOf, synReceived, synSent } from './harness';

test('passive open: SYN → SYN-ACK with our MSS, ACK → ESTABLISHED and an accept event (§3.5 Fig. 6)', (t) => {
  const h = listening();
  const out = h.send({ flags: SYN, seq: 1000, ack: 0, options: PLAIN_SYN });
  t.is(out.length, 1);
  t.is(flagsOf(out[0]!), 'S.');
  t.is(out[0]!.ack, 1001);
  t.is(out[0]!.options.mss, 1460);
  const conn = h.engine.allConnections()[0]!;
  t.is(conn.state, 'SYN-RECEIVED');
  t.deepEqual(h.kinds(), []);
  h.peerNxt = 1001;
  t.deepEqual(h.send({ flags: ACK, ack: seqAdd(out[0]!.seq, 1) }), []);
  t.is(conn.state, 'ESTABLISHED');
  const ev = h.events();
  t.is(ev.length, 1);
  t.is(ev[0]!.kind, 'accept');
  t.is(h.engine.counter('state:ESTABLISHED'), 1);
});

test('active open: SYN, SYN-ACK → ACK and established (§3.5 Fig. 6)', (t) => {
  const h = new Harness();
  const c = h.engine.connect({ remote: B, remotePort: 80 }, 0);
  if (isTcpError(c)) return t.fail(c.error);
  const syn = h.out();
  t.is(syn.length, 1);
  t.is(flagsOf(syn[0]!), 'S');
  t.is(syn[0]!.dstPort, 80);
  t.true(syn[0]!.srcPort >= 32768 && syn[0]!.srcPort <= 60999);
  t.is(syn[0]!.options.mss, 1460);
  t.is(syn[0]!.options.windowScale, 3); // 256 KiB buffer
  t.true(syn[0]!.options.sackPermitted);
  t.truthy(syn[0]!.options.timestamp);
  h.conn = c;
  h.ourPort = c.localPort;
  h.peerPort = 80;
  h.now = 30;
  const out = h.send({ flags: SYN | ACK, seq: 5000, ack: seqAdd(syn[0]!.seq, 1), options: PLAIN_SYN });
  t.is(out.length, 1);
  t.is(flagsOf(out[0]!), '.');
  t.is(out[0]!.ack, 5001);
  t.is(c.state, 'ESTABLISHED');
  t.deepEqual(h.kinds(), ['established']);
  t.is(c.stats().srtt, 30);
  // The peer offered no window scale: neither side scales.
  t.is(c.rcvWscale, 0);
  t.false(c.tsEnabled);
});

test('simultaneous open: SYN-SENT + SYN → SYN-RECEIVED, then SYN-ACK → ESTABLISHED (§3.5 Fig. 7)', (t) => {
  const h = synSent();
  const out = h.send({ flags: SYN, seq: 7000, ack: 0, options: PLAIN_SYN });
  t.is(h.conn.state, 'SYN-RECEIVED');
  t.is(flagsOf(out[0]!), 'S.');
  t.is(out[0]!.seq, h.iss);
  t.is(out[0]!.ack, 7001);
  h.peerNxt = 7001;
  const out2 = h.send({ flags: SYN | ACK, seq: 7000, ack: seqAdd(h.iss, 1), options: PLAIN_SYN });
  // The peer's SYN-ACK repeats its SYN (seq 7000): our ACK of it moves us on.
  t.true(out2.length <= 1);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 1) });
  t.is(h.conn.state, 'ESTABLISHED');
  t.deepEqual(h.kinds(), ['established']);
});

test('CLOSED port: SYN gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (§3.10.7.1)', (t) => {
  const h = new Harness();
  const out = h.send({ flags: SYN, seq: 100, ack: 0, dstPort: 81 });
  t.is(out.length, 1);
  t.is(flagsOf(out[0]!), 'R.');
  t.is(out[0]!.seq, 0);
  t.is(out[0]!.ack, 101);
  t.is(out[0]!.srcPort, 81);
  t.is(out[0]!.dstPort, 40000);
});

test('CLOSED port: data with FIN and no ACK → ACK covers data and FIN (§3.10.7.1)', (t) => {
  const h = new Harness();
  const out = h.send({ flags: FIN, seq: 100, ack: 0, dstPort: 81, payload: new Uint8Array(10) });
  t.is(out[0]!.ack, 111);
});

test('CLOSED port: ACK segment gets <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing (§3.10.7.1)', (t) => {
  const h = new Harness();
  const out = h.send({ flags: ACK, seq: 100, ack: 555, dstPort: 81 });
  t.is(flagsOf(out[0]!), 'R');
  t.is(out[0]!.seq, 555);
  t.deepEqual(h.send({ flags: RST, seq: 100, ack: 0, dstPort: 81 }), []);
  t.deepEqual(h.send({ flags: RST | ACK, seq: 100, ack: 9, dstPort: 81 }), []);
});

test('LISTEN: RST ignored, ACK answered with RST, segment without SYN dropped (§3.10.7.2)', (t) => {
  const h = listening();
  t.deepEqual(h.send({ flags: RST, seq: 5, ack: 0 }), []);
  const out = h.send({ flags: ACK, seq: 5, ack: 77 });
  t.is(flagsOf(out[0]!), 'R');
  t.is(out[0]!.seq, 77);
  t.deepEqual(h.send({ flags: FIN, seq: 5, ack: 0 }), []);
  t.is(h.engine.allConnections().length, 0);
});

test('SYN-SENT: unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>, state unchanged (§3.10.7.3)', (t) => {
  const h = synSent();
  const out = h.send({ flags: SYN | ACK, seq: 9, ack: seqAdd(h.iss, 5) });
  t.is(flagsOf(out[0]!), 'R');
  t.is(out[0]!.seq, seqAdd(h.iss, 5));
  t.is(h.conn.state, 'SYN-SENT');
});

test('SYN-SENT: RST with acceptable ACK → ECONNREFUSED, CLOSED; RST without ACK ignored (§3.10.7.3)', (t) => {
  const h = synSent();
  t.deepEqual(h.send({ flags: RST, seq: 0, ack: 0 }), []);
  t.is(h.conn.state, 'SYN-SENT');
  t.deepEqual(h.send({ flags: RST | ACK, seq: 0, ack: seqAdd(h.iss, 1) }), []);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['error:ECONNREFUSED', 'closed']);
  t.is(h.engine.allConnections().length, 0);
});

test('SYN retransmission backs off 1, 2, 4 … s and ends in ETIMEDOUT after synRetries (RFC 6298 §5.5)', (t) => {
  const h = synSent({ synRetries: 3 });
  const sent = h.advance(60_000);
  const syns = sent.filter((s) => flagsOf(s.repr) === 'S').map((s) => s.at);
  t.deepEqual(syns, [1000, 3000, 7000]);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['error:ETIMEDOUT', 'closed']);
});

test('SYN-RECEIVED: SYN-ACK retransmitted on timeout and on a duplicate SYN', (t) => {
  const h = synReceived();
  const dup = h.send({ flags: SYN, seq: 1000, ack: 0, options: PLAIN_SYN });
  t.is(flagsOf(dup[0]!), 'S.');
  const later = h.advance(1000);
  t.is(later.length, 1);
  t.is(flagsOf(later[0]!.repr), 'S.');
});

test('SYN-RECEIVED (passive) gives up silently after synAckRetries', (t) => {
  const h = synReceived({ synAckRetries: 2 });
  h.advance(100_000);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), []);
  t.is(h.listener!.halfOpen, 0);
});

test('SYN-RECEIVED: unacceptable ACK draws RST (§3.10.7.4 fifth)', (t) => {
  const h = synReceived();
  const out = h.send({ flags: ACK, ack: seqAdd(h.iss, 100) });
  t.is(flagsOf(out[0]!), 'R');
  t.is(out[0]!.seq, seqAdd(h.iss, 100));
  t.is(h.conn.state, 'SYN-RECEIVED');
});

test('half-open bound: SYNs beyond the backlog are dropped (SYN cookies off; with them: syn-cookie.test.ts)', (t) => {
  const h = listening({ synCookies: false }, 2);
  for (let i = 0; i < 4; i++) h.send({ flags: SYN, seq: 100, ack: 0, srcPort: 5000 + i });
  t.is(h.engine.allConnections().length, 2);
  t.is(h.engine.counter('syn-dropped-half-open-full'), 2);
});

test('accept-queue bound: a completing ACK beyond the backlog is ignored until events are taken', (t) => {
  const h = listening({}, 1);
  const iss0 = h.send({ flags: SYN, seq: 100, ack: 0, srcPort: 5000 })[0]!.seq;
  h.send({ flags: ACK, seq: 101, ack: seqAdd(iss0, 1), srcPort: 5000 });
  t.is(h.engine.counter('state:ESTABLISHED'), 1);
  // The half-open slot is free again, so a second SYN is answered…
  const iss1 = h.send({ flags: SYN, seq: 100, ack: 0, srcPort: 5001 })[0]!.seq;
  // …but its handshake cannot complete while the first accept is still untaken.
  h.send({ flags: ACK, seq: 101, ack: seqAdd(iss1, 1), srcPort: 5001 });
  t.is(h.engine.counter('state:ESTABLISHED'), 1);
  t.is(h.engine.counter('accept-queue-full'), 1);
  t.deepEqual(h.kinds(), ['accept']);
  h.send({ flags: ACK, seq: 101, ack: seqAdd(iss1, 1), srcPort: 5001 });
  t.is(h.engine.counter('state:ESTABLISHED'), 2);
  t.deepEqual(h.kinds(), ['accept']);
});

test('options: window scale, timestamps and SACK negotiated when both SYNs carry them (RFC 7323 §2.2, §3.2)', (t) => {
  const h = synReceived({}, { mss: 1400, windowScale: 7, sackPermitted: true, timestamp: { tsVal: 111, tsEcr: 0 } });
  const synAck = h.engine.allConnections()[0]!;
  t.is(synAck.sndWscale, 7);
  t.is(synAck.rcvWscale, 3);
  t.true(synAck.tsEnabled);
  t.true(synAck.sackEnabled);
  t.is(synAck.tsRecent, 111);
  t.is(synAck.effectiveMss, 1400 - 12);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 1), window: 100, options: { timestamp: { tsVal: 112, tsEcr: 1 } } });
  t.is(h.conn.sndWnd, 100 << 7);
  t.is(h.conn.tsRecent, 112);
});

test('options: without a peer MSS, 536 is assumed for IPv4 (RFC 9293 §3.7.1)', (t) => {
  const h = synReceived({}, {});
  t.is(h.conn.effectiveMss, 536);
});

test('a SYN-ACK echoes only what the peer offered', (t) => {
  const h = listening();
  const out = h.send({ flags: SYN, seq: 1, ack: 0, options: { mss: 1460, sackPermitted: true } });
  t.is(out[0]!.options.windowScale, undefined);
  t.is(out[0]!.options.timestamp, undefined);
  t.true(out[0]!.options.sackPermitted);
});

test('ISNs differ per 4-tuple and grow with the clock for one tuple (RFC 6528)', (t) => {
  const h = listening();
  const a = h.send({ flags: SYN, seq: 1, ack: 0, srcPort: 1111 })[0]!.seq;
  const b = h.send({ flags: SYN, seq: 1, ack: 0, srcPort: 2222 })[0]!.seq;
  t.not(a, b);
  h.send({ flags: RST, seq: 2, srcPort: 1111 });
  h.now = 1000;
  const a2 = h.send({ flags: SYN, seq: 1, ack: 0, srcPort: 1111 })[0]!.seq;
  t.is((a2 - a) >>> 0, 250_000); // 4 µs ticks: 250 per ms
});

test('listen/connect errors: EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, EINVAL', (t) => {
  const h = listening();
  const any = IpAddress.parse('0.0.0.0')!;
  t.deepEqual(h.engine.listen(any, 80), { error: 'EADDRINUSE' });
  t.deepEqual(h.engine.listen(A, 80), { error: 'EADDRINUSE' });
  t.deepEqual(h.engine.listen(B, 81), { error: 'EADDRNOTAVAIL' });
  t.deepEqual(h.engine.listen(any, 70000), { error: 'EINVAL' });
  const v6any = IpAddress.parse('::')!;
  t.deepEqual(h.engine.listen(v6any, 80), { error: 'EADDRINUSE' }); // dual-stack overlaps 0.0.0.0
  t.false(isTcpError(h.engine.listen(v6any, 80, { ipv6Only: true })));
  const eph = h.engine.listen(any, 0);
  if (isTcpError(eph)) return t.fail();
  t.true(eph.port >= 32768);
  t.deepEqual(h.engine.connect({ remote: IpAddress.parse('2001:db8::1')!, remotePort: 80 }), { error: 'ENETUNREACH' });
  t.deepEqual(h.engine.connect({ remote: B, remotePort: 80, local: B }), { error: 'EADDRNOTAVAIL' });
  t.deepEqual(h.engine.connect({ remote: B, remotePort: 0 }), { error: 'EINVAL' });
  const c = h.engine.connect({ remote: B, remotePort: 80, localPort: 5555 });
  t.false(isTcpError(c));
  t.deepEqual(h.engine.connect({ remote: B, remotePort: 80, localPort: 5555 }), { error: 'EADDRINUSE' });
  t.deepEqual(h.engine.connect({ remote: B, remotePort: 80, localPort: 80 }), { error: 'EADDRINUSE' });
});

test('ephemeral ports: consecutive connects to one peer get distinct ports', (t) => {
  const h = new Harness();
  const ports = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const c = h.engine.connect({ remote: B, remotePort: 80 });
    if (isTcpError(c)) return t.fail(c.error);
    ports.add(c.localPort);
  }
  t.is(ports.size, 50);
});

test('closing a listener drops its half-open connections; new SYNs get RST', (t) => {
  const h = synReceived();
  h.listener!.close();
  t.is(h.conn.state, 'CLOSED');
  const out = h.send({ flags: SYN, seq: 1, ack: 0, srcPort: 999 });
  t.is(flagsOf(out[0]!), 'R.');
});
