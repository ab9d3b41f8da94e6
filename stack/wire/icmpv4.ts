/**
 * ICMP for IPv4 (RFC 792): echo, destination unreachable (with the next-hop MTU of RFC 1191 §4
 * for "fragmentation needed"), redirect, time exceeded and parameter problem. Other types keep
 * their type, code, four rest-of-header bytes and body as they came.
 */

import { Drop, drop } from './drop';
import { Ipv4Address, formatIpv4, readIpv4 } from './address';
import {
  ICMP_HEADER_LEN, IcmpEcho, IcmpHeaderView, IcmpOther, describeIcmpEcho, describeIcmpOther, emitIcmpMessage,
  icmpBody, icmpChecksumValid, icmpEchoRest, parseIcmpEcho, parseIcmpOther,
} from './icmp-header';

export const ICMPV4_HEADER_LEN = ICMP_HEADER_LEN;

export const Icmpv4Type = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
} as const;

/** Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
export const Icmpv4UnreachableCode = {
  NetUnreachable: 0,
  HostUnreachable: 1,
  ProtocolUnreachable: 2,
  PortUnreachable: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  NetProhibited: 9,
  HostProhibited: 10,
  AdminProhibited: 13,
} as const;

export const Icmpv4TimeExceededCode = { TtlExceeded: 0, FragmentReassembly: 1 } as const;

export class Icmpv4View extends IcmpHeaderView {
  /** For untrusted bytes (the whole ICMP message): at least the 8-byte header. */
  static check(b: Uint8Array): Icmpv4View | Drop {
    return b.length < ICMPV4_HEADER_LEN ? drop('icmpv4-truncated') : new Icmpv4View(b);
  }

  /** Next-hop MTU of a "fragmentation needed" message (bytes 6–7, RFC 1191 §4). */
  get nextHopMtu(): number {
    return (this.b[6]! << 8) | this.b[7]!;
  }

  /** Parameter problem pointer (byte 4). */
  get pointer(): number {
    return this.b[4]!;
  }

  /** Redirect gateway (bytes 4–7). */
  get gateway(): Ipv4Address {
    return this.restOfHeader;
  }

  get checksumValid(): boolean {
    return icmpChecksumValid(this.b);
  }

  override toString(): string {
    const r = parseIcmpv4(this.b, { verifyChecksum: false });
    return r instanceof Drop ? `ICMP ${r}` : describeIcmpv4(r);
  }
}

export type Icmpv4Echo = IcmpEcho;

export interface Icmpv4DestinationUnreachable {
  kind: 'destination-unreachable';
  code: number;
  /** Next-hop MTU for code 4 (RFC 1191 §4); 0 when the code is another or the router is old. */
  nextHopMtu: number;
  /** The invoking datagram: its IP header and at least 8 bytes of its data. A view. */
  invoking: Uint8Array;
}

export interface Icmpv4Redirect {
  kind: 'redirect';
  code: number;
  gateway: Ipv4Address;
  invoking: Uint8Array;
}

export interface Icmpv4TimeExceeded {
  kind: 'time-exceeded';
  code: number;
  invoking: Uint8Array;
}

export interface Icmpv4ParameterProblem {
  kind: 'parameter-problem';
  code: number;
  /** Octet of the invoking datagram where the problem was found. */
  pointer: number;
  invoking: Uint8Array;
}

/** Any other type, kept whole so that it can be logged or re-emitted unchanged. */
export type Icmpv4Other = IcmpOther;

export type Icmpv4Repr =
  | Icmpv4Echo
  | Icmpv4DestinationUnreachable
  | Icmpv4Redirect
  | Icmpv4TimeExceeded
  | Icmpv4ParameterProblem
  | Icmpv4Other;

export interface Icmpv4ParseOptions {
  /** False when the checksum was already verified (offload, trusted loopback). */
  verifyChecksum?: boolean;
}

/**
 * Parses a whole ICMP message (the IPv4 payload). An echo with a code other than 0 is returned
 * as `'other'`. Error messages too short to quote an IPv4 header and 8 bytes (RFC 1122 §3.2.2)
 * are still parsed; what to do with them is the ICMP layer's decision.
 */
