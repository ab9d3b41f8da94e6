/**
 * Neighbor Discovery options (RFC 4861 §4.6): source/target link-layer address (Ethernet only,
 * RFC 2464 §6), prefix information, redirected header and MTU, plus the Nonce (RFC 3971 §5.3.2)
 * that Linux puts in its duplicate-address-detection solicitations (RFC 7527). Options of other
 * types (RDNSS …) are stepped over by their length and kept as raw views, so that a message can
 * be re-emitted unchanged; a length of zero is a drop (§4.6: "Nodes MUST silently discard an ND
 * packet that contains an option with length zero").
 */

import { Drop, drop } from './drop';
import { readU32, writeU32 } from './bytes';
import { Ipv6Address, MacAddress, formatIpv6, formatMac } from './address';

export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  Nonce: 14,
} as const;

/** Option lengths count 8-byte units. */
const UNIT = 8;
const LLADDR_OPTION_LEN = 8;
const PREFIX_OPTION_LEN = 32;
const MTU_OPTION_LEN = 8;
/** Type, length and six reserved bytes before the quoted packet (§4.6.3). */
const REDIRECTED_HEADER_PREFIX = 8;

export interface NdpPrefixInformation {
  prefixLength: number;
  /** L: the prefix is on-link. */
  onLink: boolean;
  /** A: usable for stateless address autoconfiguration (RFC 4862). */
  autonomous: boolean;
  /** Seconds; 0xffffffff is infinity. */
  validLifetime: number;
  preferredLifetime: number;
  prefix: Ipv6Address;
}

/** The options of one message; absent means the message did not carry it. */
export interface NdpOptions {
  sourceLinkLayerAddress?: MacAddress;
  targetLinkLayerAddress?: MacAddress;
  mtu?: number;
  prefixInformation?: NdpPrefixInformation[];
  /** The quoted packet (IP header and data) of a Redirect, padding included. A view. */
  redirectedHeader?: Uint8Array;
  /** The Nonce option's bytes after type and length (6 or more, padding included). A view. */
  nonce?: Uint8Array;
  /** Options of types not modelled above, in the order they came. */
  unrecognized?: NdpRawOption[];
}

/** An option kept as it came: its type and the bytes after type and length (a view). */
export interface NdpRawOption {
  type: number;
  data: Uint8Array;
}

/**
 * Checks that `b[start..]` is a well-formed option list: every option has a non-zero length
 * and ends within the bytes. Used by `NdpView.check`, so that walking options never reads out of
 * bounds afterwards.
 */
export function checkNdpOptions(b: Uint8Array, start: number): Drop | null {
  let o = start;
  while (o < b.length) {
    if (b.length - o < 2) return drop('ndp-option-truncated');
    const len = b[o + 1]! * UNIT;
    if (len === 0) return drop('ndp-option-zero-length');
    if (len > b.length - o) return drop('ndp-option-truncated');
    o += len;
  }
  return null;
}

/**
 * Parses the options of a message whose list `checkNdpOptions` accepted. Only the first
 * source/target link-layer address and MTU options count; every prefix option is kept in order.
 */
export function parseNdpOptions(b: Uint8Array, start: number): NdpOptions | Drop {
  const opts: NdpOptions = {};
  for (let o = start; o < b.length; o += b[o + 1]! * UNIT) {
    const type = b[o]!;
    const len = b[o + 1]! * UNIT;
    switch (type) {
      case NdpOptionType.SourceLinkLayerAddress:
      case NdpOptionType.TargetLinkLayerAddress: {
        // RFC 2464 §6: on Ethernet the option is one unit; Linux drops other sizes too.
        if (len !== LLADDR_OPTION_LEN) return drop('ndp-bad-lladdr-option');
        const mac = b.subarray(o + 2, o + 8);
        if (type === NdpOptionType.SourceLinkLayerAddress) opts.sourceLinkLayerAddress ??= mac;
        else opts.targetLinkLayerAddress ??= mac;
        break;
      }
      case NdpOptionType.PrefixInformation: {
        if (len !== PREFIX_OPTION_LEN) return drop('ndp-bad-prefix-option');
        const prefixLength = b[o + 2]!;
        if (prefixLength > 128) return drop('ndp-bad-prefix-option');
        (opts.prefixInformation ??= []).push({
          prefixLength,
          onLink: (b[o + 3]! & 0x80) !== 0,
          autonomous: (b[o + 3]! & 0x40) !== 0,
          validLifetime: readU32(b, o + 4),
          preferredLifetime: readU32(b, o + 8),
          prefix: b.subarray(o + 16, o + 32),
        });
        break;
      }
      case NdpOptionType.Mtu:
        if (len !== MTU_OPTION_LEN) return drop('ndp-bad-mtu-option');
        opts.mtu ??= readU32(b, o + 4);
        break;
      case NdpOptionType.RedirectedHeader:
        opts.redirectedHeader ??= b.subarray(o + REDIRECTED_HEADER_PREFIX, o + len);
        break;
      case NdpOptionType.Nonce:
        opts.nonce ??= b.subarray(o + 2, o + len);
        break;
      default:
        // §4.6: "Receivers MUST silently ignore any options they do not recognize" — kept only
        // so that the message can be logged or re-emitted whole.
        (opts.unrecognized ??= []).push({ type, data: b.subarray(o + 2, o + len) });
        break;
    }
  }
  return opts;
}

