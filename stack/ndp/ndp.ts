/**
 * Neighbor Discovery for a host (RFC 4861) and stateless autoconfiguration (RFC 4862):
 * NS/NA resolution through the interface's neighbour cache, duplicate address detection for our
 * addresses (tentative until it passes), and router advertisements giving a default router,
 * on-link prefixes and, with `slaac`, addresses.
 */

import createDebug from 'debug';
import type { NdpRepr } from '../wire/ndp';
import { IpAddress, bytesEqual, formatMac, type MacAddress } from '../wire/address';
import type { NetHost } from '../ip/host';
import { reportUnresolved } from '../ip/unresolved';
import { solicitedNodeGroup, type Ipv6Assignment, type NetInterface } from '../iface/interface';
import type { Cidr } from '../iface/config';
import { sendIcmpv6, type Icmpv6Context } from '../icmp/icmpv6';
import { isLinkLocal } from '../ipv6/output';
import { EtherType } from '../wire/ip-protocol';
import { RETRANS_TIMER_MS } from '../neighbour/cache';

const log = createDebug('usernet:ndp');

/** RFC 4862 §5.1 DupAddrDetectTransmits default. */
export const DUP_ADDR_DETECT_TRANSMITS = 1;
/** RFC 4861 §6.3.7: MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL. */
export const MAX_RTR_SOLICITATIONS = 3;
export const RTR_SOLICITATION_INTERVAL_MS = 4_000;
/** Addresses per interface (SLAAC could otherwise add one per advertised prefix without end). */
export const MAX_IPV6_ADDRESSES = 16;
/** Default routers remembered per interface (RFC 4861 §6.3.4 leaves the bound to us). */
export const MAX_DEFAULT_ROUTERS = 4;

const ALL_NODES = IpAddress.parse('ff02::1')!;
const ALL_ROUTERS = IpAddress.parse('ff02::2')!;
const UNSPECIFIED = IpAddress.parse('::')!;

/** Per-interface NDP state kept beside the neighbour cache. */
interface NdpState {
  routers: Array<{ addr: IpAddress; until: number }>;
  rsLeft: number;
  rsAt: number;
}
const states = new WeakMap<NetInterface, NdpState>();
function stateOf(iface: NetInterface): NdpState {
  let s = states.get(iface);
  if (s === undefined) {
    s = { routers: [], rsLeft: 0, rsAt: Infinity };
    states.set(iface, s);
  }
  return s;
}

/**
 * Assigns an IPv6 address. With `dad` (and an Ethernet link) it starts tentative: the first
 * DAD probe goes out at the next poll (RFC 4862 §5.4.2) and the address is usable once
 * RetransTimer passes without a conflicting NS or NA.
 */
export function addIpv6Address(host: NetHost, iface: NetInterface, c: Cidr, origin: Ipv6Assignment['origin'], dad: boolean, now: number, validUntil = Infinity): void {
  if (iface.ipv6.some((a) => a.address.equals(c.address))) return;
  if (iface.ipv6.length >= MAX_IPV6_ADDRESSES) throw new RangeError(`at most ${MAX_IPV6_ADDRESSES} IPv6 addresses per interface`);
  const probing = dad && iface.linkType === 'ethernet';
  iface.ipv6.push({
    address: c.address,
    prefixLen: c.prefixLen,
    state: probing ? 'tentative' : 'preferred',
    origin,
    dadTransmitsLeft: probing ? DUP_ADDR_DETECT_TRANSMITS : 0,
    dadDeadline: probing ? now : Infinity,
    validUntil,
  });
  if (!probing) addressReady(host, iface, iface.ipv6[iface.ipv6.length - 1]!, now);
  host.counters.add('ndp', 'AddressesAdded');
}

/** DAD passed (or was skipped): announce, and solicit routers once the link-local is usable. */
function addressReady(host: NetHost, iface: NetInterface, a: Ipv6Assignment, now: number): void {
  a.state = 'preferred';
  log('%s: %s is preferred', iface.name, a.address.toString());
  if (iface.isLoopback || iface.linkType !== 'ethernet') return;
  // RFC 4861 §7.2.6: unsolicited NA announcing the address (override clear: others keep their view).
  sendIcmpv6(host, a.address, ALL_NODES, { kind: 'neighbor-advertisement', router: false, solicited: false, override: false, target: a.address.bytes, options: { targetLinkLayerAddress: iface.mac! } }, now, { iface, hopLimit: 255 });
  if (a.origin === 'link-local' && iface.slaac) {
    const s = stateOf(iface);
    s.rsLeft = MAX_RTR_SOLICITATIONS;
    s.rsAt = now;
  }
}

