/**
 * The UDP header (RFC 768): ports, length, checksum over the pseudo-header. For IPv4 a zero
 * checksum means "none computed"; for IPv6 the checksum is mandatory (RFC 8200 §8.1).
 */

import { Drop, drop, isDrop } from './drop';
import { finishChecksum, sumBytes, verifies } from './checksum';

const F = { srcPort: 0, dstPort: 2, length: 4, checksum: 6 } as const;

export const UDP_HEADER_LEN = 8;

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** The datagram's data: a view into the packet when parsed; the sender's bytes when emitted. */
  payload: Uint8Array;
}

/** A UDP header read in place. Once `check` returns a view, no getter reads out of bounds. */
export class UdpView {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly dv: DataView,
  ) {}

  /**
   * For untrusted bytes: `b` is the IP payload. Needs the 8-byte header and a length field
   * between 8 and `b.length` (bytes after `length` are ignored, as Linux trims them).
   */
  static check(b: Uint8Array): UdpView | Drop {
    if (b.byteLength < UDP_HEADER_LEN) return drop('udp-truncated');
    const v = new UdpView(b, new DataView(b.buffer, b.byteOffset, b.byteLength));
    const len = v.length;
    return len < UDP_HEADER_LEN || len > b.byteLength ? drop('udp-bad-length') : v;
  }

  get srcPort(): number {
    return this.dv.getUint16(F.srcPort);
  }
  get dstPort(): number {
    return this.dv.getUint16(F.dstPort);
  }
  /** Header plus data, in bytes (RFC 768 "Length"). */
  get length(): number {
    return this.dv.getUint16(F.length);
  }
  get checksum(): number {
    return this.dv.getUint16(F.checksum);
  }
  /** The data up to `length`: a view into the packet, not a copy. */
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LEN, this.length);
  }

  toString(): string {
    return `UDP ${this.srcPort} > ${this.dstPort} len ${this.length - UDP_HEADER_LEN}`;
  }
}

/** What a receiver concludes from the checksum field. */
export type UdpChecksumStatus = 'ok' | 'bad' | 'none';

/**
 * Verifies the datagram `b` (already `check`ed) against `pseudoSum`: `pseudoHeaderSumV4/V6` with
 * protocol 17 and length `b.length`, the IP payload length. When the UDP length field is shorter
 * than `b`, the sum is corrected to use the UDP length, since that is what the sender summed.
 * A zero field is `'none'` (only acceptable over IPv4).
 */
export function udpChecksumStatus(b: Uint8Array, pseudoSum: number): UdpChecksumStatus {
  const field = (b[F.checksum]! << 8) | b[F.checksum + 1]!;
  if (field === 0) return 'none';
  const len = (b[F.length]! << 8) | b[F.length + 1]!;
  // The pseudo-header sum is an unfolded sum of 16-bit terms, one of which is the length
  // (b.length ≤ 0xffff here), so swapping that term is exact.
  const sum = sumBytes(b, 0, len, pseudoSum - b.length + len);
  return verifies(sum) ? 'ok' : 'bad';
}

/**
 * Parses a datagram into a repr whose payload is a view into `b`. With `pseudoSum` (see
 * `udpChecksumStatus`) the checksum is verified; a zero checksum is accepted over IPv4 (RFC 768:
 * "all zero … means that the transmitter generated no checksum") and dropped over IPv6
 * (RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero checksum").
 * Drops: `udp-truncated`, `udp-bad-length`, `udp-bad-checksum`, `udp-zero-checksum`.
 */
export function parseUdp(b: Uint8Array, pseudoSum?: number, isIpv6 = false): UdpRepr | Drop {
  const v = UdpView.check(b);
  if (isDrop(v)) return v;
  if (pseudoSum !== undefined) {
    const status = udpChecksumStatus(b, pseudoSum);
    if (status === 'bad') return drop('udp-bad-checksum');
    if (status === 'none' && isIpv6) return drop('udp-zero-checksum');
  }
  return { srcPort: v.srcPort, dstPort: v.dstPort, payload: v.payload };
}

/** Bytes `emitUdp` writes for `repr`. */
export function udpLen(repr: UdpRepr): number {
  return UDP_HEADER_LEN + repr.payload.length;
}

/**
 * Writes the header and the payload (copied) into `into[0..)` with the checksum, and returns
 * the bytes written (`udpLen(repr)`). `pseudoSum` is `pseudoHeaderSumV4/V6` with protocol 17
 * and length `udpLen(repr)`. A computed checksum of zero is sent as 0xffff (RFC 768; RFC 8200
 * §8.1), since zero means "none". Both families do this, so `_isIpv6` changes nothing today; it
 * is part of the signature so that callers state the family (IPv6 jumbograms, RFC 2675, would
 * need it). A buffer too short, or a payload longer than the 16-bit length allows, is a caller
 * bug and throws RangeError.
 */
export function emitUdp(repr: UdpRepr, into: Uint8Array, pseudoSum: number, _isIpv6: boolean): number {
  const total = udpLen(repr);
  if (total > 0xffff) throw new RangeError(`emitUdp: ${total} bytes exceed the 16-bit length field`);
  if (into.length < total) throw new RangeError(`emitUdp: need ${total} bytes, buffer has ${into.length}`);
  into[F.srcPort] = (repr.srcPort >>> 8) & 0xff;
  into[F.srcPort + 1] = repr.srcPort & 0xff;
  into[F.dstPort] = (repr.dstPort >>> 8) & 0xff;
  into[F.dstPort + 1] = repr.dstPort & 0xff;
  into[F.length] = total >>> 8;
  into[F.length + 1] = total & 0xff;
  into[F.checksum] = 0;
  into[F.checksum + 1] = 0;
  into.set(repr.payload, UDP_HEADER_LEN);
  const ck = finishChecksum(sumBytes(into, 0, total, pseudoSum)) || 0xffff;
  into[F.checksum] = ck >>> 8;
  into[F.checksum + 1] = ck & 0xff;
  return total;
}

/** One line like tcpdump's: `UDP 5353 > 53 len 12` (the data length). */
export function formatUdp(repr: UdpRepr): string {
  return `UDP ${repr.srcPort} > ${repr.dstPort} len ${repr.payload.length}`;
}
