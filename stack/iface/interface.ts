/**
 * A network interface of a Stack: its link (MTU, link type, MAC), its addresses, its neighbour
 * caches (ARP and NDP), and the outbox of frames the runtime drains to the driver. The loopback
 * interface is one of these whose outbox the stack feeds back into its own input.
 */

import { EtherType } from '../wire/ip-protocol';
import { emitEthernet, writeEthernetHeader, ETHERNET_HEADER_LEN } from '../wire/ethernet';
import { claimHeadroom } from '../wire/payload';
import { IpAddress, type Ipv4Address, type MacAddress } from '../wire/address';
import type { LinkOffloads, LinkType } from '../link';
import { NeighbourCache } from '../neighbour/cache';
import type { FramePool } from './frame-pool';
import type { Counters } from '../counters';

/**
 * Frames waiting for the runtime to drain. A runtime flushes after every burst, so this only
 * fills when nobody drains (a stalled driver): then new frames are dropped and counted, as a
 * full qdisc would.
 */
export const OUTBOX_MAX_FRAMES = 8192;

export interface Ipv4Assignment {
  readonly address: Ipv4Address;
  readonly prefixLen: number;
}

/** RFC 4862 §2: tentative until DAD succeeds; deprecated/invalid via lifetimes (SLAAC). */
export type Ipv6AddressState = 'tentative' | 'preferred';

export interface Ipv6Assignment {
  readonly address: IpAddress;
  readonly prefixLen: number;
  state: Ipv6AddressState;
  readonly origin: 'manual' | 'link-local' | 'slaac';
  /** DAD: Neighbor Solicitations still to send, and when the next step is due. */
  dadTransmitsLeft: number;
  dadDeadline: number;
  /** SLAAC valid lifetime end (Infinity for manual and link-local addresses). */
  validUntil: number;
}

export class NetInterface {
  readonly ipv4: Ipv4Assignment[] = [];
  readonly ipv6: Ipv6Assignment[] = [];
  readonly arp = new NeighbourCache();
  readonly ndp = new NeighbourCache();
  /**
   * Hook for the CLI's namespace mode: deliver TCP for any destination address arriving here
   * (terminate connections on behalf of the whole Internet, as slirp4netns/pasta do).
   */
  acceptAnyDestination = false;
  /** Run duplicate address detection on new IPv6 addresses (RFC 4862 §5.4). */
  dad = true;
  /** Configure addresses from router advertisements (RFC 4862 §5.5). */
  slaac = false;
  /** Hop limit, reachable time and retrans timer learned from router advertisements. */
  curHopLimit = 0;
  /**
   * True when the link's frames are ours to keep once received (`LinkDriver.framesOwnedByReceiver`):
   * upper layers may then keep views into them instead of copying.
   */
  framesOwnedByReceiver = false;
  /** The offloads agreed with the link (`stack/iface/offloads.ts`); the runtime tells the driver. */
  offloads: LinkOffloads = {};
  /**
   * Buffers for large frames that the link gives back once written (`LinkDriver.useFramePool`);
   * null when it does not (then every frame is allocated). Set by the runtime before `start`.
   */
  framePool: FramePool | null = null;
  /** Frames for the driver, in order; the runtime owns them once drained. */
  outbox: Uint8Array[] = [];

  constructor(
    readonly index: number,
    readonly name: string,
    readonly linkType: LinkType | 'loopback',
    readonly mtu: number,
    /** Our MAC on Ethernet links; null on IP links and loopback. */
    readonly mac: MacAddress | null,
    private readonly counters: Counters,
  ) {}

  get isLoopback(): boolean {
    return this.linkType === 'loopback';
  }

  hasIpv4(a: Ipv4Address): boolean {
    for (const x of this.ipv4) if (x.address === a) return true;
    return false;
  }

  /** True for our IPv6 address `a`, or when `includeTentative`, for one still under DAD. */
  hasIpv6(a: IpAddress, includeTentative = false): boolean {
    return this.ipv6.some((x) => x.address.equals(a) && (includeTentative || x.state === 'preferred'));
  }

  ipv6Assignment(a: IpAddress): Ipv6Assignment | undefined {
    return this.ipv6.find((x) => x.address.equals(a));
  }

  /** True when `a` is the limited broadcast or the directed broadcast of one of our subnets. */
  isIpv4Broadcast(a: Ipv4Address): boolean {
    if (a === 0xffffffff) return true;
    return this.ipv4.some((x) => x.prefixLen < 31 && a === (x.address | ~netmask(x.prefixLen)) >>> 0);
  }

