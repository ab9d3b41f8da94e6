/**
 * Fuzz support: a forgiving look at where the layers of an Ethernet frame start, so mutators can
 * aim at length fields and options, and so checksums can be made to verify again after a
 * mutation (otherwise almost every mutated frame would stop at the first checksum). Nothing here
 * trusts the bytes: every read is bounds-checked, and garbage gives a shorter layout, never a throw.
 */

import { sumBytes, finishChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';

export interface FrameLayout {
  /** Offset of the IP header, or -1 when the frame is not IPv4/IPv6 (ARP: see `arp`). */
  ip: number;
  version: 0 | 4 | 6;
  /** Offset of the upper-layer header (after IPv4 options or IPv6 extension headers), or -1. */
  l4: number;
  /** Upper-layer protocol number, or -1. */
  protocol: number;
  /** End of the IP packet as its length field says, clamped to the frame. */
  end: number;
  /** True when this packet is a non-first fragment (the upper-layer header is not here). */
  laterFragment: boolean;
  /** Offset of an ARP payload, or -1. */
  arp: number;
}

const u16 = (b: Uint8Array, o: number): number => (o + 1 < b.length ? (b[o]! << 8) | b[o + 1]! : 0);

export function layoutOf(f: Uint8Array): FrameLayout {
  const none: FrameLayout = { ip: -1, version: 0, l4: -1, protocol: -1, end: f.length, laterFragment: false, arp: -1 };
  if (f.length < 14) return none;
  const type = u16(f, 12);
  if (type === EtherType.ARP) return { ...none, arp: 14 };
  const ip = 14;
  if (type === EtherType.IPv4 && f.length >= ip + 20) {
    const hl = (f[ip]! & 0x0f) * 4;
    const end = Math.min(f.length, ip + u16(f, ip + 2));
    const frag = u16(f, ip + 6) & 0x1fff;
    const l4 = ip + hl <= end && hl >= 20 ? ip + hl : -1;
    return { ip, version: 4, l4, protocol: f[ip + 9]!, end, laterFragment: frag !== 0, arp: -1 };
  }
  if (type === EtherType.IPv6 && f.length >= ip + 40) {
    const end = Math.min(f.length, ip + 40 + u16(f, ip + 4));
    let nh = f[ip + 6]!;
    let off = ip + 40;
    let laterFragment = false;
    for (let i = 0; i < 8; i++) {
      if (nh !== IpProtocol.HopByHop && nh !== IpProtocol.IPv6Opts && nh !== IpProtocol.IPv6Route && nh !== IpProtocol.IPv6Frag) break;
      if (off + 8 > end) return { ip, version: 6, l4: -1, protocol: -1, end, laterFragment, arp: -1 };
      const next = f[off]!;
      if (nh === IpProtocol.IPv6Frag) {
        laterFragment = (u16(f, off + 2) & 0xfff8) !== 0;
        off += 8;
      } else {
        off += (f[off + 1]! + 1) * 8;
      }
      nh = next;
    }
    return { ip, version: 6, l4: off <= end ? off : -1, protocol: nh, end, laterFragment, arp: -1 };
  }
  return none;
}

function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** Where each upper-layer protocol keeps its checksum, from the start of its header. */
const CHECKSUM_AT: Readonly<Record<number, number>> = {
  [IpProtocol.TCP]: 16,
  [IpProtocol.UDP]: 6,
  [IpProtocol.ICMP]: 2,
  [IpProtocol.ICMPv6]: 2,
};

/**
 * Rewrites the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum (over the bytes the IP
 * length delimits) in place so they verify, where the layout allows. Returns the frame.
 */
export function fixChecksums(f: Uint8Array): Uint8Array {
  const l = layoutOf(f);
  if (l.version === 4) {
    const hl = (f[l.ip]! & 0x0f) * 4;
    if (hl >= 20 && l.ip + hl <= f.length) {
      putU16(f, l.ip + 10, 0);
      putU16(f, l.ip + 10, finishChecksum(sumBytes(f, l.ip, l.ip + hl)));
    }
  }
  if (l.l4 < 0 || l.laterFragment) return f;
  const at = CHECKSUM_AT[l.protocol];
  if (at === undefined || l.l4 + at + 2 > l.end) return f;
  const len = l.end - l.l4;
  let pseudo = 0;
  if (l.version === 4) {
    if (l.protocol !== IpProtocol.ICMP) {
      const src = ((f[l.ip + 12]! << 24) | (f[l.ip + 13]! << 16) | (f[l.ip + 14]! << 8) | f[l.ip + 15]!) >>> 0;
      const dst = ((f[l.ip + 16]! << 24) | (f[l.ip + 17]! << 16) | (f[l.ip + 18]! << 8) | f[l.ip + 19]!) >>> 0;
      pseudo = pseudoHeaderSumV4(src, dst, l.protocol, len);
    }
  } else {
    pseudo = pseudoHeaderSumV6(f.subarray(l.ip + 8, l.ip + 24), f.subarray(l.ip + 24, l.ip + 40), l.protocol, len);
  }
  putU16(f, l.l4 + at, 0);
  let ck = finishChecksum(sumBytes(f, l.l4, l.end, pseudo));
  if (ck === 0 && l.protocol === IpProtocol.UDP) ck = 0xffff;
  putU16(f, l.l4 + at, ck);
  return f;
}
