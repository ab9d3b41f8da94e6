/**
 * The Stack: one user-space network namespace (DESIGN.md). It owns interfaces (a loopback one
 * always), addresses, neighbour caches, routes, the PMTU cache, UDP bindings, the TCP engine and
 * the counters; several live in one process and talk over memory links.
 *
 * Sans-IO: `input(iface, frames, now)` takes frames, `poll(now)` fires timers and moves loopback
 * traffic, `drain()` hands out frames per interface, `nextDeadline()` says when to poll next.
 * Nothing here reads a clock, sets a timer or touches a descriptor; `src/runtime.ts` does.
 */

import createDebug from 'debug';
import { Counters, type CountersView } from './counters';
import { SeededRandom } from './random';
import { RouteTable, type Route } from './route';
import { PmtuCache } from './ip/pmtu';
import { TokenBucket } from './icmp/rate-limit';
import { NetInterface, linkLocalFromMac } from './iface/interface';
import { randomLinkLocal, randomMac } from './iface/identifiers';
import { parseCidr, parseCidrList, parseGateway, parseMacOption, parseMtu, parseRouteDestination, MIN_MTU_IPV6, type Cidr } from './iface/config';
import { IpAddress, formatMac, type MacAddress } from './wire/address';
import { IpProtocol } from './wire/ip-protocol';
import type { DeliveryResult, NetHost, SendError, TransportError } from './ip/host';
import { arpPoll, sendGratuitousArp } from './arp/arp';
import { Ipv4Input } from './ipv4/input';
import { routeIpv4, sendIpv4 } from './ipv4/output';
import { Ipv6Input } from './ipv6/input';
import { routeIpv6, sendIpv6 } from './ipv6/output';
import { addIpv6Address, ndpPoll, ndpNextDeadline } from './ndp/ndp';
import { mldPoll, mldNextDeadline, setMldEnabled } from './mld/mld';
import { sendIcmpv4, type EchoReply, type EchoSink } from './icmp/icmpv4';
import { sendIcmpv6 } from './icmp/icmpv6';
import { UdpTable, sendUdp, type UdpBinding, type UdpCatchAll, type UdpCatchAllHandler, type UdpHandler, type UdpSend } from './udp';
import { TcpGlue } from './tcp-glue';
import { TcpEngine } from './tcp/engine';
import { type FrameReceivers, frameInput } from './frame-input';
import type { EchoOptions, InterfaceOptions, LinkInfo, StackOptions } from './stack-options';
import { agreeOffloads } from './iface/offloads';

export type { EchoOptions, InterfaceOptions, LinkInfo, StackOptions } from './stack-options';

const log = createDebug('usernet:eth');

/** Interfaces per stack (loopback included): a namespace with more is not what this is for. */
export const MAX_INTERFACES = 64;
/** Loopback packets processed per `poll`, so a busy local connection cannot starve the rest. */
export const LOOPBACK_BATCH = 512;
/** Echo replies kept until `takeEchoReplies()`; older ones are dropped. */
export const ECHO_REPLIES_MAX = 1024;
/** Loopback MTU: 64 KiB, like Linux's lo (65536), trimmed to what a 16-bit length can say. */
export const LOOPBACK_MTU = 65535;

export class Stack {
  private readonly ctr = new Counters();
  private readonly random: SeededRandom;
  private readonly ifaces: NetInterface[] = [];
  private readonly routeTable = new RouteTable();
  private readonly pmtu = new PmtuCache();
  private readonly udp = new UdpTable();
  private readonly echoReplies: EchoReply[] = [];
  private readonly host: NetHost;
  private readonly ipv4: Ipv4Input;
  private readonly ipv6: Ipv6Input;
  private readonly link: FrameReceivers;
  private readonly tcpGlue: TcpGlue<TcpEngine>;
  private ipv4Id: number;
  private closed = false;
  readonly loopback: NetInterface;

