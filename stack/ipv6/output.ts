/**
 * IPv6 output (RFC 8200): route and source address selection (a small part of RFC 6724: same
 * scope first, never a tentative address), the fixed header, source fragmentation with a
 * Fragment header when a packet exceeds the path MTU (§4.5; only the source fragments in IPv6),
 * and handing packets to the link through NDP resolution or to loopback.
 */

import createDebug from 'debug';
import { emitIpv6, IPV6_HEADER_LEN, type Ipv6Header } from '../wire/ipv6';
import { headroomLeft, packetFor } from '../wire/payload';
import { emitIpv6Fragment, IPV6_FRAGMENT_HEADER_LEN } from '../wire/ipv6-ext';
import { EtherType, IpProtocol } from '../wire/ip-protocol';
import { IpAddress, type MacAddress } from '../wire/address';
import type { NetHost, SendError } from '../ip/host';
import { ipv6MulticastMac, type NetInterface } from '../iface/interface';
import { prefixMatches } from '../route';
import { sendNeighborSolicitation } from '../ndp/ndp';

const log = createDebug('usernet:ip');

export interface Ipv6Datagram {
  /** Chosen by source address selection when absent. May be `::` (DAD). */
  src?: IpAddress;
  dst: IpAddress;
  /** The upper-layer protocol (we originate no extension headers). */
  nextHeader: number;
  /** Upper-layer bytes with their checksum filled in; ownership passes. */
  payload: Uint8Array;
  /**
   * Bytes free in front of `payload` for the IPv6 and link headers (`stack/wire/payload.ts`);
   * 0 when absent. With at least 40 the header is written there and nothing is copied.
   */
  headroom?: number;
  /**
   * A TCP segment built for the link to cut (TSO, `LinkOffloads.txTcpSegmentation`): allowed up
   * to the outgoing interface's agreed packet size instead of the MTU.
   */
  tcpSegmentation?: boolean;
  hopLimit?: number;
  /** Required for multicast and link-local destinations when several links exist. */
  iface?: NetInterface;
}

export interface Ipv6Path {
  iface: NetInterface;
  nextHop: IpAddress;
  src: IpAddress;
  mtu: number;
}

/** True for fe80::/10. */
export function isLinkLocal(a: IpAddress): boolean {
  return a.bytes[0] === 0xfe && (a.bytes[1]! & 0xc0) === 0x80;
}

/** Chooses the interface, next hop, source and MTU for `dst`. */
export function routeIpv6(host: NetHost, dst: IpAddress, now: number, src?: IpAddress, via?: NetInterface): Ipv6Path | SendError {
  const lo = host.interfaces[0]!;
  if (dst.isLoopback() || (via === undefined && host.isLocalAddress(dst))) {
    return { iface: lo, nextHop: dst, src: src ?? dst, mtu: lo.mtu };
  }
  let iface = via;
  let nextHop = dst;
  if (iface === undefined) {
    if (dst.isMulticast()) {
      iface = host.interfaces.find((i) => !i.isLoopback && i.ipv6.length > 0);
    } else {
      const r = host.routes.lookup(dst);
      if (r !== null) {
        iface = host.interfaces[r.iface];
        if (r.gateway !== null) nextHop = r.gateway;
      }
    }
  }
  if (iface === undefined) return 'no-route';
  const s = src ?? selectSource(iface, dst);
  if (s === null) return 'no-source';
  const pmtu = host.pmtu.get(dst, now);
  return { iface, nextHop, src: s, mtu: pmtu === undefined ? iface.mtu : Math.min(pmtu, iface.mtu) };
}

/**
 * RFC 6724 §5, reduced: link-local and link-scope multicast destinations get the link-local
 * address; others a preferred global address sharing the longest prefix (rule 8), else any
 * preferred global, else link-local. Tentative addresses are never used (RFC 4862 §5.4).
 */
export function selectSource(iface: NetInterface, dst: IpAddress): IpAddress | null {
  const usable = iface.ipv6.filter((a) => a.state === 'preferred');
  const linkScope = isLinkLocal(dst) || (dst.isMulticast() && (dst.bytes[1]! & 0x0f) <= 2);
  if (linkScope) return usable.find((a) => isLinkLocal(a.address))?.address ?? null;
  const globals = usable.filter((a) => !isLinkLocal(a.address));
  const onLink = globals.find((a) => prefixMatches(dst, a.address, a.prefixLen));
  return (onLink ?? globals[0] ?? usable[0])?.address ?? null;
}

