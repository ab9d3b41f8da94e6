/**
 * The replay's view of one frame: Ethernet (or a bare IP packet), ARP, IPv4/IPv6 with fragment
 * information, and the transport message (TCP segment, UDP datagram, ICMP/ICMPv6/NDP message).
 * Parsing uses the `stack/wire` parsers without verifying checksums (captures taken before
 * checksum offload carry placeholders); a frame that makes no sense is kept with a `drop` reason,
 * never thrown away, so that it still counts as a frame fed or expected.
 */

import type { LinkType } from '../../stack/link';
import { IpAddress, formatMac, type MacAddress } from '../../stack/wire/address';
import { parseArp, type ArpRepr } from '../../stack/wire/arp';
import { isDrop } from '../../stack/wire/drop';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseIcmpv4, type Icmpv4Repr } from '../../stack/wire/icmpv4';
import { parseIcmpv6, type Icmpv6Repr } from '../../stack/wire/icmpv6';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { parseTcp, type TcpRepr } from '../../stack/wire/tcp';
import { parseUdp } from '../../stack/wire/udp';

export interface IpInfo {
  family: 4 | 6;
  src: IpAddress;
  dst: IpAddress;
  /** The upper-layer protocol (after IPv6 extension headers). */
  protocol: number;
  /** Offset of the IP header in the frame, and of the upper-layer bytes. */
  ipOffset: number;
  upperOffset: number;
  /** Upper-layer bytes in this packet (a fragment's share only, for fragments). */
  upperLength: number;
  /** Present for fragments (IPv4 MF or offset, IPv6 Fragment header). Offsets in bytes. */
  fragment?: { id: number; offset: number; more: boolean };
}

export interface UdpInfo {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export type IcmpRepr = Icmpv4Repr | Icmpv6Repr;

export interface Packet {
  /** 1-based frame number in the capture (as tcpdump and Wireshark count), or in usernet's output. */
  number: number;
  /** Milliseconds after the capture's first frame (or after the replay's start). */
  timeMs: number;
  frame: Uint8Array;
  ethSrc: MacAddress | null;
  ethDst: MacAddress | null;
  arp?: ArpRepr;
  ip?: IpInfo;
  tcp?: TcpRepr;
  udp?: UdpInfo;
  icmp?: IcmpRepr;
  /** Why parsing stopped early, when it did. */
  drop?: string;
}

/** Parses `frame` (never throws). `number` and `timeMs` are kept as given. */
export function parsePacket(frame: Uint8Array, linkType: LinkType, number: number, timeMs: number): Packet {
  const p: Packet = { number, timeMs, frame, ethSrc: null, ethDst: null };
  let ipBytes: Uint8Array;
  let ipOffset = 0;
  if (linkType === 'ethernet') {
    const eth = parseEthernet(frame);
    if (isDrop(eth)) {
      p.drop = eth.reason;
      return p;
    }
    p.ethSrc = eth.src;
    p.ethDst = eth.dst;
    ipOffset = eth.payload.byteOffset - frame.byteOffset;
    if (eth.etherType === EtherType.ARP) {
      const arp = parseArp(eth.payload);
      if (isDrop(arp)) p.drop = arp.reason;
      else p.arp = arp;
      return p;
    }
    if (eth.etherType !== EtherType.IPv4 && eth.etherType !== EtherType.IPv6) {
      p.drop = `ethertype 0x${eth.etherType.toString(16)}`;
      return p;
    }
    ipBytes = eth.payload;
  } else {
    ipBytes = frame;
  }
  parseIp(p, ipBytes, ipOffset);
  return p;
}

function parseIp(p: Packet, b: Uint8Array, ipOffset: number): void {
  const version = b.length > 0 ? b[0]! >> 4 : 0;
  let upper: Uint8Array;
  if (version === 4) {
    const ip = parseIpv4(b, { verifyChecksum: false });
    if (isDrop(ip)) {
      p.drop = ip.reason;
      return;
    }
    upper = ip.payload;
    p.ip = {
      family: 4,
      src: IpAddress.v4(ip.src),
      dst: IpAddress.v4(ip.dst),
      protocol: ip.protocol,
      ipOffset,
      upperOffset: ipOffset + (upper.byteOffset - b.byteOffset),
      upperLength: upper.length,
    };
    if (ip.moreFragments || ip.fragmentOffset > 0) {
      p.ip.fragment = { id: ip.identification, offset: ip.fragmentOffset, more: ip.moreFragments };
    }
  } else if (version === 6) {
    const ip = parseIpv6(b);
    if (isDrop(ip)) {
      p.drop = ip.reason;
      return;
    }
    upper = ip.upperLayerPayload;
    p.ip = {
      family: 6,
      src: IpAddress.v6(ip.src),
      dst: IpAddress.v6(ip.dst),
      protocol: ip.upperLayerProtocol,
      ipOffset,
      upperOffset: ipOffset + ip.upperLayerOffset,
      upperLength: upper.length,
    };
    if (ip.fragment !== undefined) {
      p.ip.fragment = { id: ip.fragment.identification, offset: ip.fragment.fragmentOffset, more: ip.fragment.moreFragments };
    }
  } else {
    p.drop = 'ip-bad-version';
    return;
  }
  // Only a first fragment (or a whole packet) starts with the upper-layer header.
  if (p.ip.fragment !== undefined && p.ip.fragment.offset > 0) return;
  parseTransport(p, p.ip, upper);
}

function parseTransport(p: Packet, ip: IpInfo, upper: Uint8Array): void {
  const whole = ip.fragment === undefined;
  switch (ip.protocol) {
    case IpProtocol.TCP: {
      if (!whole) return;
      const tcp = parseTcp(upper);
      if (isDrop(tcp)) p.drop = tcp.reason;
      else p.tcp = tcp;
      return;
    }
    case IpProtocol.UDP: {
      if (!whole) return;
      const udp = parseUdp(upper, undefined, ip.family === 6);
      if (isDrop(udp)) p.drop = udp.reason;
      else p.udp = { srcPort: udp.srcPort, dstPort: udp.dstPort, payload: udp.payload };
      return;
    }
    case IpProtocol.ICMP:
    case IpProtocol.ICMPv6: {
      const m = ip.family === 4 ? parseIcmpv4(upper, { verifyChecksum: false }) : parseIcmpv6(upper);
      if (isDrop(m)) p.drop = m.reason;
      else p.icmp = m;
      return;
    }
    default:
      return;
  }
}

/** The ICMP type number of `m` (kind names are the wire module's; numbers are what people read). */
export function icmpTypeOf(m: IcmpRepr, family: 4 | 6): number {
  const v4: Record<string, number> = { 'echo-request': 8, 'echo-reply': 0, 'destination-unreachable': 3, redirect: 5, 'time-exceeded': 11, 'parameter-problem': 12 };
  const v6: Record<string, number> = {
    'echo-request': 128,
    'echo-reply': 129,
    'destination-unreachable': 1,
    'packet-too-big': 2,
    'time-exceeded': 3,
    'parameter-problem': 4,
    'router-solicitation': 133,
    'router-advertisement': 134,
    'neighbor-solicitation': 135,
    'neighbor-advertisement': 136,
    redirect: 137,
  };
  if (m.kind === 'other') return m.type;
  return (family === 4 ? v4 : v6)[m.kind] ?? -1;
}

/** Short text for a MAC or `-` (IP links). */
export function macText(m: MacAddress | null): string {
  return m === null ? '-' : formatMac(m);
}
