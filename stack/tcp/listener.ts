/**
 * A passive OPEN (RFC 9293 §3.10.1): a port in LISTEN. Connections it spawns are reported as
 * `accept` events once their handshake completes. Two bounds protect it (RFC 4987 §3): at most
 * `backlog` connections half-open in SYN-RECEIVED, and at most `backlog` accepted connections not
 * yet taken by the user; past either, SYNs and handshake-completing ACKs are dropped, and the
 * peer's retransmissions try again later — except that, with the half-open queue full, SYNs are
 * answered with SYN cookies (`syn-cookie.ts`) while the accept queue has room.
 */

import type { IpAddress } from '../wire/address';
import { DEFERRED_SYN_TIMEOUT_MS } from './deferred';
import type { TcpConnectionOptions } from './options';

export interface ListenerTable {
  unlisten(l: TcpListener): void;
}

export class TcpListener {
  /** Connections from this listener in SYN-RECEIVED. */
  halfOpen = 0;
  /** `accept` events not yet taken by the user. */
  pendingAccepts = 0;
  closed = false;
  /** When this listener last answered a SYN with a cookie (only then are ACKs checked for one). */
  cookieSentAt = -Infinity;

  constructor(
    private readonly table: ListenerTable,
    /** The local address, unspecified (0.0.0.0 or ::) for any address of the family. */
    readonly local: IpAddress,
    readonly port: number,
    readonly backlog: number,
    /** For an IPv6 wildcard: refuse IPv4 peers (IPV6_V6ONLY). */
    readonly ipv6Only: boolean,
    readonly connectionOptions: TcpConnectionOptions,
    /**
     * An intercepting listener takes segments for *any* destination address and port of its
     * family that no ordinary listener takes (see `TcpEngine.intercept`). Its `port` is 0.
     */
    readonly intercept = false,
    /**
     * Deferred accept (`deferred.ts`): SYNs are held and reported as `syn` events instead of
     * being answered at once. Only intercepting listeners defer.
     */
    readonly defer = false,
  ) {}

  /** SYNs held for the user's decision (bounded by `MAX_DEFERRED_SYNS`), and for how long at most. */
  deferredSyns = 0;
  deferTimeoutMs = DEFERRED_SYN_TIMEOUT_MS;

  get isWildcard(): boolean {
    return this.local.isUnspecified();
  }

  /** Stops listening; half-open connections are dropped, accepted ones are the user's. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.unlisten(this);
  }

  toString(): string {
    return this.intercept ? `LISTEN IPv${this.local.family} any destination` : `LISTEN ${this.local}:${this.port}`;
  }
}

/**
 * The listener for a segment to (`dst`, `port`) from a peer of `family`: an exact address first,
 * then the family's wildcard, then a dual-stack IPv6 wildcard for IPv4 peers, and last an
 * intercepting listener of the family.
 */
export function findListener(listeners: Iterable<TcpListener>, dst: IpAddress, port: number, family: 4 | 6): TcpListener | undefined {
  let wildcard: TcpListener | undefined;
  let dual: TcpListener | undefined;
  let intercept: TcpListener | undefined;
  for (const l of listeners) {
    if (l.intercept) {
      if (l.local.family === family) intercept = l;
      continue;
    }
    if (l.port !== port) continue;
    if (l.local.equals(dst)) return l;
    if (l.isWildcard && l.local.family === family) wildcard = l;
    else if (l.isWildcard && l.local.family === 6 && family === 4 && !l.ipv6Only) dual = l;
  }
  return wildcard ?? dual ?? intercept;
}

/** True when a listener on (`local`, `port`) would overlap an existing one (a bind conflict). */
export function listenerConflict(listeners: Iterable<TcpListener>, local: IpAddress, port: number, ipv6Only: boolean): boolean {
  for (const l of listeners) {
    if (l.intercept || l.port !== port) continue;
    if (l.local.family === local.family) {
      if (l.isWildcard || local.isUnspecified() || l.local.equals(local)) return true;
    } else if (l.local.family === 6) {
      // An existing dual-stack IPv6 wildcard covers every IPv4 address.
      if (l.isWildcard && !l.ipv6Only) return true;
    } else if (local.isUnspecified() && !ipv6Only) {
      // A new dual-stack IPv6 wildcard would cover this IPv4 listener.
      return true;
    }
  }
  return false;
}
