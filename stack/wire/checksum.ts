/**
 * The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 cover
 * (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1). Every checksum in usernet is computed here.
 *
 * Sums are kept unfolded in a JavaScript number while bytes are added (a 32-bit accumulator would
 * overflow after 64 KiB of 0xffff words; a double holds exact integers to 2^53, far beyond any
 * packet), and folded once at the end.
 */

/**
 * Adds the bytes `b[start..end)` as big-endian 16-bit words to `sum`. An odd final byte is padded
 * with zero on the right, as RFC 1071 §4.1 does. `start` must be even relative to the start of
 * the checksummed region when a later call continues the same region.
 */
export function sumBytes(b: Uint8Array, start = 0, end = b.length, sum = 0): number {
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i === last) sum += b[i]! << 8;
  return sum;
}

/** Folds a running sum into 16 bits (end-around carry) without complementing it. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to write into a header: the ones' complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** The checksum of `b[start..end)` on its own (IPv4 header, ICMPv4 message). */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length): number {
  return finishChecksum(sumBytes(b, start, end));
}

/**
 * True when a region that includes its own checksum field sums to 0xffff, which is how a
 * receiver verifies (RFC 1071 §1): no need to zero the field first.
 */
export function verifies(sum: number): boolean {
  return fold(sum) === 0xffff;
}

/** Pseudo-header sum for IPv4 (RFC 9293 §3.1): source, destination, zero, protocol, length. */
export function pseudoHeaderSumV4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/**
 * Pseudo-header sum for IPv6 (RFC 8200 §8.1): source, destination (16 bytes each), upper-layer
 * length as 32 bits, three zero bytes and the next-header value.
 */
export function pseudoHeaderSumV6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return sumBytes(src, 0, 16) + sumBytes(dst, 0, 16) + (length >>> 16) + (length & 0xffff) + nextHeader;
}
