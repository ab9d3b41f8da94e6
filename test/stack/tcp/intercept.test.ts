import test from 'ava';
import { IpAddress } from '../../../stack/wire/address';
import { isTcpError } from '../../../stack/tcp/events';
import { A, ACK, B, Harness, SYN, flagsOf } from './harness';

const FAR = IpAddress.parse('93.184.216.34')!;

function synTo(h: Harness, dst: IpAddress, dstPort: number): void {
  h.engine.input(B, dst, h.seg({ flags: SYN, seq: 1000, ack: 0, dstPort, options: { mss: 1460 } }), h.now);
  h.engine.poll(h.now);
}

test('without an intercepting listener, a SYN to a foreign address draws RST,ACK (§3.10.7.1)', (t) => {
  const h = new Harness();
  synTo(h, FAR, 443);
  const out = h.engine.takeOutput();
  t.is(out.length, 1);
  t.is(flagsOf(out[0]!.repr), 'R.');
  t.true(out[0]!.src.equals(FAR));
});

test('an intercepting listener accepts a connection to any address and port, answering from it', (t) => {
  const h = new Harness();
  const l = h.engine.intercept(4);
  if (isTcpError(l)) return t.fail(l.error);
  synTo(h, FAR, 443);
  const [synAck] = h.engine.takeOutput();
  t.is(flagsOf(synAck!.repr), 'S.');
  t.true(synAck!.src.equals(FAR), 'the SYN-ACK comes from the address the peer asked for');
  t.is(synAck!.repr.srcPort, 443);
  h.engine.input(B, FAR, h.seg({ flags: ACK, seq: 1001, ack: (synAck!.repr.seq + 1) >>> 0, dstPort: 443 }), h.now);
  const accept = h.engine.takeEvents().find((e) => e.kind === 'accept');
  if (accept === undefined || accept.kind !== 'accept') return t.fail('no accept event');
  t.is(accept.listener, l);
  t.true(accept.conn.local.equals(FAR));
  t.is(accept.conn.localPort, 443);
  t.is(accept.conn.state, 'ESTABLISHED');
});

test('ordinary listeners take precedence over the intercepting one', (t) => {
  const h = new Harness();
  const ordinary = h.engine.listen(IpAddress.parse('0.0.0.0')!, 80);
  const catchAll = h.engine.intercept(4);
  if (isTcpError(ordinary) || isTcpError(catchAll)) return t.fail('listen failed');
  synTo(h, A, 80);
  const [synAck] = h.engine.takeOutput();
  h.engine.input(B, A, h.seg({ flags: ACK, seq: 1001, ack: (synAck!.repr.seq + 1) >>> 0, dstPort: 80 }), h.now);
  const accept = h.engine.takeEvents().find((e) => e.kind === 'accept');
  t.is(accept?.kind === 'accept' ? accept.listener : undefined, ordinary);
});

test('one intercepting listener per family; it does not block ordinary ports; IPv6 does not take IPv4', (t) => {
  const h = new Harness();
  t.false(isTcpError(h.engine.intercept(6)));
  t.deepEqual(h.engine.intercept(6), { error: 'EADDRINUSE' });
  t.false(isTcpError(h.engine.listen(IpAddress.parse('0.0.0.0')!, 8080)));
  synTo(h, FAR, 443);
  t.is(flagsOf(h.engine.takeOutput()[0]!.repr), 'R.', 'an IPv4 SYN is not taken by the IPv6 interceptor');
});

test('closing the intercepting listener restores resets', (t) => {
  const h = new Harness();
  const l = h.engine.intercept(4);
  if (isTcpError(l)) return t.fail(l.error);
  l.close();
  synTo(h, FAR, 22);
  t.is(flagsOf(h.engine.takeOutput()[0]!.repr), 'R.');
});
