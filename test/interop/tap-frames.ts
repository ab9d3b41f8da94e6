/**
 * Helpers for TAP interop tests: collecting what a driver receives (copied, since the driver
 * reuses its buffers) and building the few frames the tests send.
 */

import type { TapDriver } from '../../drivers/tap';
import { MAC_BROADCAST, parseIpv4 as parseIpv4Text, parseMac, type MacAddress } from '../../stack/wire/address';
import { ArpOp, emitArp, parseArp, type ArpRepr } from '../../stack/wire/arp';
import { Drop } from '../../stack/wire/drop';
import { emitEthernet, parseEthernet, type EthernetRepr } from '../../stack/wire/ethernet';
import { EtherType } from '../../stack/wire/ip-protocol';

export function mac(text: string): MacAddress {
  const m = parseMac(text);
  if (m === null) throw new TypeError(`bad MAC ${text}`);
  return m;
}

export function ipv4(text: string): number {
  const a = parseIpv4Text(text);
  if (a === null) throw new TypeError(`bad IPv4 ${text}`);
  return a;
}

/** An Ethernet frame around `payload`. */
export function ethernetFrame(dst: MacAddress, src: MacAddress, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(14 + payload.length);
  emitEthernet({ dst, src, etherType, payload }, frame);
  return frame;
}

/** A broadcast ARP request: who has `tpa`, tell `spa` at `sha`. */
export function arpRequest(sha: MacAddress, spa: number, tpa: number): Uint8Array {
  const arp = new Uint8Array(28);
  emitArp({ op: ArpOp.Request, sha, spa, tha: new Uint8Array(6), tpa }, arp);
  return ethernetFrame(MAC_BROADCAST, sha, EtherType.ARP, arp);
}

/** A unicast ARP reply: `spa` is at `sha`, to `tha`/`tpa`. */
export function arpReply(sha: MacAddress, spa: number, tha: MacAddress, tpa: number): Uint8Array {
  const arp = new Uint8Array(28);
  emitArp({ op: ArpOp.Reply, sha, spa, tha, tpa }, arp);
  return ethernetFrame(tha, sha, EtherType.ARP, arp);
}

/** The frame's Ethernet repr, or null when it does not parse. */
export function ethernetOf(frame: Uint8Array): EthernetRepr | null {
  const e = parseEthernet(frame);
  return e instanceof Drop ? null : e;
}

/** The frame's ARP repr, or null when it is not ARP. */
export function arpOf(frame: Uint8Array): ArpRepr | null {
  const e = ethernetOf(frame);
  if (e === null || e.etherType !== EtherType.ARP) return null;
  const a = parseArp(e.payload);
  return a instanceof Drop ? null : a;
}

/** Starts `driver` and keeps copies of every frame it delivers. */
export class FrameCollector {
  readonly frames: Uint8Array[] = [];
  private waiters: Array<() => void> = [];

  constructor(driver: TapDriver) {
    driver.start((batch) => {
      // The driver reuses its receive buffer after this call: copy (LinkDriver contract).
      for (const f of batch) this.frames.push(f.slice());
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves with the first frame (already received or arriving) for which `match` is true. */
  async waitFor(match: (frame: Uint8Array) => boolean, timeoutMs = 5000, what = 'a matching frame'): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.frames.length; seen++) if (match(this.frames[seen]!)) return this.frames[seen]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.frames.length} frames received)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
