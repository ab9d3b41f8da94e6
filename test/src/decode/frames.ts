/**
 * Frames for the decoder tests, built with the wire encoders: Ethernet around IPv4/IPv6 around
 * TCP/UDP/ICMP/NDP, and ARP.
 */

import { parseIpv4 as ip4, parseIpv6 as ip6, parseMac } from '../../../stack/wire/address';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { emitEthernet } from '../../../stack/wire/ethernet';
import { emitArp } from '../../../stack/wire/arp';
import { Ipv4Repr, emitIpv4 } from '../../../stack/wire/ipv4';
import { emitIpv6 } from '../../../stack/wire/ipv6';
import { Icmpv4Repr, emitIcmpv4, icmpv4Len } from '../../../stack/wire/icmpv4';
import { NdpRepr, emitNdp, ndpLen } from '../../../stack/wire/ndp';
import { EtherType, IpProtocol } from '../../../stack/wire/ip-protocol';
import { TcpRepr, emitTcp, tcpHeaderLen } from '../../../stack/wire/tcp';
import { UdpRepr, emitUdp, udpLen } from '../../../stack/wire/udp';

export const MAC_A = parseMac('02:00:00:00:00:01')!;
export const MAC_B = parseMac('02:00:00:00:00:02')!;
export const V4_A = ip4('10.0.0.1')!;
export const V4_B = ip4('10.0.0.2')!;
export const V6_A = ip6('fd00::1')!;
export const V6_B = ip6('fd00::2')!;

export function ethernet(etherType: number, payload: Uint8Array, dst = MAC_B): Uint8Array {
  const out = new Uint8Array(14 + payload.length);
  emitEthernet({ dst, src: MAC_A, etherType, payload }, out);
  return out;
}

export function ipv4(protocol: number, payload: Uint8Array, extra: Partial<Ipv4Repr> = {}): Uint8Array {
  const repr: Ipv4Repr = {
    dscp: 0, ecn: 0, identification: 7, dontFragment: true, moreFragments: false, fragmentOffset: 0,
    ttl: 64, protocol, src: V4_A, dst: V4_B, options: new Uint8Array(0), payload, ...extra,
  };
  const out = new Uint8Array(20 + payload.length);
  emitIpv4(repr, out);
  return out;
}

export function ipv6(nextHeader: number, payload: Uint8Array, src = V6_A, dst = V6_B, hopLimit = 64): Uint8Array {
  const out = new Uint8Array(40 + payload.length);
  emitIpv6({ trafficClass: 0, flowLabel: 0x12345, nextHeader, hopLimit, src, dst, payload }, out);
  return out;
}

export function tcpSegment(repr: TcpRepr, v6 = false): Uint8Array {
  const len = tcpHeaderLen(repr) + repr.payload.length;
  const out = new Uint8Array(len);
  emitTcp(repr, out, v6 ? pseudoHeaderSumV6(V6_A, V6_B, 6, len) : pseudoHeaderSumV4(V4_A, V4_B, 6, len));
  return out;
}

export function udpDatagram(repr: UdpRepr, v6 = false): Uint8Array {
  const len = udpLen(repr);
  const out = new Uint8Array(len);
  emitUdp(repr, out, v6 ? pseudoHeaderSumV6(V6_A, V6_B, 17, len) : pseudoHeaderSumV4(V4_A, V4_B, 17, len), v6);
  return out;
}

export function icmpv4Message(repr: Icmpv4Repr): Uint8Array {
  const out = new Uint8Array(icmpv4Len(repr));
  emitIcmpv4(repr, out);
  return out;
}

export function ndpMessage(repr: NdpRepr, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const len = ndpLen(repr);
  const out = new Uint8Array(len);
  emitNdp(repr, out, pseudoHeaderSumV6(src, dst, 58, len));
  return out;
}

export function arpRequest(): Uint8Array {
  const arp = new Uint8Array(28);
  emitArp({ op: 1, sha: MAC_A, spa: V4_A, tha: new Uint8Array(6), tpa: V4_B }, arp);
  return ethernet(EtherType.ARP, arp, parseMac('ff:ff:ff:ff:ff:ff')!);
}

export const SYN: TcpRepr = {
  srcPort: 49500,
  dstPort: 80,
  seq: 1000,
  ack: 0,
  flags: 0x02,
  window: 64240,
  urgent: 0,
  options: { mss: 1460, sackPermitted: true, timestamp: { tsVal: 5, tsEcr: 0 }, windowScale: 7 },
  payload: new Uint8Array(0),
};

export function tcp4Frame(repr: TcpRepr = SYN): Uint8Array {
  return ethernet(EtherType.IPv4, ipv4(IpProtocol.TCP, tcpSegment(repr)));
}
