/**
 * ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo replies, destination unreachable generated for
 * unknown protocols and closed ports (rate limited), received errors handed to the transport
 * they concern, and "fragmentation needed" lowering the path MTU (RFC 1191).
 */

import createDebug from 'debug';
import { emitIcmpv4, icmpv4Len, parseIcmpv4, Icmpv4UnreachableCode, Icmpv4TimeExceededCode, type Icmpv4Repr } from '../wire/icmpv4';
import { IpProtocol } from '../wire/ip-protocol';
import { IpAddress, formatIpv4, readIpv4, type Ipv4Address } from '../wire/address';
import { isDrop } from '../wire/drop';
import type { NetHost, SendError, TransportError } from '../ip/host';
import { sendIpv4 } from '../ipv4/output';

const log = createDebug('usernet:icmp');

/** RFC 1812 §4.3.2.3: an error quotes as much of the offending datagram as fits in 576 bytes. */
export const ICMPV4_ERROR_MAX_LEN = 576;

/** An echo reply received for one of our echo requests. */
export interface EchoReply {
  readonly from: IpAddress;
  readonly identifier: number;
  readonly sequence: number;
  /** A copy of the data: owned by the receiver. */
  readonly data: Uint8Array;
  readonly at: number;
}

export interface EchoSink {
  echoReply(reply: EchoReply): void;
}

export interface Icmpv4Context {
  src: Ipv4Address;
  dst: Ipv4Address;
  /** The datagram was sent to a broadcast or multicast address. */
  toGroup: boolean;
}

/** Handles one ICMP message (the reassembled IPv4 payload). */
export function icmpv4Input(host: NetHost, echo: EchoSink, ctx: Icmpv4Context, payload: Uint8Array, now: number): void {
  const c = host.counters;
  const m = parseIcmpv4(payload);
  if (isDrop(m)) {
    c.drop('icmp', m);
    return;
  }
  c.add('icmp', 'InMsgs');
  switch (m.kind) {
    case 'echo-request':
      c.add('icmp', 'InEchos');
      if (ctx.toGroup) {
        c.drop('icmp', 'icmp-echo-to-broadcast'); // Linux icmp_echo_ignore_broadcasts=1 (RFC 1122 §3.2.2.6 MAY)
        return;
      }
      sendIcmpv4(host, ctx.dst, ctx.src, { kind: 'echo-reply', identifier: m.identifier, sequence: m.sequence, data: m.data }, now);
      c.add('icmp', 'OutEchoReps');
      return;
    case 'echo-reply':
      c.add('icmp', 'InEchoReps');
      echo.echoReply({ from: IpAddress.v4(ctx.src), identifier: m.identifier, sequence: m.sequence, data: Uint8Array.from(m.data), at: now });
      return;
    case 'destination-unreachable':
      c.add('icmp', 'InDestUnreachs');
      errorToTransport(host, m.invoking, unreachableKind(m.code), now, m.code === Icmpv4UnreachableCode.FragmentationNeeded ? m.nextHopMtu : undefined);
      return;
    case 'time-exceeded':
      c.add('icmp', 'InTimeExcds');
      errorToTransport(host, m.invoking, 'time-exceeded', now);
      return;
    case 'parameter-problem':
      c.add('icmp', 'InParmProbs');
      return;
    default:
      c.add('icmp', 'InOther');
  }
}

function unreachableKind(code: number): TransportError['kind'] {
  switch (code) {
    case Icmpv4UnreachableCode.NetUnreachable:
    case Icmpv4UnreachableCode.NetUnknown:
      return 'net-unreachable';
    case Icmpv4UnreachableCode.ProtocolUnreachable:
      return 'protocol-unreachable';
    case Icmpv4UnreachableCode.PortUnreachable:
      return 'port-unreachable';
    case Icmpv4UnreachableCode.FragmentationNeeded:
      return 'packet-too-big';
    case Icmpv4UnreachableCode.AdminProhibited:
    case Icmpv4UnreachableCode.NetProhibited:
    case Icmpv4UnreachableCode.HostProhibited:
      return 'admin-prohibited';
    default:
      return 'host-unreachable';
  }
}

/**
 * RFC 1122 §3.2.2: "the transport layer MUST use the information … to identify the connection";
 * the quoted IP header must be one we sent (source is ours) and carry 8 bytes of transport.
 */
