/**
 * IPv6 input (RFC 8200): validate the fixed header and the extension-header chain, honour the
 * action bits of unrecognised Hop-by-Hop/Destination options (§4.2), reassemble fragments
 * (§4.5, overlaps discard the datagram per RFC 5722), and hand the payload to ICMPv6 or the
 * transport demultiplexer, answering with ICMPv6 errors when nobody takes it. A packet whose
 * TCP/UDP checksum the link vouched for (receive offload) is delivered with that mark, unless it
 * came in fragments.
 */

import createDebug from 'debug';
import { parseIpv6, IPV6_HEADER_LEN, type Ipv6Repr } from '../wire/ipv6';
import { firstUnrecognizedOption, walkIpv6Extensions, type Ipv6ExtHeader } from '../wire/ipv6-ext';
import { routerAlertValue } from '../wire/mld';
import { IpProtocol } from '../wire/ip-protocol';
import { Icmpv6ParameterProblemCode } from '../wire/icmpv6';
import { IpAddress, type MacAddress } from '../wire/address';
import { isDrop } from '../wire/drop';
import { Reassembler } from '../ip/reassembly';
import type { NetHost } from '../ip/host';
import type { NetInterface } from '../iface/interface';
import { icmpv6Input, sendIcmpv6Error, Icmpv6UnreachableCode, type Icmpv6Context } from '../icmp/icmpv6';
import type { EchoSink } from '../icmp/icmpv4';

const log = createDebug('usernet:ip');

/** RFC 8200 §4.5: "If insufficient fragments are received to complete reassembly … within 60 seconds". */
export const IPV6_REASSEMBLY_TIMEOUT_MS = 60_000;

/** Offset of the fixed header's Next Header field. */
const NEXT_HEADER_FIELD = 6;

const NO_KNOWN_OPTIONS = (): boolean => false;

/** The Router Alert value of the Hop-by-Hop header (always first, RFC 8200 §4.3), if any. */
function routerAlert(packet: Uint8Array, extensions: readonly Ipv6ExtHeader[]): number | null {
  const first = extensions[0];
  return first !== undefined && first.type === 0 ? routerAlertValue(packet, first) : null;
}

/** The first fragment's unfragmentable part, kept for ICMPv6 time exceeded (RFC 8200 §4.5). */
interface FirstFragment {
  packet: Uint8Array;
  iface: NetInterface;
}

export class Ipv6Input {
  readonly reassembly = new Reassembler<FirstFragment>('ipv6', IPV6_REASSEMBLY_TIMEOUT_MS);

  constructor(
    private readonly host: NetHost,
    private readonly echo: EchoSink,
  ) {}

  /**
   * One IPv6 packet (a view into the frame, valid only during this call). `checksumVouched`: the
   * link vouches for its TCP/UDP checksum (receive offload).
   */
  input(iface: NetInterface, bytes: Uint8Array, now: number, linkSrc?: MacAddress, checksumVouched = false): void {
    const c = this.host.counters;
    c.add('ipv6', 'InReceives');
    const ip = parseIpv6(bytes);
    if (isDrop(ip)) {
      c.drop('ipv6', ip);
      return;
    }
    const src = IpAddress.v6(ip.src);
    const dst = IpAddress.v6(ip.dst);
    // RFC 4291 §2.7: a multicast source is invalid; ::1 only on loopback (§2.5.3).
    if (src.isMulticast() || (!iface.isLoopback && (src.isLoopback() || dst.isLoopback()))) {
      c.drop('ipv6', 'ipv6-bad-address');
      return;
    }
    const forUs = iface.isLoopback || iface.hasIpv6(dst) || this.host.isLocalAddress(dst) || (dst.isMulticast() && this.joined(iface, dst));
    // Namespace mode (`acceptAnyDestination`): TCP and UDP for any unicast destination.
    const relayed = ip.upperLayerProtocol === IpProtocol.TCP || ip.upperLayerProtocol === IpProtocol.UDP;
    if (!forUs && !(iface.acceptAnyDestination && relayed && !dst.isMulticast())) {
      c.add('ipv6', 'InAddrErrors');
      c.drop('ipv6', 'ipv6-not-for-us');
      return;
    }
    // RFC 8200 §4.2/§4.4: options we do not know, and routing headers with segments left.
    for (const ext of ip.extensions) {
      if (ext.type === 0 || ext.type === 60) {
        const u = firstUnrecognizedOption(bytes, ext, NO_KNOWN_OPTIONS);
        if (u === null) continue;
        if (isDrop(u)) return void c.drop('ipv6', u);
        c.drop('ipv6', 'ipv6-unrecognized-option');
        if (u.action === 2 || (u.action === 3 && !dst.isMulticast())) {
          sendIcmpv6Error(this.host, iface, bytes.subarray(0, IPV6_HEADER_LEN + ip.payload.length), { kind: 'parameter-problem', code: Icmpv6ParameterProblemCode.UnrecognizedOption, pointer: u.pointer }, IpProtocol.HopByHop, undefined, now);
        }
        return;
      }
      if (ext.type === 43 && ext.segmentsLeft > 0) {
        c.drop('ipv6', 'ipv6-routing-header'); // we are not a router
        return;
      }
    }
    if (ip.fragment !== undefined) {
      this.fragment(iface, bytes, ip, src, dst, now, linkSrc);
      return;
    }
    const nhPointer = ip.extensions.length === 0 ? NEXT_HEADER_FIELD : ip.extensions[ip.extensions.length - 1]!.offset;
    this.deliver(iface, bytes.subarray(0, IPV6_HEADER_LEN + ip.payload.length), ip.upperLayerProtocol, ip.upperLayerPayload, nhPointer, ip.hopLimit, src, dst, now, linkSrc, routerAlert(bytes, ip.extensions), checksumVouched);
  }

