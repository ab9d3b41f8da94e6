/**
 * Where IP meets the TCP engine (`stack/tcp/engine.ts`): segments are checksum-verified against
 * the pseudo-header (RFC 9293 §3.1, MUST-2/3) and handed to `engine.input`; ICMP errors become
 * `engine.icmpError` (RFC 1122 §4.2.3.9); the engine's output is emitted (`emitTcp`) inside IP
 * packets. The engine's environment (random bits, path MTU, source selection) comes from here.
 */

import createDebug from 'debug';
import { parseTcp, emitTcp, tcpHeaderLen } from './wire/tcp';
import type { TcpRepr } from './wire/tcp';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from './wire/checksum';
import { IpProtocol } from './wire/ip-protocol';
import { isDrop } from './wire/drop';
import type { IpAddress } from './wire/address';
import type { RandomSource } from './random';
import type { DeliveryResult, NetHost, SendError, TransportError } from './ip/host';
import type { NetInterface } from './iface/interface';
import type { TcpEnvironment, TcpSegmentOut } from './tcp/host';
import type { TcpUnreachableOut } from './tcp/deferred';
import { sendTcpUnreachable } from './tcp-unreachable';
import { routeIpv4, sendIpv4, type Ipv4Path } from './ipv4/output';
import { routeIpv6, sendIpv6, type Ipv6Path } from './ipv6/output';
import { transportHeadroom } from './wire/payload';
import { IPV4_MIN_HEADER_LEN } from './wire/ipv4';
import { IPV6_HEADER_LEN } from './wire/ipv6';
import type { IcmpErrorReport } from './tcp/icmp-error';

const log = createDebug('usernet:ip');

/** An ICMP error as the engine's `icmpError` takes it. */
export type TcpIcmpError = IcmpErrorReport;
/** The ICMP error kinds the engine understands. */
export type TcpIcmpErrorKind = IcmpErrorReport['kind'];

/** The part of `TcpEngine` the network layer drives. */
export interface TcpEngineLike {
  /** `payloadOwned`: the segment's memory is the engine's to keep (see `TcpEngine.input`). */
  input(src: IpAddress, dst: IpAddress, seg: TcpRepr, now: number, payloadOwned: boolean): void;
  icmpError(err: TcpIcmpError, now: number): void;
  poll(now: number): void;
  nextDeadline(): number;
  takeOutput(): TcpSegmentOut[];
  /** Refused deferred SYNs to answer with ICMP unreachable (`stack/tcp/deferred.ts`). */
  takeUnreachables?(): TcpUnreachableOut[];
}

export type TcpEngineFactory<E extends TcpEngineLike> = (env: TcpEnvironment) => E;

export class TcpGlue<E extends TcpEngineLike = TcpEngineLike> {
  readonly engine: E;
  /** The latest time seen; the engine's environment calls carry no time of their own. */
  private now = 0;
  /** Bytes free in front of the segment `emit` returned last. */
  private headroom = 0;
  /**
   * The path toward one remote, remembered for the length of one call into the engine (a
   * segment's input, an ICMP error, a poll, a flush): the engine asks for it several times per
   * segment (MSS, TSO, a frame buffer), and nothing that changes a path — a route, an address,
   * a path MTU — can happen inside such a call. Outside them (a user's connect or write, which
   * call the engine directly) every question routes afresh. `memoRemote` null: nothing kept.
   */
  private memoOn = false;
  private memoRemote: IpAddress | null = null;
  private memoPath: Ipv4Path | Ipv6Path | SendError = 'no-route';

  constructor(
    private readonly host: NetHost,
    random: RandomSource,
    factory: TcpEngineFactory<E>,
  ) {
    const env: TcpEnvironment = {
      random32: () => random.next32(),
      mtuFor: (_local, remote) => this.mtuFor(remote),
      sourceAddressFor: (remote) => {
        const s = host.sourceFor(remote, this.now);
        return typeof s === 'string' ? null : s;
      },
      isLocalAddress: (a) => host.isLocalAddress(a),
      tcpSegmentationFor: (_local, remote) => this.tcpSegmentationFor(remote),
      frameBuffer: (remote, bytes) => this.frameBuffer(remote, bytes),
    };
    this.engine = factory(env);
  }

