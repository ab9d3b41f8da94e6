/**
 * The IPv6 fixed header (RFC 8200 §3) and the parse of a whole packet: fixed header, then the
 * extension-header chain walked by `ipv6-ext.ts` to the upper-layer protocol.
 */

import { Drop, drop } from './drop';
import { Ipv6Address, formatIpv6 } from './address';
import { ipProtocolName } from './ip-protocol';
import { copyPayloadUnlessInPlace } from './payload';
import { Ipv6ExtHeader, Ipv6FragmentExt, describeIpv6Extensions, walkIpv6Extensions } from './ipv6-ext';

const F = { versionTcFlow: 0, payloadLength: 4, nextHeader: 6, hopLimit: 7, src: 8, dst: 24 } as const;
export const IPV6_HEADER_LEN = 40;
/** Payload Length is 16 bits; jumbograms (RFC 2675) are not supported. */
export const IPV6_MAX_PAYLOAD = 65535;

export class Ipv6View {
  private constructor(private readonly b: Uint8Array) {}

  /**
   * For untrusted bytes: 40 bytes, version 6, and the Payload Length present in the bytes given
   * (which may run longer: Ethernet padding). Once this returns a view, no getter reads out of
   * bounds. Extension headers are not looked at here (see `parseIpv6`).
   */
  static check(b: Uint8Array): Ipv6View | Drop {
    if (b.length < IPV6_HEADER_LEN) return drop('ipv6-truncated');
    const v = new Ipv6View(b);
    if (v.version !== 6) return drop('ipv6-bad-version');
    return IPV6_HEADER_LEN + v.payloadLength > b.length ? drop('ipv6-truncated') : v;
  }

  get version(): number {
    return this.b[F.versionTcFlow]! >> 4;
  }

  /** Traffic Class: DSCP in the upper six bits, ECN in the lower two (RFC 8200 §7). */
  get trafficClass(): number {
    return ((this.b[0]! & 0x0f) << 4) | (this.b[1]! >> 4);
  }

  /** 20-bit Flow Label (RFC 6437). */
  get flowLabel(): number {
    return ((this.b[1]! & 0x0f) << 16) | (this.b[2]! << 8) | this.b[3]!;
  }

  get payloadLength(): number {
    return (this.b[F.payloadLength]! << 8) | this.b[F.payloadLength + 1]!;
  }

  get nextHeader(): number {
    return this.b[F.nextHeader]!;
  }

  get hopLimit(): number {
    return this.b[F.hopLimit]!;
  }

  get src(): Ipv6Address {
    return this.b.subarray(F.src, F.src + 16);
  }

  get dst(): Ipv6Address {
    return this.b.subarray(F.dst, F.dst + 16);
  }

  /** Everything after the fixed header, extension headers included; padding left out. */
  get payload(): Uint8Array {
    return this.b.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + this.payloadLength);
  }

  toString(): string {
    return `IP6 ${formatIpv6(this.src)} > ${formatIpv6(this.dst)}: next-header ${ipProtocolName(this.nextHeader)} ` +
      `(hlim ${this.hopLimit}, payload length ${this.payloadLength})`;
  }
}

/** The fixed header's fields and payload: what `emitIpv6` writes. */
export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  /** The fixed header's Next Header: the first extension header or the upper layer. */
  nextHeader: number;
  hopLimit: number;
  src: Ipv6Address;
  dst: Ipv6Address;
  /**
   * Everything after the fixed header (extension headers included): a view into the packet when
   * parsed; the bytes to send when emitted. Payload Length is its length.
   */
  payload: Uint8Array;
}

/** A parsed packet: the fixed header plus what the extension-header walk found. */
export interface Ipv6Repr extends Ipv6Header {
  /** Offsets in these are from the start of the packet (the fixed header). */
  extensions: readonly Ipv6ExtHeader[];
  upperLayerProtocol: number;
  /** Offset of the upper-layer header from the start of the packet. */
  upperLayerOffset: number;
  /** The upper-layer header and data: a view into the packet. */
  upperLayerPayload: Uint8Array;
  /** End of the Unfragmentable Part (RFC 8200 §4.5), from the start of the packet. */
  unfragmentableEnd: number;
  fragment?: Ipv6FragmentExt;
}

