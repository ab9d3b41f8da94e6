/**
 * Which hostile frames the stack fuzzer may inject without making "the connection keeps
 * working" a false requirement. Some frames are indistinguishable from the real peer and
 * legitimately change a connection (RFC 9293 cannot tell them apart): an in-window segment with
 * a valid checksum (new data, FIN, a RST at exactly RCV.NXT, a newer timestamp that PAWS would
 * then enforce), an ARP or NDP message re-pointing a peer's address to another MAC, a redirect.
 * Those are "forgeries": counted, not injected. Everything else — garbage, segments outside the
 * window, pure ACKs with any ACK number, window, SACK blocks or options soup, ICMP errors,
 * SYN floods, fragments, other addresses — is fair game.
 */

import { parseEthernet } from '../../stack/wire/ethernet';
import { parseArp } from '../../stack/wire/arp';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { parseTcp, TcpFlag } from '../../stack/wire/tcp';
import { parseIcmpv4 } from '../../stack/wire/icmpv4';
import { parseIcmpv6 } from '../../stack/wire/icmpv6';
import { isDrop } from '../../stack/wire/drop';
import { IpAddress } from '../../stack/wire/address';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { seqAdd, seqDiff } from '../../stack/tcp/seq';
import type { Stack } from '../../stack/stack';

export type Verdict = 'inject' | 'forged-segment' | 'forged-neighbour' | 'forged-redirect';

/** Every address either stack owns (link-local ones included). */
export function stackAddresses(stacks: readonly Stack[]): Set<string> {
  const keys = new Set<string>();
  for (const s of stacks) {
    for (const i of s.interfaces) {
      for (const a of i.ipv4) keys.add(IpAddress.v4(a.address).key);
      for (const a of i.ipv6) keys.add(a.address.key);
    }
  }
  return keys;
}

/** Decides whether `frame`, arriving at `target`, may be injected (see the module comment). */
export function verdict(frame: Uint8Array, target: Stack, owned: Set<string>): Verdict {
  const eth = parseEthernet(frame);
  if (isDrop(eth)) return 'inject';
  if (eth.etherType === EtherType.ARP) {
    const arp = parseArp(eth.payload);
    return !isDrop(arp) && owned.has(IpAddress.v4(arp.spa).key) ? 'forged-neighbour' : 'inject';
  }
  let src: IpAddress;
  let dst: IpAddress;
  let protocol: number;
  let l4: Uint8Array;
  if (eth.etherType === EtherType.IPv4) {
    const ip = parseIpv4(eth.payload);
    if (isDrop(ip) || ip.fragmentOffset !== 0 || ip.moreFragments) return 'inject';
    [src, dst, protocol, l4] = [IpAddress.v4(ip.src), IpAddress.v4(ip.dst), ip.protocol, ip.payload];
  } else if (eth.etherType === EtherType.IPv6) {
    const ip = parseIpv6(eth.payload);
    if (isDrop(ip)) return 'inject';
    // A fragment may complete a datagram that forges anything: treat fragments as forgeries.
    if (ip.fragment !== undefined) return 'forged-segment';
    [src, dst, protocol, l4] = [IpAddress.v6(ip.src), IpAddress.v6(ip.dst), ip.upperLayerProtocol, ip.upperLayerPayload];
  } else {
    return 'inject';
  }
  if (protocol === IpProtocol.ICMP) {
    const m = parseIcmpv4(l4);
    return !isDrop(m) && m.kind === 'redirect' ? 'forged-redirect' : 'inject';
  }
  if (protocol === IpProtocol.ICMPv6) {
    const m = parseIcmpv6(l4);
    if (isDrop(m)) return 'inject';
    if (m.kind === 'redirect') return 'forged-redirect';
    if (m.kind === 'neighbor-advertisement' || m.kind === 'neighbor-solicitation' || m.kind === 'router-advertisement' || m.kind === 'router-solicitation') {
      const target = 'target' in m ? IpAddress.v6(m.target) : null;
      if (owned.has(src.key) || (target !== null && owned.has(target.key)) || m.kind === 'router-advertisement') return 'forged-neighbour';
    }
    return 'inject';
  }
  if (protocol !== IpProtocol.TCP) return 'inject';
  const sum = src.family === 4
    ? pseudoHeaderSumV4(src.v4, dst.v4, IpProtocol.TCP, l4.length)
    : pseudoHeaderSumV6(src.bytes, dst.bytes, IpProtocol.TCP, l4.length);
  const seg = parseTcp(l4, sum);
  if (isDrop(seg)) return 'inject';
  const cb = target.tcp.allConnections().find((c) =>
    c.localPort === seg.dstPort && c.remotePort === seg.srcPort && c.local.equals(dst) && c.remote.equals(src));
  if (cb === undefined) return 'inject';
  const len = seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
  const window = Math.max(1, seqDiff(cb.rcvAdvRight, cb.rcvNxt));
  // Entirely before RCV.NXT, or entirely past the right edge: unacceptable (§3.10.7.4), ACKed and dropped.
  if (seqDiff(seqAdd(seg.seq, len), cb.rcvNxt) < 0 || seqDiff(seg.seq, seqAdd(cb.rcvNxt, window)) > 0) return 'inject';
  // A pure ACK with no newer timestamp: may move SND.UNA, the window and the scoreboard only.
  const control = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST | TcpFlag.URG;
  const ts = seg.options.timestamp;
  if ((seg.flags & control) === 0 && len === 0 && (ts === undefined || !cb.tsEnabled || seqDiff(ts.tsVal, cb.tsRecent) <= 0)) return 'inject';
  return 'forged-segment';
}
