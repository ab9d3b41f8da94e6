/**
 * The UDP relay on Node's real `dgram` over 127.0.0.1 / ::1: namespace datagrams (as the stack's
 * catch-all hands them over) go out from one host socket per flow, and replies come back from the
 * destination the namespace wrote to.
 */

import test from 'ava';
import * as dgram from 'dgram';
import { IpAddress } from '../../stack/wire/address';
import type { UdpDatagram, UdpSend } from '../../stack/udp';
import { UdpRelay } from '../../src/relay/udp';
import { queue, sleep } from './harness';

const GW = { gateway4: '10.0.2.2', gateway6: 'fd00:2::2' };

function datagram(src: string, srcPort: number, dst: string, dstPort: number, text: string): UdpDatagram {
  return { src: IpAddress.parse(src)!, srcPort, dst: IpAddress.parse(dst)!, dstPort, payload: Uint8Array.from(Buffer.from(text)) };
}

const show = (d: UdpSend): string => `${d.src}:${d.srcPort} > ${d.dst}:${d.dstPort} ${Buffer.from(d.payload).toString()}`;

/** A host UDP echo server answering "echo:<text>"; `peers` records who sent what. */
async function echoServer(type: 'udp4' | 'udp6' = 'udp4'): Promise<{ port: number; peers: string[]; close(): void }> {
  const s = dgram.createSocket(type);
  const peers: string[] = [];
  s.on('message', (m, r) => {
    peers.push(`${r.port} ${m.toString()}`);
    s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address);
  });
  await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
  return { port: s.address().port, peers, close: () => s.close() };
}

test('a datagram to the gateway reaches the host loopback, and the answer comes back from the gateway (IPv4 and IPv6)', async (t) => {
  const replies = queue<string>();
  const relay = new UdpRelay((d) => replies.push(show(d)), GW);
  const s4 = await echoServer('udp4');
  const s6 = await echoServer('udp6');
  t.teardown(() => (relay.close(), s4.close(), s6.close()));
  t.true(relay.datagram(datagram('10.0.2.100', 4000, '10.0.2.2', s4.port, 'hello')));
  t.is(await replies.next(), `10.0.2.2:${s4.port} > 10.0.2.100:4000 echo:hello`);
  relay.datagram(datagram('fd00:2::100', 4000, 'fd00:2::2', s6.port, 'six'));
  t.is(await replies.next(), `fd00:2::2:${s6.port} > fd00:2::100:4000 echo:six`);
  // Same flow again: the same host socket (source port) carries it.
  relay.datagram(datagram('10.0.2.100', 4000, '10.0.2.2', s4.port, 'again'));
  t.is(await replies.next(), `10.0.2.2:${s4.port} > 10.0.2.100:4000 echo:again`);
  const ports = s4.peers.map((p) => p.split(' ')[0]);
  t.is(ports[0], ports[1], 'one host socket per flow');
  t.is(relay.size, 2);
  t.like(relay.totals, { opened: 2, datagramsOut: 3, datagramsIn: 3, bytesOut: 5 + 3 + 5 });
});

test('only the destination may answer through a flow; others are dropped and counted (RFC 4787 §5)', async (t) => {
  const replies = queue<string>();
  const relay = new UdpRelay((d) => replies.push(show(d)), GW);
  const server = await echoServer();
  const stranger = dgram.createSocket('udp4');
  t.teardown(() => (relay.close(), server.close(), stranger.close()));
  relay.datagram(datagram('10.0.2.100', 5000, '10.0.2.2', server.port, 'x'));
  await replies.next();
  const flowPort = Number(server.peers[0]!.split(' ')[0]);
  stranger.send('intruder', flowPort, '127.0.0.1');
  await sleep(100);
  t.is(relay.drops['foreign-source'], 1);
  t.is(relay.totals.datagramsIn, 1);
});

test('flows are bounded (least recently active goes first) and expire when idle', async (t) => {
  const replies = queue<string>();
  const relay = new UdpRelay((d) => replies.push(show(d)), { ...GW, maxFlows: 2, idleTimeoutMs: 60_000 });
  const server = await echoServer();
  t.teardown(() => (relay.close(), server.close()));
  for (const port of [1, 2, 1, 3]) {
    relay.datagram(datagram('10.0.2.100', port, '10.0.2.2', server.port, String(port)));
    await replies.next();
  }
  t.is(relay.size, 2);
  t.deepEqual(relay.describe(), [`10.0.2.100:1 → 10.0.2.2:${server.port} via 127.0.0.1`, `10.0.2.100:3 → 10.0.2.2:${server.port} via 127.0.0.1`]);
  t.like(relay.totals, { opened: 3, evicted: 1 });
  relay.expire(Date.now() + 59_000);
  t.is(relay.size, 2);
  relay.expire(Date.now() + 60_000);
  t.is(relay.size, 0);
  t.is(relay.totals.expired, 2);
});

test('the idle sweeper runs by itself', async (t) => {
  const relay = new UdpRelay(() => undefined, { ...GW, idleTimeoutMs: 40 });
  t.teardown(() => relay.close());
  relay.datagram(datagram('10.0.2.100', 1, '127.0.0.1', 9, 'discarded'));
  t.is(relay.size, 1);
  await sleep(150);
  t.is(relay.size, 0);
});

test('failures are counted, never thrown: port 0, a reply the stack cannot send, a closed relay', async (t) => {
  const relay = new UdpRelay(() => {
    throw new Error('no route');
  }, GW);
  const server = await echoServer();
  t.teardown(() => (relay.close(), server.close()));
  t.true(relay.datagram(datagram('10.0.2.100', 1, '10.0.2.2', 0, 'x')));
  t.is(relay.drops['send-failed'], 1);
  relay.datagram(datagram('10.0.2.100', 1, '10.0.2.2', server.port, 'y'));
  for (let i = 0; i < 50 && relay.drops['reply-failed'] === 0; i++) await sleep(10);
  t.is(relay.drops['reply-failed'], 1);
  relay.close();
  t.false(relay.datagram(datagram('10.0.2.100', 1, '10.0.2.2', server.port, 'z')));
  t.is(relay.size, 0);
  t.throws(() => new UdpRelay(() => undefined, { maxFlows: 0 }), { instanceOf: RangeError });
});
