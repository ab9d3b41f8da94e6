import test from 'ava';
import { Stack } from '../../../stack/stack';
import { EtherType, IpProtocol } from '../../../stack/wire/ip-protocol';
import { parseIcmpv6, type Icmpv6Repr } from '../../../stack/wire/icmpv6';
import { IpAddress, formatIpv6, formatMac } from '../../../stack/wire/address';
import { emitIpv6Fragment } from '../../../stack/wire/ipv6-ext';
import { pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { isDrop } from '../../../stack/wire/drop';
import { eth, icmp6, ipv6, readIpv6, udp6, v6, PEER_MAC } from '../frames';

const OUR_MAC = '02:00:00:00:00:01';
const LL = 'fe80::ff:fe00:1'; // EUI-64 of 02:00:00:00:00:01
const PEER = v6('fd00::9');
const US = v6('fd00::1');

function icmpOf(f: Uint8Array): Icmpv6Repr {
  const ip = readIpv6(f);
  const m = parseIcmpv6(ip.upperLayerPayload, pseudoHeaderSumV6(ip.src, ip.dst, IpProtocol.ICMPv6, ip.upperLayerPayload.length));
  if (isDrop(m)) throw new Error(m.reason);
  return m;
}

function setup(dad = false): { s: Stack; iface: ReturnType<Stack['addInterface']>; send: (p: Uint8Array, now?: number, dst?: Uint8Array) => void; out: () => Uint8Array[] } {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv6: 'fd00::1/64', mac: OUR_MAC, dad });
  const send = (p: Uint8Array, now = 0, dst = iface.mac!): void => s.input(iface, [eth(dst, EtherType.IPv6, p)], now);
  return { s, iface, send, out: () => s.drain().flatMap((d) => d.frames) };
}

test('DAD: a probe per tentative address from ::, then the address is usable and announced (RFC 4862)', (t) => {
  const { s, out } = setup(true);
  t.is(s.sendEcho('fd00::9', {}, 0), 'no-source', 'tentative addresses are not used');
  t.is(s.nextDeadline(), 0);
  s.poll(0);
  const probes = out().map((f) => ({ ip: readIpv6(f), m: icmpOf(f), dst: formatMac(f.subarray(0, 6)) }));
  t.deepEqual(probes.map((p) => [formatIpv6(p.ip.src), formatIpv6(p.ip.dst), p.ip.hopLimit, p.dst]), [
    ['::', 'ff02::1:ff00:1', 255, '33:33:ff:00:00:01'],
    ['::', 'ff02::1:ff00:1', 255, '33:33:ff:00:00:01'],
  ]);
  t.deepEqual(probes.map((p) => p.m.kind === 'neighbor-solicitation' && [formatIpv6(p.m.target), p.m.options.sourceLinkLayerAddress]), [[LL, undefined], ['fd00::1', undefined]]);
  t.is(s.nextDeadline(), 1000);
  s.poll(1000);
  const na = out().map(icmpOf);
  t.deepEqual(na.map((m) => m.kind === 'neighbor-advertisement' && [formatIpv6(m.target), m.solicited, m.override]), [[LL, false, false], ['fd00::1', false, false]]);
  t.true(s.isLocalAddress(IpAddress.parse('fd00::1')!));
});

