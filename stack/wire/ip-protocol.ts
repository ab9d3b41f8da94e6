/**
 * Named code points: EtherTypes (IEEE 802 numbers registry, RFC 9542) and IP protocol numbers,
 * which are also IPv6 Next Header values (IANA "Assigned Internet Protocol Numbers").
 * Unknown values stay numbers and print in hex.
 */

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  /** IEEE 802.1Q customer VLAN tag (C-tag). */
  VLAN: 0x8100,
  IPv6: 0x86dd,
  /** IEEE 802.1ad service VLAN tag (S-tag), the outer tag of QinQ. */
  QinQ: 0x88a8,
} as const;

/** EtherType values below this are IEEE 802.3 length fields, not types (IEEE 802.3 §3.2.6). */
export const ETHERTYPE_MIN = 0x0600;

export const IpProtocol = {
  /** IPv6 Hop-by-Hop Options (RFC 8200 §4.3); only as the first IPv6 next header. */
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  /** IPv6 Routing header (RFC 8200 §4.4). */
  IPv6Route: 43,
  /** IPv6 Fragment header (RFC 8200 §4.5). */
  IPv6Frag: 44,
  /** Encapsulating Security Payload (RFC 4303). */
  ESP: 50,
  /** Authentication Header (RFC 4302). */
  AH: 51,
  ICMPv6: 58,
  /** IPv6 No Next Header (RFC 8200 §4.7). */
  IPv6NoNxt: 59,
  /** IPv6 Destination Options (RFC 8200 §4.6). */
  IPv6Opts: 60,
} as const;

/** `0x86dd` style: four hex digits with a 0x prefix. */
export function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

const etherTypeNames: ReadonlyMap<number, string> = new Map([
  [EtherType.IPv4, 'IPv4'],
  [EtherType.ARP, 'ARP'],
  [EtherType.VLAN, '802.1Q'],
  [EtherType.IPv6, 'IPv6'],
  [EtherType.QinQ, '802.1ad'],
]);

/** `IPv4`, `ARP` … or the hex number for unknown types. */
export function etherTypeName(t: number): string {
  return etherTypeNames.get(t) ?? hex16(t);
}

const ipProtocolNames: ReadonlyMap<number, string> = new Map([
  [IpProtocol.HopByHop, 'HBH'],
  [IpProtocol.ICMP, 'ICMP'],
  [IpProtocol.IGMP, 'IGMP'],
  [IpProtocol.TCP, 'TCP'],
  [IpProtocol.UDP, 'UDP'],
  [IpProtocol.IPv6Route, 'routing'],
  [IpProtocol.IPv6Frag, 'frag'],
  [IpProtocol.ESP, 'ESP'],
  [IpProtocol.AH, 'AH'],
  [IpProtocol.ICMPv6, 'ICMP6'],
  [IpProtocol.IPv6NoNxt, 'no-next-header'],
  [IpProtocol.IPv6Opts, 'DSTOPT'],
]);

/** `TCP`, `ICMP6` … or `ip-proto-0x..` for unknown numbers. */
export function ipProtocolName(p: number): string {
  return ipProtocolNames.get(p) ?? `ip-proto-0x${p.toString(16).padStart(2, '0')}`;
}
