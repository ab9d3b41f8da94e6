/**
 * Deferred accept on an intercepting listener (stack/tcp/deferred.ts): a SYN in, nothing out until
 * the user decides; then exactly the segments an ordinary listener (accept) or a closed port
 * (refuse, RFC 9293 §3.10.7.1) would send.
 */

import test from 'ava';
import { IpAddress } from '../../../stack/wire/address';
import { DEFERRED_SYN_TIMEOUT_MS, MAX_DEFERRED_SYNS, type PendingSyn } from '../../../stack/tcp/deferred';
import { isTcpError, type TcpEvent } from '../../../stack/tcp/events';
import type { TcpListener } from '../../../stack/tcp/listener';
import { ACK, B, Harness, RST, SYN, flagsOf } from './harness';

const FAR = IpAddress.parse('93.184.216.34')!;

function deferring(deferTimeoutMs?: number): { h: Harness; l: TcpListener } {
  const h = new Harness();
  const l = h.engine.intercept(4, deferTimeoutMs === undefined ? { defer: true } : { defer: true, deferTimeoutMs });
  if (isTcpError(l)) throw new Error(l.error);
  return { h, l };
}

/** The peer's SYN to FAR:443 from B:`srcPort`, then a poll; returns what went out. */
function syn(h: Harness, srcPort = 40000, seq = 1000) {
  h.engine.input(B, FAR, h.seg({ flags: SYN, seq, ack: 0, srcPort, dstPort: 443, options: { mss: 1460, sackPermitted: true } }), h.now);
  h.engine.poll(h.now);
  return h.engine.takeOutput();
}

function pendingOf(events: TcpEvent[]): PendingSyn[] {
  return events.flatMap((e) => (e.kind === 'syn' ? [e.pending] : []));
}

test('a SYN is held and reported with its original destination and options; nothing is sent', (t) => {
  const { h, l } = deferring();
  t.deepEqual(syn(h), []);
  const events = h.engine.takeEvents();
  t.is(events.length, 1);
  const ev = events[0]!;
  if (ev.kind !== 'syn') return t.fail(ev.kind);
  t.is(ev.listener, l);
  const p = ev.pending;
  t.true(p.local.equals(FAR));
  t.is(p.localPort, 443);
  t.true(p.remote.equals(B));
  t.is(p.remotePort, 40000);
  t.deepEqual(p.options, { mss: 1460, sackPermitted: true });
  t.is(p.state, 'pending');
  t.is(h.engine.allConnections().length, 0, 'no control block before the decision');
});

test('accept(): SYN-ACK from the original destination, then the accept event for the same connection', (t) => {
  const { h, l } = deferring();
  syn(h);
  const [p] = pendingOf(h.engine.takeEvents());
  h.now = 40;
  const conn = p!.accept();
  if (isTcpError(conn)) return t.fail(conn.error);
  t.is(conn.state, 'SYN-RECEIVED');
  t.is(p!.state, 'accepted');
  h.engine.poll(h.now);
  const out = h.engine.takeOutput();
  t.is(out.length, 1);
  const synAck = out[0]!;
  t.is(flagsOf(synAck.repr), 'S.');
  t.true(synAck.src.equals(FAR));
  t.true(synAck.dst.equals(B));
  t.is(synAck.repr.srcPort, 443);
  t.is(synAck.repr.dstPort, 40000);
  t.is(synAck.repr.ack, 1001);
  t.true(synAck.repr.options.sackPermitted === true, 'negotiated from the held SYN');
  h.engine.input(B, FAR, h.seg({ flags: ACK, seq: 1001, ack: (synAck.repr.seq + 1) >>> 0, dstPort: 443 }), h.now);
  const accept = h.engine.takeEvents().find((e) => e.kind === 'accept');
  if (accept === undefined || accept.kind !== 'accept') return t.fail('no accept event');
  t.is(accept.listener, l);
  t.is(accept.conn, conn);
  t.is(conn.state, 'ESTABLISHED');
  t.deepEqual(p!.accept(), { error: 'EINVAL' }, 'a pending SYN is decided once');
});

test('refuse(): RST,ACK <SEQ=0><ACK=SEG.SEQ+1> from the original destination (§3.10.7.1)', (t) => {
  const { h } = deferring();
  syn(h, 40000, 5000);
  const [p] = pendingOf(h.engine.takeEvents());
  t.true(p!.refuse());
  h.engine.poll(h.now);
  const out = h.engine.takeOutput();
  t.is(out.length, 1);
  t.is(flagsOf(out[0]!.repr), 'R.');
  t.is(out[0]!.repr.seq, 0);
  t.is(out[0]!.repr.ack, 5001);
  t.true(out[0]!.src.equals(FAR));
  t.is(out[0]!.repr.srcPort, 443);
  t.is(p!.state, 'refused');
  t.false(p!.refuse(), 'a second refusal does nothing');
  t.deepEqual(h.engine.takeOutput(), []);
  t.deepEqual(h.engine.takeUnreachables(), []);
});

test("refuse('unreachable'): no segment; an ICMP request quoting the SYN for the network layer", (t) => {
  const { h } = deferring();
  syn(h);
  const [p] = pendingOf(h.engine.takeEvents());
  t.true(p!.refuse('unreachable'));
  h.engine.poll(h.now);
  t.deepEqual(h.engine.takeOutput(), []);
  const u = h.engine.takeUnreachables();
  t.is(u.length, 1);
  t.true(u[0]!.src.equals(FAR));
  t.true(u[0]!.dst.equals(B));
  t.is(u[0]!.syn.seq, 1000);
  t.is(u[0]!.syn.dstPort, 443);
});

