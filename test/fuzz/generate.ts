/**
 * Fuzz support: structured-random frames. Headers with random field values (ports, flags,
 * options, lengths, VLAN tags, ICMP types, NDP options) are built as reprs and emitted with the
 * wire emitters, so the fuzzer also explores valid inputs the fixtures never show; mutations of
 * these then reach further than mutations of random bytes would.
 */

import type { Prng } from '../../drivers/prng';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { emitEthernet, type VlanTag } from '../../stack/wire/ethernet';
import { emitArp } from '../../stack/wire/arp';
import { emitIpv4 } from '../../stack/wire/ipv4';
import { emitIpv6 } from '../../stack/wire/ipv6';
import { emitTcp, tcpHeaderLen, type TcpOptions, type TcpRepr } from '../../stack/wire/tcp';
import { emitUdp, udpLen } from '../../stack/wire/udp';
import { emitIcmpv4, icmpv4Len, type Icmpv4Repr } from '../../stack/wire/icmpv4';
import { emitIcmpv6, icmpv6Len, type Icmpv6Repr } from '../../stack/wire/icmpv6';
import type { NdpOptions } from '../../stack/wire/ndp-options';
import { pick } from './mutate';

function bytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextInt(256);
  return b;
}

const chance = (rng: Prng, p: number): boolean => rng.nextFloat() < p;
const u32 = (rng: Prng): number => rng.nextUint32();
const u16 = (rng: Prng): number => rng.nextInt(0x10000);

function tcpOptions(rng: Prng): TcpOptions {
  const o: TcpOptions = {};
  if (chance(rng, 0.4)) o.mss = u16(rng);
  if (chance(rng, 0.3)) o.windowScale = rng.nextInt(20);
  if (chance(rng, 0.3)) o.sackPermitted = true;
  if (chance(rng, 0.5)) o.timestamp = { tsVal: u32(rng), tsEcr: u32(rng) };
  if (chance(rng, 0.3)) o.sack = Array.from({ length: 1 + rng.nextInt(4) }, () => ({ left: u32(rng), right: u32(rng) }));
  return o;
}

function tcp(rng: Prng, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const repr: TcpRepr = {
    srcPort: u16(rng), dstPort: u16(rng), seq: u32(rng), ack: u32(rng),
    // SYN with FIN or RST is a drop by contract; the generator keeps to valid combinations.
    flags: ((f) => (f & 0x02 ? f & ~0x05 : f))(rng.nextInt(256)),
    window: u16(rng), urgent: u16(rng), options: tcpOptions(rng), payload: bytes(rng, rng.nextInt(64)),
  };
  const b = new Uint8Array(tcpHeaderLen(repr) + repr.payload.length);
  emitTcp(repr, b, src.length === 4 ? pseudoHeaderSumV4(readU32(src), readU32(dst), IpProtocol.TCP, b.length) : pseudoHeaderSumV6(src, dst, IpProtocol.TCP, b.length));
  return b;
}

function udp(rng: Prng, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const repr = { srcPort: u16(rng), dstPort: u16(rng), payload: bytes(rng, rng.nextInt(64)) };
  const b = new Uint8Array(udpLen(repr));
  emitUdp(repr, b, src.length === 4 ? pseudoHeaderSumV4(readU32(src), readU32(dst), IpProtocol.UDP, b.length) : pseudoHeaderSumV6(src, dst, IpProtocol.UDP, b.length), src.length === 16);
  return b;
}

function icmp4(rng: Prng): Uint8Array {
  const quote = bytes(rng, 28);
  const m: Icmpv4Repr = pick<Icmpv4Repr>(rng, [
    { kind: 'echo-request', identifier: u16(rng), sequence: u16(rng), data: bytes(rng, rng.nextInt(64)) },
    { kind: 'destination-unreachable', code: rng.nextInt(16), nextHopMtu: u16(rng), invoking: quote },
    { kind: 'time-exceeded', code: rng.nextInt(2), invoking: quote },
    { kind: 'parameter-problem', code: 0, pointer: rng.nextInt(256), invoking: quote },
    { kind: 'other', type: rng.nextInt(256), code: rng.nextInt(256), rest: u32(rng), body: bytes(rng, rng.nextInt(16)) },
  ]);
  if (m.kind === 'destination-unreachable' && m.code !== 4) m.nextHopMtu = 0;
  const b = new Uint8Array(icmpv4Len(m));
  emitIcmpv4(m, b);
  return b;
}

function ndpOptions(rng: Prng): NdpOptions {
  const o: NdpOptions = {};
  if (chance(rng, 0.5)) o.sourceLinkLayerAddress = bytes(rng, 6);
  if (chance(rng, 0.3)) o.targetLinkLayerAddress = bytes(rng, 6);
  if (chance(rng, 0.3)) o.mtu = u32(rng);
  if (chance(rng, 0.3)) {
    o.prefixInformation = [{ prefixLength: rng.nextInt(129), onLink: chance(rng, 0.5), autonomous: chance(rng, 0.5), validLifetime: u32(rng), preferredLifetime: u32(rng), prefix: bytes(rng, 16) }];
  }
  if (chance(rng, 0.2)) o.nonce = bytes(rng, 6);
  return o;
}