  /** The first IPv4 address on the subnet of `dst`, else the first IPv4 address. */
  ipv4SourceFor(dst: Ipv4Address): Ipv4Address | null {
    // Numeric prefix test: asked for every routed packet.
    for (const x of this.ipv4) if (x.prefixLen === 0 || ((dst ^ x.address) >>> (32 - x.prefixLen)) === 0) return x.address;
    return this.ipv4[0]?.address ?? null;
  }

  /** The link-local address (preferred), if DAD passed. */
  linkLocal(): IpAddress | null {
    return this.ipv6.find((x) => x.origin === 'link-local' && x.state === 'preferred')?.address ?? null;
  }

  /**
   * Does this interface accept an Ethernet frame sent to `dst`? Our MAC, broadcast, IPv4
   * all-hosts (01:00:5e:00:00:01), IPv6 all-nodes (33:33:00:00:00:01) and the solicited-node
   * groups (33:33:ff:xx:xx:xx, RFC 4291 §2.7.1) of our addresses, tentative ones included (DAD
   * must hear other claimants, RFC 4862 §5.4.2). Reads the first six bytes of `dst` only, so a
   * received frame itself can be asked about (its destination comes first): no view per frame.
   */
  acceptsMac(dst: Uint8Array): boolean {
    if ((dst[0]! & 1) === 0) {
      const m = this.mac;
      return m !== null && dst[0] === m[0] && dst[1] === m[1] && dst[2] === m[2] && dst[3] === m[3] && dst[4] === m[4] && dst[5] === m[5];
    }
    if ((dst[0]! & dst[1]! & dst[2]! & dst[3]! & dst[4]! & dst[5]!) === 0xff) return true;
    if (dst[0] === 0x01 && dst[1] === 0x00 && dst[2] === 0x5e) return dst[3] === 0 && dst[4] === 0 && dst[5] === 1;
    if (dst[0] === 0x33 && dst[1] === 0x33) {
      if (dst[2] === 0 && dst[3] === 0 && dst[4] === 0 && dst[5] === 1) return true;
      if (dst[2] === 0xff) {
        return this.ipv6.some((x) => x.address.bytes[13] === dst[3] && x.address.bytes[14] === dst[4] && x.address.bytes[15] === dst[5]);
      }
    }
    return false;
  }

  /**
   * Queues one IP packet or ARP message for the driver, framed for this link. Callers hand over
   * ownership of `packet`: it is kept as is on IP links and loopback; on Ethernet links the header
   * is written into the `headroom` bytes in front of it when there are at least 14 (see
   * `stack/wire/payload.ts`; the frame is then a view of the same memory), otherwise the packet is
   * copied into a new frame. Returns false when the outbox is full (the frame is dropped, counted).
   */
  transmit(etherType: number, dstMac: MacAddress | null, packet: Uint8Array, headroom = 0): boolean {
    if (this.outbox.length >= OUTBOX_MAX_FRAMES) {
      this.counters.drop('eth', 'eth-outbox-full');
      return false;
    }
    if (this.linkType !== 'ethernet') {
      if (etherType === EtherType.ARP) return false; // no ARP on IP links
      this.outbox.push(packet);
      return true;
    }
    let frame: Uint8Array;
    if (headroom >= ETHERNET_HEADER_LEN) {
      frame = claimHeadroom(packet, headroom, ETHERNET_HEADER_LEN);
      writeEthernetHeader(frame, dstMac!, this.mac!, etherType);
    } else {
      frame = new Uint8Array(ETHERNET_HEADER_LEN + packet.length);
      emitEthernet({ dst: dstMac!, src: this.mac!, etherType, payload: packet }, frame);
    }
    this.outbox.push(frame);
    this.counters.add('eth', 'OutFrames');
    return true;
  }

  /** Takes every queued frame (ownership passes to the caller). */
  takeOutbox(): Uint8Array[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }
}

function netmask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** The multicast MAC for an IPv6 group (RFC 2464 §7): 33:33 and the last four bytes. */
export function ipv6MulticastMac(group: Uint8Array): MacAddress {
  return Uint8Array.of(0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!);
}

/** The solicited-node multicast group for `a` (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX. */
export function solicitedNodeGroup(a: IpAddress): IpAddress {
  const g = new Uint8Array(16);
  g[0] = 0xff;
  g[1] = 0x02;
  g[11] = 0x01;
  g[12] = 0xff;
  g[13] = a.bytes[13]!;
  g[14] = a.bytes[14]!;
  g[15] = a.bytes[15]!;
  return IpAddress.v6(g);
}

/** fe80::/64 with a modified EUI-64 interface identifier from `mac` (RFC 4291 Appendix A). */
export function linkLocalFromMac(mac: MacAddress): IpAddress {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set([mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!], 8);
  return IpAddress.v6(a);
}
