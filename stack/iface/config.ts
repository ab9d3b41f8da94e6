/**
 * Validation of interface configuration given by users: CIDR strings, gateways, MTU, MAC.
 * Configuration mistakes are programmer errors at the API, so they throw `TypeError` (wrong kind
 * of value, unparsable text) or `RangeError` (a number out of range) with a message naming the
 * bad value — never a crash deeper in the stack.
 */

import { IpAddress, parseMac, type MacAddress } from '../wire/address';

export interface Cidr {
  readonly address: IpAddress;
  readonly prefixLen: number;
}

/** Smallest MTU: IPv4 needs 68 (RFC 791), IPv6 1280 (RFC 8200 §5); we check per family later. */
export const MIN_MTU_IPV4 = 68;
export const MIN_MTU_IPV6 = 1280;
/** Largest payload a frame of ours may carry (jumbo frames on TAP, 64 KiB on loopback). */
export const MAX_MTU = 65535;

/** Parses `a.b.c.d/len` or `x::y/len` (len required); `family` restricts which is allowed. */
export function parseCidr(text: unknown, family?: 4 | 6): Cidr {
  if (typeof text !== 'string') throw new TypeError(`expected an address/prefix string, got ${typeof text}`);
  const slash = text.indexOf('/');
  if (slash < 0) throw new TypeError(`"${text}" has no prefix length (expected address/len)`);
  const address = IpAddress.parse(text.slice(0, slash));
  if (address === null) throw new TypeError(`"${text.slice(0, slash)}" is not an IP address`);
  if (family !== undefined && address.family !== family) {
    throw new TypeError(`"${text}" is not an IPv${family} address`);
  }
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) throw new TypeError(`"${lenText}" is not a prefix length`);
  const prefixLen = Number(lenText);
  const max = address.family === 4 ? 32 : 128;
  if (prefixLen > max) throw new RangeError(`prefix length ${prefixLen} exceeds ${max} in "${text}"`);
  if (address.isMulticast()) throw new RangeError(`"${text}": a multicast address cannot be assigned`);
  if (address.isUnspecified()) throw new RangeError(`"${text}": the unspecified address cannot be assigned`);
  return { address, prefixLen };
}

/** One CIDR or a list of them; undefined → []. */
export function parseCidrList(v: unknown, family: 4 | 6): Cidr[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.map((x) => parseCidr(x, family));
}

/** A gateway address of the given family, or undefined when not given. */
export function parseGateway(v: unknown, family: 4 | 6): IpAddress | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`gateway must be a string, got ${typeof v}`);
  const a = IpAddress.parse(v.replace(/%.*$/, ''));
  if (a === null || a.family !== family) throw new TypeError(`"${v}" is not an IPv${family} gateway address`);
  if (a.isMulticast() || a.isUnspecified()) throw new RangeError(`"${v}" cannot be a gateway`);
  return a;
}

export function parseMtu(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`mtu must be an integer, got ${String(v)}`);
  if (v < MIN_MTU_IPV4 || v > MAX_MTU) throw new RangeError(`mtu ${v} outside ${MIN_MTU_IPV4}–${MAX_MTU}`);
  return v;
}

/** A MAC as text or 6 bytes; must be unicast (group bit clear) and not all zero. */
export function parseMacOption(v: unknown): MacAddress | undefined {
  if (v === undefined) return undefined;
  let mac: MacAddress | null = null;
  if (typeof v === 'string') mac = parseMac(v);
  else if (v instanceof Uint8Array && v.length === 6) mac = Uint8Array.from(v);
  if (mac === null) throw new TypeError(`"${String(v)}" is not a MAC address`);
  if ((mac[0]! & 1) === 1) throw new RangeError(`MAC ${String(v)} is a group address`);
  if (mac.every((x) => x === 0)) throw new RangeError('MAC 00:00:00:00:00:00 cannot be used');
  return mac;
}

/** A route destination: `net/len`, or a bare address (a host route). */
export function parseRouteDestination(text: string): Cidr {
  if (typeof text !== 'string') throw new TypeError('route destination must be a string');
  const slash = text.indexOf('/');
  const a = IpAddress.parse(slash < 0 ? text : text.slice(0, slash));
  if (a === null) throw new TypeError(`"${text}" is not a network`);
  const len = slash < 0 ? (a.family === 4 ? 32 : 128) : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > (a.family === 4 ? 32 : 128)) throw new RangeError(`bad prefix length in "${text}"`);
  return { address: a, prefixLen: len };
}
