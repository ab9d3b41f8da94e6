/**
 * ARP (RFC 826) with the host requirements of RFC 1122 §2.3.2: answering requests for our
 * addresses, resolving next hops through the interface's neighbour cache (retries, a bounded
 * queue of waiting packets, timeouts), and gratuitous ARP when an address is added.
 *
 * RFC 826's merge rule: a packet whose sender is in the cache updates that entry; only when we
 * are the target is a new entry created. Unsolicited replies therefore never add entries (ARP
 * cache poisoning needs an entry to exist already).
 */

import createDebug from 'debug';
import { ArpOp, emitArp, parseArp, ARP_LEN, type ArpRepr } from '../wire/arp';
import { EtherType } from '../wire/ip-protocol';
import { IpAddress, MAC_BROADCAST, formatIpv4, formatMac, isMulticastMac, type Ipv4Address, type MacAddress } from '../wire/address';
import { isDrop } from '../wire/drop';
import type { NetInterface } from '../iface/interface';
import type { NetHost } from '../ip/host';
import { reportUnresolved } from '../ip/unresolved';

const log = createDebug('usernet:arp');
const ZERO_MAC = new Uint8Array(6);

/** Handles one ARP packet received on `iface` (the Ethernet payload, padding included). */
export function arpInput(host: NetHost, iface: NetInterface, payload: Uint8Array, now: number): void {
  const c = host.counters;
  const arp = parseArp(payload);
  if (isDrop(arp)) {
    c.drop('arp', arp);
    return;
  }
  // RFC 5227 §2.1.1 / RFC 1122: a sender that is broadcast, multicast or zero MAC is bogus.
  if (isMulticastMac(arp.sha) || arp.sha.every((x) => x === 0)) {
    c.drop('arp', 'arp-bad-sender');
    return;
  }
  const targetIsUs = iface.hasIpv4(arp.tpa);
  if (iface.hasIpv4(arp.spa)) {
    // Someone else claims our address (RFC 5227 conflict); we keep it and do not learn theirs.
    c.drop('arp', 'arp-address-conflict');
    log('%s: %s claims our address %s', iface.name, formatMac(arp.sha), formatIpv4(arp.spa));
    return;
  }
  if (arp.op === ArpOp.Request) c.add('arp', 'InRequests');
  else c.add('arp', 'InReplies');
  const sender = IpAddress.v4(arp.spa);
  if (arp.spa !== 0) {
    const released =
      arp.op === ArpOp.Reply && targetIsUs
        ? iface.arp.onAdvertisement(sender, arp.sha, { solicited: true, override: true }, now)
        : iface.arp.onSolicitation(sender, arp.sha, now, targetIsUs && arp.op === ArpOp.Request);
    if (released !== null) {
      for (const p of released.packets) iface.transmit(EtherType.IPv4, released.mac, p);
    }
  }
  if (arp.op === ArpOp.Request && targetIsUs) {
    const reply: ArpRepr = { op: ArpOp.Reply, sha: iface.mac!, spa: arp.tpa, tha: arp.sha, tpa: arp.spa };
    log('%s: %s is-at %s (to %s)', iface.name, formatIpv4(arp.tpa), formatMac(iface.mac!), formatIpv4(arp.spa));
    sendArp(host, iface, reply, arp.sha);
  } else if (!targetIsUs) {
    c.drop('arp', 'arp-not-for-us');
  }
}

/**
 * Sends the IPv4 packet `packet` (ownership passes) to `nextHop` on `iface`: framed at once when
 * the neighbour is known, otherwise queued while an ARP request goes out. `headroom`: bytes free
 * in front of `packet` for the link header (`stack/wire/payload.ts`); a queued packet is framed
 * by copying when it is released.
 */
export function sendIpv4OnLink(host: NetHost, iface: NetInterface, nextHop: Ipv4Address, packet: Uint8Array, now: number, headroom = 0): void {
  if (iface.linkType !== 'ethernet') {
    iface.transmit(EtherType.IPv4, null, packet);
    return;
  }
  let mac: MacAddress | null;
  if (iface.isIpv4Broadcast(nextHop)) mac = MAC_BROADCAST;
  else if ((nextHop >>> 28) === 0xe) mac = ipv4MulticastMac(nextHop);
  else mac = iface.arp.lookup(IpAddress.v4(nextHop), now);
  if (mac !== null) {
    iface.transmit(EtherType.IPv4, mac, packet, headroom);
    return;
  }
  const solicit = iface.arp.enqueue(IpAddress.v4(nextHop), packet, now);
  if (solicit !== null) sendRequest(host, iface, nextHop, null);
}

/** Retransmits requests and expires entries; packets for unresolved neighbours are dropped. */
export function arpPoll(host: NetHost, iface: NetInterface, now: number): void {
  const r = iface.arp.poll(now);
  for (const s of r.solicitations) sendRequest(host, iface, s.target.v4, s.unicast);
  for (const f of r.failed) {
    log('%s: %s did not answer; dropping %d packets', iface.name, f.addr.toString(), f.packets.length);
    reportUnresolved(host, f.packets, now);
  }
}

/** Announces `address` (RFC 5227 §3 ARP announcement: a request with sender = target = us). */
export function sendGratuitousArp(host: NetHost, iface: NetInterface, address: Ipv4Address): void {
  if (iface.linkType !== 'ethernet') return;
  sendArp(host, iface, { op: ArpOp.Request, sha: iface.mac!, spa: address, tha: ZERO_MAC, tpa: address }, MAC_BROADCAST);
}

function sendRequest(host: NetHost, iface: NetInterface, target: Ipv4Address, unicast: MacAddress | null): void {
  const spa = iface.ipv4SourceFor(target);
  if (spa === null) return;
  log('%s: who-has %s tell %s', iface.name, formatIpv4(target), formatIpv4(spa));
  sendArp(host, iface, { op: ArpOp.Request, sha: iface.mac!, spa, tha: ZERO_MAC, tpa: target }, unicast ?? MAC_BROADCAST);
}

function sendArp(host: NetHost, iface: NetInterface, repr: ArpRepr, dst: MacAddress): void {
  const b = new Uint8Array(ARP_LEN);
  emitArp(repr, b);
  host.counters.add('arp', repr.op === ArpOp.Request ? 'OutRequests' : 'OutReplies');
  iface.transmit(EtherType.ARP, dst, b);
}

/** RFC 1112 §6.4: 01:00:5e and the low 23 bits of the group. */
export function ipv4MulticastMac(group: Ipv4Address): MacAddress {
  return Uint8Array.of(0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff);
}
