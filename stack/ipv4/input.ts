/**
 * IPv4 input (RFC 791, RFC 1122 §3.2.1): validate, decide whether the datagram is for us,
 * reassemble fragments (RFC 815, with the bounds of `ip/reassembly.ts`), and hand the payload to
 * ICMP or the transport demultiplexer, answering "protocol/port unreachable" when nobody takes it.
 *
 * Receive offload: a packet whose TCP or UDP checksum the link vouched for (`checksumVouched`)
 * is delivered with that mark, unless it is a fragment (the mark is for one whole packet); its
 * IP header checksum is verified as always.
 *
 * A host, not a router: datagrams for addresses we do not own are dropped and counted
 * (InAddrErrors), except on interfaces with `acceptAnyDestination`, where TCP and UDP are
 * delivered for any unicast destination (the namespace mode terminates connections and relays
 * datagrams on behalf of every host).
 */

import createDebug from 'debug';
import { internetChecksum } from '../wire/checksum';
import { parseIpv4, emitIpv4, IPV4_MIN_HEADER_LEN, type Ipv4Repr } from '../wire/ipv4';
import { IpProtocol } from '../wire/ip-protocol';
import { IpAddress, formatIpv4, type Ipv4Address } from '../wire/address';
import { isDrop } from '../wire/drop';
import { Reassembler } from '../ip/reassembly';
import type { NetHost } from '../ip/host';
import type { NetInterface } from '../iface/interface';
import { icmpv4Input, sendIcmpv4Error, Icmpv4UnreachableCode, Icmpv4TimeExceededCode, type EchoSink, type OffendingDatagram } from '../icmp/icmpv4';

const log = createDebug('usernet:ip');

/** RFC 1122 §3.3.2 suggests 60–120 s; Linux uses 30 s (ipfrag_time), which we match. */
export const IPV4_REASSEMBLY_TIMEOUT_MS = 30_000;

const ALL_HOSTS = 0xe0000001; // 224.0.0.1 (RFC 1112 §4)

/** What the first fragment tells an ICMP "reassembly time exceeded" (RFC 792). */
interface FirstFragment {
  header: Uint8Array;
  data8: Uint8Array;
  src: Ipv4Address;
  dst: Ipv4Address;
  protocol: number;
}

export class Ipv4Input {
  readonly reassembly = new Reassembler<FirstFragment>('ipv4', IPV4_REASSEMBLY_TIMEOUT_MS);

  constructor(
    private readonly host: NetHost,
    private readonly echo: EchoSink,
  ) {}

  /**
   * One IPv4 packet from `iface` (a view into the frame, valid only during this call).
   * `checksumVouched`: the link vouches for its TCP/UDP checksum (receive offload).
   */
  input(iface: NetInterface, bytes: Uint8Array, now: number, checksumVouched = false): void {
    const c = this.host.counters;
    c.add('ipv4', 'InReceives');
    const ip = parseIpv4(bytes);
    if (isDrop(ip)) {
      c.drop('ipv4', ip);
      return;
    }
    // RFC 1122 §3.2.1.3: a source that is broadcast or multicast MUST be discarded; 127/8 only on loopback.
    if (ip.src === 0xffffffff || ip.src >>> 28 === 0xe || (!iface.isLoopback && ip.src >>> 24 === 127)) {
      c.drop('ipv4', 'ipv4-bad-source');
      return;
    }
    const toGroup = ip.dst >>> 28 === 0xe || iface.isIpv4Broadcast(ip.dst);
    const forUs = iface.isLoopback || this.host.isLocalAddress(IpAddress.v4(ip.dst)) || iface.isIpv4Broadcast(ip.dst) || ip.dst === ALL_HOSTS;
    if (!forUs && !(iface.acceptAnyDestination && isRelayed(ip.protocol) && !toGroup)) {
      // Not a router (RFC 1122 §3.3.1.1: hosts SHOULD NOT forward by default). TTL is only
      // decremented and checked on forwarding (RFC 1812 §5.3.1), which we never do.
      c.add('ipv4', 'InAddrErrors');
      c.drop('ipv4', 'ipv4-not-for-us');
      return;
    }
    let payload = ip.payload;
    let header = bytes.subarray(0, IPV4_MIN_HEADER_LEN + ip.options.length);
    let vouched = checksumVouched;
    if (ip.moreFragments || ip.fragmentOffset !== 0) {
      vouched = false;
      c.add('ipv4', 'ReasmReqds');
      const key = `${ip.src}>${ip.dst}/${ip.protocol}#${ip.identification}`;
      const first: FirstFragment | null = ip.fragmentOffset === 0
        ? { header: Uint8Array.from(header), data8: Uint8Array.from(payload.subarray(0, 8)), src: ip.src, dst: ip.dst, protocol: ip.protocol }
        : null;
      const r = this.reassembly.insert(key, ip.fragmentOffset, ip.moreFragments, payload, first, now);
      if (r === null) return;
      if (isDrop(r)) {
        c.add('ipv4', 'ReasmFails');
        c.drop('ipv4', r);
        return;
      }
      c.add('ipv4', 'ReasmOKs');
      payload = r.payload;
      header = wholeHeader(ip, r.payload.length);
    }
    this.deliver(iface, ip, header, payload, toGroup, now, vouched);
  }

