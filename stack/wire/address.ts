/**
 * Addresses as the wire carries them. An IPv4 address is a number (the 32 bits read big-endian,
 * unsigned), an IPv6 address is 16 bytes, a MAC address is 6 bytes. Text forms follow the usual
 * conventions: dotted quad, RFC 5952 for IPv6, colon-separated lower-case hex for MACs.
 *
 * `IpAddress` joins both families for the layers that do not care which one they hold (sockets,
 * routes, the TCP demultiplexer).
 */

export type Ipv4Address = number;
export type Ipv6Address = Uint8Array;
export type MacAddress = Uint8Array;

export const MAC_BROADCAST: MacAddress = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
export const IPV4_BROADCAST: Ipv4Address = 0xffffffff;

/** Parses `a.b.c.d` strictly (four decimal parts 0–255, no leading zeros); null otherwise. */
export function parseIpv4(text: string): Ipv4Address | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(a: Ipv4Address): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Reads an IPv4 address stored big-endian at `b[off..off+4)`. */
export function readIpv4(b: Uint8Array, off: number): Ipv4Address {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function writeIpv4(b: Uint8Array, off: number, a: Ipv4Address): void {
  b[off] = a >>> 24;
  b[off + 1] = (a >>> 16) & 0xff;
  b[off + 2] = (a >>> 8) & 0xff;
  b[off + 3] = a & 0xff;
}

/**
 * Parses IPv6 text: hex groups with at most one `::`, optionally ending in a dotted quad
 * (`::ffff:10.0.0.1`). A zone (`fe80::1%eth0`) is not part of the address and is refused here;
 * callers that accept zones strip them first. Returns null for anything else.
 */
export function parseIpv6(text: string): Ipv6Address | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === null || tail === null) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return null;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥2) of zero groups as `::`. */
export function formatIpv6(a: Ipv6Address): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((a[i]! << 8) | a[i + 1]!);
  // IPv4-mapped addresses print with a dotted quad (RFC 5952 §5), as Node prints them.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(readIpv4(a, 12))}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseMac(text: string): MacAddress | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(m: MacAddress): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + m[i]!.toString(16).padStart(2, '0');
  return s;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Group (multicast or broadcast) bit: the least significant bit of the first octet. */
export function isMulticastMac(m: MacAddress): boolean {
  return (m[0]! & 1) === 1;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Slots of the cache `IpAddress.v4` answers from (direct-mapped by a hash of the address, so it
 * never grows): sharing is safe because an `IpAddress` is immutable, and it spares a few objects
 * per packet (about 7 on a TCP segment's way in and out).
 */
const V4_CACHE_SLOTS = 256;
const v4Cache: Array<IpAddress | undefined> = new Array<IpAddress | undefined>(V4_CACHE_SLOTS);

/**
 * An IP address of either family, immutable. `bytes` holds 4 or 16 bytes that this object owns;
 * `key` is a string unique per address, cheap to use in maps.
 */
export class IpAddress {
  private cachedText: string | undefined;

  private constructor(
    readonly family: 4 | 6,
    readonly bytes: Uint8Array,
    readonly key: string,
  ) {}

  /**
   * The address `a`. Recently made ones are shared (see `V4_CACHE_SLOTS`): the per-packet paths
   * (demultiplexing, routing, neighbour lookup) ask for the same few addresses again and again.
   */
  static v4(a: Ipv4Address): IpAddress {
    a >>>= 0;
    const slot = (a ^ (a >>> 8) ^ (a >>> 16) ^ (a >>> 24)) & (V4_CACHE_SLOTS - 1);
    const hit = v4Cache[slot];
    if (hit !== undefined && readIpv4(hit.bytes, 0) === a) return hit;
    const b = new Uint8Array(4);
    writeIpv4(b, 0, a);
    const made = new IpAddress(4, b, `4:${a}`);
    v4Cache[slot] = made;
    return made;
  }

  /** Copies `a`, so the caller may reuse the bytes it passed. */
  static v6(a: Ipv6Address): IpAddress {
    const b = Uint8Array.from(a.subarray(0, 16));
    let key = '6:';
    for (let i = 0; i < 16; i++) key += b[i]!.toString(16).padStart(2, '0');
    return new IpAddress(6, b, key);
  }

  /** Parses either family's text form; null when it is neither. */
  static parse(text: string): IpAddress | null {
    const v4 = parseIpv4(text);
    if (v4 !== null) return IpAddress.v4(v4);
    const v6 = parseIpv6(text);
    return v6 === null ? null : IpAddress.v6(v6);
  }

  /** The IPv4 address as a number; only meaningful when `family === 4`. */
  get v4(): Ipv4Address {
    return readIpv4(this.bytes, 0);
  }

  equals(o: IpAddress): boolean {
    return this.key === o.key;
  }

  isUnspecified(): boolean {
    return this.bytes.every((x) => x === 0);
  }

  isLoopback(): boolean {
    if (this.family === 4) return this.bytes[0] === 127;
    return this.bytes.subarray(0, 15).every((x) => x === 0) && this.bytes[15] === 1;
  }

  isMulticast(): boolean {
    return this.family === 4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  toString(): string {
    if (this.cachedText === undefined) {
      this.cachedText = this.family === 4 ? formatIpv4(this.v4) : formatIpv6(this.bytes);
    }
    return this.cachedText;
  }
}
