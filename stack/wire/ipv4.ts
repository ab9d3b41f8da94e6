/**
 * The IPv4 header (RFC 791 §3.1), with DSCP/ECN (RFC 2474, RFC 3168) in place of the old TOS.
 * Options are kept as a view of their bytes; interpreting them is the network layer's business.
 */

import { Drop, drop } from './drop';
import { Ipv4Address, formatIpv4, readIpv4, writeIpv4 } from './address';
import { internetChecksum, sumBytes, verifies } from './checksum';
import { ipProtocolName } from './ip-protocol';
import { copyPayloadUnlessInPlace } from './payload';

const F = {
  versionIhl: 0,
  tos: 1,
  totalLength: 2,
  identification: 4,
  flagsFragment: 6,
  ttl: 8,
  protocol: 9,
  checksum: 10,
  src: 12,
  dst: 16,
} as const;
export const IPV4_MIN_HEADER_LEN = 20;
/** IHL is four bits of 32-bit words: 15 × 4. */
export const IPV4_MAX_HEADER_LEN = 60;
/** The largest datagram the 16-bit total length and 13-bit fragment offset can describe. */
export const IPV4_MAX_DATAGRAM = 65535;

const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

export class Ipv4View {
  private constructor(private readonly b: Uint8Array) {}

  /**
   * For untrusted bytes: version 4, IHL ≥ 5, IHL × 4 ≤ total length ≤ the bytes given (which may
   * run longer: Ethernet pads short frames). Once this returns a view, no getter reads out of
   * bounds. The checksum is not looked at here (see `parseIpv4`).
   */
  static check(b: Uint8Array): Ipv4View | Drop {
    if (b.length < IPV4_MIN_HEADER_LEN) return drop('ipv4-truncated');
    const v = new Ipv4View(b);
    if (v.version !== 4) return drop('ipv4-bad-version');
    const hl = v.headerLen;
    if (hl < IPV4_MIN_HEADER_LEN) return drop('ipv4-bad-ihl');
    if (hl > b.length) return drop('ipv4-truncated');
    const total = v.totalLength;
    if (total < hl) return drop('ipv4-bad-total-length');
    if (total > b.length) return drop('ipv4-truncated');
    return v;
  }

  get version(): number {
    return this.b[F.versionIhl]! >> 4;
  }

  /** IHL, in 32-bit words. */
  get ihl(): number {
    return this.b[F.versionIhl]! & 0x0f;
  }

  get headerLen(): number {
    return this.ihl * 4;
  }

  /** The whole second byte (RFC 791's type of service). */
  get tos(): number {
    return this.b[F.tos]!;
  }

  /** Differentiated services code point, the upper six bits of the old TOS (RFC 2474 §3). */
  get dscp(): number {
    return this.b[F.tos]! >> 2;
  }

  /** Explicit congestion notification, the lower two bits (RFC 3168 §5). */
  get ecn(): number {
    return this.b[F.tos]! & 3;
  }

  get totalLength(): number {
    return (this.b[F.totalLength]! << 8) | this.b[F.totalLength + 1]!;
  }

  get identification(): number {
    return (this.b[F.identification]! << 8) | this.b[F.identification + 1]!;
  }

  private get flagsFragment(): number {
    return (this.b[F.flagsFragment]! << 8) | this.b[F.flagsFragment + 1]!;
  }

  /** The reserved flag (bit 0), which RFC 791 says must be zero. */
  get reservedFlag(): boolean {
    return (this.flagsFragment & FLAG_RESERVED) !== 0;
  }

  get dontFragment(): boolean {
    return (this.flagsFragment & FLAG_DF) !== 0;
  }

  get moreFragments(): boolean {
    return (this.flagsFragment & FLAG_MF) !== 0;
  }

  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragmentOffset(): number {
    return (this.flagsFragment & 0x1fff) * 8;
  }

  get ttl(): number {
    return this.b[F.ttl]!;
  }

  get protocol(): number {
    return this.b[F.protocol]!;
  }

  get checksum(): number {
    return (this.b[F.checksum]! << 8) | this.b[F.checksum + 1]!;
  }

  get src(): Ipv4Address {
    return readIpv4(this.b, F.src);
  }

  get dst(): Ipv4Address {
    return readIpv4(this.b, F.dst);
  }

  /** The option bytes between the fixed header and IHL × 4 (padding included). */
  get options(): Uint8Array {
    return this.b.subarray(IPV4_MIN_HEADER_LEN, this.headerLen);
  }

  /** True when the header, checksum field included, sums to 0xffff (RFC 1071). */
  get checksumValid(): boolean {
    return verifies(sumBytes(this.b, 0, this.headerLen));
  }

  /** Exactly total length minus the header: Ethernet padding is left out. */
  get payload(): Uint8Array {
    return this.b.subarray(this.headerLen, this.totalLength);
  }

  toString(): string {
    return `IP ${formatIpv4(this.src)} > ${formatIpv4(this.dst)}: ${ipProtocolName(this.protocol)} ` +
      `(ttl ${this.ttl}, id ${this.identification}, offset ${this.fragmentOffset}, ` +
      `flags [${flagsText(this.dontFragment, this.moreFragments)}], length ${this.totalLength})`;
  }
}

