/**
 * IPv4 output (RFC 791 §3.2, RFC 1122 §3.3): choose the route and source address, build the
 * header, fragment when the datagram exceeds the path MTU and DF is clear, and hand each packet
 * to the link (ARP resolution) or to loopback for our own addresses.
 */

import createDebug from 'debug';
import { emitIpv4, IPV4_MIN_HEADER_LEN, type Ipv4Repr } from '../wire/ipv4';
import { IpAddress, formatIpv4, type Ipv4Address } from '../wire/address';
import type { NetHost, SendError } from '../ip/host';
import type { NetInterface } from '../iface/interface';
import { sendIpv4OnLink } from '../arp/arp';
import { headroomLeft, packetFor } from '../wire/payload';

const log = createDebug('usernet:ip');

export type { SendError };

export interface Ipv4Datagram {
  /** Source address; chosen from the outgoing interface when absent. */
  src?: Ipv4Address;
  dst: Ipv4Address;
  protocol: number;
  /** Transport bytes, checksum already filled in. Ownership passes to the IP layer. */
  payload: Uint8Array;
  /**
   * Bytes free in front of `payload` for the IPv4 and link headers (`stack/wire/payload.ts`);
   * 0 when absent. With at least 20 the header is written there and nothing is copied.
   */
  headroom?: number;
  /**
   * A TCP segment built for the link to cut (TSO, `LinkOffloads.txTcpSegmentation`): allowed up
   * to the outgoing interface's agreed packet size instead of the MTU.
   */
  tcpSegmentation?: boolean;
  ttl?: number;
  dontFragment?: boolean;
  dscp?: number;
}

export interface Ipv4Path {
  iface: NetInterface;
  nextHop: Ipv4Address;
  src: Ipv4Address;
  /** min(interface MTU, path MTU) */
  mtu: number;
}

/** The interface, next hop, source and MTU for `dst`, or why there is none. */
export function routeIpv4(host: NetHost, dst: Ipv4Address, now: number, src?: Ipv4Address): Ipv4Path | SendError {
  const lo = host.interfaces[0]!;
  if (dst >>> 24 === 127 || host.isLocalAddress(IpAddress.v4(dst))) {
    return { iface: lo, nextHop: dst, src: src ?? dst, mtu: lo.mtu };
  }
  let iface: NetInterface | undefined;
  let nextHop = dst;
  if (dst === 0xffffffff) {
    // Limited broadcast goes out of the interface that owns the source, else the first real one.
    iface = host.interfaces.find((i) => !i.isLoopback && (src === undefined ? i.ipv4.length > 0 : i.hasIpv4(src)));
  } else {
    const r = host.routes.lookup(IpAddress.v4(dst));
    if (r !== null) {
      iface = host.interfaces[r.iface];
      if (r.gateway !== null) nextHop = r.gateway.v4;
    }
  }
  if (iface === undefined) return 'no-route';
  const s = src ?? iface.ipv4SourceFor(nextHop);
  if (s === null) return 'no-source';
  const pmtu = host.pmtu.get(IpAddress.v4(dst), now);
  return { iface, nextHop, src: s, mtu: pmtu === undefined ? iface.mtu : Math.min(pmtu, iface.mtu) };
}

/**
 * Sends a datagram: routes it (unless `path` is given), fragments it if needed, and queues the
 * packets on the link. Returns null on success (sent or waiting for ARP) or the reason it could
 * not be sent, which the caller reports (ENETUNREACH, EMSGSIZE).
 */
export function sendIpv4(host: NetHost, d: Ipv4Datagram, now: number, path?: Ipv4Path): SendError | null {
  const p = path ?? routeIpv4(host, d.dst, now, d.src);
  if (typeof p === 'string') {
    host.counters.add('ipv4', 'OutNoRoutes');
    return p;
  }
  const repr: Ipv4Repr = {
    dscp: d.dscp ?? 0,
    ecn: 0,
    identification: 0,
    dontFragment: d.dontFragment ?? false,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: d.ttl ?? host.defaultTtl,
    protocol: d.protocol,
    src: d.src ?? p.src,
    dst: d.dst,
    options: EMPTY,
    payload: d.payload,
  };
  host.counters.add('ipv4', 'OutRequests');
  const total = IPV4_MIN_HEADER_LEN + d.payload.length;
  // The link cuts at its own MTU, so not toward a smaller path MTU (learned since the segment was built).
  const tso = d.tcpSegmentation === true && p.mtu >= p.iface.mtu ? p.iface.offloads.txTcpSegmentation ?? 0 : 0;
  const limit = Math.max(p.mtu, tso);
  if (total <= limit) {
    // RFC 6864 §4.1: an atomic datagram (DF set, unfragmented) may carry any ID; we still count.
    repr.identification = host.nextIpv4Id();
    emitOne(host, p, repr, now, d.headroom ?? 0);
    return null;
  }
  if (repr.dontFragment) {
    host.counters.add('ipv4', 'FragFails');
    log('%s: %d bytes exceed MTU %d with DF set', formatIpv4(d.dst), total, p.mtu);
    return 'too-big';
  }
  fragmentIpv4(host, p, repr, now);
  return null;
}

/**
 * RFC 791 §3.2 fragmentation: every fragment but the last carries a multiple of 8 data bytes;
 * all share the Identification; MF is set on all but the last.
 */
function fragmentIpv4(host: NetHost, p: Ipv4Path, repr: Ipv4Repr, now: number): void {
  const data = repr.payload;
  const chunk = Math.floor((p.mtu - IPV4_MIN_HEADER_LEN) / 8) * 8;
  repr.identification = host.nextIpv4Id();
  let n = 0;
  for (let off = 0; off < data.length; off += chunk) {
    const end = Math.min(off + chunk, data.length);
    emitOne(host, p, { ...repr, fragmentOffset: off, moreFragments: end < data.length, payload: data.subarray(off, end) }, now, 0);
    n++;
  }
  host.counters.add('ipv4', 'FragOKs');
  host.counters.add('ipv4', 'FragCreates', n);
}

/**
 * Writes the header in front of the payload when `headroom` allows (then the payload stays where
 * it is), else into a new packet with room for the link header, and hands the packet on.
 */
function emitOne(host: NetHost, p: Ipv4Path, repr: Ipv4Repr, now: number, headroom: number): void {
  const hl = IPV4_MIN_HEADER_LEN; // we originate no options
  const b = packetFor(repr.payload, headroom, hl);
  emitIpv4(repr, b);
  sendIpv4OnLink(host, p.iface, p.nextHop, b, now, headroomLeft(headroom, hl));
}

const EMPTY = new Uint8Array(0);
