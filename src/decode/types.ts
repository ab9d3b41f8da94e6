/**
 * What the frame decoder reports, one object per frame. Every field is plain JSON: numbers as
 * numbers, addresses in their usual text, sequence numbers raw (never relative), so that the
 * object can be printed as one JSON line and compared field by field with tshark.
 */

import type { TcpOptions } from '../../stack/wire/tcp';

/**
 * `ok`: verified. `bad`: does not verify (a capture taken before checksum offload shows these on
 * outgoing frames). `none`: an IPv4 UDP datagram sent without one. `unverified`: the bytes to
 * verify are not all here (a fragment, a snapped capture).
 */
export type ChecksumStatus = 'ok' | 'bad' | 'none' | 'unverified';

export interface DecodedVlanTag {
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
}

export interface DecodedEthernet {
  src: string;
  dst: string;
  /** After any VLAN tags. */
  etherType: number;
  vlan?: DecodedVlanTag[];
}

export interface DecodedArp {
  protocol: 'arp';
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface DecodedIpv4 {
  protocol: 'ipv4';
  src: string;
  dst: string;
  headerLength: number;
  totalLength: number;
  dscp: number;
  ecn: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes. */
  fragmentOffset: number;
  ttl: number;
  /** The IP protocol number of the payload. */
  nextProtocol: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  optionsLength: number;
}

export interface DecodedIpv6Extension {
  /** Next Header value naming this header: 0, 43, 44, 51, 60. */
  type: number;
  /** Offset from the start of the IPv6 packet, and length, in bytes. */
  offset: number;
  length: number;
  /** Fragment header only. */
  identification?: number;
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Routing header only. */
  routingType?: number;
  segmentsLeft?: number;
}

export interface DecodedIpv6 {
  protocol: 'ipv6';
  src: string;
  dst: string;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  hopLimit: number;
  /** The fixed header's Next Header. */
  nextHeader: number;
  extensions: DecodedIpv6Extension[];
  /** The upper-layer protocol after the extension headers. */
  nextProtocol: number;
}

export interface DecodedTcp {
  protocol: 'tcp';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** tcpdump's letters (`S.`), and the flags byte. */
  flags: string;
  flagBits: number;
  headerLength: number;
  window: number;
  urgent: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  options: TcpOptions;
  /** The options as they are on the wire, tcpdump's text (`mss 1460,sackOK,…`). */
  optionsText: string;
  payloadLength: number;
}

export interface DecodedUdp {
  protocol: 'udp';
  srcPort: number;
  dstPort: number;
  /** The UDP length field (header + data). */
  length: number;
  payloadLength: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
}

export interface DecodedIcmp {
  protocol: 'icmpv4' | 'icmpv6';
  type: number;
  code: number;
  /** `echo request`, `port unreachable`, `neighbor solicitation` … */
  name: string;
  checksum: number;
  checksumStatus: ChecksumStatus;
  /** Echo request and reply. */
  identifier?: number;
  sequence?: number;
  /** Bytes after the 8-byte header (echo data, the quoted datagram). */
  dataLength: number;
  /** Fragmentation needed (ICMPv4 type 3 code 4) / packet too big (ICMPv6 type 2). */
  mtu?: number;
  /** Parameter problem. */
  pointer?: number;
  /** ICMPv4 redirect gateway. */
  gateway?: string;
  /** NDP: the target (NS, NA, redirect) and redirect destination. */
  target?: string;
  destination?: string;
  /** NDP neighbor advertisement flags. */
  router?: boolean;
  solicited?: boolean;
  override?: boolean;
  /** NDP options. */
  sourceLinkLayerAddress?: string;
  targetLinkLayerAddress?: string;
  /** The rest of the text line for this message (tcpdump-like). */
  text: string;
}

export type DecodedNetwork = DecodedArp | DecodedIpv4 | DecodedIpv6;
export type DecodedTransport = DecodedTcp | DecodedUdp | DecodedIcmp;

export interface DecodedFrame {
  /** Bytes captured for this frame. */
  length: number;
  ethernet?: DecodedEthernet;
  network?: DecodedNetwork;
  transport?: DecodedTransport;
  /**
   * Why decoding stopped: the first layer that made no sense (`'tcp-truncated'`). The layers
   * decoded before it are kept.
   */
  drop?: string;
  /** Why decoding stopped without anything being wrong: `'non-first fragment'`, `'ethertype 0x88cc'`. */
  note?: string;
}
