/**
 * UDP (RFC 768) demultiplexing: datagrams to bound ports go to their handler, the rest get
 * ICMP port unreachable (RFC 1122 §4.1.3.1) from the IP layer. This is the minimal hook the
 * stack offers for UDP (DNS relays, tests); there is no socket API on it.
 *
 * Namespace mode: on interfaces with `acceptAnyDestination`, datagrams for foreign addresses
 * (and local ones no port binding takes) go to the family's catch-all (`bindAny`), which sees
 * the original destination — the UDP counterpart of terminating every TCP connection.
 */

import createDebug from 'debug';
import { parseUdp, emitUdp, udpLen } from './wire/udp';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from './wire/checksum';
import { IpProtocol } from './wire/ip-protocol';
import { isDrop } from './wire/drop';
import type { IpAddress } from './wire/address';
import type { DeliveryResult, NetHost, SendError } from './ip/host';
import type { NetInterface } from './iface/interface';

const log = createDebug('usernet:ip');

/** Ports bound at once; a handful are used in practice. */
export const UDP_MAX_BINDINGS = 1024;

export interface UdpDatagram {
  readonly src: IpAddress;
  readonly srcPort: number;
  readonly dst: IpAddress;
  readonly dstPort: number;
  /** A copy: the handler owns it. */
  readonly payload: Uint8Array;
}

/** Called synchronously from `Stack.input`; it must not throw (exceptions are caught and counted). */
export type UdpHandler = (d: UdpDatagram, now: number) => void;

/**
 * A catch-all's handler: true when it took the datagram, false to refuse it (the sender then
 * gets ICMP port unreachable, from the address it wrote to). Called synchronously from
 * `Stack.input`; it must not throw.
 */
export type UdpCatchAllHandler = (d: UdpDatagram, now: number) => boolean;

/** The catch-all of one family (`UdpTable.bindAny`). */
export interface UdpCatchAll {
  readonly family: 4 | 6;
  close(): void;
}

export interface UdpBinding {
  readonly port: number;
  /** null: every local address. */
  readonly address: IpAddress | null;
  close(): void;
}

export class UdpTable {
  private readonly bindings = new Map<number, { address: IpAddress | null; handler: UdpHandler }[]>();
  private count = 0;
  private readonly catchAll = new Map<4 | 6, UdpCatchAllHandler>();

  /**
   * Takes the datagrams of `family` that arrive on an `acceptAnyDestination` interface for a
   * foreign unicast address, or for a local one with no port binding. One per family; a second
   * throws EADDRINUSE.
   */
  bindAny(family: 4 | 6, handler: UdpCatchAllHandler): UdpCatchAll {
    if (family !== 4 && family !== 6) throw new TypeError(`family must be 4 or 6, got ${String(family)}`);
    if (typeof handler !== 'function') throw new TypeError('UDP handler must be a function');
    if (this.catchAll.has(family)) throw Object.assign(new Error(`bind EADDRINUSE: a UDP catch-all for IPv${family} exists`), { code: 'EADDRINUSE' });
    this.catchAll.set(family, handler);
    return {
      family,
      close: () => {
        if (this.catchAll.get(family) === handler) this.catchAll.delete(family);
      },
    };
  }