/** IPv6 source address field of a packet (RFC 8200 §3), when the packet is long enough to have one. */
const IPV6_SRC_OFFSET = 8;

/**
 * The source of a solicitation (RFC 4861 §7.2.2): the source of the packet that prompted it when
 * that address is ours and usable on `iface` (Linux does the same), else the link-local address,
 * else any preferred address.
 */
function solicitationSource(iface: NetInterface, prompt: Uint8Array | undefined): IpAddress | undefined {
  const preferred = iface.ipv6.filter((a) => a.state === 'preferred');
  if (prompt !== undefined && prompt.length >= IPV6_SRC_OFFSET + 16) {
    const src = prompt.subarray(IPV6_SRC_OFFSET, IPV6_SRC_OFFSET + 16);
    const own = preferred.find((a) => bytesEqual(a.address.bytes, src));
    if (own !== undefined) return own.address;
  }
  return preferred.find((a) => isLinkLocal(a.address))?.address ?? preferred[0]?.address;
}

/**
 * Sends an NS for `target`: multicast to its solicited-node group, or unicast to `mac` (NUD
 * probe). `prompt` is the packet waiting for the answer, if any (see `solicitationSource`).
 */
export function sendNeighborSolicitation(host: NetHost, iface: NetInterface, target: IpAddress, unicast: MacAddress | null, now: number, prompt?: Uint8Array): void {
  const src = solicitationSource(iface, prompt);
  if (src === undefined) return;
  const group = solicitedNodeGroup(target);
  host.counters.add('ndp', 'OutNeighborSolicits');
  if (unicast === null) {
    sendIcmpv6(host, src, group, { kind: 'neighbor-solicitation', target: target.bytes, options: { sourceLinkLayerAddress: iface.mac! } }, now, { iface, hopLimit: 255 });
  } else {
    // A NUD probe goes to the neighbour's unicast address and its cached MAC, bypassing lookup.
    sendIcmpv6(host, src, target, { kind: 'neighbor-solicitation', target: target.bytes, options: { sourceLinkLayerAddress: iface.mac! } }, now, { iface, hopLimit: 255 });
  }
}

/** An NDP message that passed the ICMPv6 checksum. */
export function ndpInput(host: NetHost, ctx: Icmpv6Context, m: NdpRepr, now: number): void {
  const c = host.counters;
  const iface = ctx.iface;
  // RFC 4861 §6.1, §7.1: hop limit 255 proves the message was not forwarded.
  if (ctx.hopLimit !== 255) return void c.drop('ndp', 'ndp-bad-hop-limit');
  if (iface.linkType !== 'ethernet') return void c.drop('ndp', 'ndp-not-ethernet');
  switch (m.kind) {
    case 'neighbor-solicitation': {
      c.add('ndp', 'InNeighborSolicits');
      const target = IpAddress.v6(m.target);
      const mine = iface.ipv6Assignment(target);
      const sll = m.options.sourceLinkLayerAddress;
      if (ctx.src.isUnspecified()) {
        // DAD probe (§7.1.1: must go to a solicited-node group and carry no source link-layer address).
        if (sll !== undefined || !ctx.dst.isMulticast()) return void c.drop('ndp', 'ndp-bad-dad-probe');
        if (mine === undefined) return void c.drop('ndp', 'ndp-not-for-us');
        if (mine.state === 'tentative') return dadFailed(host, iface, mine);
        // Someone probes an address we hold: defend it (§7.2.4, reply to all-nodes).
        sendAdvertisement(host, iface, target, ALL_NODES, false, now);
        return;
      }
      if (mine === undefined) return void c.drop('ndp', 'ndp-not-for-us');
      if (mine.state === 'tentative') return; // RFC 4862 §5.4.3: a tentative address answers nobody
      if (sll !== undefined) {
        const released = iface.ndp.onSolicitation(ctx.src, sll, now, true);
        if (released !== null) for (const p of released.packets) iface.transmit(EtherType.IPv6, released.mac, p);
      } else if (ctx.dst.isMulticast()) {
        return void c.drop('ndp', 'ndp-no-source-lladdr'); // §7.1.1
      }
      sendAdvertisement(host, iface, target, ctx.src, true, now);
      return;
    }
    case 'neighbor-advertisement': {
      c.add('ndp', 'InNeighborAdvertisements');
      const target = IpAddress.v6(m.target);
      if (m.solicited && ctx.dst.isMulticast()) return void c.drop('ndp', 'ndp-solicited-to-multicast'); // §7.1.2
      const mine = iface.ipv6Assignment(target);
      if (mine !== undefined) {
        if (mine.state === 'tentative') return dadFailed(host, iface, mine);
        log('%s: %s advertises our address %s', iface.name, m.options.targetLinkLayerAddress ? formatMac(m.options.targetLinkLayerAddress) : '?', target.toString());
        return void c.drop('ndp', 'ndp-address-conflict');
      }
      const released = iface.ndp.onAdvertisement(target, m.options.targetLinkLayerAddress ?? null, { solicited: m.solicited, override: m.override, isRouter: m.router }, now);
      if (released !== null) for (const p of released.packets) iface.transmit(EtherType.IPv6, released.mac, p);
      return;
    }
    case 'router-advertisement':
      c.add('ndp', 'InRouterAdvertisements');
      routerAdvertisement(host, ctx, m, now);
      return;
    case 'router-solicitation':
      c.add('ndp', 'InRouterSolicits'); // hosts ignore them (§6.2.6 is for routers)
      return;
    case 'redirect':
      c.add('ndp', 'InRedirects'); // Deviation: redirects are counted, not followed (a host MAY ignore, §8.3)
      return;
  }
}

