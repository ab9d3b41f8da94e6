/**
 * The first step of every received frame: on an Ethernet link (IEEE 802.3) check the header, drop
 * VLAN-tagged frames and frames for other MACs, and hand the payload to ARP (RFC 826), IPv4 or
 * IPv6 by EtherType; on an IP link (TUN, loopback) pick IPv4 or IPv6 by the version nibble.
 * Packets larger than the MTU are dropped unless the interface agreed receive offload with its
 * link (`LinkOffloads.rxChecksumAndCoalescing`: TCP segments the sender's kernel did not cut).
 */

import type { NetInterface } from './iface/interface';
import type { NetHost } from './ip/host';
import { arpInput } from './arp/arp';
import type { Ipv4Input } from './ipv4/input';
import type { Ipv6Input } from './ipv6/input';
import { ETHERNET_HEADER_LEN, checkEthernetII } from './wire/ethernet';
import { EtherType } from './wire/ip-protocol';
import { isDrop } from './wire/drop';

/** Who takes what a frame carries. */
export interface FrameReceivers {
  readonly host: NetHost;
  readonly ipv4: Ipv4Input;
  readonly ipv6: Ipv6Input;
}

/**
 * One frame received on `iface` (a view the driver owns until the stack's `input` returns).
 * `checksumVouched`: the link vouches for its TCP or UDP checksum (see `Stack.input`).
 */
export function frameInput(to: FrameReceivers, iface: NetInterface, frame: Uint8Array, now: number, checksumVouched = false): void {
  const c = to.host.counters;
  const coalescing = iface.offloads.rxChecksumAndCoalescing === true;
  if (iface.linkType !== 'ethernet') {
    if (!coalescing && !iface.isLoopback && frame.length > iface.mtu) return void c.drop('ipv4', 'ip-larger-than-mtu');
    const version = frame.length > 0 ? frame[0]! >> 4 : 0;
    if (version === 4) to.ipv4.input(iface, frame, now, checksumVouched);
    else if (version === 6) to.ipv6.input(iface, frame, now, undefined, checksumVouched);
    else c.drop('ipv4', 'ip-bad-version');
    return;
  }
  c.add('eth', 'InFrames');
  if (!coalescing && frame.length > iface.mtu + ETHERNET_HEADER_LEN) return void c.drop('eth', 'eth-larger-than-mtu');
  // The header is read in place: no parsed copy per frame.
  const eth = checkEthernetII(frame);
  if (isDrop(eth)) return void c.drop('eth', eth);
  const etherType = eth.etherType;
  if (eth.tagCount > 0) return void c.drop('eth', 'eth-vlan-tagged');
  if (!iface.acceptsMac(frame)) return void c.drop('eth', 'eth-not-for-us');
  switch (etherType) {
    case EtherType.ARP:
      arpInput(to.host, iface, frame.subarray(ETHERNET_HEADER_LEN), now);
      return;
    case EtherType.IPv4:
      to.ipv4.input(iface, frame.subarray(ETHERNET_HEADER_LEN), now, checksumVouched);
      return;
    case EtherType.IPv6:
      to.ipv6.input(iface, frame.subarray(ETHERNET_HEADER_LEN), now, eth.source, checksumVouched);
      return;
    default:
      c.drop('eth', 'eth-unknown-ethertype');
  }
}
