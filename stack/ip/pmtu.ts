/**
 * The path MTU cache (RFC 1191 for IPv4, RFC 8201 for IPv6): what ICMP "fragmentation needed" /
 * "packet too big" taught us about the route to a destination. Entries age out so a path that
 * grew back is rediscovered.
 */

import type { IpAddress } from '../wire/address';

/** Destinations remembered; more would let a forged ICMP flood grow memory. Oldest goes first. */
export const PMTU_CACHE_MAX = 256;
/** RFC 1191 §6.3 and RFC 8201 §4: try a larger MTU again after 10 minutes. */
export const PMTU_EXPIRY_MS = 10 * 60_000;
/** Never below these, whatever an ICMP message claims (RFC 1191 §3 68; RFC 8200 §5 1280). */
export const PMTU_MIN_IPV4 = 68;
export const PMTU_MIN_IPV6 = 1280;

export class PmtuCache {
  private readonly entries = new Map<string, { mtu: number; expires: number }>();

  /** The learned MTU toward `dst`, or undefined (use the interface MTU). */
  get(dst: IpAddress, now: number): number | undefined {
    const e = this.entries.get(dst.key);
    if (e === undefined) return undefined;
    if (e.expires <= now) {
      this.entries.delete(dst.key);
      return undefined;
    }
    return e.mtu;
  }

  /**
   * Records a smaller MTU toward `dst` (never raises an entry; clamps to the family minimum).
   * Returns the MTU now in force.
   */
  lower(dst: IpAddress, mtu: number, linkMtu: number, now: number): number {
    const floor = dst.family === 4 ? PMTU_MIN_IPV4 : PMTU_MIN_IPV6;
    const current = this.get(dst, now) ?? linkMtu;
    const next = Math.max(floor, Math.min(current, mtu));
    if (next >= linkMtu) return linkMtu;
    this.entries.delete(dst.key);
    if (this.entries.size >= PMTU_CACHE_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(dst.key, { mtu: next, expires: now + PMTU_EXPIRY_MS });
    return next;
  }

  get size(): number {
    return this.entries.size;
  }
}