function errorToTransport(host: NetHost, invoking: Uint8Array, kind: TransportError['kind'], now: number, mtu?: number): void {
  if (invoking.length < 20 || invoking[0]! >> 4 !== 4) return void host.counters.drop('icmp', 'icmp-bad-quote');
  const hl = (invoking[0]! & 0x0f) * 4;
  if (hl < 20 || invoking.length < hl + 8) return void host.counters.drop('icmp', 'icmp-bad-quote');
  const local = IpAddress.v4(readIpv4(invoking, 12));
  const remote = IpAddress.v4(readIpv4(invoking, 16));
  if (!host.isLocalAddress(local)) return void host.counters.drop('icmp', 'icmp-quote-not-ours');
  const err: TransportError = { kind, protocol: invoking[9]!, local, remote, quoted: invoking.subarray(hl) };
  if (kind === 'packet-too-big') {
    // RFC 1191 §5: an old router sends 0; fall back to the plateau below the quoted length.
    const quotedLen = (invoking[2]! << 8) | invoking[3]!;
    const claimed = mtu !== undefined && mtu > 0 ? mtu : plateauBelow(quotedLen);
    const route = host.routes.lookup(remote);
    const linkMtu = route !== null ? host.interfaces[route.iface]!.mtu : 1500;
    err.mtu = host.pmtu.lower(remote, claimed, linkMtu, now);
    log('path MTU to %s is now %d', remote.toString(), err.mtu);
  }
  host.transportError(err, now);
}

/** RFC 1191 §7 table of common MTU plateaus. */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];
function plateauBelow(len: number): number {
  return PLATEAUS.find((p) => p < len) ?? 68;
}

/** Emits and sends an ICMP message from `src` to `dst`. */
export function sendIcmpv4(host: NetHost, src: Ipv4Address, dst: Ipv4Address, m: Icmpv4Repr, now: number): SendError | null {
  const b = new Uint8Array(icmpv4Len(m));
  emitIcmpv4(m, b);
  host.counters.add('icmp', 'OutMsgs');
  return sendIpv4(host, { src, dst, protocol: IpProtocol.ICMP, payload: b }, now);
}

export interface OffendingDatagram {
  /** The offending packet's IPv4 header bytes (options included). */
  header: Uint8Array;
  /** Its data (reassembled when it was fragmented). */
  data: Uint8Array;
  src: Ipv4Address;
  dst: Ipv4Address;
  protocol: number;
  /** Fragment offset of the packet, 0 for a whole datagram. */
  fragmentOffset: number;
  toGroup: boolean;
}

/**
 * Sends an ICMP error about `off`, unless RFC 1122 §3.2.2 forbids it: never about an ICMP error,
 * a datagram to a broadcast or multicast address, a non-initial fragment, or a source that is not
 * a unicast host; and never faster than the token bucket allows (RFC 1812 §4.3.2.8).
 */
export function sendIcmpv4Error(
  host: NetHost,
  off: OffendingDatagram,
  type: 'destination-unreachable' | 'time-exceeded',
  code: number,
  now: number,
): boolean {
  const c = host.counters;
  if (off.toGroup || off.fragmentOffset !== 0) return false;
  if (off.src === 0 || off.src === 0xffffffff || off.src >>> 28 === 0xe) return false;
  if (off.protocol === IpProtocol.ICMP && off.data.length > 0 && isIcmpError(off.data[0]!)) return false;
  if (!host.icmpErrorLimit4.take(now)) {
    c.add('icmp', 'OutRateLimited');
    return false;
  }
  const room = ICMPV4_ERROR_MAX_LEN - 20 - 8 - off.header.length;
  const invoking = new Uint8Array(off.header.length + Math.min(off.data.length, room));
  invoking.set(off.header);
  invoking.set(off.data.subarray(0, invoking.length - off.header.length), off.header.length);
  const m: Icmpv4Repr = type === 'time-exceeded'
    ? { kind: 'time-exceeded', code, invoking }
    : { kind: 'destination-unreachable', code, nextHopMtu: 0, invoking };
  log('%s to %s (code %d)', type, formatIpv4(off.src), code);
  c.add('icmp', type === 'time-exceeded' ? 'OutTimeExcds' : 'OutDestUnreachs');
  sendIcmpv4(host, off.dst, off.src, m, now);
  return true;
}

/** Types that are errors (RFC 1122 §3.2.2: 3, 4, 5, 11, 12). */
function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export { Icmpv4TimeExceededCode, Icmpv4UnreachableCode };
