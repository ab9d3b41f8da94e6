/**
 * What the network-layer modules (ARP, IPv4, IPv6, ICMP, NDP, UDP) need from the Stack that owns
 * them: its tables, counters and seeded randomness, and the transport demultiplexer above IP.
 * One boundary, so each protocol file depends on this interface rather than on `Stack`.
 */

import type { Counters } from '../counters';
import type { RandomSource } from '../random';
import type { NetInterface } from '../iface/interface';
import type { RouteTable } from '../route';
import type { PmtuCache } from './pmtu';
import type { TokenBucket } from '../icmp/rate-limit';
import type { IpAddress } from '../wire/address';

/** Why a datagram could not be sent: ENETUNREACH, EADDRNOTAVAIL, EMSGSIZE at the API. */
export type SendError = 'no-route' | 'no-source' | 'too-big';

/** Outcome of handing a datagram's payload to a transport. */
export type DeliveryResult = 'delivered' | 'port-unreachable' | 'protocol-unreachable';

/** An ICMP error about a packet we sent, reduced to what a transport needs (RFC 1122 §3.2.2). */
export interface TransportError {
  kind: 'port-unreachable' | 'host-unreachable' | 'net-unreachable' | 'admin-prohibited' | 'packet-too-big' | 'protocol-unreachable' | 'time-exceeded';
  protocol: number;
  /** Our address and the peer's, as in the quoted header. */
  local: IpAddress;
  remote: IpAddress;
  /** The quoted transport header (at least 8 bytes: ports and, for TCP, the sequence number). */
  quoted: Uint8Array;
  mtu?: number;
}

export interface NetHost {
  readonly counters: Counters;
  readonly random: RandomSource;
  readonly interfaces: readonly NetInterface[];
  readonly routes: RouteTable;
  readonly pmtu: PmtuCache;
  readonly icmpErrorLimit4: TokenBucket;
  readonly icmpErrorLimit6: TokenBucket;
  /** Default hop limit / TTL for packets we originate (RFC 1700: 64, as Linux). */
  readonly defaultTtl: number;
  /** True when `a` is one of our addresses on any interface (weak host model, RFC 1122 §3.3.4.2). */
  isLocalAddress(a: IpAddress): boolean;
  /** The next IPv4 Identification for a datagram we originate (RFC 6864 §4). */
  nextIpv4Id(): number;
  /** The next IPv6 fragment Identification (RFC 8200 §4.5, RFC 7739: not predictable by peers). */
  nextIpv6FragmentId(): number;
  /**
   * Hands a transport payload (checksum not yet verified) up. `payload` is a view into the
   * packet, valid only during the call: the transport copies what it keeps. `checksumVouched`:
   * the link vouched for the TCP/UDP checksum (receive offload), which is then not verified.
   */
  deliver(protocol: number, src: IpAddress, dst: IpAddress, payload: Uint8Array, iface: NetInterface, now: number, checksumVouched?: boolean): DeliveryResult;
  /** The source address we would use toward `dst`, or why it is unreachable. */
  sourceFor(dst: IpAddress, now: number): IpAddress | SendError;
  /**
   * Sends a transport payload (checksum filled in; ownership passes) from `src` to `dst` over
   * the family's output path: routing, fragmentation, neighbour resolution or loopback.
   */
  sendIp(src: IpAddress, dst: IpAddress, protocol: number, payload: Uint8Array, now: number, dontFragment?: boolean): SendError | null;
  /** Passes an ICMP error to the transport it concerns. */
  transportError(err: TransportError, now: number): void;
}
