/**
 * Neighbor Discovery messages (RFC 4861 §4): router solicitation and advertisement, neighbor
 * solicitation and advertisement, redirect. They are ICMPv6 messages (types 133–137); the
 * options live in `ndp-options.ts`. Checks that need the IP header (Hop Limit 255, source
 * link-local or unspecified, no source link-layer address from the unspecified address) are the
 * network layer's (RFC 4861 §6.1, §7.1.1, §8.1); those the message alone decides are here.
 */

import { Drop, drop } from './drop';
import { readU32, writeU32 } from './bytes';
import { Ipv6Address, formatIpv6 } from './address';
import { IcmpHeaderView, icmpChecksumValid, writeIcmpChecksum } from './icmp-header';
import { NdpOptions, checkNdpOptions, describeNdpOptions, emitNdpOptions, ndpOptionsLen, parseNdpOptions } from './ndp-options';

export const NdpType = {
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
} as const;

const F = {
  type: 0, code: 1, checksum: 2,
  curHopLimit: 4, raFlags: 5, routerLifetime: 6, reachableTime: 8, retransTimer: 12,
  naFlags: 4, target: 8, destination: 24,
} as const;

/** Where options start in each message, which is also its minimum length (§4.1–§4.5). */
const OPTIONS_AT: Readonly<Record<number, number>> = { 133: 8, 134: 16, 135: 24, 136: 24, 137: 40 };

const RA_MANAGED = 0x80;
const RA_OTHER = 0x40;
const NA_ROUTER = 0x80;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;

export function isNdpType(type: number): boolean {
  return type >= NdpType.RouterSolicitation && type <= NdpType.Redirect;
}

export class NdpView extends IcmpHeaderView {
  /**
   * For untrusted bytes (the whole ICMPv6 message): an NDP type, at least its fixed part, and a
   * well-formed option list (no zero length, nothing past the end). Once this returns a view,
   * no getter reads out of bounds (every fixed part is at least the 8-byte ICMPv6 header).
   * Getters of another message type read meaningless bytes.
   */
  static check(b: Uint8Array): NdpView | Drop {
    if (b.length < 4) return drop('ndp-truncated');
    const at = OPTIONS_AT[b[F.type]!];
    if (at === undefined) return drop('ndp-bad-type');
    if (b.length < at) return drop('ndp-truncated');
    return checkNdpOptions(b, at) ?? new NdpView(b);
  }

  /** RA: Cur Hop Limit (0 = unspecified). */
  get curHopLimit(): number {
    return this.b[F.curHopLimit]!;
  }

  /** RA: M, managed address configuration. */
  get managed(): boolean {
    return (this.b[F.raFlags]! & RA_MANAGED) !== 0;
  }

  /** RA: O, other configuration. */
  get other(): boolean {
    return (this.b[F.raFlags]! & RA_OTHER) !== 0;
  }

  /** RA: seconds; 0 = not a default router. */
  get routerLifetime(): number {
    return (this.b[F.routerLifetime]! << 8) | this.b[F.routerLifetime + 1]!;
  }

  /** RA: milliseconds; 0 = unspecified. */
  get reachableTime(): number {
    return readU32(this.b, F.reachableTime);
  }

  /** RA: milliseconds; 0 = unspecified. */
  get retransTimer(): number {
    return readU32(this.b, F.retransTimer);
  }

  /** NA: R, the sender is a router. */
  get router(): boolean {
    return (this.b[F.naFlags]! & NA_ROUTER) !== 0;
  }

  /** NA: S, sent in response to a solicitation. */
  get solicited(): boolean {
    return (this.b[F.naFlags]! & NA_SOLICITED) !== 0;
  }

  /** NA: O, override an existing cache entry. */
  get override(): boolean {
    return (this.b[F.naFlags]! & NA_OVERRIDE) !== 0;
  }

  /** NS, NA, Redirect: Target Address. */
  get target(): Ipv6Address {
    return this.b.subarray(F.target, F.target + 16);
  }

  /** Redirect: Destination Address. */
  get destination(): Ipv6Address {
    return this.b.subarray(F.destination, F.destination + 16);
  }

  /** The raw option bytes. */
  get options(): Uint8Array {
    return this.b.subarray(OPTIONS_AT[this.type]!);
  }

  checksumValid(pseudoSum: number): boolean {
    return icmpChecksumValid(this.b, pseudoSum);
  }

  override toString(): string {
    const r = parseNdp(this.b);
    return r instanceof Drop ? `ICMP6 ${r}` : describeNdp(r);
  }
}

export interface NdpRouterSolicitation {
  kind: 'router-solicitation';
  options: NdpOptions;
}

export interface NdpRouterAdvertisement {
  kind: 'router-advertisement';
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  routerLifetime: number;
  reachableTime: number;
  retransTimer: number;
  options: NdpOptions;
}

export interface NdpNeighborSolicitation {
  kind: 'neighbor-solicitation';
  target: Ipv6Address;
  options: NdpOptions;
}

export interface NdpNeighborAdvertisement {
  kind: 'neighbor-advertisement';
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Ipv6Address;
  options: NdpOptions;
}

export interface NdpRedirect {
  kind: 'redirect';
  /** The better first hop (a router's link-local address, or the destination itself). */
  target: Ipv6Address;
  destination: Ipv6Address;
  options: NdpOptions;
}

export type NdpRepr =
  | NdpRouterSolicitation
  | NdpRouterAdvertisement
  | NdpNeighborSolicitation
  | NdpNeighborAdvertisement
  | NdpRedirect;

