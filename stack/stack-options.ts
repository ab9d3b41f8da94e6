/** What a `Stack`, its interfaces and its echo requests are configured with (`stack.ts`). */

import type { LinkOffloads, LinkType } from './link';
import type { IpAddress } from './wire/address';
import type { TcpEngineOptions } from './tcp/options';

export interface StackOptions {
  /** Seed of the stack's random source (ISNs, ephemeral ports, IDs). Default: 1. */
  seed?: number;
  /** TTL / hop limit of packets we originate. Default 64. */
  ttl?: number;
  /** Options of the TCP engine (buffer sizes, congestion control …). */
  tcp?: Partial<TcpEngineOptions>;
}

export interface InterfaceOptions {
  name?: string;
  ipv4?: string | string[];
  ipv6?: string | string[];
  gateway4?: string;
  gateway6?: string;
  mtu?: number;
  /** Our MAC on an Ethernet link; a locally administered one from the seed by default. */
  mac?: string | Uint8Array;
  /** Duplicate address detection for IPv6 addresses (RFC 4862). Default true. */
  dad?: boolean;
  /** Take SLAAC addresses from router advertisements (RFC 4862 §5.5). Default false. */
  slaac?: boolean;
  /** Deliver TCP and UDP for any destination address (namespace mode). Default false. */
  acceptAnyDestination?: boolean;
  /**
   * Report our multicast groups with MLDv2 and answer MLD queries (RFC 3810), so that
   * MLD-snooping switches forward NDP to us. Default false: in-memory links have no switch, and
   * tests of other protocols expect only their own frames; TAP-backed interfaces turn it on.
   */
  mld?: boolean;
  /**
   * Use the offloads the link offers (`LinkDriver.offloads`: checksums and TCP segmentation left
   * to the link). Default true; false makes every frame plain, with complete checksums.
   */
  offloads?: boolean;
}

/** What an interface needs from its link: `LinkDriver` satisfies it. */
export interface LinkInfo {
  readonly mtu: number;
  readonly linkType: LinkType;
  /** See `LinkDriver.framesOwnedByReceiver`. */
  readonly framesOwnedByReceiver?: boolean;
  /** See `LinkDriver.offloads`. */
  readonly offloads?: LinkOffloads;
}

export interface EchoOptions {
  identifier?: number;
  sequence?: number;
  /** Data bytes (default 56 zero bytes, like ping). */
  data?: Uint8Array;
  src?: string | IpAddress;
}
