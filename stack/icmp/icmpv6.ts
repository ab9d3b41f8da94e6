/**
 * ICMPv6 (RFC 4443): echo replies, destination unreachable and parameter problem generated with
 * rate limiting (§2.4 (f)), received errors handed to the transport (packet too big lowers the
 * path MTU, RFC 8201), and NDP messages passed to `ndp/ndp.ts`.
 */

import createDebug from 'debug';
import { emitIcmpv6, icmpv6Len, parseIcmpv6, Icmpv6UnreachableCode, type Icmpv6Repr } from '../wire/icmpv6';
import { walkIpv6Extensions } from '../wire/ipv6-ext';
import { IPV6_HEADER_LEN } from '../wire/ipv6';
import { pseudoHeaderSumV6 } from '../wire/checksum';
import { IpProtocol } from '../wire/ip-protocol';
import { IpAddress, type MacAddress } from '../wire/address';
import { isDrop } from '../wire/drop';
import type { NetHost, SendError, TransportError } from '../ip/host';
import type { NetInterface } from '../iface/interface';
import { sendIpv6, selectSource } from '../ipv6/output';
import { ndpInput } from '../ndp/ndp';
import { mldInput } from '../mld/mld';
import { isMldType } from '../wire/mld';
import type { EchoSink } from './icmpv4';

const log = createDebug('usernet:icmp');

/** RFC 4443 §2.4 (c): an error message must not exceed the minimum IPv6 MTU. */
export const ICMPV6_ERROR_MAX_LEN = 1280;

export interface Icmpv6Context {
  iface: NetInterface;
  src: IpAddress;
  dst: IpAddress;
  hopLimit: number;
  /** The Ethernet source of the frame (for NDP's link-layer checks), when there was one. */
  linkSrc?: MacAddress;
  /** The value of the packet's Router Alert option (RFC 2711), when it had one (MLD checks it). */
  routerAlert?: number;
}

/** Handles one ICMPv6 message (the reassembled upper-layer payload). */
export function icmpv6Input(host: NetHost, echo: EchoSink, ctx: Icmpv6Context, payload: Uint8Array, now: number): void {
  const c = host.counters;
  const m = parseIcmpv6(payload, pseudoHeaderSumV6(ctx.src.bytes, ctx.dst.bytes, IpProtocol.ICMPv6, payload.length));
  if (isDrop(m)) {
    c.drop('icmpv6', m);
    return;
  }
  c.add('icmpv6', 'InMsgs');
  switch (m.kind) {
    case 'echo-request': {
      c.add('icmpv6', 'InEchos');
      // Replies to multicast echo come from a unicast address of the interface (RFC 4443 §4.2).
      const src = ctx.dst.isMulticast() ? selectSource(ctx.iface, ctx.src) : ctx.dst;
      if (src === null) return;
      sendIcmpv6(host, src, ctx.src, { kind: 'echo-reply', identifier: m.identifier, sequence: m.sequence, data: m.data }, now);
      c.add('icmpv6', 'OutEchoReplies');
      return;
    }
    case 'echo-reply':
      c.add('icmpv6', 'InEchoReplies');
      echo.echoReply({ from: ctx.src, identifier: m.identifier, sequence: m.sequence, data: Uint8Array.from(m.data), at: now });
      return;
    case 'destination-unreachable':
      c.add('icmpv6', 'InDestUnreachs');
      errorToTransport(host, m.invoking, unreachableKind(m.code), now);
      return;
    case 'packet-too-big':
      c.add('icmpv6', 'InPktTooBigs');
      errorToTransport(host, m.invoking, 'packet-too-big', now, m.mtu);
      return;
    case 'time-exceeded':
      c.add('icmpv6', 'InTimeExcds');
      errorToTransport(host, m.invoking, 'time-exceeded', now);
      return;
    case 'parameter-problem':
      c.add('icmpv6', 'InParmProblems');
      return;
    case 'other':
      if (isMldType(m.type)) return mldInput(host, ctx, payload, now);
      c.add('icmpv6', 'InOther');
      return;
    default:
      ndpInput(host, ctx, m, now);
  }
}

function unreachableKind(code: number): TransportError['kind'] {
  switch (code) {
    case Icmpv6UnreachableCode.NoRoute:
      return 'net-unreachable';
    case Icmpv6UnreachableCode.AdminProhibited:
    case Icmpv6UnreachableCode.SourcePolicyFailed:
    case Icmpv6UnreachableCode.RejectRoute:
      return 'admin-prohibited';
    case Icmpv6UnreachableCode.PortUnreachable:
      return 'port-unreachable';
    default:
      return 'host-unreachable';
  }
}

