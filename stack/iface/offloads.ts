/**
 * Which of a link's offers (`LinkOffloads`) an interface uses. The stack takes what it knows how
 * to use and what is consistent: segmentation only with checksum offload (a segment the link cuts
 * needs a checksum per piece, which only the link can then compute) and only when it allows
 * packets larger than the MTU.
 */

import type { LinkOffloads } from '../link';

/** The largest IP packet a length field can describe (IPv4 total length, IPv6 without jumbograms). */
const MAX_IP_PACKET = 65535;

export function agreeOffloads(offered: LinkOffloads | undefined, wanted: boolean, mtu: number): LinkOffloads {
  const agreed: LinkOffloads = {};
  if (!wanted || offered === undefined) return agreed;
  if (offered.txTcpChecksum === true) {
    agreed.txTcpChecksum = true;
    const tso = offered.txTcpSegmentation;
    if (tso !== undefined && Number.isInteger(tso) && tso > mtu) agreed.txTcpSegmentation = Math.min(tso, MAX_IP_PACKET);
  }
  if (offered.rxChecksumAndCoalescing === true) agreed.rxChecksumAndCoalescing = true;
  return agreed;
}
