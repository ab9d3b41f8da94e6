/**
 * The outbound half of namespace mode: every TCP connection the namespace opened and usernet
 * terminated is carried over a host socket to where it was going (`hostTarget`), spliced end to
 * end (`splice.ts`: half-close, resets and backpressure both ways).
 */

import createDebug from 'debug';
import { splice, type Splice, type SpliceResult } from './splice';
import { hostTarget, type GatewayMap } from './host-map';
import type { NetApi, RelaySocket } from './types';

const log = createDebug('usernet:relay');

/** Relayed connections at once; beyond this, new ones are reset (each holds two sockets). */
export const MAX_RELAYS = 4096;

export interface RelayEntry {
  readonly id: number;
  /** The namespace side: `addr:port` of the client inside. */
  readonly client: string;
  /** The destination the client asked for, and what the host connects to. */
  readonly destination: string;
  readonly hostTarget: string;
  readonly splice: Splice;
  readonly startedAt: number;
}

export interface RelayTotals {
  opened: number;
  closed: number;
  reset: number;
  error: number;
  refused: number;
  bytesOut: number;
  bytesIn: number;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address ?? '?';
  return a.includes(':') ? `[${a}]:${port ?? '?'}` : `${a}:${port ?? '?'}`;
}

export class HostRelay {
  private readonly entries = new Set<RelayEntry>();
  private nextId = 1;
  readonly totals: RelayTotals = { opened: 0, closed: 0, reset: 0, error: 0, refused: 0, bytesOut: 0, bytesIn: 0 };

  constructor(
    private readonly hostNet: NetApi,
    private readonly map: GatewayMap,
  ) {}

  /**
   * Relays `inner` (an accepted usernet socket whose local address is the destination the
   * namespace asked for). Returns the entry, or null when the relay is full (`inner` is reset).
   */
  open(inner: RelaySocket): RelayEntry | null {
    const dst = inner.localAddress;
    const port = inner.localPort;
    if (dst === undefined || port === undefined) {
      inner.destroy();
      return null;
    }
    if (this.entries.size >= MAX_RELAYS) {
      log('relay full (%d): resetting %s', MAX_RELAYS, endpoint(inner.remoteAddress, inner.remotePort));
      inner.on('error', () => undefined);
      inner.resetAndDestroy();
      return null;
    }
    const target = hostTarget(dst, this.map);
    const outer = this.hostNet.connect({ host: target, port, allowHalfOpen: true });
    outer.setNoDelay(true);
    const id = this.nextId++;
    const client = endpoint(inner.remoteAddress, inner.remotePort);
    const destination = endpoint(dst, port);
    const s = splice(inner, outer, `relay#${id} ${client}→${destination}`);
    const entry: RelayEntry = { id, client, destination, hostTarget: endpoint(target, port), splice: s, startedAt: Date.now() };
    this.entries.add(entry);
    this.totals.opened++;
    log('relay#%d %s → %s via host %s', id, client, destination, entry.hostTarget);
    void s.result.then((r) => this.finished(entry, r));
    return entry;
  }

  private finished(entry: RelayEntry, r: SpliceResult): void {
    this.entries.delete(entry);
    this.totals[r.outcome]++;
    if (r.code === 'ECONNREFUSED') this.totals.refused++;
    this.totals.bytesOut += r.aToB;
    this.totals.bytesIn += r.bToA;
  }

  /** Connections being relayed now. */
  get active(): RelayEntry[] {
    return [...this.entries];
  }

  /** Resets every relayed connection on both sides (shutdown). Resolves once all have closed. */
  async resetAll(): Promise<void> {
    const all = [...this.entries];
    for (const e of all) e.splice.reset();
    await Promise.all(all.map((e) => e.splice.result));
  }
}
