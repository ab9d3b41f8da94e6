/**
 * Drops: what a parser returns instead of throwing when bytes from the network make no sense.
 * A drop carries a short reason (`'tcp-truncated'`, `'ipv4-bad-checksum'`) that the stack counts,
 * the way `/proc/net/snmp` counts InHdrErrors. Drops are interned per reason so that refusing a
 * flood of bad frames allocates nothing.
 */

export class Drop {
  private constructor(readonly reason: string) {}

  private static readonly interned = new Map<string, Drop>();

  /** The one Drop for `reason`; callers compare reasons, never identities. */
  static of(reason: string): Drop {
    let d = Drop.interned.get(reason);
    if (d === undefined) {
      d = new Drop(reason);
      Drop.interned.set(reason, d);
    }
    return d;
  }

  toString(): string {
    return `drop(${this.reason})`;
  }
}

export function drop(reason: string): Drop {
  return Drop.of(reason);
}

export function isDrop(x: unknown): x is Drop {
  return x instanceof Drop;
}