  /** Binds `port` (1–65535) on `address` or all addresses; throws on a port already bound. */
  bind(port: number, handler: UdpHandler, address: IpAddress | null = null): UdpBinding {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`UDP port must be 1–65535, got ${port}`);
    if (typeof handler !== 'function') throw new TypeError('UDP handler must be a function');
    if (this.count >= UDP_MAX_BINDINGS) throw new RangeError(`at most ${UDP_MAX_BINDINGS} UDP bindings`);
    const list = this.bindings.get(port) ?? [];
    if (list.some((b) => b.address === null || address === null || b.address.equals(address))) {
      throw Object.assign(new Error(`bind EADDRINUSE ${address ?? '*'}:${port}`), { code: 'EADDRINUSE' });
    }
    const entry = { address, handler };
    list.push(entry);
    this.bindings.set(port, list);
    this.count++;
    return {
      port,
      address,
      close: () => {
        const l = this.bindings.get(port);
        const i = l?.indexOf(entry) ?? -1;
        if (l === undefined || i < 0) return;
        l.splice(i, 1);
        this.count--;
        if (l.length === 0) this.bindings.delete(port);
      },
    };
  }

  /**
   * A datagram (the IP payload, a view) from `src` to `dst` that arrived on `iface`; verifies
   * the checksum unless the link vouched for it (`checksumVouched`, receive offload: the field
   * may hold only the pseudo-header sum). Port bindings see only datagrams for our own addresses.
   */
  input(host: NetHost, src: IpAddress, dst: IpAddress, payload: Uint8Array, now: number, iface?: NetInterface, checksumVouched = false): DeliveryResult {
    const c = host.counters;
    const v6 = src.family === 6;
    const pseudo = checksumVouched
      ? undefined
      : v6
        ? pseudoHeaderSumV6(src.bytes, dst.bytes, IpProtocol.UDP, payload.length)
        : pseudoHeaderSumV4(src.v4, dst.v4, IpProtocol.UDP, payload.length);
    const d = parseUdp(payload, pseudo, v6);
    if (isDrop(d)) {
      c.add('udp', 'InErrors');
      c.drop('udp', d);
      return 'delivered'; // a corrupt datagram gets no ICMP answer
    }
    const group = dst.isMulticast() || (dst.family === 4 && iface !== undefined && iface.isIpv4Broadcast(dst.v4));
    const anyDestination = iface?.acceptAnyDestination === true && !group;
    // A foreign address (only an acceptAnyDestination interface delivers one) is never a port binding's.
    const foreign = anyDestination && !host.isLocalAddress(dst);
    const b = foreign ? undefined : this.bindings.get(d.dstPort)?.find((x) => x.address === null || x.address.equals(dst));
    const any = anyDestination ? this.catchAll.get(dst.family) : undefined;
    if (b === undefined && any === undefined) {
      c.add('udp', 'NoPorts');
      return group ? 'delivered' : 'port-unreachable';
    }
    // Ownership moves here: the handler keeps a copy, the frame's bytes go back to the driver.
    const datagram: UdpDatagram = { src, srcPort: d.srcPort, dst, dstPort: d.dstPort, payload: Uint8Array.from(d.payload) };
    try {
      if (b !== undefined) b.handler(datagram, now);
      else if (!any!(datagram, now)) {
        c.add('udp', 'NoPorts');
        return 'port-unreachable';
      }
    } catch (e) {
      c.drop('udp', 'udp-handler-threw');
      log('UDP handler for port %d threw: %O', d.dstPort, e);
    }
    c.add('udp', 'InDatagrams');
    return 'delivered';
  }
}

export interface UdpSend {
  /**
   * Chosen by routing when absent. Any address is sent as given, also one that is not ours:
   * namespace mode answers from the foreign address a catch-all datagram was sent to.
   */
  src?: IpAddress;
  srcPort: number;
  dst: IpAddress;
  dstPort: number;
  payload: Uint8Array;
}

/** Builds and sends one datagram; returns null or why it could not be sent. */
export function sendUdp(host: NetHost, s: UdpSend, now: number): SendError | null {
  for (const p of [s.srcPort, s.dstPort]) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`UDP port must be 0–65535, got ${p}`);
  }
  const src = s.src ?? host.sourceFor(s.dst, now);
  if (typeof src === 'string') return src;
  if (src.family !== s.dst.family) throw new TypeError(`source ${src} and destination ${s.dst} differ in family`);
  const repr = { srcPort: s.srcPort, dstPort: s.dstPort, payload: s.payload };
  const len = udpLen(repr);
  if (len > 0xffff) return 'too-big';
  const v6 = src.family === 6;
  const pseudo = v6 ? pseudoHeaderSumV6(src.bytes, s.dst.bytes, IpProtocol.UDP, len) : pseudoHeaderSumV4(src.v4, s.dst.v4, IpProtocol.UDP, len);
  const b = new Uint8Array(len);
  emitUdp(repr, b, pseudo, v6);
  host.counters.add('udp', 'OutDatagrams');
  return host.sendIp(src, s.dst, IpProtocol.UDP, b, now);
}