test('DAD failure: another node probing or advertising our tentative address removes it', (t) => {
  const { s, iface, send, out } = setup(true);
  s.poll(0);
  out();
  // An NA for fd00::1 from someone else.
  send(ipv6(v6('fe80::99'), v6('ff02::1'), IpProtocol.ICMPv6, icmp6(v6('fe80::99'), v6('ff02::1'), { kind: 'neighbor-advertisement', router: false, solicited: false, override: true, target: US, options: { targetLinkLayerAddress: PEER_MAC } }), 255), 10, Uint8Array.of(0x33, 0x33, 0, 0, 0, 1));
  // A DAD probe for our link-local from another node.
  send(ipv6(v6('::'), v6('ff02::1:ff00:1'), IpProtocol.ICMPv6, icmp6(v6('::'), v6('ff02::1:ff00:1'), { kind: 'neighbor-solicitation', target: v6(LL), options: {} }), 255), 20, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  s.poll(1000);
  t.deepEqual(iface.ipv6.map((a) => a.address.toString()), []);
  t.is(s.counters().counts.ndp!.DadFailures, 2);
  t.false(s.isLocalAddress(IpAddress.parse('fd00::1')!));
});

test('an NS for our address gets one solicited NA with our link-layer address (RFC 4861 §7.2.4)', (t) => {
  const { s, iface, send, out } = setup();
  out();
  const group = v6('ff02::1:ff00:1');
  send(ipv6(PEER, group, IpProtocol.ICMPv6, icmp6(PEER, group, { kind: 'neighbor-solicitation', target: US, options: { sourceLinkLayerAddress: PEER_MAC } }), 255), 0, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  const frames = out();
  t.is(frames.length, 1);
  const ip = readIpv6(frames[0]!);
  t.deepEqual([formatIpv6(ip.src), formatIpv6(ip.dst), ip.hopLimit, formatMac(frames[0]!.subarray(0, 6))], ['fd00::1', 'fd00::9', 255, formatMac(PEER_MAC)]);
  const m = icmpOf(frames[0]!);
  if (m.kind !== 'neighbor-advertisement') return t.fail();
  t.deepEqual([formatIpv6(m.target), m.solicited, m.override, m.router, formatMac(m.options.targetLinkLayerAddress!)], ['fd00::1', true, true, false, OUR_MAC]);
  t.deepEqual(s.neighbours(iface).map((n) => [n.addr.toString(), n.state]), [['fd00::9', 'DELAY']]);
  // Hop limit other than 255 is refused (§7.1.1).
  send(ipv6(PEER, group, IpProtocol.ICMPv6, icmp6(PEER, group, { kind: 'neighbor-solicitation', target: US, options: { sourceLinkLayerAddress: PEER_MAC } }), 64), 0, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  t.deepEqual(out(), []);
  t.is(s.counters().drops.ndp!['ndp-bad-hop-limit'], 1);
});

test('ICMPv6 echo reply; UDP to a closed port → destination unreachable code 4', (t) => {
  const { send, out } = setup();
  out();
  send(ipv6(PEER, US, IpProtocol.ICMPv6, icmp6(PEER, US, { kind: 'echo-request', identifier: 5, sequence: 6, data: Uint8Array.of(9, 9) })));
  // The reply waits for neighbour resolution: an NS goes out first.
  const first = out().map(icmpOf);
  t.deepEqual(first.map((m) => m.kind), ['neighbor-solicitation']);
  send(ipv6(PEER, US, IpProtocol.ICMPv6, icmp6(PEER, US, { kind: 'neighbor-advertisement', router: false, solicited: true, override: true, target: PEER, options: { targetLinkLayerAddress: PEER_MAC } }), 255));
  const reply = out().map(icmpOf);
  t.deepEqual(reply.map((m) => m.kind === 'echo-reply' && [m.identifier, m.sequence, [...m.data]]), [[5, 6, [9, 9]]]);
  const dgram = ipv6(PEER, US, IpProtocol.UDP, udp6(PEER, US, 1000, 9999, Uint8Array.of(1)));
  send(dgram);
  const err = out().map(icmpOf);
  if (err[0]?.kind !== 'destination-unreachable') return t.fail();
  t.is(err[0].code, 4);
  t.deepEqual([...err[0].invoking], [...dgram]);
});

test('IPv6 fragments reassemble; overlapping ones discard the datagram (RFC 5722)', (t) => {
  const { s, send, out } = setup();
  out();
  const got: number[] = [];
  s.bindUdp(7, (d) => got.push(d.payload.length));
  const payload = udp6(PEER, US, 1, 7, new Uint8Array(100));
  const frag = (id: number, off: number, bytes: Uint8Array, more: boolean): Uint8Array => {
    const body = new Uint8Array(8 + bytes.length);
    emitIpv6Fragment({ nextHeader: IpProtocol.UDP, fragmentOffset: off, moreFragments: more, identification: id }, body);
    body.set(bytes, 8);
    return ipv6(PEER, US, IpProtocol.IPv6Frag, body);
  };
  send(frag(1, 56, payload.subarray(56), false));
  send(frag(1, 0, payload.subarray(0, 56), true));
  t.deepEqual(got, [100]);
  send(frag(2, 0, payload.subarray(0, 56), true));
  send(frag(2, 48, payload.subarray(48), false));
  t.deepEqual(got, [100]);
  t.is(s.counters().drops.ipv6!['ipv6-frag-overlap'], 1);
  t.is(s.reassemblyBytes().ipv6, 0);
});

test('router advertisement: default router and, with slaac, an address from the prefix', (t) => {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { mac: OUR_MAC, slaac: true, dad: false });
  const rs = s.drain().flatMap((d) => d.frames);
  s.poll(0);
  const sent = [...rs, ...s.drain().flatMap((d) => d.frames)].map(icmpOf).map((m) => m.kind);
  t.true(sent.includes('router-solicitation'));
  const router = v6('fe80::1');
  const ra = icmp6(router, v6('ff02::1'), {
    kind: 'router-advertisement', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
    options: { sourceLinkLayerAddress: PEER_MAC, prefixInformation: [{ prefixLength: 64, onLink: true, autonomous: true, validLifetime: 3600, preferredLifetime: 1800, prefix: v6('2001:db8:1::') }] },
  });
  s.input(iface, [eth(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), EtherType.IPv6, ipv6(router, v6('ff02::1'), IpProtocol.ICMPv6, ra, 255))], 10);
  t.deepEqual(iface.ipv6.map((a) => `${a.address}/${a.prefixLen} ${a.origin}`), [`${LL}/64 link-local`, '2001:db8:1::ff:fe00:1/64 slaac']);
  t.true(s.routes().some((r) => r.prefixLen === 0 && r.gateway?.toString() === 'fe80::1'));
  // Lifetimes: the address goes after its valid lifetime, the router after its lifetime.
  s.poll(3_600_010);
  t.deepEqual(iface.ipv6.map((a) => a.origin), ['link-local']);
  t.false(s.routes().some((r) => r.prefixLen === 0));
});
