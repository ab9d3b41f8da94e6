import test from 'ava';
import { Stack } from '../../stack/stack';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { parseIcmpv4 } from '../../stack/wire/icmpv4';
import { IpAddress } from '../../stack/wire/address';
import { isDrop } from '../../stack/wire/drop';
import type { UdpDatagram } from '../../stack/udp';
import { eth, icmp6, ipv4, ipv6, readIpv4, udp4, udp6, v4, v6, PEER_MAC } from './frames';

// Namespace mode as `usernet netns` sets it up: usernet is 10.0.2.2 / fd00:2::2 on the link, the
// namespace is 10.0.2.100 / fd00:2::100 and sends everything through usernet.
const OUR_MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const NS4 = v4('10.0.2.100');
const GW4 = v4('10.0.2.2');
const FAR4 = v4('192.0.2.53');
const NS6 = v6('fd00:2::100');
const FAR6 = v6('2001:db8::53');

function setup(acceptAnyDestination = true): { s: Stack; iface: ReturnType<Stack['addInterface']>; send4: (p: Uint8Array) => void; send6: (p: Uint8Array) => void; out: () => Uint8Array[] } {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.2.2/24', ipv6: 'fd00:2::2/64', mac: OUR_MAC, dad: false, acceptAnyDestination });
  const send4 = (p: Uint8Array): void => s.input(iface, [eth(OUR_MAC, EtherType.IPv4, p)], 0);
  const send6 = (p: Uint8Array): void => s.input(iface, [eth(OUR_MAC, EtherType.IPv6, p)], 0);
  // The namespace's MACs: an ARP request (IPv4) and a neighbour solicitation (IPv6) teach them.
  s.input(iface, [eth(Uint8Array.of(255, 255, 255, 255, 255, 255), EtherType.ARP, Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, ...PEER_MAC, 10, 0, 2, 100, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2]))], 0);
  const gw6 = v6('fd00:2::2');
  send6(ipv6(NS6, gw6, IpProtocol.ICMPv6, icmp6(NS6, gw6, { kind: 'neighbor-solicitation', target: gw6, options: { sourceLinkLayerAddress: PEER_MAC } }), 255));
  s.drain();
  return { s, iface, send4, send6, out: () => s.drain().flatMap((d) => d.frames) };
}

const text = (b: Uint8Array): string => Buffer.from(b).toString();
const show = (d: UdpDatagram): string => `${d.src}:${d.srcPort} > ${d.dst}:${d.dstPort} ${text(d.payload)}`;

test('acceptAnyDestination: a datagram for a foreign IPv4 address reaches the catch-all, and the reply leaves from that address', (t) => {
  const { s, send4, out } = setup();
  const got: string[] = [];
  s.bindUdpAny(4, (d) => (got.push(show(d)), true));
  // 10.0.2.100:40000 → 192.0.2.53:53, 5 bytes "query", as the namespace's resolver would send it.
  const query = Uint8Array.from([
    0x45, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 2, 100, 192, 0, 2, 53, // IPv4, UDP, checksum patched below
    0x9c, 0x40, 0x00, 0x35, 0x00, 0x0d, 0x00, 0x00, // UDP 40000 → 53, length 13, checksum patched below
    ...Buffer.from('query'),
  ]);
  query.set(udp4(NS4, FAR4, 40000, 53, Buffer.from('query')).subarray(6, 8), 26);
  query.set(ipv4({ src: NS4, dst: FAR4, protocol: IpProtocol.UDP, payload: query.subarray(20) }).subarray(10, 12), 10);
  send4(query);
  t.deepEqual(got, ['10.0.2.100:40000 > 192.0.2.53:53 query']);
  t.is(s.sendUdp({ src: IpAddress.v4(FAR4), srcPort: 53, dst: IpAddress.v4(NS4), dstPort: 40000, payload: Buffer.from('answer') }, 0), null);
  const frames = out();
  t.is(frames.length, 1);
  const id = readIpv4(frames[0]!).identification;
  const expected = eth(PEER_MAC, EtherType.IPv4, ipv4({ src: FAR4, dst: NS4, protocol: IpProtocol.UDP, identification: id, payload: udp4(FAR4, NS4, 53, 40000, Buffer.from('answer')) }), OUR_MAC);
  t.deepEqual([...frames[0]!], [...expected]);
  t.is(s.counters().counts.udp!.InDatagrams, 1);
});

test('acceptAnyDestination: IPv6 likewise, byte for byte', (t) => {
  const { s, send6, out } = setup();
  const got: string[] = [];
  s.bindUdpAny(6, (d) => (got.push(show(d)), true));
  send6(ipv6(NS6, FAR6, IpProtocol.UDP, udp6(NS6, FAR6, 5000, 7, Buffer.from('ping'))));
  t.deepEqual(got, ['fd00:2::100:5000 > 2001:db8::53:7 ping']);
  t.is(s.sendUdp({ src: IpAddress.v6(FAR6), srcPort: 7, dst: IpAddress.v6(NS6), dstPort: 5000, payload: Buffer.from('pong') }, 0), null);
  const frames = out();
  t.deepEqual(frames.map((f) => [...f]), [[...eth(PEER_MAC, EtherType.IPv6, ipv6(FAR6, NS6, IpProtocol.UDP, udp6(FAR6, NS6, 7, 5000, Buffer.from('pong'))), OUR_MAC)]]);
});

