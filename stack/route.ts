/**
 * The routing table: longest-prefix match over IPv4 and IPv6 routes (RFC 1812 §5.2.4.3,
 * RFC 4861 §5.2 for the host's view). Connected routes come from interface addresses, a default
 * route from a gateway, static routes from `Stack.addRoute`. Ties on prefix length go to the
 * lower metric, then to the route added first.
 */

import { IpAddress } from './wire/address';

/** Far more than any host needs; keeps lookup (a linear scan) bounded. */
export const MAX_ROUTES = 1024;

export interface Route {
  readonly family: 4 | 6;
  /** The network, masked to `prefixLen` bits. */
  readonly prefix: IpAddress;
  readonly prefixLen: number;
  /** Next hop, or null when the destination is on-link (a connected route). */
  readonly gateway: IpAddress | null;
  /** Index of the outgoing interface in the stack. */
  readonly iface: number;
  readonly metric: number;
}

export interface RouteInput {
  prefix: IpAddress;
  prefixLen: number;
  gateway?: IpAddress | null;
  iface: number;
  metric?: number;
}

/** `a` with every bit past `len` cleared. */
export function maskAddress(a: IpAddress, len: number): IpAddress {
  const b = Uint8Array.from(a.bytes);
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return a.family === 4 ? IpAddress.v4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) : IpAddress.v6(b);
}

/** True when the first `len` bits of `a` and `net` agree. */
export function prefixMatches(a: IpAddress, net: IpAddress, len: number): boolean {
  if (a.family !== net.family) return false;
  const full = len >> 3;
  for (let i = 0; i < full; i++) if (a.bytes[i] !== net.bytes[i]) return false;
  const rest = len & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a.bytes[full]! & m) === (net.bytes[full]! & m);
}

export class RouteTable {
  private readonly entries: Route[] = [];

  /** Adds a route; throws RangeError for a bad prefix length or a full table (configuration errors). */
  add(r: RouteInput): Route {
    const max = r.prefix.family === 4 ? 32 : 128;
    if (!Number.isInteger(r.prefixLen) || r.prefixLen < 0 || r.prefixLen > max) {
      throw new RangeError(`prefix length must be an integer 0–${max}, got ${r.prefixLen}`);
    }
    if (r.gateway && r.gateway.family !== r.prefix.family) {
      throw new TypeError(`gateway ${r.gateway} is not of the route's family`);
    }
    if (this.entries.length >= MAX_ROUTES) throw new RangeError(`routing table full (${MAX_ROUTES} routes)`);
    const route: Route = {
      family: r.prefix.family,
      prefix: maskAddress(r.prefix, r.prefixLen),
      prefixLen: r.prefixLen,
      gateway: r.gateway ?? null,
      iface: r.iface,
      metric: r.metric ?? 0,
    };
    const same = this.entries.findIndex((e) => sameRoute(e, route));
    if (same >= 0) this.entries[same] = route;
    else this.entries.push(route);
    return route;
  }

  /** Removes routes matching prefix/len (and, when given, gateway and interface); returns how many. */
  remove(prefix: IpAddress, prefixLen: number, filter: { gateway?: IpAddress | null; iface?: number } = {}): number {
    const net = maskAddress(prefix, prefixLen);
    let n = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (!e.prefix.equals(net) || e.prefixLen !== prefixLen) continue;
      if (filter.iface !== undefined && e.iface !== filter.iface) continue;
      if (filter.gateway !== undefined && !sameGateway(e.gateway, filter.gateway)) continue;
      this.entries.splice(i, 1);
      n++;
    }
    return n;
  }

  /** Removes every route through interface `iface`. */
  removeInterface(iface: number): void {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.iface === iface) this.entries.splice(i, 1);
  }

  /** The longest matching prefix for `dst`, or null (no route: ENETUNREACH). */
  lookup(dst: IpAddress): Route | null {
    let best: Route | null = null;
    for (const e of this.entries) {
      if (e.family !== dst.family || !prefixMatches(dst, e.prefix, e.prefixLen)) continue;
      if (best === null || e.prefixLen > best.prefixLen || (e.prefixLen === best.prefixLen && e.metric < best.metric)) {
        best = e;
      }
    }
    return best;
  }

  /** A copy of the table, in insertion order. */
  list(): Route[] {
    return this.entries.slice();
  }
}

function sameGateway(a: IpAddress | null, b: IpAddress | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

function sameRoute(a: Route, b: Route): boolean {
  return a.prefix.equals(b.prefix) && a.prefixLen === b.prefixLen && a.iface === b.iface && sameGateway(a.gateway, b.gateway);
}
