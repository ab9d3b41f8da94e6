/**
 * Sequence-number arithmetic (RFC 9293 §3.4): 32-bit numbers compared modulo 2^32 by the sign of
 * their difference. Every comparison of sequence or acknowledgment numbers in the engine goes
 * through here; `<` on raw sequence numbers is a bug.
 */

/** `a + n` modulo 2^32, as an unsigned number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance `a − b` (valid when the two are within 2^31 of each other). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** The larger of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** The smaller of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}

/** `start ≤ x < start + len` (RFC 9293 §3.4's "=<" and "<" on the circle); false when len is 0. */
export function inWindow(x: number, start: number, len: number): boolean {
  const d = (x - start) >>> 0;
  return d < len;
}