test('the catch-all also takes our own addresses when no port is bound; port bindings come first and never see foreign addresses', (t) => {
  const { s, send4 } = setup();
  const any: string[] = [];
  const bound: string[] = [];
  s.bindUdpAny(4, (d) => (any.push(show(d)), true));
  s.bindUdp(53, (d) => bound.push(show(d)));
  send4(ipv4({ src: NS4, dst: GW4, protocol: IpProtocol.UDP, payload: udp4(NS4, GW4, 1000, 53, Buffer.from('a')) }));
  send4(ipv4({ src: NS4, dst: FAR4, protocol: IpProtocol.UDP, payload: udp4(NS4, FAR4, 1000, 53, Buffer.from('b')) }));
  send4(ipv4({ src: NS4, dst: GW4, protocol: IpProtocol.UDP, payload: udp4(NS4, GW4, 1000, 9999, Buffer.from('c')) }));
  t.deepEqual(bound, ['10.0.2.100:1000 > 10.0.2.2:53 a']);
  t.deepEqual(any, ['10.0.2.100:1000 > 192.0.2.53:53 b', '10.0.2.100:1000 > 10.0.2.2:9999 c']);
});

test('a refusing catch-all, or none, gets ICMP port unreachable sent from the foreign address (RFC 1122 §4.1.3.1)', (t) => {
  const { s, send4, out } = setup();
  const dgram = ipv4({ src: NS4, dst: FAR4, protocol: IpProtocol.UDP, payload: udp4(NS4, FAR4, 1000, 53, Buffer.from('x')) });
  send4(dgram);
  const handle = s.bindUdpAny(4, () => false);
  s.poll(2000); // a fresh ICMP rate-limit token
  send4(dgram);
  const errors = out().map((f) => {
    const ip = readIpv4(f);
    const m = parseIcmpv4(ip.payload);
    return isDrop(m) ? m.reason : [IpAddress.v4(ip.src).toString(), IpAddress.v4(ip.dst).toString(), m.kind, m.kind === 'destination-unreachable' ? m.code : -1];
  });
  t.deepEqual(errors, [['192.0.2.53', '10.0.2.100', 'destination-unreachable', 3], ['192.0.2.53', '10.0.2.100', 'destination-unreachable', 3]]);
  t.is(s.counters().counts.udp!.NoPorts, 2);
  handle.close();
  t.notThrows(() => s.bindUdpAny(4, () => true), 'closing frees the family');
});

test('broadcast and multicast never reach the catch-all; interfaces without acceptAnyDestination drop foreign datagrams', (t) => {
  const { s, send4, send6, out } = setup();
  const any: string[] = [];
  s.bindUdpAny(4, (d) => (any.push(show(d)), true));
  s.bindUdpAny(6, (d) => (any.push(show(d)), true));
  send4(ipv4({ src: NS4, dst: v4('10.0.2.255'), protocol: IpProtocol.UDP, payload: udp4(NS4, v4('10.0.2.255'), 1, 2, Buffer.from('b')) }));
  send4(ipv4({ src: NS4, dst: v4('239.1.2.3'), protocol: IpProtocol.UDP, payload: udp4(NS4, v4('239.1.2.3'), 1, 2, Buffer.from('m')) }));
  send6(ipv6(NS6, v6('ff02::1'), IpProtocol.UDP, udp6(NS6, v6('ff02::1'), 1, 2, Buffer.from('m6'))));
  t.deepEqual(any, []);
  t.deepEqual(out(), []);

  const plain = setup(false);
  plain.s.bindUdpAny(4, (d) => (any.push(show(d)), true));
  plain.send4(ipv4({ src: NS4, dst: FAR4, protocol: IpProtocol.UDP, payload: udp4(NS4, FAR4, 1, 2, Buffer.from('x')) }));
  plain.send4(ipv4({ src: NS4, dst: GW4, protocol: IpProtocol.UDP, payload: udp4(NS4, GW4, 1, 2, Buffer.from('y')) }));
  t.deepEqual(any, []);
  t.is(plain.s.counters().drops.ipv4!['ipv4-not-for-us'], 1);
  t.is(plain.out().length, 1, 'the unbound local port gets its port unreachable');
});

test('bindUdpAny: one per family, checked arguments; a throwing handler is counted, not fatal', (t) => {
  const { s, send6 } = setup();
  s.bindUdpAny(6, () => {
    throw new Error('boom');
  });
  t.throws(() => s.bindUdpAny(6, () => true), { message: /EADDRINUSE/ });
  t.throws(() => s.bindUdpAny(5 as 4, () => true), { instanceOf: TypeError });
  t.notThrows(() => send6(ipv6(NS6, FAR6, IpProtocol.UDP, udp6(NS6, FAR6, 1, 2, Buffer.from('z')))));
  t.is(s.counters().drops.udp!['udp-handler-threw'], 1);
});

test('elsewhere nothing changes: on loopback a binding takes any 127/8 destination', (t) => {
  const s = new Stack();
  const got: string[] = [];
  s.bindUdp(9999, (d) => got.push(show(d)));
  t.is(s.sendUdp({ srcPort: 1234, dst: IpAddress.parse('127.0.0.5')!, dstPort: 9999, payload: Buffer.from('lo') }, 0), null);
  s.poll(0);
  t.deepEqual(got, ['127.0.0.5:1234 > 127.0.0.5:9999 lo']);
});
