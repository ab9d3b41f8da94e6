/**
 * SYN cookies (RFC 4987 §3.6, Linux's layout): with the half-open queue full a listener answers
 * SYNs statelessly, and the ACK returning a valid cookie creates the connection in ESTABLISHED.
 */

import test from 'ava';
import type { TcpRepr } from '../../../stack/wire/tcp';
import { COOKIE_MSS_V4, SynCookies, cookieTimestamp, cookieTimestampOptions } from '../../../stack/tcp/syn-cookie';
import { seqAdd, seqLe } from '../../../stack/tcp/seq';
import { A, ACK, B, PSH, RST, SYN, type Harness, bytes, flagsOf, listening, prng } from './harness';

const CLIENT = 6000;
const CLIENT_ISN = 777_000;

/** A listener with backlog 2 whose half-open queue is filled by SYNs nobody completes. */
function flooded(options = {}): Harness {
  const h = listening(options, 2);
  for (let i = 0; i < 50; i++) h.send({ flags: SYN, seq: 1000 * i, ack: 0, srcPort: 10_000 + i, options: { mss: 1460 } });
  return h;
}

/** Fills the half-open queue again (its SYN-ACKs time out after 63 s) with SYNs from `port` on. */
function refill(h: Harness, port: number): void {
  for (let i = 0; i < 3; i++) h.send({ flags: SYN, seq: 1, ack: 0, srcPort: port + i, options: { mss: 1460 } });
}

/** The client's SYN; returns the one SYN-ACK it draws. */
function clientSyn(h: Harness, options: TcpRepr['options']): TcpRepr {
  const out = h.send({ flags: SYN, seq: CLIENT_ISN, ack: 0, srcPort: CLIENT, options });
  if (out.length !== 1) throw new Error(`expected one SYN-ACK, got ${out.length}`);
  return out[0]!;
}

test('a SYN flood beyond the backlog: half-open blocks stay at the backlog, the rest get stateless SYN-ACKs', (t) => {
  const h = flooded();
  t.is(h.engine.allConnections().length, 2);
  t.is(h.listener!.halfOpen, 2);
  t.is(h.engine.counter('syn-cookies-sent'), 48);
  t.is(h.engine.counter('syn-dropped-half-open-full'), 0);
});

test('a legitimate client still connects; its options survive in the timestamp (wscale, SACK) and the MSS table', (t) => {
  const h = flooded();
  const synAck = clientSyn(h, { mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { tsVal: 5000, tsEcr: 0 } });
  t.is(flagsOf(synAck), 'S.');
  t.is(synAck.ack, CLIENT_ISN + 1);
  t.is(synAck.options.windowScale, 3); // our shift for a 256 KiB buffer, echoed as usual
  t.true(synAck.options.sackPermitted);
  const ts = synAck.options.timestamp!;
  t.is(ts.tsEcr, 5000);
  t.is(ts.tsVal & 0x3f, 7 | 0x10); // Linux's layout: wscale in bits 0–3, SACK in bit 4
  t.is(h.engine.allConnections().length, 2, 'no state kept for the cookie');

  h.advance(30);
  const out = h.send({ flags: ACK | PSH, seq: CLIENT_ISN + 1, ack: seqAdd(synAck.seq, 1), srcPort: CLIENT, window: 1000, payload: bytes(100), options: { timestamp: { tsVal: 5030, tsEcr: ts.tsVal } } });
  t.deepEqual(h.kinds(), ['accept', 'data']);
  t.is(h.engine.counter('syn-cookies-recv'), 1);
  const c = h.engine.allConnections().find((x) => x.remotePort === CLIENT)!;
  t.is(c.state, 'ESTABLISHED');
  t.is(c.iss, synAck.seq);
  t.is(c.sndWscale, 7);
  t.is(c.rcvWscale, 3);
  t.is(c.sndWnd, 1000 << 7);
  t.true(c.sackEnabled);
  t.true(c.tsEnabled);
  t.is(c.peerMss, 1460);
  t.is(c.rcvNxt, CLIENT_ISN + 101);
  // Our timestamps continue from the cookie's clock, never behind what the peer has seen (PAWS).
  // The data on the completing ACK is acknowledged (at once or after the delayed-ACK timer).
  const acks = [...out, ...h.advance(50).map((x) => x.repr)];
  t.true(acks.some((s) => flagsOf(s) === '.' && s.ack === CLIENT_ISN + 101));
  c.send(bytes(10));
  const reply = h.flush()[0]!;
  t.true(seqLe(ts.tsVal, reply.options.timestamp!.tsVal));
  t.is(reply.seq, seqAdd(synAck.seq, 1));
  t.is(h.listener!.halfOpen, 2);
});

