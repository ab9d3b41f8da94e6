/**
 * ICMP for IPv6 (RFC 4443): destination unreachable, packet too big, time exceeded, parameter
 * problem, echo. The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1). Neighbor Discovery
 * messages (types 133–137) are parsed and emitted by `ndp.ts` and are members of the same union;
 * other types keep their type, code, rest-of-header and body.
 */

import { Drop, drop } from './drop';
import { formatIpv6 } from './address';
import {
  ICMP_HEADER_LEN, IcmpEcho, IcmpHeaderView, IcmpOther, describeIcmpEcho, describeIcmpOther, emitIcmpMessage,
  icmpBody, icmpChecksumValid, icmpEchoRest, parseIcmpEcho, parseIcmpOther,
} from './icmp-header';
import { NdpRepr, describeNdp, emitNdp, isNdpType, ndpLen, parseNdp } from './ndp';

export const ICMPV6_HEADER_LEN = ICMP_HEADER_LEN;

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
} as const;

export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdminProhibited: 1,
  BeyondScope: 2,
  AddressUnreachable: 3,
  PortUnreachable: 4,
  SourcePolicyFailed: 5,
  RejectRoute: 6,
} as const;

export const Icmpv6ParameterProblemCode = {
  ErroneousHeaderField: 0,
  UnrecognizedNextHeader: 1,
  UnrecognizedOption: 2,
} as const;

export class Icmpv6View extends IcmpHeaderView {
  /** For untrusted bytes (the whole ICMPv6 message): the 4-byte type/code/checksum and the
   * 4-byte rest of header every RFC 4443 message has. */
  static check(b: Uint8Array): Icmpv6View | Drop {
    return b.length < ICMPV6_HEADER_LEN ? drop('icmpv6-truncated') : new Icmpv6View(b);
  }

  /** Packet Too Big: the next-hop link's MTU. */
  get mtu(): number {
    return this.restOfHeader;
  }

  /** Parameter Problem: offset of the error in the invoking packet. */
  get pointer(): number {
    return this.restOfHeader;
  }

  /** `pseudoSum` from `pseudoHeaderSumV6(src, dst, 58, message length)`. */
  checksumValid(pseudoSum: number): boolean {
    return icmpChecksumValid(this.b, pseudoSum);
  }

  override toString(): string {
    const r = parseIcmpv6(this.b);
    return r instanceof Drop ? `ICMP6 ${r}` : describeIcmpv6(r);
  }
}

export type Icmpv6Echo = IcmpEcho;

export interface Icmpv6DestinationUnreachable {
  kind: 'destination-unreachable';
  code: number;
  /** The invoking packet, from its IPv6 header on. A view. */
  invoking: Uint8Array;
}

export interface Icmpv6PacketTooBig {
  kind: 'packet-too-big';
  mtu: number;
  invoking: Uint8Array;
}

export interface Icmpv6TimeExceeded {
  kind: 'time-exceeded';
  /** 0 hop limit exceeded in transit, 1 fragment reassembly time exceeded. */
  code: number;
  invoking: Uint8Array;
}

export interface Icmpv6ParameterProblem {
  kind: 'parameter-problem';
  code: number;
  pointer: number;
  invoking: Uint8Array;
}

export type Icmpv6Other = IcmpOther;

export type Icmpv6Repr =
  | Icmpv6Echo
  | Icmpv6DestinationUnreachable
  | Icmpv6PacketTooBig
  | Icmpv6TimeExceeded
  | Icmpv6ParameterProblem
  | Icmpv6Other
  | NdpRepr;

/**
 * Parses a whole ICMPv6 message. With `pseudoSum` the checksum is verified (RFC 4443 §2.3
 * makes it mandatory; leave it out only when it was verified already). NDP types go through
 * `parseNdp` and its checks. An echo with a code other than 0 is returned as `'other'`.
 */
export function parseIcmpv6(b: Uint8Array, pseudoSum?: number): Icmpv6Repr | Drop {
  const v = Icmpv6View.check(b);
  if (v instanceof Drop) return v;
  if (pseudoSum !== undefined && !v.checksumValid(pseudoSum)) return drop('icmpv6-bad-checksum');
  const code = v.code;
  switch (v.type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      if (code !== 0) break;
      return parseIcmpEcho(v, v.type === Icmpv6Type.EchoRequest);
    case Icmpv6Type.DestinationUnreachable:
      return { kind: 'destination-unreachable', code, invoking: v.body };
    case Icmpv6Type.PacketTooBig:
      return { kind: 'packet-too-big', mtu: v.mtu, invoking: v.body };
    case Icmpv6Type.TimeExceeded:
      return { kind: 'time-exceeded', code, invoking: v.body };
    case Icmpv6Type.ParameterProblem:
      return { kind: 'parameter-problem', code, pointer: v.pointer, invoking: v.body };
    default:
      if (isNdpType(v.type)) return parseNdp(b);
  }
  return parseIcmpOther(v);
}

