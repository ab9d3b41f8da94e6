/**
 * The frame decoder behind `usernet decode`: one captured frame in, one `DecodedFrame` out,
 * layer by layer (Ethernet II and VLAN tags, ARP, IPv4, IPv6 with its extension headers, then
 * TCP, UDP, ICMPv4, ICMPv6/NDP). It never throws: the first layer that makes no sense ends the
 * decoding with its drop reason, and what was decoded before it is kept.
 */

import type { LinkType } from '../../stack/link';
import { isDrop } from '../../stack/wire/drop';
import { formatIpv4, formatIpv6, formatMac } from '../../stack/wire/address';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseArp } from '../../stack/wire/arp';
import { Ipv4View, parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { EtherType, IpProtocol, etherTypeName, ipProtocolName } from '../../stack/wire/ip-protocol';
import { TransportContext, decodeTcp, decodeUdp } from './transport';
import { decodeIcmpv4, decodeIcmpv6 } from './icmp';
import type { DecodedFrame, DecodedIpv6Extension, DecodedTransport } from './types';

/** Decodes one frame of a link of type `linkType` (Ethernet, or bare IPv4/IPv6 packets). */
export function decodeFrame(frame: Uint8Array, linkType: LinkType): DecodedFrame {
  const d: DecodedFrame = { length: frame.length };
  if (linkType === 'ip') {
    const version = frame.length > 0 ? frame[0]! >> 4 : 0;
    if (version === 4) decodeIpv4Packet(frame, d);
    else if (version === 6) decodeIpv6Packet(frame, d);
    else d.drop = 'ip-bad-version';
    return d;
  }
  const eth = parseEthernet(frame);
  if (isDrop(eth)) {
    d.drop = eth.reason;
    return d;
  }
  d.ethernet = { src: formatMac(eth.src), dst: formatMac(eth.dst), etherType: eth.etherType };
  if (eth.vlan !== undefined) d.ethernet.vlan = eth.vlan.map((t) => ({ ...t }));
  switch (eth.etherType) {
    case EtherType.IPv4:
      decodeIpv4Packet(eth.payload, d);
      break;
    case EtherType.IPv6:
      decodeIpv6Packet(eth.payload, d);
      break;
    case EtherType.ARP: {
      const arp = parseArp(eth.payload);
      if (isDrop(arp)) {
        d.drop = arp.reason;
        break;
      }
      d.network = {
        protocol: 'arp',
        op: arp.op,
        senderMac: formatMac(arp.sha),
        senderIp: formatIpv4(arp.spa),
        targetMac: formatMac(arp.tha),
        targetIp: formatIpv4(arp.tpa),
      };
      break;
    }
    default:
      d.note = `ethertype ${etherTypeName(eth.etherType)}`;
  }
  return d;
}

function decodeIpv4Packet(b: Uint8Array, d: DecodedFrame): void {
  // The header checksum is reported, not enforced, like the transport checksums.
  const ip = parseIpv4(b, { verifyChecksum: false });
  if (isDrop(ip)) {
    d.drop = ip.reason;
    return;
  }
  const v = Ipv4View.check(b) as Ipv4View; // parseIpv4 succeeded, so check does
  d.network = {
    protocol: 'ipv4',
    src: formatIpv4(ip.src),
    dst: formatIpv4(ip.dst),
    headerLength: v.headerLen,
    totalLength: v.totalLength,
    dscp: ip.dscp,
    ecn: ip.ecn,
    identification: ip.identification,
    dontFragment: ip.dontFragment,
    moreFragments: ip.moreFragments,
    fragmentOffset: ip.fragmentOffset,
    ttl: ip.ttl,
    nextProtocol: ip.protocol,
    checksum: v.checksum,
    checksumStatus: v.checksumValid ? 'ok' : 'bad',
    optionsLength: ip.options.length,
  };
  if (ip.fragmentOffset !== 0) {
    d.note = 'non-first fragment';
    return;
  }
  const ctx: TransportContext = {
    pseudoSum: (protocol, length) => pseudoHeaderSumV4(ip.src, ip.dst, protocol, length),
    whole: !ip.moreFragments,
    ipv6: false,
  };
  decodeTransport(ip.protocol, ip.payload, ctx, d);
}

function decodeIpv6Packet(b: Uint8Array, d: DecodedFrame): void {
  const ip = parseIpv6(b);
  if (isDrop(ip)) {
    d.drop = ip.reason;
    return;
  }
  d.network = {
    protocol: 'ipv6',
    src: formatIpv6(ip.src),
    dst: formatIpv6(ip.dst),
    trafficClass: ip.trafficClass,
    flowLabel: ip.flowLabel,
    payloadLength: ip.payload.length,
    hopLimit: ip.hopLimit,
    nextHeader: ip.nextHeader,
    extensions: ip.extensions.map((e) => {
      const x: DecodedIpv6Extension = { type: e.type, offset: e.offset, length: e.length };
      if (e.type === 44) {
        x.identification = e.identification;
        x.fragmentOffset = e.fragmentOffset;
        x.moreFragments = e.moreFragments;
      } else if (e.type === 43) {
        x.routingType = e.routingType;
        x.segmentsLeft = e.segmentsLeft;
      }
      return x;
    }),
    nextProtocol: ip.upperLayerProtocol,
  };
  if (ip.fragment !== undefined && ip.fragment.fragmentOffset !== 0) {
    d.note = 'non-first fragment';
    return;
  }
  const ctx: TransportContext = {
    pseudoSum: (protocol, length) => pseudoHeaderSumV6(ip.src, ip.dst, protocol, length),
    whole: ip.fragment === undefined,
    ipv6: true,
  };
  decodeTransport(ip.upperLayerProtocol, ip.upperLayerPayload, ctx, d);
}

function decodeTransport(protocol: number, payload: Uint8Array, ctx: TransportContext, d: DecodedFrame): void {
  let t: DecodedTransport | ReturnType<typeof decodeTcp>;
  switch (protocol) {
    case IpProtocol.TCP:
      t = decodeTcp(payload, ctx);
      break;
    case IpProtocol.UDP:
      t = decodeUdp(payload, ctx);
      break;
    case IpProtocol.ICMP:
      if (ctx.ipv6) {
        d.note = `${ipProtocolName(protocol)} over IPv6`;
        return;
      }
      t = decodeIcmpv4(payload, ctx);
      break;
    case IpProtocol.ICMPv6:
      if (!ctx.ipv6) {
        d.note = `${ipProtocolName(protocol)} over IPv4`;
        return;
      }
      t = decodeIcmpv6(payload, ctx);
      break;
    default:
      d.note = `protocol ${ipProtocolName(protocol)}`;
      return;
  }
  if (isDrop(t)) d.drop = t.reason;
  else d.transport = t;
}
