/**
 * Checksum offload on in-memory links, as Linux's veth and lo do it: a TCP segment sent with a
 * partial checksum (`LinkOffloads.txTcpChecksum`: the field holds only the folded pseudo-header
 * sum) crosses the link as it is and arrives vouched for (`checksumVouched`) at an end that
 * agreed receive offload; an end that did not gets the checksum completed by the link, so it sees
 * an ordinary frame.
 */

import { finishChecksum, sumBytes } from '../stack/wire/checksum';
import type { LinkOffloads, LinkType } from '../stack/link';

/** What `MemoryLink.pair({ offloads: true })` offers each end: checksums, like veth and lo. */
export const MEMORY_LINK_OFFLOADS: LinkOffloads = Object.freeze({ txTcpChecksum: true, rxChecksumAndCoalescing: true });

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERNET_HEADER = 14;
const TCP = 6;
/** The TCP checksum field's offset in the TCP header (RFC 9293 §3.1). */
const TCP_CHECKSUM = 16;

/**
 * The TCP segment of `frame` when it is one the stack sends with a partial checksum under
 * `txTcpChecksum` (a TCP segment right after an IPv4 header without options, unfragmented, or an
 * IPv6 header without extension headers); null for anything else, and for frames too short to
 * hold what their headers announce.
 */
export function partialTcpSegment(frame: Uint8Array, linkType: LinkType): Uint8Array | null {
  let ip = 0;
  if (linkType === 'ethernet') {
    if (frame.length < ETHERNET_HEADER) return null;
    const etherType = (frame[12]! << 8) | frame[13]!;
    if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return null;
    ip = ETHERNET_HEADER;
  }
  const version = frame.length > ip ? frame[ip]! >> 4 : 0;
  let start: number;
  let end: number;
  if (version === 4) {
    if (frame.length < ip + 20 || frame[ip]! !== 0x45 || frame[ip + 9] !== TCP) return null;
    if ((((frame[ip + 6]! << 8) | frame[ip + 7]!) & 0x3fff) !== 0) return null; // a fragment (MF or an offset)
    start = ip + 20;
    end = ip + ((frame[ip + 2]! << 8) | frame[ip + 3]!);
  } else if (version === 6) {
    if (frame.length < ip + 40 || frame[ip + 6] !== TCP) return null;
    start = ip + 40;
    end = start + ((frame[ip + 4]! << 8) | frame[ip + 5]!);
  } else {
    return null;
  }
  if (end > frame.length || end - start < 20) return null;
  return frame.subarray(start, end);
}

/**
 * Completes a partial checksum in place. The field holds the pseudo-header sum, so the sum of the
 * segment as it stands is pseudo-header + header + data: its complement is the checksum
 * (RFC 1071), and a receiver summing the result with the pseudo-header gets 0xffff.
 */
export function completeTcpChecksum(segment: Uint8Array): void {
  const ck = finishChecksum(sumBytes(segment));
  segment[TCP_CHECKSUM] = ck >> 8;
  segment[TCP_CHECKSUM + 1] = ck & 0xff;
}