  private deliver(iface: NetInterface, ip: Ipv4Repr, header: Uint8Array, payload: Uint8Array, toGroup: boolean, now: number, checksumVouched: boolean): void {
    const c = this.host.counters;
    c.add('ipv4', 'InDelivers');
    if (ip.protocol === IpProtocol.ICMP) {
      icmpv4Input(this.host, this.echo, { src: ip.src, dst: ip.dst, toGroup }, payload, now);
      return;
    }
    const result = this.host.deliver(ip.protocol, IpAddress.v4(ip.src), IpAddress.v4(ip.dst), payload, iface, now, checksumVouched);
    if (result === 'delivered') return;
    const off: OffendingDatagram = { header, data: payload, src: ip.src, dst: ip.dst, protocol: ip.protocol, fragmentOffset: 0, toGroup };
    if (result === 'protocol-unreachable') {
      c.add('ipv4', 'InUnknownProtos');
      c.drop('ipv4', 'ipv4-unknown-protocol');
      sendIcmpv4Error(this.host, off, 'destination-unreachable', Icmpv4UnreachableCode.ProtocolUnreachable, now);
    } else {
      log('port unreachable from %s', formatIpv4(ip.src));
      sendIcmpv4Error(this.host, off, 'destination-unreachable', Icmpv4UnreachableCode.PortUnreachable, now);
    }
  }

  /** Expires reassembly; RFC 792 "fragment reassembly time exceeded" when the first fragment came. */
  poll(now: number): void {
    for (const e of this.reassembly.poll(now)) {
      this.host.counters.add('ipv4', 'ReasmFails');
      this.host.counters.drop('ipv4', 'ipv4-frag-timeout');
      const f = e.first;
      if (f === null) continue;
      sendIcmpv4Error(
        this.host,
        { header: f.header, data: f.data8, src: f.src, dst: f.dst, protocol: f.protocol, fragmentOffset: 0, toGroup: f.dst >>> 28 === 0xe },
        'time-exceeded',
        Icmpv4TimeExceededCode.FragmentReassembly,
        now,
      );
    }
  }

  nextDeadline(): number {
    return this.reassembly.nextDeadline();
  }
}

/** The header of the reassembled datagram (no options), as ICMP errors quote it. */
function wholeHeader(ip: Ipv4Repr, dataLen: number): Uint8Array {
  const b = new Uint8Array(IPV4_MIN_HEADER_LEN);
  emitIpv4({ ...ip, moreFragments: false, fragmentOffset: 0, options: EMPTY, payload: EMPTY }, b);
  const total = IPV4_MIN_HEADER_LEN + dataLen;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  b[10] = 0;
  b[11] = 0;
  const ck = internetChecksum(b);
  b[10] = ck >> 8;
  b[11] = ck & 0xff;
  return b;
}

const EMPTY = new Uint8Array(0);

/** Transports an `acceptAnyDestination` interface takes for foreign addresses. */
function isRelayed(protocol: number): boolean {
  return protocol === IpProtocol.TCP || protocol === IpProtocol.UDP;
}
