/**
 * The neighbour cache: IP address → link-layer address, with the reachability state machine of
 * RFC 4861 §7.3 (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE) and the constants of §10.
 *
 * Deviation: ARP (RFC 826, RFC 1122 §2.3.2.1) uses the same machine, as Linux's neighbour layer
 * does; RFC 1122 asks only that stale entries be revalidated and that unanswered requests be
 * retried a bounded number of times, which DELAY/PROBE do.
 *
 * Sans-IO: the cache never sends. Methods return the solicitations to send and the packets
 * that became deliverable; `poll(now)` advances timers and returns more of the same.
 */

import type { IpAddress, MacAddress } from '../wire/address';
import { bytesEqual } from '../wire/address';

export type NeighbourState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';

/** RFC 4861 §10 defaults (ms / counts). */
export const MAX_MULTICAST_SOLICIT = 3;
export const MAX_UNICAST_SOLICIT = 3;
export const REACHABLE_TIME_MS = 30_000;
export const RETRANS_TIMER_MS = 1_000;
export const DELAY_FIRST_PROBE_TIME_MS = 5_000;
/** A STALE entry unused for this long is forgotten (Linux gc_stale_time). */
export const STALE_LIFETIME_MS = 60_000;
/** Entries per cache: a host talks to few neighbours; bounds memory against address scans. */
export const NEIGHBOUR_CACHE_MAX = 512;
/**
 * Packets held per unresolved neighbour (RFC 1122 §2.3.2.2 asks for at least one). 64 packets or
 * 80 KiB — whichever comes first — holds every fragment of one maximal datagram.
 */
export const PENDING_PACKETS_MAX = 64;
export const PENDING_BYTES_MAX = 80 * 1024;

export interface NeighbourEntry {
  readonly addr: IpAddress;
  state: NeighbourState;
  mac: MacAddress | null;
  isRouter: boolean;
  /** Solicitations sent in the current INCOMPLETE or PROBE phase. */
  probes: number;
  /** When the current state's timer fires (Infinity when none). */
  deadline: number;
  /** Packets waiting for resolution; the cache owns them. */
  pending: Uint8Array[];
  pendingBytes: number;
}

/** A solicitation the owner must send: to the broadcast/multicast group when `unicast` is null. */
export interface Solicitation {
  readonly target: IpAddress;
  readonly unicast: MacAddress | null;
  /**
   * The first packet waiting for this neighbour, if any: RFC 4861 §7.2.2 asks that its source
   * address be the solicitation's source when it is one of ours. A view the caller must not keep.
   */
  readonly prompt?: Uint8Array;
}

/** Packets that can now be sent to `mac`. */
export interface Deliverable {
  readonly mac: MacAddress;
  readonly packets: Uint8Array[];
}

export interface NeighbourTimerResult {
  solicitations: Solicitation[];
  /** Entries given up on, with the packets that were waiting for them (for ICMP unreachable). */
  failed: Array<{ addr: IpAddress; packets: Uint8Array[] }>;
}

export interface NeighbourCacheParams {
  reachableTimeMs: number;
  retransTimerMs: number;
  maxMulticastSolicit: number;
  maxUnicastSolicit: number;
}

export class NeighbourCache {
  private readonly table = new Map<string, NeighbourEntry>();
  readonly params: NeighbourCacheParams;
  /** Packets dropped because a pending queue was full or an entry was evicted. */
  pendingDropped = 0;

  constructor(params: Partial<NeighbourCacheParams> = {}) {
    this.params = {
      reachableTimeMs: params.reachableTimeMs ?? REACHABLE_TIME_MS,
      retransTimerMs: params.retransTimerMs ?? RETRANS_TIMER_MS,
      maxMulticastSolicit: params.maxMulticastSolicit ?? MAX_MULTICAST_SOLICIT,
      maxUnicastSolicit: params.maxUnicastSolicit ?? MAX_UNICAST_SOLICIT,
    };
  }

  get size(): number {
    return this.table.size;
  }

  get(addr: IpAddress): NeighbourEntry | undefined {
    return this.table.get(addr.key);
  }

