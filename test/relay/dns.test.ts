/**
 * The DNS forwarder against a small DNS server on 127.0.0.1 (test/helpers/dns-server.ts): queries
 * forwarded byte for byte, answers matched by transaction ID, upstream fallback on timeout, TCP
 * spliced; plus the parsing of upstreams and resolv.conf.
 */

import test from 'ava';
import * as dgram from 'dgram';
import * as net from 'net';
import { IpAddress } from '../../stack/wire/address';
import type { UdpDatagram, UdpSend } from '../../stack/udp';
import { DnsForwarder, parseDnsUpstream, parseResolvConf } from '../../src/relay/dns';
import { dnsQuery, startDnsServer } from '../helpers/dns-server';
import { connect, queue, readAll, sleep } from './harness';

function fromNamespace(payload: Uint8Array, srcPort = 33333): UdpDatagram {
  return { src: IpAddress.parse('10.0.2.100')!, srcPort, dst: IpAddress.parse('10.0.2.3')!, dstPort: 53, payload };
}

/** The A record's address in an answer, or the RCODE when there is none. */
function answerOf(m: Uint8Array): string {
  const b = Buffer.from(m);
  if (b.readUInt16BE(6) === 0) return `rcode ${b[3]! & 0x0f}`;
  return [...b.subarray(b.length - 4)].join('.');
}

test('upstreams: ADDR, ADDR:PORT, [V6]:PORT; resolv.conf nameserver lines, at most three', (t) => {
  t.deepEqual(parseDnsUpstream('127.0.0.1:5353'), { address: '127.0.0.1', port: 5353 });
  t.deepEqual(parseDnsUpstream('10.0.0.1'), { address: '10.0.0.1', port: 53 });
  t.deepEqual(parseDnsUpstream('[::1]:5300'), { address: '::1', port: 5300 });
  t.deepEqual(parseDnsUpstream('fd00::53'), { address: 'fd00::53', port: 53 });
  for (const bad of ['', 'example.test:53', '1.2.3.4:0', '1.2.3.4:99999', '[::1]:x']) t.is(typeof parseDnsUpstream(bad), 'string', bad);
  const text = '# comment\nsearch example.test\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\noptions edns0\nnameserver bogus\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n';
  t.deepEqual(parseResolvConf(text), [{ address: '127.0.0.53', port: 53 }, { address: 'fe80::1', port: 53 }, { address: '10.0.0.2', port: 53 }]);
});

test('a query is forwarded as it is and the answer comes back from the services address', async (t) => {
  const server = await startDnsServer({ 'example.test': '10.0.2.2' });
  const answers = queue<UdpSend>();
  const dns = new DnsForwarder([{ address: '127.0.0.1', port: server.port }], (d) => answers.push(d));
  t.teardown(async () => (dns.close(), await server.close()));
  const q = dnsQuery(0x1234, 'example.test');
  dns.query(fromNamespace(q));
  const a = await answers.next();
  t.deepEqual([a.src?.toString(), a.srcPort, a.dst.toString(), a.dstPort], ['10.0.2.3', 53, '10.0.2.100', 33333]);
  t.is(Buffer.from(a.payload).readUInt16BE(0), 0x1234);
  t.is(answerOf(a.payload), '10.0.2.2');
  dns.query(fromNamespace(dnsQuery(7, 'nowhere.test', 28)));
  t.is(answerOf((await answers.next()).payload), 'rcode 3');
  t.deepEqual(server.queries, ['A example.test', 'AAAA nowhere.test']);
  t.like(dns.totals, { queries: 2, answers: 2, dropped: 0 });
  t.is(dns.inFlight, 0, 'the socket of an answered query is closed');
});

test('an upstream that does not answer is left for the next; answers with another ID are ignored', async (t) => {
  const server = await startDnsServer({ 'example.test': '192.0.2.1' });
  // The first upstream answers every query with a wrong ID (an off-path guess, RFC 5452).
  const liar = dgram.createSocket('udp4');
  liar.on('message', (m, r) => {
    const forged = Buffer.from(m);
    forged.writeUInt16BE((m.readUInt16BE(0) + 1) & 0xffff, 0);
    forged[2] |= 0x80;
    liar.send(forged, r.port, r.address);
  });
  await new Promise<void>((resolve) => liar.bind(0, '127.0.0.1', resolve));
  const answers = queue<UdpSend>();
  const dns = new DnsForwarder([{ address: '127.0.0.1', port: liar.address().port }, { address: '127.0.0.1', port: server.port }], (d) => answers.push(d), { attemptTimeoutMs: 100 });
  t.teardown(async () => (dns.close(), liar.close(), await server.close()));
  dns.query(fromNamespace(dnsQuery(42, 'example.test')));
  t.is(answerOf((await answers.next()).payload), '192.0.2.1');
  t.like(dns.totals, { answers: 1, retries: 1, timeouts: 0 });
});

test('not forwarded: short messages, responses, too many pending; no upstream answering is SERVFAIL', async (t) => {
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const answers = queue<UdpSend>();
  const dns = new DnsForwarder([{ address: '127.0.0.1', port: silent.address().port }], (d) => answers.push(d), { attemptTimeoutMs: 50, maxPending: 1 });
  t.teardown(() => (dns.close(), silent.close()));
  dns.query(fromNamespace(new Uint8Array(11)));
  const response = dnsQuery(1, 'example.test');
  response[2] |= 0x80;
  dns.query(fromNamespace(response));
  dns.query(fromNamespace(dnsQuery(2, 'example.test')));
  dns.query(fromNamespace(dnsQuery(3, 'example.test')));
  t.is(dns.totals.dropped, 3);
  const failed = Buffer.from((await answers.next()).payload);
  // The query itself with QR, RD and RA set and RCODE 2 (SERVFAIL); ID and question kept.
  t.deepEqual([...failed], [...dnsQuery(2, 'example.test')].map((b, i) => (i === 2 ? b | 0x80 : i === 3 ? 0x82 : b)));
  t.like(dns.totals, { timeouts: 1, servfails: 1, answers: 0 });
  t.is(dns.inFlight, 0);
  const none = new DnsForwarder([], (d) => answers.push(d));
  none.query(fromNamespace(dnsQuery(4, 'example.test')));
  t.is(Buffer.from((await answers.next()).payload)[3], 0x82);
  t.like(none.totals, { servfails: 1, dropped: 0 });
  await sleep(100);
  t.is(dns.totals.servfails, 1, 'one answer per query');
});

test('DNS over TCP is spliced to the first upstream (RFC 7766 framing passes through)', async (t) => {
  const server = await startDnsServer({ 'example.test': '10.9.8.7' });
  const dns = new DnsForwarder([{ address: '127.0.0.1', port: server.port }], () => undefined);
  // A host listener stands in for usernet's listener on 10.0.2.3:53.
  const front = net.createServer({ allowHalfOpen: true }, (s) => dns.relayTcp(s, net));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => (dns.close(), front.close(), await server.close()));
  const c = await connect((front.address() as net.AddressInfo).port);
  const q = dnsQuery(9, 'example.test');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  const reading = readAll(c);
  c.end(Buffer.concat([len, q]));
  const { data } = await reading;
  t.is(data.readUInt16BE(0), data.length - 2);
  t.is(answerOf(data.subarray(2)), '10.9.8.7');
  t.is(dns.totals.tcpConnections, 1);
});