test('without timestamps, window scaling and SACK are lost and the MSS is rounded down to the table', (t) => {
  const h = flooded();
  const synAck = clientSyn(h, { mss: 1400, windowScale: 7, sackPermitted: true });
  t.is(synAck.options.windowScale, undefined);
  t.is(synAck.options.sackPermitted, undefined);
  t.is(synAck.options.timestamp, undefined);
  h.send({ flags: ACK, seq: CLIENT_ISN + 1, ack: seqAdd(synAck.seq, 1), srcPort: CLIENT, window: 1000 });
  const c = h.engine.allConnections().find((x) => x.remotePort === CLIENT)!;
  t.is(c.state, 'ESTABLISHED');
  t.is(c.peerMss, 1300);
  t.is(c.sndWscale, 0);
  t.is(c.sndWnd, 1000);
  t.false(c.sackEnabled);
  t.false(c.tsEnabled);
});

test('a forged ACK with a wrong cookie gets a RST and creates nothing', (t) => {
  const h = flooded();
  const synAck = clientSyn(h, { mss: 1460 });
  const before = h.engine.allConnections().length;
  // Cookies next to the real one (±3) decode to another MSS index, as in Linux's scheme; these
  // are further off: in the hash bits, and in the counter bits.
  for (const delta of [1 + 0x12345, 1 + (1 << 20), 1 + 0x800000, 1 + (1 << 24)]) {
    const out = h.send({ flags: ACK, seq: CLIENT_ISN + 1, ack: seqAdd(synAck.seq, delta), srcPort: CLIENT });
    t.deepEqual(out.map((s) => [flagsOf(s), s.seq]), [['R', seqAdd(synAck.seq, delta)]], `cookie + ${delta - 1}`);
  }
  // The right cookie from the wrong peer ISN (another 4-tuple's sequence space) fails too.
  const wrongSeq = h.send({ flags: ACK, seq: CLIENT_ISN + 1001, ack: seqAdd(synAck.seq, 1), srcPort: CLIENT });
  t.is(flagsOf(wrongSeq[0]!), 'R');
  t.is(h.engine.allConnections().length, before);
  t.is(h.engine.counter('syn-cookies-failed'), 5);
  t.is(h.engine.counter('syn-cookies-recv'), 0);
  t.deepEqual(h.kinds(), []);
});

test('cookie expiry: accepted in its minute and the next, refused after', (t) => {
  const h = flooded();
  const old = clientSyn(h, { mss: 1460 });
  h.advance(119_000); // still the next minute's counter (count 1 vs 0)
  refill(h, 20_000);
  const other = h.send({ flags: SYN, seq: 42, ack: 0, srcPort: CLIENT + 1, options: { mss: 1460 } })[0]!;
  h.send({ flags: ACK, seq: 43, ack: seqAdd(other.seq, 1), srcPort: CLIENT + 1 });
  t.is(h.engine.counter('syn-cookies-recv'), 1);
  h.advance(2_000); // t = 121 s: counter 2, the first cookie is two minutes old
  refill(h, 30_000); // the listener is still sending cookies, so ACKs are checked
  const valid = h.send({ flags: SYN, seq: 99, ack: 0, srcPort: CLIENT + 2, options: { mss: 1460 } })[0]!;
  h.send({ flags: ACK, seq: 100, ack: seqAdd(valid.seq, 1), srcPort: CLIENT + 2 });
  t.is(h.engine.counter('syn-cookies-recv'), 2);
  const out = h.send({ flags: ACK, seq: CLIENT_ISN + 1, ack: seqAdd(old.seq, 1), srcPort: CLIENT });
  t.is(flagsOf(out[0]!), 'R');
  t.is(h.engine.counter('syn-cookies-failed'), 1);
  t.is(h.engine.allConnections().filter((c) => c.remotePort === CLIENT).length, 0);
});

test('ACKs are not checked for cookies when the listener has sent none lately', (t) => {
  const h = listening({}, 2);
  const out = h.send({ flags: ACK, seq: 1, ack: 12345, srcPort: CLIENT });
  t.is(flagsOf(out[0]!), 'R');
  t.is(h.engine.counter('syn-cookies-failed'), 0);
});

