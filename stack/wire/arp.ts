/**
 * ARP packets (RFC 826) for Ethernet and IPv4 only: hardware type 1, protocol type 0x0800,
 * hardware length 6, protocol length 4. Anything else is `'arp-unsupported'`.
 */

import { Drop, drop } from './drop';
import { Ipv4Address, MacAddress, formatIpv4, formatMac, readIpv4, writeIpv4 } from './address';
import { EtherType } from './ip-protocol';

/** RFC 826 field names: ar$hrd, ar$pro, ar$hln, ar$pln, ar$op, ar$sha, ar$spa, ar$tha, ar$tpa. */
const F = { hrd: 0, pro: 2, hln: 4, pln: 5, op: 6, sha: 8, spa: 14, tha: 18, tpa: 24 } as const;
/** Bytes of the fixed part that says which kind of addresses follow. */
const ARP_FIXED_LEN = 8;
/** The Ethernet/IPv4 packet: 8 + 2 × (6 + 4). Ethernet padding may follow it. */
export const ARP_LEN = 28;
/** ares_hrd$Ethernet (RFC 826; IANA ARP hardware type 1). */
export const ARP_HTYPE_ETHERNET = 1;

export const ArpOp = { Request: 1, Reply: 2 } as const;
export type ArpOperation = (typeof ArpOp)[keyof typeof ArpOp];

export class ArpView {
  private constructor(private readonly b: Uint8Array) {}

  /** For untrusted bytes: an Ethernet/IPv4 ARP packet of at least 28 bytes. */
  static check(b: Uint8Array): ArpView | Drop {
    if (b.length < ARP_FIXED_LEN) return drop('arp-truncated');
    const v = new ArpView(b);
    if (v.htype !== ARP_HTYPE_ETHERNET || v.ptype !== EtherType.IPv4 || v.hlen !== 6 || v.plen !== 4) {
      return drop('arp-unsupported');
    }
    return b.length < ARP_LEN ? drop('arp-truncated') : v;
  }

  /** ar$hrd: hardware address space. */
  get htype(): number {
    return (this.b[F.hrd]! << 8) | this.b[F.hrd + 1]!;
  }

  /** ar$pro: protocol address space (an EtherType). */
  get ptype(): number {
    return (this.b[F.pro]! << 8) | this.b[F.pro + 1]!;
  }

  get hlen(): number {
    return this.b[F.hln]!;
  }

  get plen(): number {
    return this.b[F.pln]!;
  }

  /** ar$op: 1 request, 2 reply. */
  get oper(): number {
    return (this.b[F.op]! << 8) | this.b[F.op + 1]!;
  }

  get sha(): MacAddress {
    return this.b.subarray(F.sha, F.sha + 6);
  }

  get spa(): Ipv4Address {
    return readIpv4(this.b, F.spa);
  }

  get tha(): MacAddress {
    return this.b.subarray(F.tha, F.tha + 6);
  }

  get tpa(): Ipv4Address {
    return readIpv4(this.b, F.tpa);
  }

  toString(): string {
    return describeArp({ op: this.oper, sha: this.sha, spa: this.spa, tha: this.tha, tpa: this.tpa });
  }
}

export interface ArpRepr {
  /** `ArpOp.Request` or `ArpOp.Reply` once parsed; emit writes whatever number it is given. */
  op: number;
  /** Sender hardware and protocol address. */
  sha: MacAddress;
  spa: Ipv4Address;
  /** Target hardware address (ignored in a request, usually zero) and protocol address. */
  tha: MacAddress;
  tpa: Ipv4Address;
}

/** Parses an ARP packet; operations other than request and reply (RARP …) are `'arp-bad-op'`. */
export function parseArp(b: Uint8Array): ArpRepr | Drop {
  const v = ArpView.check(b);
  if (v instanceof Drop) return v;
  const op = v.oper;
  if (op !== ArpOp.Request && op !== ArpOp.Reply) return drop('arp-bad-op');
  return { op, sha: v.sha, spa: v.spa, tha: v.tha, tpa: v.tpa };
}

export function arpHeaderLen(_repr?: ArpRepr): number {
  return ARP_LEN;
}

/** Writes the 28-byte packet at `into[offset..]`; returns 28. */
export function emitArp(repr: ArpRepr, into: Uint8Array, offset = 0): number {
  into[offset + F.hrd] = 0;
  into[offset + F.hrd + 1] = ARP_HTYPE_ETHERNET;
  into[offset + F.pro] = EtherType.IPv4 >> 8;
  into[offset + F.pro + 1] = EtherType.IPv4 & 0xff;
  into[offset + F.hln] = 6;
  into[offset + F.pln] = 4;
  into[offset + F.op] = repr.op >> 8;
  into[offset + F.op + 1] = repr.op & 0xff;
  into.set(repr.sha.subarray(0, 6), offset + F.sha);
  writeIpv4(into, offset + F.spa, repr.spa);
  into.set(repr.tha.subarray(0, 6), offset + F.tha);
  writeIpv4(into, offset + F.tpa, repr.tpa);
  return ARP_LEN;
}

/** tcpdump style: `ARP, Request who-has 10.0.0.2 tell 10.0.0.1` / `ARP, Reply 10.0.0.2 is-at …`. */
export function describeArp(repr: ArpRepr): string {
  if (repr.op === ArpOp.Request) return `ARP, Request who-has ${formatIpv4(repr.tpa)} tell ${formatIpv4(repr.spa)}`;
  if (repr.op === ArpOp.Reply) return `ARP, Reply ${formatIpv4(repr.spa)} is-at ${formatMac(repr.sha)}`;
  return `ARP, op ${repr.op} ${formatIpv4(repr.spa)} (${formatMac(repr.sha)}) > ${formatIpv4(repr.tpa)}`;
}
