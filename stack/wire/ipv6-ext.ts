/**
 * IPv6 extension headers (RFC 8200 §4): a bounded walk of the Next Header chain from the fixed
 * header to the upper-layer protocol, the Fragment header (§4.5) view and emitter, and the
 * Hop-by-Hop / Destination option scan (§4.2) the network layer needs to honour the action bits
 * of unrecognised options. AH (RFC 4302) is walked by its own length rule; ESP (RFC 4303) and No
 * Next Header (§4.7) end the walk.
 */

import { Drop, drop } from './drop';
import { IpProtocol } from './ip-protocol';

/** Every generic extension header starts with Next Header and Hdr Ext Len: at least 8 bytes. */
const EXT_MIN_LEN = 8;
export const IPV6_FRAGMENT_HEADER_LEN = 8;
/**
 * More extension headers than this is not a real packet: RFC 8200 §4.1 lists six kinds with only
 * Destination Options appearing twice; 8 leaves room for AH and a spare. The bound keeps a chain
 * of tiny headers from making one packet cost thousands of steps.
 */
export const MAX_IPV6_EXT_HEADERS = 8;

export interface Ipv6GenericExt {
  /** Which header this is: Hop-by-Hop (0), Destination Options (60) or AH (51). */
  type: 0 | 60 | 51;
  /** Offset of the header from the start of the IPv6 packet (the fixed header). */
  offset: number;
  /** Its length in bytes. */
  length: number;
  /** The Next Header value it carries. */
  nextHeader: number;
}

export interface Ipv6RoutingExt {
  type: 43;
  offset: number;
  length: number;
  nextHeader: number;
  routingType: number;
  segmentsLeft: number;
}

export interface Ipv6FragmentExt {
  type: 44;
  offset: number;
  length: 8;
  nextHeader: number;
  /** Fragment Offset in bytes (the field counts 8-byte units). */
  fragmentOffset: number;
  /** The M flag: more fragments follow. */
  moreFragments: boolean;
  identification: number;
}

export type Ipv6ExtHeader = Ipv6GenericExt | Ipv6RoutingExt | Ipv6FragmentExt;

/** What the walk learned; offsets are from the start of the IPv6 packet. */
export interface Ipv6Chain {
  extensions: readonly Ipv6ExtHeader[];
  /** The first Next Header value that is not a walked extension header (TCP, ICMPv6, ESP, 59 …). */
  upperLayerProtocol: number;
  upperLayerOffset: number;
  /**
   * End of the Unfragmentable Part (RFC 8200 §4.5): where a Fragment header sits or would be
   * inserted. After Hop-by-Hop, Routing, and Destination Options that precede a Routing header;
   * for a packet that has a Fragment header, that header's offset.
   */
  unfragmentableEnd: number;
  /** The Fragment header, when there is one (also present in `extensions`). */
  fragment?: Ipv6FragmentExt;
}

/** Shared by every packet without extension headers, so that common case allocates no array. */
export const NO_EXTENSIONS: readonly Ipv6ExtHeader[] = Object.freeze([]);

function isWalked(nh: number): boolean {
  return nh === IpProtocol.HopByHop || nh === IpProtocol.IPv6Opts || nh === IpProtocol.IPv6Route ||
    nh === IpProtocol.IPv6Frag || nh === IpProtocol.AH;
}

/**
 * Walks the chain in `packet[start..end)` starting with `firstNextHeader` (the fixed header's
 * Next Header). Every length is checked against `end`; Hop-by-Hop anywhere but first, a second
 * Fragment header, or more than MAX_IPV6_EXT_HEADERS headers is a drop.
 */