/**
 * Parses an NDP message (the whole ICMPv6 message). With `pseudoSum` (from `pseudoHeaderSumV6`
 * with next header 58 and the message length) the checksum is verified. Beyond `NdpView.check`:
 * code 0, and no multicast target (§7.1.1, §7.1.2) or Redirect destination (§8.1).
 */
export function parseNdp(b: Uint8Array, pseudoSum?: number): NdpRepr | Drop {
  const v = NdpView.check(b);
  if (v instanceof Drop) return v;
  if (pseudoSum !== undefined && !v.checksumValid(pseudoSum)) return drop('icmpv6-bad-checksum');
  if (v.code !== 0) return drop('ndp-bad-code');
  const options = parseNdpOptions(b, OPTIONS_AT[v.type]!);
  if (options instanceof Drop) return options;
  switch (v.type) {
    case NdpType.RouterSolicitation:
      return { kind: 'router-solicitation', options };
    case NdpType.RouterAdvertisement:
      return {
        kind: 'router-advertisement',
        curHopLimit: v.curHopLimit,
        managed: v.managed,
        other: v.other,
        routerLifetime: v.routerLifetime,
        reachableTime: v.reachableTime,
        retransTimer: v.retransTimer,
        options,
      };
    case NdpType.NeighborSolicitation:
      if (v.target[0] === 0xff) return drop('ndp-multicast-target');
      return { kind: 'neighbor-solicitation', target: v.target, options };
    case NdpType.NeighborAdvertisement:
      if (v.target[0] === 0xff) return drop('ndp-multicast-target');
      return { kind: 'neighbor-advertisement', router: v.router, solicited: v.solicited, override: v.override, target: v.target, options };
    default:
      if (v.destination[0] === 0xff) return drop('ndp-multicast-destination');
      return { kind: 'redirect', target: v.target, destination: v.destination, options };
  }
}

const typeOf: Readonly<Record<NdpRepr['kind'], number>> = {
  'router-solicitation': NdpType.RouterSolicitation,
  'router-advertisement': NdpType.RouterAdvertisement,
  'neighbor-solicitation': NdpType.NeighborSolicitation,
  'neighbor-advertisement': NdpType.NeighborAdvertisement,
  redirect: NdpType.Redirect,
};

/** Length of the whole message: fixed part plus options. */
export function ndpLen(repr: NdpRepr): number {
  return OPTIONS_AT[typeOf[repr.kind]]! + ndpOptionsLen(repr.options);
}

/**
 * Writes the whole message at `into[offset..]` with its checksum (`pseudoSum` from
 * `pseudoHeaderSumV6(src, dst, 58, ndpLen(repr))`); returns its length. Reserved bytes are zero.
 */
export function emitNdp(repr: NdpRepr, into: Uint8Array, pseudoSum: number, offset = 0): number {
  const o = offset;
  const at = OPTIONS_AT[typeOf[repr.kind]]!;
  into[o + F.type] = typeOf[repr.kind];
  into.fill(0, o + 1, o + at);
  switch (repr.kind) {
    case 'router-solicitation':
      break;
    case 'router-advertisement':
      into[o + F.curHopLimit] = repr.curHopLimit;
      into[o + F.raFlags] = (repr.managed ? RA_MANAGED : 0) | (repr.other ? RA_OTHER : 0);
      into[o + F.routerLifetime] = repr.routerLifetime >> 8;
      into[o + F.routerLifetime + 1] = repr.routerLifetime & 0xff;
      writeU32(into, o + F.reachableTime, repr.reachableTime);
      writeU32(into, o + F.retransTimer, repr.retransTimer);
      break;
    case 'neighbor-advertisement':
      into[o + F.naFlags] = (repr.router ? NA_ROUTER : 0) | (repr.solicited ? NA_SOLICITED : 0) | (repr.override ? NA_OVERRIDE : 0);
      into.set(repr.target.subarray(0, 16), o + F.target);
      break;
    case 'neighbor-solicitation':
      into.set(repr.target.subarray(0, 16), o + F.target);
      break;
    case 'redirect':
      into.set(repr.target.subarray(0, 16), o + F.target);
      into.set(repr.destination.subarray(0, 16), o + F.destination);
      break;
  }
  const end = o + at + emitNdpOptions(repr.options, into, o + at);
  writeIcmpChecksum(into, o, end, pseudoSum);
  return end - o;
}

/** tcpdump style: `ICMP6 neighbor solicitation, who has fe80::2, src-lladdr 02:00:00:00:00:01`. */
export function describeNdp(repr: NdpRepr): string {
  const opts = describeNdpOptions(repr.options);
  switch (repr.kind) {
    case 'router-solicitation':
      return `ICMP6 router solicitation${opts}`;
    case 'router-advertisement': {
      const flags = `${repr.managed ? 'M' : ''}${repr.other ? 'O' : ''}` || 'none';
      return `ICMP6 router advertisement, hop limit ${repr.curHopLimit}, flags [${flags}], ` +
        `router lifetime ${repr.routerLifetime}s, reachable time ${repr.reachableTime}ms, ` +
        `retrans timer ${repr.retransTimer}ms${opts}`;
    }
    case 'neighbor-solicitation':
      return `ICMP6 neighbor solicitation, who has ${formatIpv6(repr.target)}${opts}`;
    case 'neighbor-advertisement': {
      const flags = [repr.router ? 'router' : '', repr.solicited ? 'solicited' : '', repr.override ? 'override' : '']
        .filter((f) => f !== '').join(', ') || 'none';
      return `ICMP6 neighbor advertisement, tgt is ${formatIpv6(repr.target)}, Flags [${flags}]${opts}`;
    }
    case 'redirect':
      return `ICMP6 redirect, ${formatIpv6(repr.destination)} to ${formatIpv6(repr.target)}${opts}`;
  }
}