test('SYN retransmissions are absorbed while pending; accept answers the latest once', (t) => {
  const { h } = deferring();
  syn(h);
  const [p] = pendingOf(h.engine.takeEvents());
  h.now = 1000;
  t.deepEqual(syn(h), [], 'first retransmission');
  h.now = 3000;
  t.deepEqual(syn(h), [], 'second retransmission');
  t.deepEqual(h.engine.takeEvents(), [], 'no new syn event');
  t.is(p!.retransmissions, 2);
  t.is(h.engine.counter('deferred-syn-absorbed'), 2);
  p!.accept();
  h.engine.poll(h.now);
  const out = h.engine.takeOutput();
  t.deepEqual(out.map((o) => flagsOf(o.repr)), ['S.']);
});

test('an ACK for a held 4-tuple is not absorbed: RST as a listener answers it', (t) => {
  const { h } = deferring();
  syn(h);
  h.engine.takeEvents();
  h.engine.input(B, FAR, h.seg({ flags: ACK, seq: 1001, ack: 777, dstPort: 443 }), h.now);
  const out = h.engine.takeOutput();
  t.deepEqual(out.map((o) => flagsOf(o.repr)), ['R']);
  t.is(out[0]!.repr.seq, 777);
});

test('a pending SYN expires at its deadline: syn-expired, nothing sent, a later SYN starts over', (t) => {
  const { h } = deferring();
  h.now = 100;
  syn(h);
  const [p] = pendingOf(h.engine.takeEvents());
  t.is(h.engine.nextDeadline(), 100 + DEFERRED_SYN_TIMEOUT_MS);
  t.deepEqual(h.advanceTo(100 + DEFERRED_SYN_TIMEOUT_MS - 1), []);
  t.is(p!.state, 'pending');
  t.deepEqual(h.advanceTo(100 + DEFERRED_SYN_TIMEOUT_MS), []);
  t.is(p!.state, 'expired');
  t.deepEqual(h.engine.takeEvents().map((e) => e.kind), ['syn-expired']);
  t.is(h.engine.nextDeadline(), Infinity);
  t.deepEqual(p!.accept(), { error: 'EINVAL' });
  t.false(p!.refuse());
  t.deepEqual(h.engine.takeOutput(), []);
  syn(h);
  t.deepEqual(h.engine.takeEvents().map((e) => e.kind), ['syn']);
});

test('deferTimeoutMs shortens the wait', (t) => {
  const { h } = deferring(500);
  syn(h);
  t.is(h.engine.nextDeadline(), 500);
  h.advanceTo(500);
  t.deepEqual(h.engine.takeEvents().map((e) => e.kind), ['syn', 'syn-expired']);
});

test(`at most MAX_DEFERRED_SYNS (${MAX_DEFERRED_SYNS}) SYNs are held; beyond, SYNs are dropped and counted`, (t) => {
  const { h, l } = deferring();
  for (let i = 0; i <= MAX_DEFERRED_SYNS; i++) t.deepEqual(syn(h, 10000 + i), []);
  t.is(pendingOf(h.engine.takeEvents()).length, MAX_DEFERRED_SYNS);
  t.is(l.deferredSyns, MAX_DEFERRED_SYNS);
  t.is(h.engine.counter('deferred-syn-dropped-full'), 1);
});

test('deciding a pending SYN makes room under the bound', (t) => {
  const { h } = deferring();
  for (let i = 0; i < MAX_DEFERRED_SYNS; i++) syn(h, 10000 + i);
  const pending = pendingOf(h.engine.takeEvents());
  syn(h, 9999);
  t.deepEqual(h.engine.takeEvents(), []);
  pending[0]!.refuse();
  h.engine.takeOutput();
  syn(h, 9999);
  t.deepEqual(h.engine.takeEvents().map((e) => e.kind), ['syn']);
});

test('a handshake that fails after accept() is reported to its user (error, closed)', (t) => {
  const { h } = deferring();
  syn(h);
  const [p] = pendingOf(h.engine.takeEvents());
  const conn = p!.accept();
  if (isTcpError(conn)) return t.fail(conn.error);
  h.engine.poll(h.now);
  const synAck = h.engine.takeOutput()[0]!;
  h.engine.input(B, FAR, h.seg({ flags: RST, seq: 1001, ack: 0, dstPort: 443 }), h.now);
  t.is(conn.state, 'CLOSED');
  t.deepEqual(h.engine.takeEvents().map((e) => (e.kind === 'error' ? `error:${e.code}` : e.kind)), ['error:ECONNRESET', 'closed']);
  t.is(flagsOf(synAck.repr), 'S.');
});

test('closing the listener abandons pending SYNs silently; accepted handshakes continue', (t) => {
  const { h, l } = deferring();
  syn(h, 40000);
  syn(h, 40001);
  const [a, b] = pendingOf(h.engine.takeEvents());
  const conn = a!.accept();
  if (isTcpError(conn)) return t.fail(conn.error);
  h.engine.poll(h.now);
  h.engine.takeOutput();
  l.close();
  t.is(b!.state, 'abandoned');
  t.deepEqual(b!.accept(), { error: 'EINVAL' });
  t.is(conn.state, 'SYN-RECEIVED', 'the accepted connection is its user\'s');
  h.engine.poll(h.now);
  t.deepEqual(h.engine.takeOutput(), []);
  t.is(h.engine.nextDeadline() < Infinity, true, 'only the SYN-ACK retransmission is due');
});

test('without defer, an intercepting listener still answers at once', (t) => {
  const h = new Harness();
  const l = h.engine.intercept(4);
  if (isTcpError(l)) return t.fail(l.error);
  t.false(l.defer);
  t.deepEqual(syn(h).map((o) => flagsOf(o.repr)), ['S.']);
});