  /**
   * A segment (the IP payload, a view valid during this call) from `src` to `dst`. With
   * `checksumVouched` (receive offload) the link answers for the checksum, which may hold only
   * the pseudo-header sum: it is not verified.
   */
  input(src: IpAddress, dst: IpAddress, payload: Uint8Array, iface: NetInterface, now: number, checksumVouched = false): DeliveryResult {
    this.now = now;
    const c = this.host.counters;
    c.add('tcp', 'InSegs');
    if (dst.isMulticast() || (dst.family === 4 && dst.v4 === 0xffffffff)) {
      c.drop('tcp', 'tcp-to-group'); // RFC 9293 §3.9.1.2 is unicast only; RFC 1122 §4.2.3.10
      return 'delivered';
    }
    const pseudo = checksumVouched
      ? undefined
      : src.family === 4
        ? pseudoHeaderSumV4(src.v4, dst.v4, IpProtocol.TCP, payload.length)
        : pseudoHeaderSumV6(src.bytes, dst.bytes, IpProtocol.TCP, payload.length);
    const seg = parseTcp(payload, pseudo);
    if (isDrop(seg)) {
      c.add('tcp', 'InErrs');
      c.drop('tcp', seg);
      return 'delivered';
    }
    // The payload is a view into the driver's frame: the engine copies what it keeps, unless
    // the link gave the frame away (ownership moves to the engine).
    this.beginEngineCall();
    try {
      this.engine.input(src, dst, seg, now, iface.framesOwnedByReceiver);
    } finally {
      this.endEngineCall();
    }
    return 'delivered';
  }

  /** ICMP errors about TCP segments we sent; other protocols' errors are only counted. */
  icmpError(err: TransportError, now: number): void {
    this.now = now;
    if (err.protocol !== IpProtocol.TCP) {
      this.host.counters.add(err.local.family === 4 ? 'icmp' : 'icmpv6', 'InErrorsOtherProtocol');
      return;
    }
    const kind = engineKind(err.kind);
    if (kind === null || err.quoted.length < 8) return;
    const q = err.quoted;
    const e: TcpIcmpError = {
      kind,
      local: err.local,
      remote: err.remote,
      localPort: (q[0]! << 8) | q[1]!,
      remotePort: (q[2]! << 8) | q[3]!,
      seq: ((q[4]! << 24) | (q[5]! << 16) | (q[6]! << 8) | q[7]!) >>> 0,
    };
    if (err.mtu !== undefined) e.mtu = err.mtu;
    this.beginEngineCall();
    try {
      this.engine.icmpError(e, now);
    } finally {
      this.endEngineCall();
    }
    this.flush(now);
  }

  poll(now: number): void {
    this.now = now;
    this.beginEngineCall();
    try {
      this.engine.poll(now);
    } finally {
      this.endEngineCall();
    }
    this.flush(now);
  }

  private beginEngineCall(): void {
    this.memoOn = true;
    this.memoRemote = null;
  }

  private endEngineCall(): void {
    this.memoOn = false;
    this.memoRemote = null;
  }

  nextDeadline(): number {
    return this.engine.nextDeadline();
  }

  /**
   * Emits every segment the engine has queued. IPv4 segments carry DF (RFC 1191 PMTUD). Each is
   * written once into a buffer with room in front for the IP and link headers (`segment` and
   * `headroom` when the engine placed the data, else allocated here), which the layers below
   * fill in place. With `txTcpChecksum` agreed on the outgoing interface the checksum field gets
   * only the pseudo-header sum, for the link to complete (`LinkOffloads`).
   */
  flush(now: number): void {
    this.now = now;
    const host = this.host;
    for (const s of this.engine.takeOutput()) {
      const len = tcpHeaderLen(s.repr) + s.repr.payload.length;
      let r: SendError | null;
      if (s.dst.family === 4) {
        const p = routeIpv4(host, s.dst.v4, now, s.src.v4);
        if (typeof p === 'string') {
          host.counters.add('ipv4', 'OutNoRoutes');
          r = p;
        } else {
          const segment = this.emit(s, len, pseudoHeaderSumV4(s.src.v4, s.dst.v4, IpProtocol.TCP, len), p.iface);
          const tcpSegmentation = IPV4_MIN_HEADER_LEN + len > p.mtu;
          r = sendIpv4(host, { src: s.src.v4, dst: s.dst.v4, protocol: IpProtocol.TCP, payload: segment, dontFragment: true, headroom: this.headroom, tcpSegmentation }, now, p);
        }
      } else {
        const p = routeIpv6(host, s.dst, now, s.src);
        if (typeof p === 'string') {
          host.counters.add('ipv6', 'OutNoRoutes');
          r = p;
        } else {
          const segment = this.emit(s, len, pseudoHeaderSumV6(s.src.bytes, s.dst.bytes, IpProtocol.TCP, len), p.iface);
          const tcpSegmentation = IPV6_HEADER_LEN + len > p.mtu;
          r = sendIpv6(host, { src: s.src, dst: s.dst, nextHeader: IpProtocol.TCP, payload: segment, headroom: this.headroom, tcpSegmentation }, now, p);
        }
      }
      if (r !== null) {
        host.counters.drop('tcp', `tcp-send-${r}`);
        log('TCP segment to %s not sent: %s', s.dst.toString(), r);
      }
    }
    for (const u of this.engine.takeUnreachables?.() ?? []) sendTcpUnreachable(host, u, host.defaultTtl, now);
  }