  constructor(options: StackOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${String(seed)}`);
    const ttl = options.ttl ?? 64;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new RangeError(`ttl must be 1–255, got ${String(ttl)}`);
    this.random = new SeededRandom(seed);
    this.ipv4Id = this.random.next32() & 0xffff;
    const self = this;
    this.host = {
      counters: this.ctr,
      random: this.random,
      interfaces: this.ifaces,
      routes: this.routeTable,
      pmtu: this.pmtu,
      icmpErrorLimit4: new TokenBucket(),
      icmpErrorLimit6: new TokenBucket(),
      defaultTtl: ttl,
      isLocalAddress: (a) => self.isLocalAddress(a),
      nextIpv4Id: () => (self.ipv4Id = (self.ipv4Id + 1) & 0xffff),
      nextIpv6FragmentId: () => self.random.next32(),
      sourceFor: (dst, now) => self.sourceFor(dst, now),
      sendIp: (src, dst, protocol, payload, now, df) => self.sendIp(src, dst, protocol, payload, now, df),
      deliver: (protocol, src, dst, payload, iface, now, checksumVouched) => self.deliver(protocol, src, dst, payload, iface, now, checksumVouched),
      transportError: (err, now) => self.tcpGlue.icmpError(err, now),
    };
    const echo: EchoSink = {
      echoReply: (r) => {
        if (self.echoReplies.length >= ECHO_REPLIES_MAX) self.echoReplies.shift();
        self.echoReplies.push(r);
      },
    };
    this.ipv4 = new Ipv4Input(this.host, echo);
    this.ipv6 = new Ipv6Input(this.host, echo);
    this.link = { host: this.host, ipv4: this.ipv4, ipv6: this.ipv6 };
    this.loopback = new NetInterface(0, 'lo', 'loopback', LOOPBACK_MTU, null, this.ctr);
    this.ifaces.push(this.loopback);
    this.loopback.ipv4.push({ address: 0x7f000001, prefixLen: 8 });
    addIpv6Address(this.host, this.loopback, { address: IpAddress.parse('::1')!, prefixLen: 128 }, 'manual', false, 0);
    this.routeTable.add({ prefix: IpAddress.v4(0x7f000000), prefixLen: 8, iface: 0 });
    this.routeTable.add({ prefix: IpAddress.parse('::1')!, prefixLen: 128, iface: 0 });
    const tcpOptions = options.tcp;
    this.tcpGlue = new TcpGlue(this.host, this.random, (env) => new TcpEngine(env, tcpOptions));
  }

  /** The TCP engine (listen, connect, events); see `stack/tcp/engine.ts`. */
  get tcp(): TcpEngine {
    return this.tcpGlue.engine;
  }

  /** Interfaces, loopback first. */
  get interfaces(): readonly NetInterface[] {
    return this.ifaces;
  }

  /**
   * Adds an interface on `link` (a LinkDriver or anything with its `mtu` and `linkType`).
   * Validates every option: a bad CIDR, gateway, MTU or MAC throws TypeError/RangeError.
   * `now` starts DAD and gratuitous ARP.
   */
  addInterface(link: LinkInfo, options: InterfaceOptions = {}, now = 0): NetInterface {
    if (this.closed) throw new Error('stack is closed');
    if (link === null || typeof link !== 'object') throw new TypeError('addInterface needs a link driver');
    if (link.linkType !== 'ethernet' && link.linkType !== 'ip') throw new TypeError(`unknown link type ${String(link.linkType)}`);
    if (typeof options !== 'object' || options === null) throw new TypeError('interface options must be an object');
    if (this.ifaces.length >= MAX_INTERFACES) throw new RangeError(`at most ${MAX_INTERFACES} interfaces`);
    const mtu = parseMtu(options.mtu, parseMtu(link.mtu, 1500));
    const v4 = parseCidrList(options.ipv4, 4);
    const v6 = parseCidrList(options.ipv6, 6);
    const gw4 = parseGateway(options.gateway4, 4);
    const gw6 = parseGateway(options.gateway6, 6);
    if (v6.length > 0 && mtu < MIN_MTU_IPV6) throw new RangeError(`IPv6 needs an MTU of at least ${MIN_MTU_IPV6}, interface has ${mtu}`);
    let mac: MacAddress | null = null;
    if (link.linkType === 'ethernet') mac = parseMacOption(options.mac) ?? randomMac(this.random);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) throw new TypeError('interface name must be a non-empty string');
    const index = this.ifaces.length;
    const iface = new NetInterface(index, options.name ?? `eth${index - 1}`, link.linkType, mtu, mac, this.ctr);
    iface.acceptAnyDestination = options.acceptAnyDestination === true;
    iface.framesOwnedByReceiver = link.framesOwnedByReceiver === true;
    if (options.offloads !== undefined && typeof options.offloads !== 'boolean') throw new TypeError('offloads must be a boolean');
    iface.offloads = agreeOffloads(link.offloads, options.offloads !== false, mtu, link.mtu);
    iface.dad = options.dad !== false;
    iface.slaac = options.slaac === true;
    setMldEnabled(iface, options.mld === true);
    this.ifaces.push(iface);
    for (const c of v4) this.addAddress(iface, c, now);
    if (mtu >= MIN_MTU_IPV6) {
      const ll = mac !== null ? linkLocalFromMac(mac) : randomLinkLocal(this.random);
      addIpv6Address(this.host, iface, { address: ll, prefixLen: 64 }, 'link-local', iface.dad, now);
      this.routeTable.add({ prefix: IpAddress.parse('fe80::')!, prefixLen: 64, iface: index });
      for (const c of v6) this.addAddress(iface, c, now);
    }
    if (gw4 !== undefined) this.routeTable.add({ prefix: IpAddress.v4(0), prefixLen: 0, gateway: gw4, iface: index });
    if (gw6 !== undefined) this.routeTable.add({ prefix: IpAddress.parse('::')!, prefixLen: 0, gateway: gw6, iface: index });
    log('%s: up, mtu %d%s', iface.name, mtu, mac ? `, mac ${formatMac(mac)}` : '');
    return iface;
  }

  /** Adds an address (`'a.b.c.d/len'` or `'x::y/len'`) to `iface` with its connected route. */
  addAddress(iface: NetInterface, cidr: string | Cidr, now = 0): void {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (this.ifaces[iface.index] !== iface) throw new TypeError('not an interface of this stack');
    if (c.address.family === 4) {
      if (iface.hasIpv4(c.address.v4)) return;
      iface.ipv4.push({ address: c.address.v4, prefixLen: c.prefixLen });
      this.routeTable.add({ prefix: c.address, prefixLen: c.prefixLen, iface: iface.index });
      sendGratuitousArp(this.host, iface, c.address.v4);
    } else {
      if (iface.mtu < MIN_MTU_IPV6) throw new RangeError(`IPv6 needs an MTU of at least ${MIN_MTU_IPV6}`);
      addIpv6Address(this.host, iface, c, 'manual', iface.dad, now);
      this.routeTable.add({ prefix: c.address, prefixLen: c.prefixLen, iface: iface.index });
    }
  }

  /**
   * Adds a static route: `destination` as `'net/len'` (`'default'` = 0.0.0.0/0 unless the gateway
   * is IPv6), through `gateway` (optional for on-link routes), out of `iface` (found from the
   * gateway's connected route when absent).
   */
  addRoute(r: { destination: string; gateway?: string; iface?: NetInterface; metric?: number }): Route {
    if (r === null || typeof r !== 'object') throw new TypeError('addRoute needs { destination, gateway?, iface? }');
    const gwFamily = typeof r.gateway === 'string' && r.gateway.includes(':') ? 6 : 4;
    const dest = r.destination === 'default' ? { address: IpAddress.parse(gwFamily === 4 ? '0.0.0.0' : '::')!, prefixLen: 0 } : parseRouteDestination(r.destination);
    const gw = parseGateway(r.gateway, dest.address.family);
    let index = r.iface?.index;
    if (index !== undefined && this.ifaces[index] !== r.iface) throw new TypeError('not an interface of this stack');
    if (index === undefined) {
      if (gw === undefined) throw new TypeError('addRoute needs a gateway or an interface');
      const via = this.routeTable.lookup(gw);
      if (via === null || via.gateway !== null) throw new RangeError(`gateway ${gw} is not on a connected network`);
      index = via.iface;
    }
    return this.routeTable.add({ prefix: dest.address, prefixLen: dest.prefixLen, gateway: gw ?? null, iface: index, metric: r.metric ?? 0 });
  }

  routes(): Route[] {
    return this.routeTable.list();
  }

  isLocalAddress(a: IpAddress): boolean {
    // A loop, not some(): asked for every routed packet, and a closure per call is garbage.
    for (const i of this.ifaces) if (a.family === 4 ? i.hasIpv4(a.v4) : i.hasIpv6(a)) return true;
    return false;
  }

  /**
   * Frames received on `iface` (views the driver owns until this returns). `checksumVouched`
   * (`LinkDriver.start`): nonzero at `i` when the link vouches for frame `i`'s TCP or UDP
   * checksum; heeded only when the interface agreed `rxChecksumAndCoalescing`.
   */
  input(iface: NetInterface, frames: readonly Uint8Array[], now: number, checksumVouched?: Uint8Array): void {
    if (this.closed) return;
    const vouched = iface.offloads.rxChecksumAndCoalescing === true ? checksumVouched : undefined;
    for (let i = 0; i < frames.length; i++) frameInput(this.link, iface, frames[i]!, now, vouched !== undefined && vouched[i] !== 0);
    this.tcpGlue.flush(now);
  }

  /** Fires due timers, moves loopback traffic, lets TCP send. Bounded work per call. */
  poll(now: number): void {
    if (this.closed) return;
    // Packets looped back during this batch wait for the next poll (nextDeadline says "now").
    if (this.loopback.outbox.length > 0) {
      for (const p of this.loopback.outbox.splice(0, LOOPBACK_BATCH)) frameInput(this.link, this.loopback, p, now);
    }
    // Each protocol is polled only when its own deadline has come: this runs on every flush, and
    // a poll with nothing due would still walk its tables.
    for (const iface of this.ifaces) {
      if (iface.isLoopback) continue;
      if (iface.linkType === 'ethernet' && iface.arp.nextDeadline() <= now) arpPoll(this.host, iface, now);
      // Before NDP: a group is reported before the first solicitation that needs it (RFC 4862 §5.4.2).
      if (mldNextDeadline(iface) <= now) mldPoll(this.host, iface, now);
      if (ndpNextDeadline(iface) <= now) ndpPoll(this.host, iface, now);
    }
    this.ipv4.poll(now);
    this.ipv6.poll(now);
    this.tcpGlue.poll(now);
  }

  /** Earliest time `poll` has work; 0 when it has work now (loopback); Infinity when idle. */
  nextDeadline(): number {
    if (this.closed) return Infinity;
    if (this.loopback.outbox.length > 0) return 0;
    let t = Math.min(this.ipv4.nextDeadline(), this.ipv6.nextDeadline(), this.tcpGlue.nextDeadline());
    for (const iface of this.ifaces) {
      if (iface.isLoopback) continue;
      t = Math.min(t, iface.arp.nextDeadline(), ndpNextDeadline(iface), mldNextDeadline(iface));
    }
    return t;
  }

  /** Frames to send, per interface (loopback excluded); ownership passes to the caller. */
  drain(): Array<{ iface: NetInterface; frames: Uint8Array[] }> {
    const out: Array<{ iface: NetInterface; frames: Uint8Array[] }> = [];
    this.drainEach((iface, frames) => out.push({ iface, frames }));
    return out;
  }

  /** `drain` without building its list: `send` gets each interface's frames (the runtime's way). */
  drainEach(send: (iface: NetInterface, frames: Uint8Array[]) => void): void {
    for (const iface of this.ifaces) {
      if (iface.isLoopback || iface.outbox.length === 0) continue;
      send(iface, iface.takeOutbox());
    }
  }

  /** `/proc/net/snmp`-like counters and drops by reason; a detached plain object. */
  counters(): CountersView {
    return this.ctr.snapshot();
  }

  /** Bytes held in fragment reassembly buffers (each bounded by REASSEMBLY_MAX_BYTES). */
  reassemblyBytes(): { ipv4: number; ipv6: number } {
    return { ipv4: this.ipv4.reassembly.bytesHeld, ipv6: this.ipv6.reassembly.bytesHeld };
  }

  /** Sends an ICMP / ICMPv6 echo request; null when sent (or waiting for ARP/NDP), else why not. */
  sendEcho(dst: string | IpAddress, options: EchoOptions = {}, now = 0): SendError | null {
    const to = typeof dst === 'string' ? IpAddress.parse(dst) : dst;
    if (to === null) throw new TypeError(`"${String(dst)}" is not an IP address`);
    const data = options.data ?? new Uint8Array(56);
    const identifier = options.identifier ?? 0;
    const sequence = options.sequence ?? 0;
    const src = options.src === undefined ? this.sourceFor(to, now) : typeof options.src === 'string' ? IpAddress.parse(options.src) : options.src;
    if (src === null) throw new TypeError(`"${String(options.src)}" is not an IP address`);
    if (typeof src === 'string') return src;
    const m = { kind: 'echo-request' as const, identifier, sequence, data };
    return to.family === 4 ? sendIcmpv4(this.host, src.v4, to.v4, m, now) : sendIcmpv6(this.host, src, to, m, now);
  }

  /** Echo replies received since the last call, oldest first. */
  takeEchoReplies(): EchoReply[] {
    return this.echoReplies.splice(0);
  }

  /** Binds a UDP port; `onDatagram` runs synchronously inside `input`/`poll`. */
  bindUdp(port: number, onDatagram: UdpHandler, address?: string): UdpBinding {
    const a = address === undefined ? null : IpAddress.parse(address);
    if (a === null && address !== undefined) throw new TypeError(`"${address}" is not an IP address`);
    if (a !== null && !this.isLocalAddress(a) && !a.isUnspecified()) throw Object.assign(new Error(`bind EADDRNOTAVAIL ${address}:${port}`), { code: 'EADDRNOTAVAIL' });
    return this.udp.bind(port, onDatagram, a !== null && a.isUnspecified() ? null : a);
  }

  /**
   * The UDP catch-all of `family` (see `UdpTable.bindAny`): datagrams arriving on
   * `acceptAnyDestination` interfaces for foreign addresses or unbound local ports.
   */
  bindUdpAny(family: 4 | 6, onDatagram: UdpCatchAllHandler): UdpCatchAll {
    return this.udp.bindAny(family, onDatagram);
  }

  sendUdp(d: UdpSend, now = 0): SendError | null {
    return sendUdp(this.host, d, now);
  }

  /** Neighbour cache entries of an interface (ARP for IPv4, NDP for IPv6), like `ip neigh`. */
  neighbours(iface: NetInterface): ReturnType<NetInterface['arp']['entries']> {
    return [...iface.arp.entries(), ...iface.ndp.entries()];
  }

  /** Stops everything: queued frames are discarded, timers no longer reported. */
  close(): void {
    this.closed = true;
    for (const i of this.ifaces) i.takeOutbox();
  }

  private sourceFor(dst: IpAddress, now: number): IpAddress | SendError {
    if (dst.family === 4) {
      const p = routeIpv4(this.host, dst.v4, now);
      return typeof p === 'string' ? p : IpAddress.v4(p.src);
    }
    const p = routeIpv6(this.host, dst, now);
    return typeof p === 'string' ? p : p.src;
  }

  private sendIp(src: IpAddress, dst: IpAddress, protocol: number, payload: Uint8Array, now: number, df?: boolean): SendError | null {
    if (src.family !== dst.family) throw new TypeError(`source ${src} and destination ${dst} differ in family`);
    if (dst.family === 4) return sendIpv4(this.host, { src: src.v4, dst: dst.v4, protocol, payload, dontFragment: df ?? false }, now);
    return sendIpv6(this.host, { src, dst, nextHeader: protocol, payload }, now);
  }

  private deliver(protocol: number, src: IpAddress, dst: IpAddress, payload: Uint8Array, iface: NetInterface, now: number, checksumVouched = false): DeliveryResult {
    switch (protocol) {
      case IpProtocol.UDP:
        return this.udp.input(this.host, src, dst, payload, now, iface, checksumVouched);
      case IpProtocol.TCP:
        return this.tcpGlue.input(src, dst, payload, iface, now, checksumVouched);
      default:
        return 'protocol-unreachable';
    }
  }
}

export type { TransportError, EchoReply, NetInterface };
