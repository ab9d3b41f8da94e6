/** Test helper: build and read frames with the wire modules (so tests state fields, not bytes). */

import { emitEthernet, parseEthernet, type EthernetRepr } from '../../stack/wire/ethernet';
import { emitIpv4, parseIpv4, type Ipv4Repr } from '../../stack/wire/ipv4';
import { emitIpv6, parseIpv6, type Ipv6Repr } from '../../stack/wire/ipv6';
import { emitIcmpv4, icmpv4Len, type Icmpv4Repr } from '../../stack/wire/icmpv4';
import { emitIcmpv6, icmpv6Len, type Icmpv6Repr } from '../../stack/wire/icmpv6';
import { emitUdp, udpLen } from '../../stack/wire/udp';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { isDrop } from '../../stack/wire/drop';
import { parseIpv4 as ip4, parseIpv6 as ip6, parseMac } from '../../stack/wire/address';

export const PEER_MAC = parseMac('02:00:00:00:00:99')!;
export const v4 = (s: string): number => ip4(s)!;
export const v6 = (s: string): Uint8Array => ip6(s)!;

export function eth(dst: Uint8Array, etherType: number, payload: Uint8Array, src = PEER_MAC): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  emitEthernet({ dst, src, etherType, payload }, f);
  return f;
}

export function ipv4(fields: Partial<Ipv4Repr> & { src: number; dst: number; protocol: number; payload: Uint8Array }): Uint8Array {
  const r: Ipv4Repr = { dscp: 0, ecn: 0, identification: 1, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, options: new Uint8Array(0), ...fields };
  const b = new Uint8Array(20 + r.options.length + r.payload.length);
  emitIpv4(r, b);
  return b;
}

export function icmp4(m: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4Len(m));
  emitIcmpv4(m, b);
  return b;
}

export function udp4(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const r = { srcPort, dstPort, payload };
  const b = new Uint8Array(udpLen(r));
  emitUdp(r, b, pseudoHeaderSumV4(src, dst, IpProtocol.UDP, b.length), false);
  return b;
}

export function ipv6(src: Uint8Array, dst: Uint8Array, nextHeader: number, payload: Uint8Array, hopLimit = 64): Uint8Array {
  const b = new Uint8Array(40 + payload.length);
  emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader, hopLimit, src, dst, payload }, b);
  return b;
}

export function icmp6(src: Uint8Array, dst: Uint8Array, m: Icmpv6Repr): Uint8Array {
  const len = icmpv6Len(m);
  const b = new Uint8Array(len);
  emitIcmpv6(m, b, pseudoHeaderSumV6(src, dst, IpProtocol.ICMPv6, len));
  return b;
}

export function udp6(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const r = { srcPort, dstPort, payload };
  const b = new Uint8Array(udpLen(r));
  emitUdp(r, b, pseudoHeaderSumV6(src, dst, IpProtocol.UDP, b.length), true);
  return b;
}

/** Parses an Ethernet frame we sent; throws on anything malformed (our output must be valid). */
export function readEth(f: Uint8Array): EthernetRepr {
  const e = parseEthernet(f);
  if (isDrop(e)) throw new Error(`our frame is malformed: ${e.reason}`);
  return e;
}

export function readIpv4(f: Uint8Array): Ipv4Repr {
  const e = readEth(f);
  if (e.etherType !== EtherType.IPv4) throw new Error(`not IPv4: ${e.etherType}`);
  const ip = parseIpv4(e.payload);
  if (isDrop(ip)) throw new Error(`our IPv4 packet is malformed: ${ip.reason}`);
  return ip;
}

export function readIpv6(f: Uint8Array): Ipv6Repr {
  const e = readEth(f);
  if (e.etherType !== EtherType.IPv6) throw new Error(`not IPv6: ${e.etherType}`);
  const ip = parseIpv6(e.payload);
  if (isDrop(ip)) throw new Error(`our IPv6 packet is malformed: ${ip.reason}`);
  return ip;
}