export function parseIcmpv4(b: Uint8Array, opts?: Icmpv4ParseOptions): Icmpv4Repr | Drop {
  const v = Icmpv4View.check(b);
  if (v instanceof Drop) return v;
  if (opts?.verifyChecksum !== false && !v.checksumValid) return drop('icmpv4-bad-checksum');
  const code = v.code;
  switch (v.type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      if (code !== 0) break;
      return parseIcmpEcho(v, v.type === Icmpv4Type.EchoRequest);
    case Icmpv4Type.DestinationUnreachable:
      return {
        kind: 'destination-unreachable',
        code,
        nextHopMtu: code === Icmpv4UnreachableCode.FragmentationNeeded ? v.nextHopMtu : 0,
        invoking: v.body,
      };
    case Icmpv4Type.Redirect:
      return { kind: 'redirect', code, gateway: v.gateway, invoking: v.body };
    case Icmpv4Type.TimeExceeded:
      return { kind: 'time-exceeded', code, invoking: v.body };
    case Icmpv4Type.ParameterProblem:
      return { kind: 'parameter-problem', code, pointer: v.pointer, invoking: v.body };
  }
  return parseIcmpOther(v);
}

export function icmpv4HeaderLen(_repr?: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN;
}

/** Length of the whole message: header plus data or invoking datagram. */
export function icmpv4Len(repr: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + icmpBody(repr).length;
}

/**
 * Writes the whole message (header, data or invoking datagram, checksum) at `into[offset..]`;
 * returns its length. Unused header bytes are written as zero.
 */
export function emitIcmpv4(repr: Icmpv4Repr, into: Uint8Array, offset = 0): number {
  let type: number;
  let code = 0;
  let rest = 0;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      type = repr.kind === 'echo-request' ? Icmpv4Type.EchoRequest : Icmpv4Type.EchoReply;
      rest = icmpEchoRest(repr);
      break;
    case 'destination-unreachable':
      type = Icmpv4Type.DestinationUnreachable;
      code = repr.code;
      rest = code === Icmpv4UnreachableCode.FragmentationNeeded ? repr.nextHopMtu & 0xffff : 0;
      break;
    case 'redirect':
      type = Icmpv4Type.Redirect;
      code = repr.code;
      rest = repr.gateway;
      break;
    case 'time-exceeded':
      type = Icmpv4Type.TimeExceeded;
      code = repr.code;
      break;
    case 'parameter-problem':
      type = Icmpv4Type.ParameterProblem;
      code = repr.code;
      rest = (repr.pointer & 0xff) * 0x1000000;
      break;
    case 'other':
      type = repr.type;
      code = repr.code;
      rest = repr.rest;
      break;
  }
  return emitIcmpMessage(into, offset, type, code, rest, icmpBody(repr), 0);
}

const unreachableNames: Readonly<Record<number, string>> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'need to frag',
  5: 'source route failed',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'administratively prohibited',
};

/** `ICMP echo request id=1 seq=2 len 56` (len: data bytes), `ICMP port unreachable …`. */
export function describeIcmpv4(repr: Icmpv4Repr): string {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return `ICMP ${describeIcmpEcho(repr)}`;
    case 'destination-unreachable': {
      const what = unreachableNames[repr.code] ?? `unreachable code ${repr.code}`;
      const mtu = repr.code === Icmpv4UnreachableCode.FragmentationNeeded ? ` (mtu ${repr.nextHopMtu})` : '';
      return `ICMP ${what}${mtu}${quoted(repr.invoking)}`;
    }
    case 'redirect':
      return `ICMP redirect code ${repr.code} to ${formatIpv4(repr.gateway)}${quoted(repr.invoking)}`;
    case 'time-exceeded':
      return `ICMP time exceeded ${repr.code === 0 ? 'in-transit' : 'in-reassembly'}${quoted(repr.invoking)}`;
    case 'parameter-problem':
      return `ICMP parameter problem code ${repr.code} pointer ${repr.pointer}${quoted(repr.invoking)}`;
    case 'other':
      return `ICMP ${describeIcmpOther(repr)}`;
  }
}

/** `, for 10.0.0.1 > 10.0.0.2 proto 17` when the invoking datagram's addresses are there. */
function quoted(invoking: Uint8Array): string {
  if (invoking.length < 20 || invoking[0]! >> 4 !== 4) return '';
  return `, for ${formatIpv4(readIpv4(invoking, 12))} > ${formatIpv4(readIpv4(invoking, 16))} proto ${invoking[9]}`;
}
