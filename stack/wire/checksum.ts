/**
 * The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 cover
 * (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1). Every checksum in usernet is computed here.
 *
 * Sums are kept unfolded in a JavaScript number while bytes are added (a 32-bit accumulator would
 * overflow after 64 KiB of 0xffff words; a double holds exact integers to 2^53, far beyond any
 * packet), and folded once at the end.
 */

/** 32-bit words added between folds: keeps the running sum far below 2^53 (exact in a double). */
const WORDS_PER_FOLD = 1 << 20;
/** From this many bytes on, reading native 32-bit words pays for the typed-array view it needs. */
const NATIVE_SUM_MIN_BYTES = 256;
/** True on little-endian hosts (all that Node runs on in practice); words read natively are then byte-swapped. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Adds the bytes `b[start..end)` as big-endian 16-bit words to `sum`. An odd final byte is padded
 * with zero on the right, as RFC 1071 §4.1 does. `start` must be even relative to the start of
 * the checksummed region when a later call continues the same region.
 *
 * The result is a running sum for `fold`, `finishChecksum` and `verifies`, equal to the plain
 * 16-bit sum modulo 0xffff (not necessarily equal to it before folding): carries are deferred to
 * the fold (RFC 1071 §2(C)). Long ranges at an even address are read as native 32-bit words —
 * a word `hi·2^16 + lo` is congruent to `hi + lo` modulo 2^16 − 1 — and the folded result swapped
 * back ("byte order independence", RFC 1071 §2(B)): several times faster than byte reads on
 * full-size segments.
 */
export function sumBytes(b: Uint8Array, start = 0, end = b.length, sum = 0): number {
  if (end - start >= NATIVE_SUM_MIN_BYTES && ((b.byteOffset + start) & 1) === 0) return sum + sumNative(b, start, end);
  let i = start;
  // Headers, and ranges at an odd address: two big-endian words per step, read byte by byte — no
  // typed-array view to allocate per call. Each step adds < 2^18: no range a packet can have
  // brings the unfolded sum near 2^53.
  const stop = start + ((end - start) & ~3);
  for (; i < stop; i += 4) sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!);
  const last = end - 1;
  for (; i < last; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i === last) sum += b[i]! << 8;
  return sum;
}

/**
 * The folded 16-bit sum of `b[start..end)` in network order, read as host-order words:
 * `b.byteOffset + start` must be even (a 16-bit word then never straddles a native word).
 */
function sumNative(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let s = 0;
  if (((b.byteOffset + i) & 3) === 2) {
    s += hostWord(b[i]!, b[i + 1]!);
    i += 2;
  }
  const words = (end - i) >> 2;
  const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
  for (let k = 0; k < words; ) {
    const blockEnd = Math.min(words, k + WORDS_PER_FOLD);
    let a = 0;
    let c = 0;
    for (; k + 1 < blockEnd; k += 2) {
      a += w[k]!;
      c += w[k + 1]!;
    }
    if (k < blockEnd) a += w[k++]!;
    s = fold(s + a + c);
  }
  i += words * 4;
  for (; i + 1 < end; i += 2) s += hostWord(b[i]!, b[i + 1]!);
  if (i < end) s += hostWord(b[i]!, 0);
  s = fold(s);
  return LITTLE_ENDIAN ? ((s & 0xff) << 8) | (s >>> 8) : s;
}

/** The 16-bit word bytes `x`, `y` (in memory order) form when read in host byte order. */
function hostWord(x: number, y: number): number {
  return LITTLE_ENDIAN ? x | (y << 8) : (x << 8) | y;
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
