/**
 * The first step of every received frame: on an Ethernet link (IEEE 802.3) check the header, drop
 * VLAN-tagged frames and frames for other MACs, and hand the payload to ARP (RFC 826), IPv4 or
 * IPv6 by EtherType; on an IP link (TUN, loopback) pick IPv4 or IPv6 by the version nibble.
 */

import type { NetInterface } from './iface/interface';
import type { NetHost } from './ip/host';
import { arpInput } from './arp/arp';
import type { Ipv4Input } from './ipv4/input';
import type { Ipv6Input } from './ipv6/input';
import { parseEthernet } from './wire/ethernet';
import { EtherType } from './wire/ip-protocol';
import { isDrop } from './wire/drop';

/** Who takes what a frame carries. */
export interface FrameReceivers {
  readonly host: NetHost;
  readonly ipv4: Ipv4Input;
  readonly ipv6: Ipv6Input;
}

/** One frame received on `iface` (a view the driver owns until the stack's `input` returns). */
export function frameInput(to: FrameReceivers, iface: NetInterface, frame: Uint8Array, now: number): void {
  const c = to.host.counters;
  if (iface.linkType !== 'ethernet') {
    const version = frame.length > 0 ? frame[0]! >> 4 : 0;
    if (version === 4) to.ipv4.input(iface, frame, now);
    else if (version === 6) to.ipv6.input(iface, frame, now);
    else c.drop('ipv4', 'ip-bad-version');
    return;
  }
  c.add('eth', 'InFrames');
  const eth = parseEthernet(frame);
  if (isDrop(eth)) return void c.drop('eth', eth);
  if (eth.vlan !== undefined) return void c.drop('eth', 'eth-vlan-tagged');
  if (!iface.acceptsMac(eth.dst)) return void c.drop('eth', 'eth-not-for-us');
  switch (eth.etherType) {
    case EtherType.ARP:
      arpInput(to.host, iface, eth.payload, now);
      return;
    case EtherType.IPv4:
      to.ipv4.input(iface, eth.payload, now);
      return;
    case EtherType.IPv6:
      to.ipv6.input(iface, eth.payload, now, eth.src);
      return;
    default:
      c.drop('eth', 'eth-unknown-ethertype');
  }
}