function sendAdvertisement(host: NetHost, iface: NetInterface, target: IpAddress, to: IpAddress, solicited: boolean, now: number): void {
  host.counters.add('ndp', 'OutNeighborAdvertisements');
  sendIcmpv6(host, target, to, {
    kind: 'neighbor-advertisement', router: false, solicited, override: true, target: target.bytes,
    options: { targetLinkLayerAddress: iface.mac! },
  }, now, { iface, hopLimit: 255 });
}

/** RFC 4862 §5.4.5: the address is a duplicate; it is removed and never used. */
function dadFailed(host: NetHost, iface: NetInterface, a: Ipv6Assignment): void {
  const i = iface.ipv6.indexOf(a);
  if (i >= 0) iface.ipv6.splice(i, 1);
  host.routes.remove(a.address, a.prefixLen, { iface: iface.index });
  host.counters.add('ndp', 'DadFailures');
  host.counters.drop('ndp', 'ndp-dad-duplicate');
  log('%s: DAD failed for %s: address is in use on the link', iface.name, a.address.toString());
}

function routerAdvertisement(host: NetHost, ctx: Icmpv6Context, m: Extract<NdpRepr, { kind: 'router-advertisement' }>, now: number): void {
  const { iface, src } = ctx;
  if (!isLinkLocal(src)) return void host.counters.drop('ndp', 'ndp-ra-not-link-local'); // §6.1.2
  const s = stateOf(iface);
  s.rsLeft = 0;
  s.rsAt = Infinity;
  if (m.curHopLimit !== 0) iface.curHopLimit = m.curHopLimit;
  const sll = m.options.sourceLinkLayerAddress;
  if (sll !== undefined) iface.ndp.onSolicitation(src, sll, now, true);
  const entry = s.routers.find((r) => r.addr.equals(src));
  if (m.routerLifetime === 0) {
    if (entry !== undefined) forgetRouter(host, iface, entry);
  } else {
    const until = now + m.routerLifetime * 1000;
    if (entry !== undefined) entry.until = until;
    else if (s.routers.length < MAX_DEFAULT_ROUTERS) {
      s.routers.push({ addr: src, until });
      host.routes.add({ prefix: UNSPECIFIED, prefixLen: 0, gateway: src, iface: iface.index, metric: 1024 });
      log('%s: default router %s', iface.name, src.toString());
    }
  }
  for (const p of m.options.prefixInformation ?? []) {
    const prefix = IpAddress.v6(p.prefix);
    if (isLinkLocal(prefix) || p.prefixLength > 128) continue;
    if (p.onLink && p.validLifetime > 0) host.routes.add({ prefix, prefixLen: p.prefixLength, iface: iface.index });
    // RFC 4862 §5.5.3: autonomous, 64-bit prefix, preferred ≤ valid.
    if (!iface.slaac || !p.autonomous || p.prefixLength !== 64 || p.preferredLifetime > p.validLifetime || iface.mac === null) continue;
    const ll = iface.ipv6.find((a) => a.origin === 'link-local');
    if (ll === undefined) continue;
    const addr = new Uint8Array(16);
    addr.set(p.prefix.subarray(0, 8));
    addr.set(ll.address.bytes.subarray(8, 16), 8);
    const a = IpAddress.v6(addr);
    const valid = p.validLifetime === 0xffffffff ? Infinity : now + p.validLifetime * 1000;
    const existing = iface.ipv6Assignment(a);
    if (existing !== undefined) {
      // §5.5.3 (e): refresh, but never let an advertisement cut the lifetime below two hours.
      existing.validUntil = Math.max(valid, Math.min(existing.validUntil, now + 7_200_000));
    } else if (p.validLifetime > 0 && iface.ipv6.length < MAX_IPV6_ADDRESSES) {
      addIpv6Address(host, iface, { address: a, prefixLen: 64 }, 'slaac', iface.dad, now, valid);
      host.routes.add({ prefix: a, prefixLen: 64, iface: iface.index });
      log('%s: SLAAC address %s', iface.name, a.toString());
    }
  }
}

