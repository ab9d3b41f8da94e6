/**
 * Packets that waited for a neighbour that never answered (RFC 4861 §7.2.2: "for each packet
 * queued awaiting address resolution … an ICMP destination unreachable … code 3 (Address
 * Unreachable)"; RFC 1122 §2.3.2.2 for ARP). Our own packets cannot be answered with ICMP on the
 * wire, so the error goes straight to the transport, as Linux reports EHOSTUNREACH to `connect`.
 */

import { IpAddress, readIpv4 } from '../wire/address';
import { walkIpv6Extensions } from '../wire/ipv6-ext';
import { IPV6_HEADER_LEN } from '../wire/ipv6';
import { isDrop } from '../wire/drop';
import type { NetHost } from './host';

/** Reports `packets` (whole IP packets we queued) as host-unreachable to their transports. */
export function reportUnresolved(host: NetHost, packets: readonly Uint8Array[], now: number): void {
  for (const p of packets) {
    host.counters.drop(p[0]! >> 4 === 4 ? 'ipv4' : 'ipv6', p[0]! >> 4 === 4 ? 'ipv4-neighbour-unreachable' : 'ipv6-neighbour-unreachable');
    const e = quoteOf(p);
    if (e !== null && host.isLocalAddress(e.local)) host.transportError({ kind: 'host-unreachable', ...e }, now);
  }
}

function quoteOf(p: Uint8Array): { protocol: number; local: IpAddress; remote: IpAddress; quoted: Uint8Array } | null {
  if (p.length >= 20 && p[0]! >> 4 === 4) {
    const hl = (p[0]! & 0x0f) * 4;
    const fragOffset = ((p[6]! & 0x1f) << 8) | p[7]!;
    if (fragOffset !== 0 || p.length < hl + 8) return null;
    return { protocol: p[9]!, local: IpAddress.v4(readIpv4(p, 12)), remote: IpAddress.v4(readIpv4(p, 16)), quoted: p.subarray(hl) };
  }
  if (p.length >= IPV6_HEADER_LEN && p[0]! >> 4 === 6) {
    const chain = walkIpv6Extensions(p, p[6]!, IPV6_HEADER_LEN, p.length);
    if (isDrop(chain) || (chain.fragment !== undefined && chain.fragment.fragmentOffset !== 0)) return null;
    if (p.length < chain.upperLayerOffset + 8) return null;
    const protocol = chain.fragment?.nextHeader ?? chain.upperLayerProtocol;
    return { protocol, local: IpAddress.v6(p.subarray(8, 24)), remote: IpAddress.v6(p.subarray(24, 40)), quoted: p.subarray(chain.upperLayerOffset) };
  }
  return null;
}
