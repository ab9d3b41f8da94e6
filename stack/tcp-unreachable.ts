/**
 * ICMP destination unreachable for a refused deferred SYN (`stack/tcp/deferred.ts`,
 * `refuse('unreachable')`): what a router says when the host behind it cannot be reached — RFC 792
 * type 3 code 1 (host unreachable), RFC 4443 type 1 code 3 (address unreachable). The message
 * quotes the offending packet (RFC 1122 §3.2.2: "the Internet header and at least the first 8
 * data octets"); the SYN arrived long ago, so the packet is rebuilt from the held header: the
 * addresses, protocol and TCP header — what a receiver matches the error against (RFC 5927 §4) —
 * are the original's, TTL and identification are not. The usual limits apply (rate, never to a
 * group address) because the error goes out through `sendIcmpv4Error` / `sendIcmpv6Error`.
 */

import { emitTcp, tcpHeaderLen } from './wire/tcp';
import { emitIpv4, ipv4HeaderLen, type Ipv4Repr } from './wire/ipv4';
import { emitIpv6, IPV6_HEADER_LEN } from './wire/ipv6';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from './wire/checksum';
import { IpProtocol } from './wire/ip-protocol';
import { Icmpv4UnreachableCode } from './wire/icmpv4';
import { Icmpv6UnreachableCode } from './wire/icmpv6';
import type { NetHost } from './ip/host';
import { sendIcmpv4Error } from './icmp/icmpv4';
import { sendIcmpv6Error } from './icmp/icmpv6';
import { routeIpv6 } from './ipv6/output';
import type { TcpUnreachableOut } from './tcp/deferred';

/** The SYN as it travelled from the peer (`u.dst`) to the destination it asked for (`u.src`). */
function quotedSyn(u: TcpUnreachableOut): Uint8Array {
  const len = tcpHeaderLen(u.syn);
  const pseudo = u.dst.family === 4
    ? pseudoHeaderSumV4(u.dst.v4, u.src.v4, IpProtocol.TCP, len)
    : pseudoHeaderSumV6(u.dst.bytes, u.src.bytes, IpProtocol.TCP, len);
  const b = new Uint8Array(len);
  emitTcp(u.syn, b, pseudo);
  return b;
}

/** Sends the error (unless RFC 1122 / RFC 4443 limits forbid it); true when sent. */
export function sendTcpUnreachable(host: NetHost, u: TcpUnreachableOut, ttl: number, now: number): boolean {
  const tcp = quotedSyn(u);
  if (u.dst.family === 4) {
    const ip: Ipv4Repr = {
      dscp: 0, ecn: 0, identification: 0, dontFragment: true, moreFragments: false, fragmentOffset: 0,
      ttl, protocol: IpProtocol.TCP, src: u.dst.v4, dst: u.src.v4, options: new Uint8Array(0), payload: tcp,
    };
    const header = new Uint8Array(ipv4HeaderLen(ip) + tcp.length);
    emitIpv4(ip, header);
    const off = { header: header.subarray(0, ipv4HeaderLen(ip)), data: tcp, src: u.dst.v4, dst: u.src.v4, protocol: IpProtocol.TCP, fragmentOffset: 0, toGroup: false };
    return sendIcmpv4Error(host, off, 'destination-unreachable', Icmpv4UnreachableCode.HostUnreachable, now);
  }
  const packet = new Uint8Array(IPV6_HEADER_LEN + tcp.length);
  emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.TCP, hopLimit: ttl, src: u.dst.bytes, dst: u.src.bytes, payload: tcp }, packet);
  const path = routeIpv6(host, u.dst, now);
  if (typeof path === 'string') return false;
  const m = { kind: 'destination-unreachable' as const, code: Icmpv6UnreachableCode.AddressUnreachable };
  return sendIcmpv6Error(host, path.iface, packet, m, IpProtocol.TCP, undefined, now);
}