/**
 * Sends a datagram, routed unless `path` (from `routeIpv6`) is given; returns null (sent or
 * waiting for NDP) or why it could not be sent.
 */
export function sendIpv6(host: NetHost, d: Ipv6Datagram, now: number, path?: Ipv6Path): SendError | null {
  const p = path ?? routeIpv6(host, d.dst, now, d.src, d.iface);
  if (typeof p === 'string') {
    host.counters.add('ipv6', 'OutNoRoutes');
    return p;
  }
  host.counters.add('ipv6', 'OutRequests');
  const header: Ipv6Header = {
    trafficClass: 0,
    flowLabel: 0,
    nextHeader: d.nextHeader,
    hopLimit: d.hopLimit ?? (p.iface.curHopLimit || host.defaultTtl),
    src: d.src?.bytes ?? p.src.bytes,
    dst: d.dst.bytes,
    payload: d.payload,
  };
  // The link cuts at its own MTU, so not toward a smaller path MTU (learned since the segment was built).
  const tso = d.tcpSegmentation === true && p.mtu >= p.iface.mtu ? p.iface.offloads.txTcpSegmentation ?? 0 : 0;
  const limit = Math.max(p.mtu, tso);
  if (IPV6_HEADER_LEN + d.payload.length <= limit) {
    const headroom = d.headroom ?? 0;
    const b = packetFor(d.payload, headroom, IPV6_HEADER_LEN);
    emitIpv6(header, b);
    sendIpv6OnLink(host, p.iface, p.nextHop, b, now, headroomLeft(headroom, IPV6_HEADER_LEN));
    return null;
  }
  // RFC 8200 §4.5: fragments of (mtu − 40 − 8) rounded down to 8 bytes, one Identification.
  const chunk = Math.floor((p.mtu - IPV6_HEADER_LEN - IPV6_FRAGMENT_HEADER_LEN) / 8) * 8;
  const identification = host.nextIpv6FragmentId();
  let n = 0;
  for (let off = 0; off < d.payload.length; off += chunk) {
    const end = Math.min(off + chunk, d.payload.length);
    const len = IPV6_FRAGMENT_HEADER_LEN + end - off;
    const b = new Uint8Array(IPV6_HEADER_LEN + len);
    const body = b.subarray(IPV6_HEADER_LEN);
    emitIpv6Fragment({ nextHeader: d.nextHeader, fragmentOffset: off, moreFragments: end < d.payload.length, identification }, body);
    body.set(d.payload.subarray(off, end), IPV6_FRAGMENT_HEADER_LEN);
    emitIpv6({ ...header, nextHeader: IpProtocol.IPv6Frag, payload: body }, b);
    sendIpv6OnLink(host, p.iface, p.nextHop, b, now);
    n++;
  }
  host.counters.add('ipv6', 'FragOKs');
  host.counters.add('ipv6', 'FragCreates', n);
  log('fragmented %d bytes into %d packets (mtu %d)', d.payload.length, n, p.mtu);
  return null;
}

/**
 * Frames `packet` for `nextHop` on `iface`: multicast mapping, the NDP cache, or a solicitation.
 * `headroom`: bytes free in front of `packet` for the link header (`stack/wire/payload.ts`); a
 * packet queued for NDP is framed by copying when it is released.
 */
export function sendIpv6OnLink(host: NetHost, iface: NetInterface, nextHop: IpAddress, packet: Uint8Array, now: number, headroom = 0): void {
  if (iface.linkType !== 'ethernet') {
    iface.transmit(EtherType.IPv6, null, packet);
    return;
  }
  let mac: MacAddress | null;
  if (nextHop.isMulticast()) mac = ipv6MulticastMac(nextHop.bytes);
  else mac = iface.ndp.lookup(nextHop, now);
  if (mac !== null) {
    iface.transmit(EtherType.IPv6, mac, packet, headroom);
    return;
  }
  const solicit = iface.ndp.enqueue(nextHop, packet, now);
  if (solicit !== null) sendNeighborSolicitation(host, iface, nextHop, null, now, packet);
}