function isNdp(repr: Icmpv6Repr): repr is NdpRepr {
  switch (repr.kind) {
    case 'router-solicitation':
    case 'router-advertisement':
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
    case 'redirect':
      return true;
    default:
      return false;
  }
}

export function icmpv6HeaderLen(_repr?: Icmpv6Repr): number {
  return ICMPV6_HEADER_LEN;
}

/** Length of the whole message; what the pseudo-header's length must be. */
export function icmpv6Len(repr: Icmpv6Repr): number {
  return isNdp(repr) ? ndpLen(repr) : ICMPV6_HEADER_LEN + icmpBody(repr).length;
}

/**
 * Writes the whole message at `into[offset..]` with its checksum (`pseudoSum` from
 * `pseudoHeaderSumV6(src, dst, 58, icmpv6Len(repr))`); returns its length. The caller trims
 * an error's invoking packet so the whole error fits in 1280 bytes (RFC 4443 §2.4 (c)).
 */
export function emitIcmpv6(repr: Icmpv6Repr, into: Uint8Array, pseudoSum: number, offset = 0): number {
  if (isNdp(repr)) return emitNdp(repr, into, pseudoSum, offset);
  let type: number;
  let code = 0;
  let rest = 0;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      type = repr.kind === 'echo-request' ? Icmpv6Type.EchoRequest : Icmpv6Type.EchoReply;
      rest = icmpEchoRest(repr);
      break;
    case 'destination-unreachable':
      type = Icmpv6Type.DestinationUnreachable;
      code = repr.code;
      break;
    case 'packet-too-big':
      type = Icmpv6Type.PacketTooBig;
      rest = repr.mtu;
      break;
    case 'time-exceeded':
      type = Icmpv6Type.TimeExceeded;
      code = repr.code;
      break;
    case 'parameter-problem':
      type = Icmpv6Type.ParameterProblem;
      code = repr.code;
      rest = repr.pointer;
      break;
    case 'other':
      type = repr.type;
      code = repr.code;
      rest = repr.rest;
      break;
  }
  return emitIcmpMessage(into, offset, type, code, rest, icmpBody(repr), pseudoSum);
}

const unreachableNames: Readonly<Record<number, string>> = {
  0: 'no route',
  1: 'administratively prohibited',
  2: 'beyond scope',
  3: 'address unreachable',
  4: 'port unreachable',
  5: 'source policy failed',
  6: 'reject route',
};

/** `ICMP6 echo request id=1 seq=2 len 56` (len: data bytes), `ICMP6 packet too big, mtu 1280 …`. */
export function describeIcmpv6(repr: Icmpv6Repr): string {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return `ICMP6 ${describeIcmpEcho(repr)}`;
    case 'destination-unreachable':
      return `ICMP6 ${unreachableNames[repr.code] ?? `unreachable code ${repr.code}`}${quoted(repr.invoking)}`;
    case 'packet-too-big':
      return `ICMP6 packet too big, mtu ${repr.mtu}${quoted(repr.invoking)}`;
    case 'time-exceeded':
      return `ICMP6 time exceeded ${repr.code === 0 ? 'in-transit' : 'in-reassembly'}${quoted(repr.invoking)}`;
    case 'parameter-problem':
      return `ICMP6 parameter problem code ${repr.code} pointer ${repr.pointer}${quoted(repr.invoking)}`;
    case 'other':
      return `ICMP6 ${describeIcmpOther(repr)}`;
    default:
      return describeNdp(repr);
  }
}

/** `, for 2001:db8::1 > 2001:db8::2 next-header 17` when the invoking header is there. */
function quoted(invoking: Uint8Array): string {
  if (invoking.length < 40 || invoking[0]! >> 4 !== 6) return '';
  return `, for ${formatIpv6(invoking.subarray(8, 24))} > ${formatIpv6(invoking.subarray(24, 40))} next-header ${invoking[6]}`;
}
