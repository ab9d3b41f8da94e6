/**
 * Decoding ICMPv4 (RFC 792), ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861) for the frame
 * decoder, on top of the wire parsers. Checksums are reported, not enforced.
 */

import { Drop, isDrop } from '../../stack/wire/drop';
import { MldType, describeMld, isMldType, parseMld } from '../../stack/wire/mld';
import { formatIpv4, formatIpv6, formatMac } from '../../stack/wire/address';
import { icmpChecksumValid } from '../../stack/wire/icmp-header';
import { Icmpv4Repr, describeIcmpv4, parseIcmpv4 } from '../../stack/wire/icmpv4';
import { Icmpv6Repr, describeIcmpv6, parseIcmpv6 } from '../../stack/wire/icmpv6';
import type { DecodedIcmp } from './types';
import type { TransportContext } from './transport';

const NAMES: Readonly<Record<Exclude<Icmpv4Repr['kind'] | Icmpv6Repr['kind'], 'other'>, string>> = {
  'echo-request': 'echo request',
  'echo-reply': 'echo reply',
  'destination-unreachable': 'destination unreachable',
  'packet-too-big': 'packet too big',
  'time-exceeded': 'time exceeded',
  'parameter-problem': 'parameter problem',
  redirect: 'redirect',
  'router-solicitation': 'router solicitation',
  'router-advertisement': 'router advertisement',
  'neighbor-solicitation': 'neighbor solicitation',
  'neighbor-advertisement': 'neighbor advertisement',
};

/**
 * What both families report: header, name, checksum status (`pseudoSum` is 0 for ICMPv4, whose
 * checksum covers only the message), and the fields of echo and parameter problem messages.
 */
function decodeCommon(
  protocol: DecodedIcmp['protocol'], msg: Uint8Array, repr: Icmpv4Repr | Icmpv6Repr, ctx: TransportContext, pseudoSum: () => number, text: string,
): DecodedIcmp {
  const d: DecodedIcmp = {
    protocol,
    type: msg[0]!,
    code: msg[1]!,
    checksum: (msg[2]! << 8) | msg[3]!,
    name: repr.kind === 'other' ? `type ${repr.type}` : NAMES[repr.kind],
    checksumStatus: !ctx.whole ? 'unverified' : icmpChecksumValid(msg, pseudoSum()) ? 'ok' : 'bad',
    dataLength: msg.length - 8,
    text,
  };
  if (repr.kind === 'echo-request' || repr.kind === 'echo-reply') {
    d.identifier = repr.identifier;
    d.sequence = repr.sequence;
  } else if (repr.kind === 'parameter-problem') {
    d.pointer = repr.pointer;
  }
  return d;
}

/** `msg` is the whole ICMP message (the IPv4 payload); its checksum covers only itself. */
export function decodeIcmpv4(msg: Uint8Array, ctx: TransportContext): DecodedIcmp | Drop {
  const repr = parseIcmpv4(msg, { verifyChecksum: false });
  if (isDrop(repr)) return repr;
  const d = decodeCommon('icmpv4', msg, repr, ctx, () => 0, describeIcmpv4(repr));
  switch (repr.kind) {
    case 'destination-unreachable':
      if (repr.code === 4) d.mtu = repr.nextHopMtu;
      break;
    case 'redirect':
      d.gateway = formatIpv4(repr.gateway);
      break;
    default:
      break;
  }
  return d;
}

const MLD_NAMES: Readonly<Record<number, string>> = {
  [MldType.Query]: 'multicast listener query',
  [MldType.ReportV1]: 'multicast listener report v1',
  [MldType.DoneV1]: 'multicast listener done',
  [MldType.ReportV2]: 'multicast listener report v2',
};

/** `msg` is the ICMPv6 message (the upper-layer payload); its checksum covers a pseudo-header. */
export function decodeIcmpv6(msg: Uint8Array, ctx: TransportContext): DecodedIcmp | Drop {
  const repr = parseIcmpv6(msg);
  if (isDrop(repr)) return repr;
  const d = decodeCommon('icmpv6', msg, repr, ctx, () => ctx.pseudoSum(58, msg.length), describeIcmpv6(repr));
  // Multicast Listener Discovery (RFC 3810, RFC 2710) rides on ICMPv6 types the ICMPv6 module
  // leaves as 'other'; its own module names and describes them.
  if (repr.kind === 'other' && isMldType(repr.type)) {
    const mld = parseMld(msg);
    if (!isDrop(mld)) {
      d.name = MLD_NAMES[repr.type] ?? d.name;
      d.text = describeMld(mld);
    }
  }
  switch (repr.kind) {
    case 'packet-too-big':
      d.mtu = repr.mtu;
      break;
    case 'neighbor-advertisement':
      d.router = repr.router;
      d.solicited = repr.solicited;
      d.override = repr.override;
      d.target = formatIpv6(repr.target);
      break;
    case 'neighbor-solicitation':
      d.target = formatIpv6(repr.target);
      break;
    case 'redirect':
      d.target = formatIpv6(repr.target);
      d.destination = formatIpv6(repr.destination);
      break;
    default:
      break;
  }
  if ('options' in repr) {
    const o = repr.options;
    if (o.sourceLinkLayerAddress !== undefined) d.sourceLinkLayerAddress = formatMac(o.sourceLinkLayerAddress);
    if (o.targetLinkLayerAddress !== undefined) d.targetLinkLayerAddress = formatMac(o.targetLinkLayerAddress);
    if (o.mtu !== undefined) d.mtu = o.mtu;
  }
  return d;
}
