/**
 * Decoding TCP (RFC 9293) and UDP (RFC 768) for the frame decoder. Checksums are reported, not
 * enforced: a capture taken on the sending host before offload carries wrong ones.
 */

import { Drop, drop, isDrop } from '../../stack/wire/drop';
import { TcpView, parseTcp, tcpChecksumOk, tcpFlagsString } from '../../stack/wire/tcp';
import { formatTcpOptionBytes } from '../../stack/wire/tcp-options';
import { UDP_HEADER_LEN, UdpView, udpChecksumStatus } from '../../stack/wire/udp';
import type { ChecksumStatus, DecodedTcp, DecodedUdp } from './types';

/**
 * What the IP layer tells the transport decoder: the pseudo-header sum for a protocol and
 * length, and whether the segment is whole (not a first fragment whose rest is elsewhere).
 */
export interface TransportContext {
  pseudoSum(protocol: number, length: number): number;
  whole: boolean;
  ipv6: boolean;
}

/** `seg` is the IP payload (the whole segment when `ctx.whole`). */
export function decodeTcp(seg: Uint8Array, ctx: TransportContext): DecodedTcp | Drop {
  const repr = parseTcp(seg);
  if (isDrop(repr)) return repr;
  const v = TcpView.check(seg) as TcpView; // parseTcp succeeded, so check does
  const hl = v.headerLen;
  const status: ChecksumStatus = !ctx.whole
    ? 'unverified'
    : tcpChecksumOk(seg, ctx.pseudoSum(6, seg.length))
      ? 'ok'
      : 'bad';
  return {
    protocol: 'tcp',
    srcPort: repr.srcPort,
    dstPort: repr.dstPort,
    seq: repr.seq,
    ack: repr.ack,
    flags: tcpFlagsString(repr.flags),
    flagBits: repr.flags,
    headerLength: hl,
    window: repr.window,
    urgent: repr.urgent,
    checksum: v.checksum,
    checksumStatus: status,
    options: repr.options,
    optionsText: formatTcpOptionBytes(seg, 20, hl),
    payloadLength: repr.payload.length,
  };
}

/** `dgram` is the IP payload. A first fragment is decoded from its header alone. */
export function decodeUdp(dgram: Uint8Array, ctx: TransportContext): DecodedUdp | Drop {
  if (!ctx.whole) {
    if (dgram.length < UDP_HEADER_LEN) return drop('udp-truncated');
    const field = (i: number): number => (dgram[i]! << 8) | dgram[i + 1]!;
    const length = field(4);
    if (length < UDP_HEADER_LEN) return drop('udp-bad-length');
    return {
      protocol: 'udp',
      srcPort: field(0),
      dstPort: field(2),
      length,
      payloadLength: length - UDP_HEADER_LEN,
      checksum: field(6),
      checksumStatus: 'unverified',
    };
  }
  const v = UdpView.check(dgram);
  if (isDrop(v)) return v;
  return {
    protocol: 'udp',
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    length: v.length,
    payloadLength: v.length - UDP_HEADER_LEN,
    checksum: v.checksum,
    checksumStatus: udpStatus(dgram, ctx),
  };
}

/** A zero UDP checksum is "none" over IPv4 and an error over IPv6 (RFC 8200 §8.1). */
function udpStatus(dgram: Uint8Array, ctx: TransportContext): ChecksumStatus {
  const status = udpChecksumStatus(dgram, ctx.pseudoSum(17, dgram.length));
  return status === 'none' && ctx.ipv6 ? 'bad' : status;
}