function icmp6(rng: Prng, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const target = bytes(rng, 16);
  target[0] = target[0]! & 0xfe; // not multicast: a multicast target is a drop by contract
  const quote = bytes(rng, 48);
  const m: Icmpv6Repr = pick<Icmpv6Repr>(rng, [
    { kind: 'echo-request', identifier: u16(rng), sequence: u16(rng), data: bytes(rng, rng.nextInt(64)) },
    { kind: 'packet-too-big', mtu: u32(rng), invoking: quote },
    { kind: 'destination-unreachable', code: rng.nextInt(8), invoking: quote },
    { kind: 'neighbor-solicitation', target, options: ndpOptions(rng) },
    { kind: 'neighbor-advertisement', router: chance(rng, 0.5), solicited: chance(rng, 0.5), override: chance(rng, 0.5), target, options: ndpOptions(rng) },
    { kind: 'router-advertisement', curHopLimit: rng.nextInt(256), managed: chance(rng, 0.5), other: chance(rng, 0.5), routerLifetime: u16(rng), reachableTime: u32(rng), retransTimer: u32(rng), options: ndpOptions(rng) },
    { kind: 'router-solicitation', options: ndpOptions(rng) },
  ]);
  const b = new Uint8Array(icmpv6Len(m));
  emitIcmpv6(m, b, pseudoHeaderSumV6(src, dst, IpProtocol.ICMPv6, b.length));
  return b;
}

function readU32(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

function ethernet(rng: Prng, etherType: number, payload: Uint8Array, dst = bytes(rng, 6), src = bytes(rng, 6)): Uint8Array {
  const tags = chance(rng, 0.1) ? 1 + rng.nextInt(2) : 0;
  const vlan: VlanTag[] | undefined = tags === 0
    ? undefined
    : Array.from({ length: tags }, (_, i) => ({ tpid: i === 0 && tags === 2 ? EtherType.QinQ : EtherType.VLAN, pcp: rng.nextInt(8), dei: chance(rng, 0.5), vid: rng.nextInt(4096) }));
  const f = new Uint8Array(14 + 4 * (vlan?.length ?? 0) + payload.length);
  emitEthernet({ dst, src, etherType, payload, ...(vlan ? { vlan } : {}) }, f);
  return f;
}

export interface Addresses {
  mac?: Uint8Array;
  v4?: [number, number];
  v6?: [Uint8Array, Uint8Array];
}

/** One valid random frame: ARP, or IPv4/IPv6 carrying TCP, UDP or ICMP. `to` fixes addresses. */
export function randomFrame(rng: Prng, to: Addresses = {}): Uint8Array {
  const kind = rng.nextInt(7);
  if (kind === 0) {
    const a = new Uint8Array(28);
    emitArp({ op: 1 + rng.nextInt(2), sha: bytes(rng, 6), spa: to.v4?.[0] ?? u32(rng), tha: bytes(rng, 6), tpa: to.v4?.[1] ?? u32(rng) }, a);
    return ethernet(rng, EtherType.ARP, a, to.mac);
  }
  if (kind <= 3) {
    const [s, d] = to.v4 ?? [u32(rng), u32(rng)];
    const src = Uint8Array.of(s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff);
    const dst = Uint8Array.of(d >>> 24, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
    const protocol = pick(rng, [IpProtocol.TCP, IpProtocol.UDP, IpProtocol.ICMP]);
    const payload = protocol === IpProtocol.TCP ? tcp(rng, src, dst) : protocol === IpProtocol.UDP ? udp(rng, src, dst) : icmp4(rng);
    const options = chance(rng, 0.1) ? bytes(rng, 4 * rng.nextInt(11)) : new Uint8Array(0);
    const ip = new Uint8Array(20 + options.length + payload.length);
    const frag = chance(rng, 0.1);
    emitIpv4({ dscp: rng.nextInt(64), ecn: rng.nextInt(4), identification: u16(rng), dontFragment: !frag && chance(rng, 0.5), moreFragments: frag && chance(rng, 0.5), fragmentOffset: frag ? 8 * rng.nextInt(100) : 0, ttl: rng.nextInt(256), protocol, src: s, dst: d, options, payload }, ip);
    return ethernet(rng, EtherType.IPv4, ip, to.mac);
  }
  const [src, dst] = to.v6 ?? [bytes(rng, 16), bytes(rng, 16)];
  const protocol = pick(rng, [IpProtocol.TCP, IpProtocol.UDP, IpProtocol.ICMPv6]);
  const payload = protocol === IpProtocol.TCP ? tcp(rng, src, dst) : protocol === IpProtocol.UDP ? udp(rng, src, dst) : icmp6(rng, src, dst);
  const ip = new Uint8Array(40 + payload.length);
  emitIpv6({ trafficClass: rng.nextInt(256), flowLabel: rng.nextInt(1 << 20), nextHeader: protocol, hopLimit: chance(rng, 0.5) ? 255 : rng.nextInt(256), src, dst, payload }, ip);
  return ethernet(rng, EtherType.IPv6, ip, to.mac);
}