export function walkIpv6Extensions(packet: Uint8Array, firstNextHeader: number, start: number, end: number): Ipv6Chain | Drop {
  let nh = firstNextHeader;
  let off = start;
  let exts: Ipv6ExtHeader[] | undefined;
  let fragment: Ipv6FragmentExt | undefined;
  let unfragmentableEnd = start;
  let sawRouting = false;
  while (isWalked(nh)) {
    const count = exts?.length ?? 0;
    if (count === MAX_IPV6_EXT_HEADERS) return drop('ipv6-ext-too-many');
    if (nh === IpProtocol.HopByHop && off !== start) return drop('ipv6-ext-hbh-not-first');
    if (end - off < EXT_MIN_LEN) return drop('ipv6-ext-truncated');
    const next = packet[off]!;
    let ext: Ipv6ExtHeader;
    if (nh === IpProtocol.IPv6Frag) {
      if (fragment !== undefined) return drop('ipv6-ext-duplicate-fragment');
      const fo = (packet[off + 2]! << 8) | packet[off + 3]!;
      const id = ((packet[off + 4]! << 24) | (packet[off + 5]! << 16) | (packet[off + 6]! << 8) | packet[off + 7]!) >>> 0;
      fragment = {
        type: 44, offset: off, length: 8, nextHeader: next,
        fragmentOffset: fo & 0xfff8, moreFragments: (fo & 1) === 1, identification: id,
      };
      ext = fragment;
    } else {
      // AH counts 4-byte words minus 2 (RFC 4302 §2.2); the others 8-byte units minus 1 (§4.3).
      const len = nh === IpProtocol.AH ? (packet[off + 1]! + 2) * 4 : (packet[off + 1]! + 1) * 8;
      if (len > end - off) return drop('ipv6-ext-truncated');
      ext = nh === IpProtocol.IPv6Route
        ? { type: 43, offset: off, length: len, nextHeader: next, routingType: packet[off + 2]!, segmentsLeft: packet[off + 3]! }
        : { type: nh as 0 | 60 | 51, offset: off, length: len, nextHeader: next };
    }
    (exts ??= []).push(ext);
    off += ext.length;
    // Unfragmentable: Hop-by-Hop, Routing, and Destination Options before a Routing header.
    if (fragment === undefined) {
      if (nh === IpProtocol.HopByHop || nh === IpProtocol.IPv6Route) {
        unfragmentableEnd = off;
        sawRouting ||= nh === IpProtocol.IPv6Route;
      } else if (nh === IpProtocol.IPv6Opts && !sawRouting && next === IpProtocol.IPv6Route) {
        unfragmentableEnd = off;
      }
    }
    nh = next;
  }
  const chain: Ipv6Chain = {
    extensions: exts ?? NO_EXTENSIONS,
    upperLayerProtocol: nh,
    upperLayerOffset: off,
    unfragmentableEnd: fragment?.offset ?? unfragmentableEnd,
  };
  if (fragment !== undefined) chain.fragment = fragment;
  return chain;
}

/**
 * Offset of the Next Header byte that names `extensions[i]`: byte 6 of the fixed header for
 * the first, else the first byte of the header before it. Reassembly rewrites this byte.
 */
export function nextHeaderFieldOffset(extensions: readonly Ipv6ExtHeader[], i: number): number {
  return i === 0 ? 6 : extensions[i - 1]!.offset;
}

/** Fields of a Fragment header to emit. */
export interface Ipv6FragmentRepr {
  nextHeader: number;
  /** In bytes; a multiple of 8. */
  fragmentOffset: number;
  moreFragments: boolean;
  identification: number;
}

export class Ipv6FragmentView {
  private constructor(private readonly b: Uint8Array) {}

  static check(b: Uint8Array): Ipv6FragmentView | Drop {
    return b.length < IPV6_FRAGMENT_HEADER_LEN ? drop('ipv6-ext-truncated') : new Ipv6FragmentView(b);
  }

  get nextHeader(): number {
    return this.b[0]!;
  }

  get fragmentOffset(): number {
    return ((this.b[2]! << 8) | this.b[3]!) & 0xfff8;
  }