  private fragment(iface: NetInterface, bytes: Uint8Array, ip: Ipv6Repr, src: IpAddress, dst: IpAddress, now: number, linkSrc?: MacAddress): void {
    const c = this.host.counters;
    const f = ip.fragment!;
    const end = IPV6_HEADER_LEN + ip.payload.length;
    const data = bytes.subarray(f.offset + f.length, end);
    c.add('ipv6', 'ReasmReqds');
    const key = `${src.key}>${dst.key}#${f.identification}`;
    const first = f.fragmentOffset === 0 ? { packet: Uint8Array.from(bytes.subarray(0, end)), iface } : null;
    // RFC 8200 §4.5: an atomic fragment (offset 0, M clear) is processed on its own.
    const r = f.fragmentOffset === 0 && !f.moreFragments
      ? { payload: data, first: first! }
      : this.reassembly.insert(key, f.fragmentOffset, f.moreFragments, data, first, now);
    if (r === null) return;
    if (isDrop(r)) {
      c.add('ipv6', 'ReasmFails');
      c.drop('ipv6', r);
      return;
    }
    c.add('ipv6', 'ReasmOKs');
    // Headers after the Fragment header belong to the fragmentable part: walk them now.
    const chain = walkIpv6Extensions(r.payload, f.nextHeader, 0, r.payload.length);
    if (isDrop(chain)) return void c.drop('ipv6', chain);
    if (chain.extensions.some((e: Ipv6ExtHeader) => e.type === 44)) return void c.drop('ipv6', 'ipv6-nested-fragment');
    this.deliver(iface, r.first.packet, chain.upperLayerProtocol, r.payload.subarray(chain.upperLayerOffset), f.offset, ip.hopLimit, src, dst, now, linkSrc, routerAlert(bytes, ip.extensions));
  }

  /**
   * `packet` is the (first fragment of the) offending packet for ICMPv6 errors; `nhPointer` is
   * the offset in it of the Next Header field that named `protocol` (the ICMP pointer).
   */
  private deliver(
    iface: NetInterface, packet: Uint8Array, protocol: number, payload: Uint8Array, nhPointer: number,
    hopLimit: number, src: IpAddress, dst: IpAddress, now: number, linkSrc?: MacAddress, alert: number | null = null,
    checksumVouched = false,
  ): void {
    const c = this.host.counters;
    c.add('ipv6', 'InDelivers');
    if (protocol === IpProtocol.ICMPv6) {
      const ctx: Icmpv6Context = { iface, src, dst, hopLimit };
      if (linkSrc !== undefined) ctx.linkSrc = linkSrc;
      if (alert !== null) ctx.routerAlert = alert;
      icmpv6Input(this.host, this.echo, ctx, payload, now);
      return;
    }
    if (protocol === IpProtocol.IPv6NoNxt) return;
    const result = this.host.deliver(protocol, src, dst, payload, iface, now, checksumVouched);
    if (result === 'delivered') return;
    if (result === 'protocol-unreachable') {
      c.add('ipv6', 'InUnknownProtos');
      c.drop('ipv6', 'ipv6-unknown-next-header');
      // RFC 8200 §4: Parameter Problem code 1 pointing at the Next Header field that named it.
      sendIcmpv6Error(this.host, iface, packet, { kind: 'parameter-problem', code: Icmpv6ParameterProblemCode.UnrecognizedNextHeader, pointer: nhPointer }, protocol, undefined, now);
    } else {
      log('port unreachable from %s', src.toString());
      sendIcmpv6Error(this.host, iface, packet, { kind: 'destination-unreachable', code: Icmpv6UnreachableCode.PortUnreachable }, protocol, undefined, now);
    }
  }

  /** All-nodes (ff02::1, ff01::1) and the solicited-node groups of our addresses (tentative too). */
  private joined(iface: NetInterface, g: IpAddress): boolean {
    const b = g.bytes;
    const scopeOk = b[1] === 0x02 || b[1] === 0x01;
    if (!scopeOk) return false;
    const allNodes = b.subarray(2, 15).every((x) => x === 0) && b[15] === 1;
    if (allNodes) return true;
    const solicited = b[1] === 0x02 && b.subarray(2, 11).every((x) => x === 0) && b[11] === 1 && b[12] === 0xff;
    return solicited && iface.ipv6.some((a) => a.address.bytes[13] === b[13] && a.address.bytes[14] === b[14] && a.address.bytes[15] === b[15]);
  }

  /** Expires reassembly; ICMPv6 time exceeded code 1 when the first fragment came (§4.5). */
  poll(now: number): void {
    for (const e of this.reassembly.poll(now)) {
      this.host.counters.add('ipv6', 'ReasmFails');
      this.host.counters.drop('ipv6', 'ipv6-frag-timeout');
      if (e.first !== null) {
        sendIcmpv6Error(this.host, e.first.iface, e.first.packet, { kind: 'time-exceeded', code: 1 }, IpProtocol.IPv6Frag, undefined, now);
      }
    }
  }

  nextDeadline(): number {
    return this.reassembly.nextDeadline();
  }
}
