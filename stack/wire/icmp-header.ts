/**
 * What ICMP for IPv4 (RFC 792) and ICMP for IPv6 (RFC 4443 §2.1) share: the 8-byte header (type,
 * code, checksum, four rest-of-header bytes) before the body, the echo message and the unknown
 * type kept whole. `icmpv4.ts`, `icmpv6.ts` and `ndp.ts` build on it. The checksum is the same
 * RFC 1071 sum for both; ICMPv6's also covers the IPv6 pseudo-header (RFC 8200 §8.1), whose sum
 * the caller passes (0 for ICMPv4).
 */

import { readIpv4, writeIpv4 } from './address';
import { finishChecksum, sumBytes, verifies } from './checksum';

export const ICMP_HEADER_LEN = 8;
const F = { type: 0, code: 1, checksum: 2, rest: 4, body: 8 } as const;

/**
 * The fields every ICMP message has. Subclasses add a `check` that makes sure the bytes hold at
 * least the header (`ICMP_HEADER_LEN`); after that no getter here reads out of bounds.
 */
export abstract class IcmpHeaderView {
  protected constructor(protected readonly b: Uint8Array) {}

  get type(): number {
    return this.b[F.type]!;
  }

  get code(): number {
    return this.b[F.code]!;
  }

  get checksum(): number {
    return (this.b[F.checksum]! << 8) | this.b[F.checksum + 1]!;
  }

  /** Bytes 4–7 as one unsigned number; what they mean depends on the type. */
  get restOfHeader(): number {
    return readIpv4(this.b, F.rest);
  }

  /** Echo identifier (bytes 4–5). */
  get identifier(): number {
    return (this.b[4]! << 8) | this.b[5]!;
  }

  /** Echo sequence number (bytes 6–7). */
  get sequence(): number {
    return (this.b[6]! << 8) | this.b[7]!;
  }

  /** Echo data, or for errors the invoking packet (as much of it as was quoted). A view. */
  get body(): Uint8Array {
    return this.b.subarray(F.body);
  }
}

/** True when the whole message, with `pseudoSum` for ICMPv6 (0 for ICMPv4), sums correctly. */
export function icmpChecksumValid(message: Uint8Array, pseudoSum = 0): boolean {
  return verifies(sumBytes(message, 0, message.length, pseudoSum));
}

export interface IcmpEcho {
  kind: 'echo-request' | 'echo-reply';
  identifier: number;
  sequence: number;
  data: Uint8Array;
}

/** Any other type, kept whole so that it can be logged or re-emitted unchanged. */
export interface IcmpOther {
  kind: 'other';
  type: number;
  code: number;
  /** Bytes 4–7 as an unsigned 32-bit number. */
  rest: number;
  body: Uint8Array;
}

/** An error message: what it carries past the header is the invoking packet. */
export interface IcmpError {
  kind: 'destination-unreachable' | 'packet-too-big' | 'redirect' | 'time-exceeded' | 'parameter-problem';
  invoking: Uint8Array;
}

export function parseIcmpEcho(v: IcmpHeaderView, request: boolean): IcmpEcho {
  return {
    kind: request ? 'echo-request' : 'echo-reply',
    identifier: v.identifier,
    sequence: v.sequence,
    data: v.body,
  };
}

export function parseIcmpOther(v: IcmpHeaderView): IcmpOther {
  return { kind: 'other', type: v.type, code: v.code, rest: v.restOfHeader, body: v.body };
}

/** Echo identifier and sequence as the rest-of-header number. */
export function icmpEchoRest(repr: IcmpEcho): number {
  return (repr.identifier & 0xffff) * 0x10000 + (repr.sequence & 0xffff);
}

/** What follows the header: echo data, an unknown type's body, or the invoking packet. */
export function icmpBody(repr: IcmpEcho | IcmpOther | IcmpError): Uint8Array {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return repr.data;
    case 'other':
      return repr.body;
    default:
      return repr.invoking;
  }
}

/**
 * Writes header and body at `into[offset..]` with the checksum (over the message and
 * `pseudoSum`); returns the message length. `rest` is taken as an unsigned 32-bit number.
 */
export function emitIcmpMessage(
  into: Uint8Array, offset: number, type: number, code: number, rest: number, body: Uint8Array, pseudoSum: number,
): number {
  const o = offset;
  into[o + F.type] = type;
  into[o + F.code] = code;
  writeIpv4(into, o + F.rest, rest >>> 0);
  into.set(body, o + F.body);
  const end = o + F.body + body.length;
  writeIcmpChecksum(into, o, end, pseudoSum);
  return end - o;
}

/** Computes and writes the checksum of the message at `into[start..end)` (any old value ignored). */
export function writeIcmpChecksum(into: Uint8Array, start: number, end: number, pseudoSum: number): void {
  into[start + F.checksum] = 0;
  into[start + F.checksum + 1] = 0;
  const ck = finishChecksum(sumBytes(into, start, end, pseudoSum));
  into[start + F.checksum] = ck >> 8;
  into[start + F.checksum + 1] = ck & 0xff;
}

/** `echo request id=1 seq=2 len 56` (len: data bytes), after the caller's `ICMP`/`ICMP6`. */
export function describeIcmpEcho(repr: IcmpEcho): string {
  return `echo ${repr.kind === 'echo-request' ? 'request' : 'reply'} id=${repr.identifier} seq=${repr.sequence} len ${repr.data.length}`;
}

/** `type 42 code 0 len 8`, after the caller's `ICMP`/`ICMP6`. */
export function describeIcmpOther(repr: IcmpOther): string {
  return `type ${repr.type} code ${repr.code} len ${repr.body.length}`;
}