/** Finds the transport header in the quoted packet (walking its extension headers). */
function errorToTransport(host: NetHost, invoking: Uint8Array, kind: TransportError['kind'], now: number, mtu?: number): void {
  if (invoking.length < IPV6_HEADER_LEN || invoking[0]! >> 4 !== 6) return void host.counters.drop('icmpv6', 'icmpv6-bad-quote');
  const local = IpAddress.v6(invoking.subarray(8, 24));
  const remote = IpAddress.v6(invoking.subarray(24, 40));
  if (!host.isLocalAddress(local)) return void host.counters.drop('icmpv6', 'icmpv6-quote-not-ours');
  if (kind === 'packet-too-big' && mtu !== undefined) {
    const r = host.routes.lookup(remote);
    const linkMtu = r !== null ? host.interfaces[r.iface]!.mtu : 1500;
    mtu = host.pmtu.lower(remote, mtu, linkMtu, now);
    log('path MTU to %s is now %d', remote.toString(), mtu);
  }
  const chain = walkIpv6Extensions(invoking, invoking[6]!, IPV6_HEADER_LEN, invoking.length);
  if (isDrop(chain) || invoking.length < chain.upperLayerOffset + 8) {
    // Quote too short to name a connection: only the PMTU could be learned.
    return;
  }
  const err: TransportError = { kind, protocol: chain.upperLayerProtocol, local, remote, quoted: invoking.subarray(chain.upperLayerOffset) };
  if (mtu !== undefined) err.mtu = mtu;
  host.transportError(err, now);
}

/** Emits and sends an ICMPv6 message. */
export function sendIcmpv6(host: NetHost, src: IpAddress, dst: IpAddress, m: Icmpv6Repr, now: number, opts: { iface?: NetInterface; hopLimit?: number } = {}): SendError | null {
  const len = icmpv6Len(m);
  const b = new Uint8Array(len);
  emitIcmpv6(m, b, pseudoHeaderSumV6(src.bytes, dst.bytes, IpProtocol.ICMPv6, len));
  host.counters.add('icmpv6', 'OutMsgs');
  const d: Parameters<typeof sendIpv6>[1] = { src, dst, nextHeader: IpProtocol.ICMPv6, payload: b };
  if (opts.iface !== undefined) d.iface = opts.iface;
  if (opts.hopLimit !== undefined) d.hopLimit = opts.hopLimit;
  return sendIpv6(host, d, now);
}

/**
 * Sends an ICMPv6 error about `packet` (the whole offending IPv6 packet), unless RFC 4443 §2.4 (e)
 * forbids it: not about an ICMPv6 error, not from an unspecified or multicast source, not about a
 * packet to a multicast address (except Packet Too Big and Parameter Problem code 2), and not
 * faster than the token bucket allows (§2.4 (f)).
 */
export function sendIcmpv6Error(
  host: NetHost,
  iface: NetInterface,
  packet: Uint8Array,
  m: { kind: 'destination-unreachable' | 'time-exceeded'; code: number } | { kind: 'parameter-problem'; code: number; pointer: number },
  upperProtocol: number,
  upperFirstByte: number | undefined,
  now: number,
): boolean {
  if (packet.length < IPV6_HEADER_LEN) return false;
  const src = IpAddress.v6(packet.subarray(8, 24));
  const dst = IpAddress.v6(packet.subarray(24, 40));
  if (src.isUnspecified() || src.isMulticast()) return false;
  if (dst.isMulticast() && !(m.kind === 'parameter-problem' && m.code === 2)) return false;
  if (upperProtocol === IpProtocol.ICMPv6 && upperFirstByte !== undefined && upperFirstByte < 128) return false;
  if (!host.icmpErrorLimit6.take(now)) {
    host.counters.add('icmpv6', 'OutRateLimited');
    return false;
  }
  const from = dst.isMulticast() ? selectSource(iface, src) : dst;
  if (from === null) return false;
  const invoking = packet.subarray(0, Math.min(packet.length, ICMPV6_ERROR_MAX_LEN - IPV6_HEADER_LEN - 8));
  const repr: Icmpv6Repr = m.kind === 'parameter-problem'
    ? { kind: 'parameter-problem', code: m.code, pointer: m.pointer, invoking }
    : { kind: m.kind, code: m.code, invoking };
  host.counters.add('icmpv6', m.kind === 'destination-unreachable' ? 'OutDestUnreachs' : m.kind === 'time-exceeded' ? 'OutTimeExcds' : 'OutParmProblems');
  sendIcmpv6(host, from, src, repr, now);
  return true;
}

export { Icmpv6UnreachableCode };