  /** A snapshot of the entries (for `ip neigh`-style listings and tests). */
  entries(): Array<{ addr: IpAddress; state: NeighbourState; mac: MacAddress | null; isRouter: boolean }> {
    return [...this.table.values()].map((e) => ({ addr: e.addr, state: e.state, mac: e.mac, isRouter: e.isRouter }));
  }

  /**
   * The link-layer address to send to `addr` now, or null when it must be resolved first.
   * Sending to a STALE entry starts DELAY (RFC 4861 §7.3.3).
   */
  lookup(addr: IpAddress, now: number): MacAddress | null {
    const e = this.table.get(addr.key);
    if (e === undefined || e.state === 'INCOMPLETE' || e.mac === null) return null;
    if (e.state === 'STALE') this.enter(e, 'DELAY', now + DELAY_FIRST_PROBE_TIME_MS);
    return e.mac;
  }

  /**
   * Queues `packet` (ownership moves to the cache) until `addr` resolves. Creates an INCOMPLETE
   * entry when none exists and returns the first solicitation to send; else null.
   */
  enqueue(addr: IpAddress, packet: Uint8Array, now: number): Solicitation | null {
    let e = this.table.get(addr.key);
    let solicit: Solicitation | null = null;
    if (e === undefined) {
      e = this.create(addr, 'INCOMPLETE', null, now + this.params.retransTimerMs);
      e.probes = 1;
      solicit = { target: addr, unicast: null, prompt: packet };
    }
    e.pending.push(packet);
    e.pendingBytes += packet.length;
    while (e.pending.length > PENDING_PACKETS_MAX || (e.pendingBytes > PENDING_BYTES_MAX && e.pending.length > 1)) {
      const old = e.pending.shift()!;
      e.pendingBytes -= old.length;
      this.pendingDropped++;
    }
    return solicit;
  }

  /**
   * A neighbour advertisement (RFC 4861 §7.2.5) or an ARP reply (`solicited`, `override`).
   * Never creates an entry: unsolicited advertisements only update what we already have.
   */
  onAdvertisement(
    addr: IpAddress,
    mac: MacAddress | null,
    flags: { solicited: boolean; override: boolean; isRouter?: boolean },
    now: number,
  ): Deliverable | null {
    const e = this.table.get(addr.key);
    if (e === undefined) return null;
    if (flags.isRouter !== undefined) e.isRouter = flags.isRouter;
    if (e.state === 'INCOMPLETE') {
      // §7.2.5: no link-layer address → ignore; else record it, REACHABLE if solicited, else STALE.
      if (mac === null) return null;
      e.mac = Uint8Array.from(mac);
      if (flags.solicited) this.enter(e, 'REACHABLE', now + this.params.reachableTimeMs);
      else this.enter(e, 'STALE', now + STALE_LIFETIME_MS);
      return this.release(e);
    }
    const differs = mac !== null && e.mac !== null && !bytesEqual(mac, e.mac);
    if (!flags.override && differs) {
      // §7.2.5: override clear and a different address: REACHABLE becomes STALE, nothing else.
      if (e.state === 'REACHABLE') this.enter(e, 'STALE', now + STALE_LIFETIME_MS);
      return null;
    }
    if (mac !== null) e.mac = Uint8Array.from(mac);
    if (flags.solicited) this.enter(e, 'REACHABLE', now + this.params.reachableTimeMs);
    else if (differs) this.enter(e, 'STALE', now + STALE_LIFETIME_MS);
    return null;
  }

  /**
   * A solicitation (NS with a source link-layer option, RFC 4861 §7.2.3) or an ARP request from
   * `addr`. Creates a STALE entry when `create` (the request targets us: RFC 826's merge rule);
   * otherwise only updates an existing one. Returns packets released from an INCOMPLETE entry.
   */
  onSolicitation(addr: IpAddress, mac: MacAddress, now: number, create: boolean): Deliverable | null {
    const e = this.table.get(addr.key);
    if (e === undefined) {
      if (create) this.create(addr, 'STALE', Uint8Array.from(mac), now + STALE_LIFETIME_MS);
      return null;
    }
    if (e.state === 'INCOMPLETE' || e.mac === null || !bytesEqual(e.mac, mac)) {
      const wasIncomplete = e.state === 'INCOMPLETE';
      e.mac = Uint8Array.from(mac);
      this.enter(e, 'STALE', now + STALE_LIFETIME_MS);
      return wasIncomplete ? this.release(e) : null;
    }
    return null;
  }