/**
 * Parses a packet: `Ipv6View.check`, then the extension-header chain (bounded, every length
 * checked). A Payload Length of zero with a Hop-by-Hop header would be a jumbogram: its chain is
 * truncated and so dropped.
 */
export function parseIpv6(b: Uint8Array): Ipv6Repr | Drop {
  const v = Ipv6View.check(b);
  if (v instanceof Drop) return v;
  const end = IPV6_HEADER_LEN + v.payloadLength;
  const chain = walkIpv6Extensions(b, v.nextHeader, IPV6_HEADER_LEN, end);
  if (chain instanceof Drop) return chain;
  const repr: Ipv6Repr = {
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    src: v.src,
    dst: v.dst,
    payload: v.payload,
    extensions: chain.extensions,
    upperLayerProtocol: chain.upperLayerProtocol,
    upperLayerOffset: chain.upperLayerOffset,
    upperLayerPayload: b.subarray(chain.upperLayerOffset, end),
    unfragmentableEnd: chain.unfragmentableEnd,
  };
  if (chain.fragment !== undefined) repr.fragment = chain.fragment;
  return repr;
}

export function ipv6HeaderLen(_repr?: Ipv6Header): number {
  return IPV6_HEADER_LEN;
}

/**
 * Writes the fixed header at `into[offset..]`, then the payload unless it is already in place
 * right after the header. Returns 40 + payload length. Throws RangeError for a payload over
 * 65535 bytes or fields out of range — a caller bug.
 */
export function emitIpv6(repr: Ipv6Header, into: Uint8Array, offset = 0): number {
  const len = repr.payload.length;
  if (len > IPV6_MAX_PAYLOAD) throw new RangeError(`IPv6 payload of ${len} bytes`);
  if (repr.flowLabel > 0xfffff || repr.trafficClass > 0xff) throw new RangeError('IPv6 traffic class or flow label');
  const o = offset;
  into[o] = 0x60 | (repr.trafficClass >> 4);
  into[o + 1] = ((repr.trafficClass & 0x0f) << 4) | (repr.flowLabel >> 16);
  into[o + 2] = (repr.flowLabel >> 8) & 0xff;
  into[o + 3] = repr.flowLabel & 0xff;
  into[o + F.payloadLength] = len >> 8;
  into[o + F.payloadLength + 1] = len & 0xff;
  into[o + F.nextHeader] = repr.nextHeader;
  into[o + F.hopLimit] = repr.hopLimit;
  into.set(repr.src.subarray(0, 16), o + F.src);
  into.set(repr.dst.subarray(0, 16), o + F.dst);
  copyPayloadUnlessInPlace(repr.payload, into, o + IPV6_HEADER_LEN);
  return IPV6_HEADER_LEN + len;
}

/**
 * tcpdump style: `IP6 fe80::1 > ff02::1: ICMP6 echo request id=1 seq=2 len 56` when `inner`
 * (the upper layer's own description) is given, else the chain and the upper-layer protocol.
 */
export function describeIpv6(repr: Ipv6Header | Ipv6Repr, inner?: string): string {
  const head = `IP6 ${formatIpv6(repr.src)} > ${formatIpv6(repr.dst)}: `;
  if (!('extensions' in repr)) {
    return `${head}next-header ${ipProtocolName(repr.nextHeader)} len ${repr.payload.length} (hlim ${repr.hopLimit})`;
  }
  const chain = repr.extensions.length > 0 ? `${describeIpv6Extensions(repr.extensions)} ` : '';
  const first = repr.fragment === undefined || repr.fragment.fragmentOffset === 0;
  if (inner !== undefined && first) return head + chain + inner;
  return `${head}${chain}${ipProtocolName(repr.upperLayerProtocol)} len ${repr.upperLayerPayload.length} (hlim ${repr.hopLimit})`;
}
