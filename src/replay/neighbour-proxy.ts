/**
 * Answers usernet's address resolution on the peer's behalf (ARP, RFC 826; NDP, RFC 4861
 * §7.2.4) when the capture cannot: captures made with permanent neighbour entries (as
 * `scripts/make-fixtures.sh` makes them) contain no ARP or NDP at all, yet usernet, which has no
 * static neighbour entries, must resolve the peer before it can answer. The answer is built from
 * the peer's own MAC as the capture shows it, and the request it answers is set aside as
 * "resolution" rather than compared.
 */

import { IpAddress, bytesEqual, type MacAddress } from '../../stack/wire/address';
import { ArpOp, emitArp, ARP_LEN } from '../../stack/wire/arp';
import { pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { emitEthernet, ETHERNET_HEADER_LEN } from '../../stack/wire/ethernet';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { emitIpv6, IPV6_HEADER_LEN } from '../../stack/wire/ipv6';
import { emitNdp, ndpLen, type NdpNeighborAdvertisement } from '../../stack/wire/ndp';
import { sentBy, type Endpoint } from './endpoint';
import type { Packet } from './packet';

export class NeighbourProxy {
  /** Peer address key → its MAC, for peers the capture never shows answering a resolution. */
  private readonly silent = new Map<string, MacAddress>();

  constructor(ep: Endpoint, packets: readonly Packet[]) {
    const answered = new Set<string>();
    for (const p of packets) {
      if (sentBy(ep, p) || p.ethSrc === null) continue;
      if (p.arp !== undefined && p.arp.op === ArpOp.Reply) answered.add(IpAddress.v4(p.arp.spa).key);
      if (p.icmp?.kind === 'neighbor-advertisement') answered.add(IpAddress.v6(p.icmp.target).key);
    }
    for (const p of packets) {
      if (sentBy(ep, p) || p.ethSrc === null || p.ip === undefined) continue;
      const src = p.ip.src;
      if (src.isUnspecified() || answered.has(src.key) || this.silent.has(src.key)) continue;
      this.silent.set(src.key, p.ethSrc);
    }
  }

  /**
   * The frame answering usernet's `request` for the peer, or null when `request` is not a
   * resolution the proxy takes over (not ARP/NS, not for a silent peer).
   */
  answer(request: Packet, ourMac: MacAddress): Uint8Array | null {
    if (request.arp !== undefined && request.arp.op === ArpOp.Request) {
      const mac = this.silent.get(IpAddress.v4(request.arp.tpa).key);
      if (mac === undefined) return null;
      const arp = new Uint8Array(ARP_LEN);
      emitArp({ op: ArpOp.Reply, sha: mac, spa: request.arp.tpa, tha: request.arp.sha, tpa: request.arp.spa }, arp);
      return frame(mac, bytesEqual(request.arp.sha, ourMac) ? ourMac : request.arp.sha, EtherType.ARP, arp);
    }
    const m = request.icmp;
    if (m?.kind !== 'neighbor-solicitation' || request.ip === undefined) return null;
    const target = IpAddress.v6(m.target);
    const mac = this.silent.get(target.key);
    if (mac === undefined) return null;
    // RFC 4861 §7.2.4: to the solicitation's source (all-nodes when it was ::), S set unless
    // the source was unspecified, O set, the target's link-layer address attached.
    const fromUnspecified = request.ip.src.isUnspecified();
    const dst = fromUnspecified ? IpAddress.parse('ff02::1')! : request.ip.src;
    const na: NdpNeighborAdvertisement = {
      kind: 'neighbor-advertisement',
      router: false,
      solicited: !fromUnspecified,
      override: true,
      target: target.bytes,
      options: { targetLinkLayerAddress: mac },
    };
    const len = ndpLen(na);
    const packet = new Uint8Array(IPV6_HEADER_LEN + len);
    emitNdp(na, packet, pseudoHeaderSumV6(target.bytes, dst.bytes, IpProtocol.ICMPv6, len), IPV6_HEADER_LEN);
    emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.ICMPv6, hopLimit: 255, src: target.bytes, dst: dst.bytes, payload: packet.subarray(IPV6_HEADER_LEN) }, packet);
    return frame(mac, fromUnspecified ? Uint8Array.of(0x33, 0x33, 0, 0, 0, 1) : ourMac, EtherType.IPv6, packet);
  }
}

function frame(src: MacAddress, dst: MacAddress, etherType: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETHERNET_HEADER_LEN + payload.length);
  emitEthernet({ src, dst, etherType, payload }, f);
  return f;
}