  get moreFragments(): boolean {
    return (this.b[3]! & 1) === 1;
  }

  get identification(): number {
    return ((this.b[4]! << 24) | (this.b[5]! << 16) | (this.b[6]! << 8) | this.b[7]!) >>> 0;
  }

  toString(): string {
    return `frag (${this.identification}:${this.fragmentOffset}${this.moreFragments ? '+' : ''}) next ${this.nextHeader}`;
  }
}

/** Writes an 8-byte Fragment header (reserved fields zero) at `into[offset..]`; returns 8. */
export function emitIpv6Fragment(repr: Ipv6FragmentRepr, into: Uint8Array, offset = 0): number {
  if (repr.fragmentOffset % 8 !== 0 || repr.fragmentOffset > 0xfff8) {
    throw new RangeError(`IPv6 fragment offset ${repr.fragmentOffset}`);
  }
  const fo = repr.fragmentOffset | (repr.moreFragments ? 1 : 0);
  into[offset] = repr.nextHeader;
  into[offset + 1] = 0;
  into[offset + 2] = fo >> 8;
  into[offset + 3] = fo & 0xff;
  const id = repr.identification >>> 0;
  into[offset + 4] = id >>> 24;
  into[offset + 5] = (id >>> 16) & 0xff;
  into[offset + 6] = (id >>> 8) & 0xff;
  into[offset + 7] = id & 0xff;
  return IPV6_FRAGMENT_HEADER_LEN;
}

/** Option types every node recognises: Pad1 and PadN (RFC 8200 §4.2). */
export const Ipv6OptionType = { Pad1: 0, PadN: 1, RouterAlert: 5, Jumbo: 0xc2 } as const;

/** The first option a node did not recognise, as RFC 8200 §4.2 asks to report it. */
export interface UnrecognizedIpv6Option {
  /** The option type; its two high bits say what to do: 0 skip, 1 discard, 2 discard and send
   * ICMP Parameter Problem code 2, 3 the same unless the destination was multicast. */
  optionType: number;
  action: 0 | 1 | 2 | 3;
  /** Offset of the option type byte from the start of the packet (the ICMP pointer). */
  pointer: number;
}

/**
 * Scans the TLV options of a Hop-by-Hop or Destination Options header `ext` inside `packet`,
 * returning the first option whose type is not in `known` and whose action is not "skip", or
 * null. An option running past its header is `'ipv6-ext-bad-option'`.
 */
export function firstUnrecognizedOption(
  packet: Uint8Array,
  ext: Ipv6GenericExt,
  known: (optionType: number) => boolean,
): UnrecognizedIpv6Option | null | Drop {
  const end = ext.offset + ext.length;
  let o = ext.offset + 2;
  while (o < end) {
    const t = packet[o]!;
    if (t === Ipv6OptionType.Pad1) {
      o++;
      continue;
    }
    if (o + 2 > end || o + 2 + packet[o + 1]! > end) return drop('ipv6-ext-bad-option');
    const action = (t >> 6) as 0 | 1 | 2 | 3;
    if (t !== Ipv6OptionType.PadN && action !== 0 && !known(t)) return { optionType: t, action, pointer: o };
    o += 2 + packet[o + 1]!;
  }
  return null;
}

/** `HBH(8) DSTOPT(16) frag(id:off+)` — the chain in tcpdump's spirit. */
export function describeIpv6Extensions(extensions: readonly Ipv6ExtHeader[]): string {
  return extensions.map((e) => {
    switch (e.type) {
      case 0: return `HBH(${e.length})`;
      case 60: return `DSTOPT(${e.length})`;
      case 51: return `AH(${e.length})`;
      case 43: return `srcrt(type ${e.routingType}, segleft ${e.segmentsLeft})`;
      case 44: return `frag(${e.identification}:${e.fragmentOffset}${e.moreFragments ? '+' : ''})`;
    }
  }).join(' ');
}
