/**
 * The outbound half of namespace mode: every TCP connection the namespace opens is carried over a
 * host socket to where it was going (`hostTarget`), spliced end to end (`splice.ts`: half-close,
 * resets and backpressure both ways). As slirp4netns and pasta do, the host connection is made
 * *first*, while the namespace's SYN waits unanswered (`PendingConnection`, usernet's deferred
 * accept): when the host connects, the namespace's handshake completes; when the host refuses, the
 * namespace's client is refused too (RST: ECONNREFUSED), and when the host has no route, it hears
 * ICMP host unreachable (EHOSTUNREACH) — never a connection that opens and then resets.
 */

import createDebug from 'debug';
import { splice, type Splice, type SpliceResult } from './splice';
import { hostTarget, type GatewayMap } from './host-map';
import { HostReader } from './host-reader';
import type { NetApi, PendingConnection, RelaySocket } from './types';

const log = createDebug('usernet:relay');

/** Relayed and connecting connections at once; beyond this, new ones are refused (each holds two sockets). */
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
  /** Attempts refused before a relay existed: the host refused or could not be reached, or the relay was full. */
  refused: number;
  /** Of those, answered with ICMP unreachable (the host had no route). */
  unreachable: number;
  bytesOut: number;
  bytesIn: number;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address ?? '?';
  return a.includes(':') ? `[${a}]:${port ?? '?'}` : `${a}:${port ?? '?'}`;
}

export class HostRelay {
  private readonly entries = new Set<RelayEntry>();
  /** Host connections still connecting, with the attempt each would complete. */
  private readonly connecting = new Map<RelaySocket, PendingConnection>();
  private nextId = 1;
  readonly totals: RelayTotals = { opened: 0, closed: 0, reset: 0, error: 0, refused: 0, unreachable: 0, bytesOut: 0, bytesIn: 0 };

  constructor(
    private readonly hostNet: NetApi,
    private readonly map: GatewayMap,
  ) {}

  /**
   * Takes a connection attempt from the namespace: connects to its destination on the host, then
   * accepts the attempt and splices the two, or refuses it the way the host refused.
   */
  offer(c: PendingConnection): void {
    const client = endpoint(c.remoteAddress, c.remotePort);
    const destination = endpoint(c.localAddress, c.localPort);
    if (this.entries.size + this.connecting.size >= MAX_RELAYS) {
      log('relay full (%d): refusing %s → %s', MAX_RELAYS, client, destination);
      this.refuse(c, 'reset');
      return;
    }
    const target = hostTarget(c.localAddress, this.map);
    // The host socket's reads go through a HostReader: no fresh buffer per read (host-reader.ts).
    const reader = new HostReader();
    const outer = this.hostNet.connect({ host: target, port: c.localPort, allowHalfOpen: true, onread: reader.onread });
    this.connecting.set(outer, c);
    const settle = (): boolean => this.connecting.delete(outer);
    c.once('expire', () => {
      if (settle()) outer.destroy();
    });
    outer.once('error', (err: NodeJS.ErrnoException) => {
      if (!settle()) return; // after connect, the splice reports it
      const unreachable = err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH';
      log('%s → %s: host %s (%s): refusing', client, destination, err.code ?? err.message, endpoint(target, c.localPort));
      this.refuse(c, unreachable ? 'unreachable' : 'reset');
    });
    outer.once('connect', () => {
      if (!settle()) return;
      let inner: RelaySocket;
      try {
        inner = c.accept();
      } catch (e) {
        log('%s → %s: connected on the host but the attempt is gone (%s)', client, destination, (e as Error).message);
        outer.destroy();
        return;
      }
      outer.setNoDelay(true);
      this.start(inner, outer, reader, client, destination, endpoint(target, c.localPort));
    });
  }

  private refuse(c: PendingConnection, how: 'reset' | 'unreachable'): void {
    this.totals.refused++;
    if (how === 'unreachable') this.totals.unreachable++;
    c.refuse(how);
  }

  private start(inner: RelaySocket, outer: RelaySocket, reader: HostReader, client: string, destination: string, hostTargetText: string): void {
    const id = this.nextId++;
    const s = splice(inner, outer, `relay#${id} ${client}→${destination}`, { b: reader });
    const entry: RelayEntry = { id, client, destination, hostTarget: hostTargetText, splice: s, startedAt: Date.now() };
    this.entries.add(entry);
    this.totals.opened++;
    log('relay#%d %s → %s via host %s', id, client, destination, entry.hostTarget);
    void s.result.then((r) => this.finished(entry, r));
  }

  private finished(entry: RelayEntry, r: SpliceResult): void {
    this.entries.delete(entry);
    this.totals[r.outcome]++;
    this.totals.bytesOut += r.aToB;
    this.totals.bytesIn += r.bToA;
  }

  /** Connections being relayed now. */
  get active(): RelayEntry[] {
    return [...this.entries];
  }

  /** Attempts whose host connection is still being made. */
  get pending(): number {
    return this.connecting.size;
  }

  /**
   * Resets every relayed connection on both sides and refuses attempts still connecting
   * (shutdown). Resolves once all relayed connections have closed.
   */
  async resetAll(): Promise<void> {
    for (const [outer, c] of [...this.connecting]) {
      this.connecting.delete(outer);
      outer.destroy();
      c.refuse('reset');
    }
    const all = [...this.entries];
    for (const e of all) e.splice.reset();
    await Promise.all(all.map((e) => e.splice.result));
  }
}