test('a full accept queue: SYNs are dropped, a cookie ACK is ignored until the user accepts', (t) => {
  const h = listening({}, 1);
  // One accepted (not yet taken) connection fills the accept queue, one half-open the SYN queue.
  const first = h.send({ flags: SYN, seq: 100, ack: 0, srcPort: 5000 })[0]!;
  h.send({ flags: ACK, seq: 101, ack: seqAdd(first.seq, 1), srcPort: 5000 });
  const synAck = h.send({ flags: SYN, seq: 200, ack: 0, srcPort: 5001 })[0]!;
  t.truthy(synAck);
  t.deepEqual(h.send({ flags: SYN, seq: 300, ack: 0, srcPort: 5002 }), []);
  t.is(h.engine.counter('syn-dropped-half-open-full'), 1);
  // With the accept queue free again, a cookie is sent; its ACK waits while the queue is full.
  t.deepEqual(h.kinds(), ['accept']);
  const cookie = h.send({ flags: SYN, seq: 300, ack: 0, srcPort: 5002 })[0]!;
  t.is(h.engine.counter('syn-cookies-sent'), 1);
  h.send({ flags: ACK, seq: 201, ack: seqAdd(synAck.seq, 1), srcPort: 5001 }); // fills the accept queue
  t.deepEqual(h.send({ flags: ACK, seq: 301, ack: seqAdd(cookie.seq, 1), srcPort: 5002 }), []);
  t.is(h.engine.counter('accept-queue-full'), 1);
  t.deepEqual(h.kinds(), ['accept']);
  h.send({ flags: ACK, seq: 301, ack: seqAdd(cookie.seq, 1), srcPort: 5002 });
  t.deepEqual(h.kinds(), ['accept']);
  t.is(h.engine.allConnections().find((c) => c.remotePort === 5002)?.state, 'ESTABLISHED');
});

test('synCookies: false drops SYNs beyond the backlog', (t) => {
  const h = flooded({ synCookies: false });
  t.is(h.engine.counter('syn-cookies-sent'), 0);
  t.is(h.engine.counter('syn-dropped-half-open-full'), 48);
});

test('cookies: round trip per MSS, keyed by the secret and the 4-tuple, valid for two counter values', (t) => {
  const k = new SynCookies(prng(3));
  const other = new SynCookies(prng(4));
  for (const [mss, expect] of [[400, 536], [536, 536], [1299, 536], [1300, 1300], [1459, 1440], [9000, 1460]] as const) {
    const c = k.isn(A, 80, B, 5000, 1234, mss, 10);
    t.is(k.check(A, 80, B, 5000, 1234, c, 59_999), expect === 536 ? COOKIE_MSS_V4[0] : expect);
    t.is(k.check(A, 80, B, 5000, 1234, c, 119_999), expect === 536 ? COOKIE_MSS_V4[0] : expect);
    t.is(k.check(A, 80, B, 5000, 1234, c, 120_000), null);
    t.is(k.check(A, 80, B, 5001, 1234, c, 10), null);
    t.is(other.check(A, 80, B, 5000, 1234, c, 10), null);
  }
  // A random guess passes with probability about 4/2^24 per counter value: none in 20 000.
  const r = prng(9);
  let passed = 0;
  for (let i = 0; i < 20_000; i++) if (k.check(A, 80, B, 5000, 1234, r(), 10) !== null) passed++;
  t.is(passed, 0);
});

test('cookie timestamps: never ahead of the clock, options in the low 6 bits', (t) => {
  for (const now of [0, 63, 64, 1000, 0xffffffff]) {
    for (const [w, sack] of [[undefined, false], [0, true], [14, false], [7, true]] as const) {
      const ts = cookieTimestamp(now >>> 0, w, sack);
      t.true(seqLe(ts, now >>> 0) && seqLe(seqAdd(now >>> 0, -64), ts), `${now} ${ts}`);
      t.deepEqual(cookieTimestampOptions(ts), { windowScale: w, sackPermitted: sack });
    }
  }
});

test('a RST or SYN-ACK at a flooded listener is not taken for a cookie', (t) => {
  const h = flooded();
  t.deepEqual(h.send({ flags: RST, seq: 1, ack: 0, srcPort: CLIENT }), []);
  const out = h.send({ flags: SYN | ACK, seq: 1, ack: 5, srcPort: CLIENT });
  t.is(flagsOf(out[0]!), 'R');
  t.is(h.engine.counter('syn-cookies-failed'), 0);
});