/** Bytes the options take when emitted (each padded to 8-byte units). */
export function ndpOptionsLen(opts: NdpOptions): number {
  let n = 0;
  if (opts.sourceLinkLayerAddress !== undefined) n += LLADDR_OPTION_LEN;
  if (opts.targetLinkLayerAddress !== undefined) n += LLADDR_OPTION_LEN;
  if (opts.mtu !== undefined) n += MTU_OPTION_LEN;
  n += (opts.prefixInformation?.length ?? 0) * PREFIX_OPTION_LEN;
  if (opts.redirectedHeader !== undefined) n += redirectedHeaderLen(opts.redirectedHeader);
  if (opts.nonce !== undefined) n += rawOptionLen(opts.nonce);
  for (const u of opts.unrecognized ?? []) n += rawOptionLen(u.data);
  return n;
}

/** Type, length and `data` padded to whole units. */
function rawOptionLen(data: Uint8Array): number {
  return Math.ceil((data.length + 2) / UNIT) * UNIT;
}

function redirectedHeaderLen(quoted: Uint8Array): number {
  return REDIRECTED_HEADER_PREFIX + Math.ceil(quoted.length / UNIT) * UNIT;
}

/**
 * Writes the options at `into[offset..]` in a fixed order (link-layer addresses, MTU, prefixes,
 * redirected header, nonce, then unrecognised options as given); returns the bytes written.
 * Reserved bytes and padding are zero. The
 * caller keeps a Redirect within the IPv6 minimum MTU by trimming `redirectedHeader` (§4.6.3).
 */
export function emitNdpOptions(opts: NdpOptions, into: Uint8Array, offset: number): number {
  let o = offset;
  const lladdr = (type: number, mac: MacAddress): void => {
    into[o] = type;
    into[o + 1] = 1;
    into.set(mac.subarray(0, 6), o + 2);
    o += LLADDR_OPTION_LEN;
  };
  if (opts.sourceLinkLayerAddress !== undefined) lladdr(NdpOptionType.SourceLinkLayerAddress, opts.sourceLinkLayerAddress);
  if (opts.targetLinkLayerAddress !== undefined) lladdr(NdpOptionType.TargetLinkLayerAddress, opts.targetLinkLayerAddress);
  if (opts.mtu !== undefined) {
    into[o] = NdpOptionType.Mtu;
    into[o + 1] = 1;
    into[o + 2] = 0;
    into[o + 3] = 0;
    writeU32(into, o + 4, opts.mtu);
    o += MTU_OPTION_LEN;
  }
  for (const p of opts.prefixInformation ?? []) {
    if (p.prefixLength > 128) throw new RangeError(`prefix length ${p.prefixLength}`);
    into[o] = NdpOptionType.PrefixInformation;
    into[o + 1] = PREFIX_OPTION_LEN / UNIT;
    into[o + 2] = p.prefixLength;
    into[o + 3] = (p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0);
    writeU32(into, o + 4, p.validLifetime);
    writeU32(into, o + 8, p.preferredLifetime);
    writeU32(into, o + 12, 0);
    into.set(p.prefix.subarray(0, 16), o + 16);
    o += PREFIX_OPTION_LEN;
  }
  if (opts.redirectedHeader !== undefined) {
    const q = opts.redirectedHeader;
    const len = redirectedHeaderLen(q);
    if (len / UNIT > 0xff) throw new RangeError('redirected header longer than 2040 bytes');
    into[o] = NdpOptionType.RedirectedHeader;
    into[o + 1] = len / UNIT;
    into.fill(0, o + 2, o + REDIRECTED_HEADER_PREFIX);
    into.set(q, o + REDIRECTED_HEADER_PREFIX);
    into.fill(0, o + REDIRECTED_HEADER_PREFIX + q.length, o + len);
    o += len;
  }
  const raw = (type: number, data: Uint8Array): void => {
    const len = rawOptionLen(data);
    if (len / UNIT > 0xff) throw new RangeError(`NDP option ${type} longer than 2040 bytes`);
    into[o] = type;
    into[o + 1] = len / UNIT;
    into.set(data, o + 2);
    into.fill(0, o + 2 + data.length, o + len);
    o += len;
  };
  if (opts.nonce !== undefined) raw(NdpOptionType.Nonce, opts.nonce);
  for (const u of opts.unrecognized ?? []) raw(u.type, u.data);
  return o - offset;
}

/** `, src-lladdr 02:…, prefix 2001:db8::/64 (L A valid 86400 pref 14400), mtu 1500`. */
export function describeNdpOptions(opts: NdpOptions): string {
  let s = '';
  if (opts.sourceLinkLayerAddress !== undefined) s += `, src-lladdr ${formatMac(opts.sourceLinkLayerAddress)}`;
  if (opts.targetLinkLayerAddress !== undefined) s += `, tgt-lladdr ${formatMac(opts.targetLinkLayerAddress)}`;
  if (opts.mtu !== undefined) s += `, mtu ${opts.mtu}`;
  for (const p of opts.prefixInformation ?? []) {
    const flags = `${p.onLink ? 'L' : ''}${p.autonomous ? 'A' : ''}`;
    s += `, prefix ${formatIpv6(p.prefix)}/${p.prefixLength} (${flags ? `${flags} ` : ''}valid ${p.validLifetime} pref ${p.preferredLifetime})`;
  }
  if (opts.redirectedHeader !== undefined) s += `, redirected header ${opts.redirectedHeader.length} bytes`;
  if (opts.nonce !== undefined) s += `, nonce ${Array.from(opts.nonce, (x) => x.toString(16).padStart(2, '0')).join('')}`;
  for (const u of opts.unrecognized ?? []) s += `, option ${u.type} (${u.data.length + 2} bytes)`;
  return s;
}
