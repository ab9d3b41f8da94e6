/**
 * Per-protocol counters in the spirit of `/proc/net/snmp` (RFC 4293 names where one exists:
 * InReceives, InDelivers, OutRequests, ReasmOKs …) plus drops by their `Drop` reason.
 * `snapshot()` returns a plain object a test or `usernet stats` can print.
 */

import type { Drop } from './wire/drop';

export type CounterGroup = 'eth' | 'arp' | 'ipv4' | 'ipv6' | 'icmp' | 'icmpv6' | 'ndp' | 'udp' | 'tcp';

export interface CountersView {
  /** group → counter name → value */
  readonly counts: Record<string, Record<string, number>>;
  /** group → drop reason → value */
  readonly drops: Record<string, Record<string, number>>;
}

export class Counters {
  private readonly counts = new Map<CounterGroup, Map<string, number>>();
  private readonly drops = new Map<CounterGroup, Map<string, number>>();

  /** Adds `by` (default 1) to `group.name`. */
  add(group: CounterGroup, name: string, by = 1): void {
    bump(this.counts, group, name, by);
  }

  /** Counts one dropped unit under its reason. Returns nothing: callers log separately. */
  drop(group: CounterGroup, d: Drop | string): void {
    bump(this.drops, group, typeof d === 'string' ? d : d.reason, 1);
  }

  get(group: CounterGroup, name: string): number {
    return this.counts.get(group)?.get(name) ?? 0;
  }

  dropped(group: CounterGroup, reason: string): number {
    return this.drops.get(group)?.get(reason) ?? 0;
  }

  /** A plain, detached copy: `{ counts: { ipv4: { InReceives: 3 } }, drops: { ipv4: { … } } }`. */
  snapshot(): CountersView {
    return { counts: toObject(this.counts), drops: toObject(this.drops) };
  }
}

function bump(m: Map<CounterGroup, Map<string, number>>, g: CounterGroup, name: string, by: number): void {
  let inner = m.get(g);
  if (inner === undefined) {
    inner = new Map();
    m.set(g, inner);
  }
  inner.set(name, (inner.get(name) ?? 0) + by);
}

function toObject(m: Map<CounterGroup, Map<string, number>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [g, inner] of m) out[g] = Object.fromEntries(inner);
  return out;
}
