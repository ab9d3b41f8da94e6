/**
 * Which of a link's offers (`LinkOffloads`) an interface uses. The stack takes what it knows how
 * to use and what is consistent: segmentation only with checksum offload (a segment the link cuts
 * needs a checksum per piece, which only the link can then compute), only when it allows
 * packets larger than the MTU, and only when the interface uses the link's own MTU: the link cuts
 * at its MTU, so on an interface configured smaller the pieces would exceed what TCP's MSS (and
 * the peer) allow.
 */

import type { LinkOffloads } from '../link';

/** The largest IP packet a length field can describe (IPv4 total length, IPv6 without jumbograms). */
const MAX_IP_PACKET = 65535;

export function agreeOffloads(offered: LinkOffloads | undefined, wanted: boolean, mtu: number, linkMtu = mtu): LinkOffloads {
  const agreed: LinkOffloads = {};
  if (!wanted || offered === undefined) return agreed;
  if (offered.txTcpChecksum === true) {
    agreed.txTcpChecksum = true;
    const tso = offered.txTcpSegmentation;
    if (tso !== undefined && Number.isInteger(tso) && tso > mtu && mtu === linkMtu) agreed.txTcpSegmentation = Math.min(tso, MAX_IP_PACKET);
  }
  if (offered.rxChecksumAndCoalescing === true) agreed.rxChecksumAndCoalescing = true;
  return agreed;
}