  /**
   * Writes the segment (`len` bytes) into the buffer the engine placed its data in, or into a
   * new one with room in front for the IP and link headers; sets `headroom` to that room.
   */
  private emit(s: TcpSegmentOut, len: number, pseudo: number, iface: NetInterface): Uint8Array {
    let segment = s.segment;
    if (segment !== undefined && segment.length === len && s.headroom !== undefined) {
      this.headroom = s.headroom;
    } else {
      this.headroom = transportHeadroom(s.dst.family);
      segment = new Uint8Array(this.headroom + len).subarray(this.headroom);
    }
    emitTcp(s.repr, segment, pseudo, iface.offloads.txTcpChecksum === true ? 'partial' : 'full');
    this.host.counters.add('tcp', 'OutSegs');
    return segment;
  }

  /**
   * TSO toward `remote` (`TcpEnvironment.tcpSegmentationFor`): the interface's agreed packet
   * size, unless a path MTU below the interface's applies (the link cuts at its own MTU).
   */
  private tcpSegmentationFor(remote: IpAddress): number {
    // Asked on every transmit attempt: skip the route lookup when no interface agreed TSO.
    if (!this.host.interfaces.some((i) => i.offloads.txTcpSegmentation !== undefined)) return 0;
    const p = this.route(remote);
    if (typeof p === 'string' || p.mtu < p.iface.mtu) return 0;
    return p.iface.offloads.txTcpSegmentation ?? 0;
  }

  /**
   * A buffer from the frame pool of the interface toward `remote` (`TcpEnvironment.frameBuffer`),
   * or null. The pool lends it until the link has written the frame built in it.
   */
  private frameBuffer(remote: IpAddress, bytes: number): Uint8Array | null {
    // Asked for every data segment: skip the route lookup when no link gives frames back.
    if (!this.host.interfaces.some((i) => i.framePool !== null)) return null;
    const p = this.route(remote);
    return typeof p === 'string' ? null : (p.iface.framePool?.take(bytes) ?? null);
  }

  /** The path toward `remote` now (for the engine's questions, which carry no time). */
  private route(remote: IpAddress): Ipv4Path | Ipv6Path | SendError {
    const m = this.memoRemote;
    if (m !== null && (m === remote || m.key === remote.key)) return this.memoPath;
    const path = remote.family === 4 ? routeIpv4(this.host, remote.v4, this.now) : routeIpv6(this.host, remote, this.now);
    if (this.memoOn) {
      this.memoRemote = remote;
      this.memoPath = path;
    }
    return path;
  }

  private mtuFor(remote: IpAddress): number {
    const p = this.route(remote);
    return typeof p === 'string' ? (remote.family === 4 ? 576 : 1280) : p.mtu;
  }
}

/**
 * RFC 1122 §4.2.3.9: unreachable codes 2–4 (protocol, port, fragmentation needed) are hard
 * errors; others soft. Time exceeded is soft and not worth the engine's attention.
 */
function engineKind(k: TransportError['kind']): TcpIcmpErrorKind | null {
  switch (k) {
    case 'protocol-unreachable':
      return 'port-unreachable';
    case 'time-exceeded':
      return null;
    default:
      return k;
  }
}