function forgetRouter(host: NetHost, iface: NetInterface, r: { addr: IpAddress; until: number }): void {
  const s = stateOf(iface);
  s.routers.splice(s.routers.indexOf(r), 1);
  host.routes.remove(UNSPECIFIED, 0, { gateway: r.addr, iface: iface.index });
}

/** DAD probes, router solicitations, lifetimes, and the neighbour cache's timers. */
export function ndpPoll(host: NetHost, iface: NetInterface, now: number): void {
  for (const a of iface.ipv6.slice()) {
    if (a.state === 'tentative' && a.dadDeadline <= now) {
      if (a.dadTransmitsLeft > 0) {
        a.dadTransmitsLeft--;
        a.dadDeadline = now + RETRANS_TIMER_MS;
        host.counters.add('ndp', 'OutDadProbes');
        sendIcmpv6(host, UNSPECIFIED, solicitedNodeGroup(a.address), { kind: 'neighbor-solicitation', target: a.address.bytes, options: {} }, now, { iface, hopLimit: 255 });
      } else {
        a.dadDeadline = Infinity;
        addressReady(host, iface, a, now);
      }
    }
    if (a.validUntil <= now) {
      iface.ipv6.splice(iface.ipv6.indexOf(a), 1);
      host.routes.remove(a.address, a.prefixLen, { iface: iface.index });
      log('%s: %s expired', iface.name, a.address.toString());
    }
  }
  const s = stateOf(iface);
  for (const r of s.routers.slice()) if (r.until <= now) forgetRouter(host, iface, r);
  if (s.rsLeft > 0 && s.rsAt <= now) {
    const ll = iface.linkLocal();
    if (ll !== null) {
      s.rsLeft--;
      s.rsAt = s.rsLeft > 0 ? now + RTR_SOLICITATION_INTERVAL_MS : Infinity;
      host.counters.add('ndp', 'OutRouterSolicits');
      sendIcmpv6(host, ll, ALL_ROUTERS, { kind: 'router-solicitation', options: { sourceLinkLayerAddress: iface.mac! } }, now, { iface, hopLimit: 255 });
    }
  }
  const r = iface.ndp.poll(now);
  for (const sol of r.solicitations) sendNeighborSolicitation(host, iface, sol.target, sol.unicast, now, sol.prompt);
  for (const f of r.failed) reportUnresolved(host, f.packets, now);
}

export function ndpNextDeadline(iface: NetInterface): number {
  let t = iface.ndp.nextDeadline();
  for (const a of iface.ipv6) t = Math.min(t, a.dadDeadline, a.validUntil);
  const s = states.get(iface);
  if (s !== undefined) {
    t = Math.min(t, s.rsAt);
    for (const r of s.routers) t = Math.min(t, r.until);
  }
  return t;
}

