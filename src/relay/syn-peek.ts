/**
 * A glance at a received Ethernet frame: is it a TCP SYN opening a connection (SYN set, ACK clear,
 * RFC 9293 §3.5), and to which port? Used to open a listener on demand before the frame reaches
 * the stack. Only fixed headers are read — Ethernet II (IEEE 802.3), IPv4 without being a later
 * fragment (RFC 791), IPv6 with TCP as the first next header (RFC 8200) — and everything is
 * bounds-checked; anything else is "not a SYN" and goes to the stack unchanged, which is where
 * frames are validated.
 */

const ETH_TYPE = 12;
const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPV4_PROTOCOL = 9;
const IPV4_FRAGMENT = 6;
const IPV6_NEXT_HEADER = 6;
const IPV6_HEADER = 40;
const PROTO_TCP = 6;
const TCP_DST_PORT = 2;
const TCP_FLAGS = 13;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

export interface SynDestination {
  family: 4 | 6;
  port: number;
}

/** The family and destination port of a connection-opening SYN in `frame`, else null. */
export function synDestination(frame: Uint8Array): SynDestination | null {
  if (frame.length < ETH_HEADER) return null;
  const type = (frame[ETH_TYPE]! << 8) | frame[ETH_TYPE + 1]!;
  let tcp: number;
  let family: 4 | 6;
  if (type === ETHERTYPE_IPV4) {
    if (frame.length < ETH_HEADER + 20) return null;
    const ihl = (frame[ETH_HEADER]! & 0x0f) * 4;
    if (ihl < 20 || frame[ETH_HEADER + IPV4_PROTOCOL] !== PROTO_TCP) return null;
    // A fragment other than the first carries no TCP header.
    const fragOffset = ((frame[ETH_HEADER + IPV4_FRAGMENT]! & 0x1f) << 8) | frame[ETH_HEADER + IPV4_FRAGMENT + 1]!;
    if (fragOffset !== 0) return null;
    tcp = ETH_HEADER + ihl;
    family = 4;
  } else if (type === ETHERTYPE_IPV6) {
    if (frame[ETH_HEADER + IPV6_NEXT_HEADER] !== PROTO_TCP) return null;
    tcp = ETH_HEADER + IPV6_HEADER;
    family = 6;
  } else {
    return null;
  }
  if (frame.length < tcp + 20) return null;
  const flags = frame[tcp + TCP_FLAGS]!;
  if ((flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return null;
  const port = (frame[tcp + TCP_DST_PORT]! << 8) | frame[tcp + TCP_DST_PORT + 1]!;
  return port === 0 ? null : { family, port };
}
