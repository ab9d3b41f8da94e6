/**
 * 32-bit fields in network byte order (RFC 791 Appendix B: most significant byte first), for
 * headers that read them outside a `DataView`. Offsets are the caller's to bound-check.
 */

/** The unsigned 32-bit big-endian number at `b[at..at+4)`. */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Writes `v` (taken modulo 2^32) big-endian at `b[at..at+4)`. */
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
