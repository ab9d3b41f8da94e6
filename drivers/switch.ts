/**
 * An in-memory learning Ethernet switch (the learning and filtering of IEEE 802.1D): it learns which port
 * each source MAC address lives behind, forwards known unicast to that port only, floods
 * broadcast, multicast and unknown destinations to every other port, and never sends a frame
 * back out of the port it came in on. Each port is a `MemoryEndpoint` with the usual ownership,
 * batching and scheduling (see memory-link.ts): a forwarded frame is handed on as it was sent; a
 * flooded one goes as is to one port and as a copy of its own to each other.
 */

import { isMulticastMac } from '../stack/wire/address';
import { MemoryEndpoint, copyFrame, type MemoryLinkOptions } from './memory-link';
import { realScheduler, type Scheduler } from './scheduler';

/**
 * Addresses remembered at once. Far more than any simulated LAN holds; a flood of made-up source
 * addresses evicts the oldest entries instead of growing without end.
 */
export const MAC_TABLE_LIMIT = 4096;
/** IEEE 802.1D's default ageing time: an address unseen for 300 s is forgotten. */
export const MAC_AGEING_MS = 300_000;
const ETHERNET_ADDRESSES_BYTES = 12;

/** Ports offer no offloads: a switch forwards frames as they are, so they must be complete. */
export interface MemorySwitchOptions extends Omit<MemoryLinkOptions, 'linkType' | 'offloads'> {
  readonly macTableLimit?: number;
  readonly ageingMs?: number;
}

export interface MemorySwitchStats {
  /** Frames sent to the one port their destination was learned on. */
  forwarded: number;
  /** Frames copied to every other port (broadcast, multicast, unknown destination). */
  flooded: number;
  /** Frames whose destination lives behind the port they came from: not sent anywhere. */
  filtered: number;
  /** Frames too short to hold two MAC addresses. */
  runts: number;
}

interface Learned {
  readonly port: number;
  readonly seenMs: number;
}

function macKey(b: Uint8Array, off: number): number {
  return b[off]! * 2 ** 40 + b[off + 1]! * 2 ** 32 + ((b[off + 2]! << 24) >>> 0) + (b[off + 3]! << 16) + (b[off + 4]! << 8) + b[off + 5]!;
}

export class MemorySwitch {
  readonly stats: MemorySwitchStats = { forwarded: 0, flooded: 0, filtered: 0, runts: 0 };
  private readonly ports: MemoryEndpoint[];
  private readonly macTable = new Map<number, Learned>(); // insertion order = least recently learned first
  private readonly scheduler: Scheduler;
  private readonly macTableLimit: number;
  private readonly ageingMs: number;

  constructor(portCount: number, options: MemorySwitchOptions = {}) {
    if (!Number.isInteger(portCount) || portCount < 1) throw new RangeError(`a switch needs a positive whole number of ports, got ${portCount}`);
    this.scheduler = options.scheduler ?? realScheduler;
    this.macTableLimit = options.macTableLimit ?? MAC_TABLE_LIMIT;
    this.ageingMs = options.ageingMs ?? MAC_AGEING_MS;
    const portOptions: MemoryLinkOptions = { ...options, linkType: 'ethernet', scheduler: this.scheduler, offloads: false };
    this.ports = [];
    for (let i = 0; i < portCount; i++) this.ports.push(new MemoryEndpoint(portOptions, (frame) => this.ingress(i, frame)));
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** The link a device plugs into port `i` (0-based). The same object on every call. */
  port(i: number): MemoryEndpoint {
    const p = this.ports[i];
    if (p === undefined) throw new RangeError(`switch has ports 0..${this.ports.length - 1}, not ${i}`);
    return p;
  }

  /** The port `mac` was last seen behind, if it is still remembered. */
  lookup(mac: Uint8Array): number | undefined {
    const entry = this.macTable.get(macKey(mac, 0));
    return entry !== undefined && this.scheduler.now() - entry.seenMs <= this.ageingMs ? entry.port : undefined;
  }

  /** Closes every port. */
  async close(): Promise<void> {
    await Promise.all(this.ports.map((p) => p.close()));
  }

  /** A frame sent by the device on port `from`. */
  private ingress(from: number, frame: Uint8Array): void {
    if (frame.byteLength < ETHERNET_ADDRESSES_BYTES) {
      this.stats.runts++;
      return;
    }
    const source = frame.subarray(6, 12);
    if (!isMulticastMac(source)) this.learn(macKey(frame, 6), from);
    const destination = frame.subarray(0, 6);
    const to = isMulticastMac(destination) ? undefined : this.lookup(destination);
    if (to === from) {
      this.stats.filtered++;
    } else if (to !== undefined) {
      this.stats.forwarded++;
      this.ports[to]!.arrive(frame);
    } else {
      this.stats.flooded++;
      const out = this.ports.filter((p, i) => i !== from && !p.isClosed);
      // Copies first: the last port takes the sender's frame itself.
      for (let i = 0; i < out.length - 1; i++) out[i]!.arrive(copyFrame(frame));
      out[out.length - 1]?.arrive(frame);
    }
  }

  private learn(key: number, port: number): void {
    this.macTable.delete(key); // re-insert so the map stays ordered by last sighting
    this.macTable.set(key, { port, seenMs: this.scheduler.now() });
    if (this.macTable.size > this.macTableLimit) {
      const oldest = this.macTable.keys().next().value as number;
      this.macTable.delete(oldest);
    }
  }
}