  /** Upper-layer reachability confirmation (RFC 4861 §7.3.1), e.g. a TCP ACK of new data. */
  confirm(addr: IpAddress, now: number): void {
    const e = this.table.get(addr.key);
    if (e !== undefined && e.mac !== null && e.state !== 'INCOMPLETE') {
      this.enter(e, 'REACHABLE', now + this.params.reachableTimeMs);
    }
  }

  remove(addr: IpAddress): void {
    this.table.delete(addr.key);
  }

  /** Advances every due timer (bounded by NEIGHBOUR_CACHE_MAX entries). */
  poll(now: number): NeighbourTimerResult {
    const out: NeighbourTimerResult = { solicitations: [], failed: [] };
    for (const e of this.table.values()) {
      if (e.deadline > now) continue;
      switch (e.state) {
        case 'INCOMPLETE': // §7.2.2: retransmit every RetransTimer, give up after MAX_MULTICAST_SOLICIT.
          if (e.probes < this.params.maxMulticastSolicit) {
            e.probes++;
            e.deadline = now + this.params.retransTimerMs;
            out.solicitations.push({ target: e.addr, unicast: null, prompt: e.pending[0] });
          } else {
            this.table.delete(e.addr.key);
            out.failed.push({ addr: e.addr, packets: e.pending });
          }
          break;
        case 'REACHABLE': // §7.3.3: ReachableTime passed without confirmation.
          this.enter(e, 'STALE', now + STALE_LIFETIME_MS);
          break;
        case 'STALE': // unused for STALE_LIFETIME_MS: forget it.
          this.table.delete(e.addr.key);
          break;
        case 'DELAY': // §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: probe by unicast.
          this.enter(e, 'PROBE', now + this.params.retransTimerMs);
          e.probes = 1;
          out.solicitations.push({ target: e.addr, unicast: e.mac });
          break;
        case 'PROBE':
          if (e.probes < this.params.maxUnicastSolicit) {
            e.probes++;
            e.deadline = now + this.params.retransTimerMs;
            out.solicitations.push({ target: e.addr, unicast: e.mac });
          } else {
            this.table.delete(e.addr.key);
          }
          break;
      }
    }
    return out;
  }

  nextDeadline(): number {
    let t = Infinity;
    for (const e of this.table.values()) if (e.deadline < t) t = e.deadline;
    return t;
  }

  private enter(e: NeighbourEntry, state: NeighbourState, deadline: number): void {
    e.state = state;
    e.deadline = deadline;
    if (state !== 'PROBE' && state !== 'INCOMPLETE') e.probes = 0;
  }

  private release(e: NeighbourEntry): Deliverable | null {
    if (e.pending.length === 0 || e.mac === null) return null;
    const packets = e.pending;
    e.pending = [];
    e.pendingBytes = 0;
    return { mac: e.mac, packets };
  }

  private create(addr: IpAddress, state: NeighbourState, mac: MacAddress | null, deadline: number): NeighbourEntry {
    if (this.table.size >= NEIGHBOUR_CACHE_MAX) this.evictOne();
    const e: NeighbourEntry = { addr, state, mac, isRouter: false, probes: 0, deadline, pending: [], pendingBytes: 0 };
    this.table.set(addr.key, e);
    return e;
  }

  /** Evicts a STALE entry if any (the least useful), else the oldest entry. */
  private evictOne(): void {
    let victim: NeighbourEntry | undefined;
    for (const e of this.table.values()) {
      if (e.state === 'STALE') {
        victim = e;
        break;
      }
      victim ??= e;
    }
    if (victim !== undefined) {
      this.pendingDropped += victim.pending.length;
      this.table.delete(victim.addr.key);
    }
  }
}