export interface Ipv4Repr {
  dscp: number;
  ecn: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes; a multiple of 8. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: Ipv4Address;
  dst: Ipv4Address;
  /** Option bytes, a multiple of 4 long when parsed; emit pads with End of Option List. */
  options: Uint8Array;
  /** The datagram's data: a view into the packet when parsed; the bytes to send when emitted. */
  payload: Uint8Array;
}

export interface Ipv4ParseOptions {
  /** False when the checksum was already verified (hardware offload, a trusted loopback). */
  verifyChecksum?: boolean;
}

/**
 * Parses a datagram. Beyond `Ipv4View.check`: the header checksum (unless told not to), and a
 * fragment whose offset plus length would pass 65535 bytes (the "ping of death") is dropped.
 * Deviation: a set reserved flag is accepted and not reported, as Linux does.
 */
export function parseIpv4(b: Uint8Array, opts?: Ipv4ParseOptions): Ipv4Repr | Drop {
  const v = Ipv4View.check(b);
  if (v instanceof Drop) return v;
  if (opts?.verifyChecksum !== false && !v.checksumValid) return drop('ipv4-bad-checksum');
  const payload = v.payload;
  if (v.fragmentOffset + payload.length + v.headerLen > IPV4_MAX_DATAGRAM) return drop('ipv4-fragment-too-long');
  return {
    dscp: v.dscp,
    ecn: v.ecn,
    identification: v.identification,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    src: v.src,
    dst: v.dst,
    options: v.options,
    payload,
  };
}

/** 20 bytes plus the options rounded up to 32-bit words. */
export function ipv4HeaderLen(repr: Ipv4Repr): number {
  return IPV4_MIN_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Writes the header (checksum computed) at `into[offset..]`, then the payload unless it is
 * already in place right after the header. Returns header + payload length, which is also the
 * total length written into the header. Throws RangeError for a repr that cannot be encoded
 * (options over 40 bytes, total over 65535, an offset not a multiple of 8) — a caller bug.
 */
export function emitIpv4(repr: Ipv4Repr, into: Uint8Array, offset = 0): number {
  const hl = ipv4HeaderLen(repr);
  const total = hl + repr.payload.length;
  if (hl > IPV4_MAX_HEADER_LEN) throw new RangeError('IPv4 options longer than 40 bytes');
  if (total > IPV4_MAX_DATAGRAM) throw new RangeError(`IPv4 datagram of ${total} bytes`);
  if (repr.fragmentOffset % 8 !== 0 || repr.fragmentOffset > 0x1fff * 8) {
    throw new RangeError(`IPv4 fragment offset ${repr.fragmentOffset}`);
  }
  const o = offset;
  into[o + F.versionIhl] = 0x40 | (hl >> 2);
  into[o + F.tos] = ((repr.dscp & 0x3f) << 2) | (repr.ecn & 3);
  into[o + F.totalLength] = total >> 8;
  into[o + F.totalLength + 1] = total & 0xff;
  into[o + F.identification] = (repr.identification >> 8) & 0xff;
  into[o + F.identification + 1] = repr.identification & 0xff;
  const ff = (repr.dontFragment ? FLAG_DF : 0) | (repr.moreFragments ? FLAG_MF : 0) | (repr.fragmentOffset / 8);
  into[o + F.flagsFragment] = ff >> 8;
  into[o + F.flagsFragment + 1] = ff & 0xff;
  into[o + F.ttl] = repr.ttl;
  into[o + F.protocol] = repr.protocol;
  into[o + F.checksum] = 0;
  into[o + F.checksum + 1] = 0;
  writeIpv4(into, o + F.src, repr.src);
  writeIpv4(into, o + F.dst, repr.dst);
  into.set(repr.options, o + IPV4_MIN_HEADER_LEN);
  into.fill(0, o + IPV4_MIN_HEADER_LEN + repr.options.length, o + hl);
  const ck = internetChecksum(into, o, o + hl);
  into[o + F.checksum] = ck >> 8;
  into[o + F.checksum + 1] = ck & 0xff;
  copyPayloadUnlessInPlace(repr.payload, into, o + hl);
  return total;
}

function flagsText(df: boolean, mf: boolean): string {
  return df && mf ? 'DF+' : df ? 'DF' : mf ? '+' : 'none';
}

/**
 * tcpdump style: `IP 10.0.0.1 > 10.0.0.2: ICMP echo request id=1 seq=2 len 56` when `inner`
 * (the upper layer's own description) is given, else the protocol and lengths.
 */
export function describeIpv4(repr: Ipv4Repr, inner?: string): string {
  const head = `IP ${formatIpv4(repr.src)} > ${formatIpv4(repr.dst)}: `;
  if (inner !== undefined && repr.fragmentOffset === 0) return head + inner;
  const frag = repr.fragmentOffset !== 0 || repr.moreFragments
    ? `, frag id ${repr.identification} offset ${repr.fragmentOffset}${repr.moreFragments ? '+' : ''}`
    : '';
  return `${head}${ipProtocolName(repr.protocol)} len ${repr.payload.length}${frag} ` +
    `(ttl ${repr.ttl}, flags [${flagsText(repr.dontFragment, repr.moreFragments)}])`;
}
