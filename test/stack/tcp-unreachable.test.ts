/**
 * refuse('unreachable') through a whole stack: the held SYN comes back quoted in an ICMP host
 * unreachable (RFC 792 type 3 code 1) / ICMPv6 address unreachable (RFC 4443 type 1 code 3), sent
 * from the destination the peer asked for.
 */

import test from 'ava';
import { Stack } from '../../stack/stack';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import { IpProtocol } from '../../stack/wire/ip-protocol';
import { emitTcp, parseTcp, TcpFlag, tcpHeaderLen, type TcpRepr } from '../../stack/wire/tcp';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { parseIcmpv4 } from '../../stack/wire/icmpv4';
import { parseIcmpv6 } from '../../stack/wire/icmpv6';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { isDrop } from '../../stack/wire/drop';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { ipv4, ipv6, v4, v6 } from './frames';

const SYN: TcpRepr = {
  srcPort: 40000, dstPort: 443, seq: 123456, ack: 0, flags: TcpFlag.SYN, window: 64240, urgent: 0,
  options: { mss: 1460 }, payload: new Uint8Array(0),
};

function tcpBytes(pseudo: number): Uint8Array {
  const b = new Uint8Array(tcpHeaderLen(SYN));
  emitTcp(SYN, b, pseudo);
  return b;
}

/** A stack on an IP link accepting any destination, deferring intercepted SYNs of `family`. */
function setup(family: 4 | 6): { s: Stack; iface: ReturnType<Stack['addInterface']>; pending: () => TcpEvent[] } {
  const s = new Stack({ seed: 3 });
  const iface = s.addInterface({ mtu: 1500, linkType: 'ip' }, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', dad: false, acceptAnyDestination: true });
  const l = s.tcp.intercept(family, { defer: true });
  if (isTcpError(l)) throw new Error(l.error);
  return { s, iface, pending: () => s.tcp.takeEvents() };
}

test('IPv4: ICMP host unreachable from the original destination, quoting the SYN', (t) => {
  const { s, iface, pending } = setup(4);
  const tcp = tcpBytes(pseudoHeaderSumV4(v4('10.0.0.2'), v4('93.184.216.34'), IpProtocol.TCP, tcpHeaderLen(SYN)));
  s.input(iface, [ipv4({ src: v4('10.0.0.2'), dst: v4('93.184.216.34'), protocol: IpProtocol.TCP, payload: tcp })], 0);
  const ev = pending().find((e) => e.kind === 'syn');
  if (ev === undefined || ev.kind !== 'syn') return t.fail('no syn event');
  t.deepEqual(s.drain(), [], 'nothing sent while pending');
  ev.pending.refuse('unreachable');
  s.poll(1);
  const out = s.drain().flatMap((d) => d.frames);
  t.is(out.length, 1);
  const ip = parseIpv4(out[0]!);
  if (isDrop(ip)) return t.fail(ip.reason);
  t.true(IpAddress.v4(ip.src).equals(IpAddress.parse('93.184.216.34')!));
  t.is(ip.dst, v4('10.0.0.2'));
  t.is(ip.protocol, IpProtocol.ICMP);
  const icmp = parseIcmpv4(ip.payload);
  if (isDrop(icmp) || icmp.kind !== 'destination-unreachable') return t.fail('not destination unreachable');
  t.is(icmp.code, 1);
  const quoted = parseIpv4(icmp.invoking, { verifyChecksum: true });
  if (isDrop(quoted)) return t.fail(quoted.reason);
  t.is(quoted.src, v4('10.0.0.2'));
  t.is(quoted.dst, v4('93.184.216.34'));
  t.is(quoted.protocol, IpProtocol.TCP);
  const q = quoted.payload;
  t.is((q[0]! << 8) | q[1]!, 40000);
  t.is((q[2]! << 8) | q[3]!, 443);
  t.is(((q[4]! << 24) | (q[5]! << 16) | (q[6]! << 8) | q[7]!) >>> 0, SYN.seq);
  t.is(s.tcp.counter('deferred-syn-unreachable'), 1);
});

test('IPv6: ICMPv6 address unreachable from the original destination, quoting the SYN', (t) => {
  const { s, iface, pending } = setup(6);
  const src = v6('fd00::2');
  const dst = v6('2001:db8::80');
  const tcp = tcpBytes(pseudoHeaderSumV6(src, dst, IpProtocol.TCP, tcpHeaderLen(SYN)));
  s.input(iface, [ipv6(src, dst, IpProtocol.TCP, tcp)], 0);
  const ev = pending().find((e) => e.kind === 'syn');
  if (ev === undefined || ev.kind !== 'syn') return t.fail('no syn event');
  ev.pending.refuse('unreachable');
  s.poll(1);
  const out = s.drain().flatMap((d) => d.frames);
  t.is(out.length, 1);
  const ip = parseIpv6(out[0]!);
  if (isDrop(ip)) return t.fail(ip.reason);
  t.true(IpAddress.v6(ip.src).equals(IpAddress.v6(dst)));
  t.true(IpAddress.v6(ip.dst).equals(IpAddress.v6(src)));
  const icmp = parseIcmpv6(ip.upperLayerPayload, pseudoHeaderSumV6(ip.src, ip.dst, IpProtocol.ICMPv6, ip.upperLayerPayload.length));
  if (isDrop(icmp) || icmp.kind !== 'destination-unreachable') return t.fail('not destination unreachable');
  t.is(icmp.code, 3);
  const inv = icmp.invoking;
  t.true(IpAddress.v6(inv.subarray(8, 24)).equals(IpAddress.v6(src)));
  t.true(IpAddress.v6(inv.subarray(24, 40)).equals(IpAddress.v6(dst)));
  const seg = parseTcp(inv.subarray(40), pseudoHeaderSumV6(src, dst, IpProtocol.TCP, inv.length - 40));
  if (isDrop(seg)) return t.fail(seg.reason);
  t.is(seg.seq, SYN.seq);
  t.is(seg.dstPort, 443);
});
