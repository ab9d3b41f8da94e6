/**
 * The send buffer (RFC 9293 §3.7, §3.8.1): the bytes the user has handed to `send()` that the
 * peer has not yet acknowledged, from SND.UNA onward — both the retransmission queue and the
 * not-yet-sent tail. It holds references to the user's chunks (the `send()` contract says the
 * caller must not reuse them). Segments are built with `copyInto`, which copies a segment's bytes
 * once, straight into the frame that will carry them; `read` gives a view when the range lies in
 * one chunk. Nothing here ever writes into a chunk, so a view stays valid until it is emitted.
 */

export class SendBuffer {
  /** Queued chunks; `chunks[head]` begins `headOffset` bytes in (those bytes are acknowledged). */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headOffset = 0;
  /** Bytes held: unacknowledged plus unsent. */
  length = 0;
  /** Where `locate` found its byte. */
  private foundIndex = 0;
  private foundSkip = 0;

  constructor(public capacity: number) {}

  get free(): number {
    return Math.max(0, this.capacity - this.length);
  }

  /** Queues as much of `data` as fits; returns the number of bytes taken (a view, not a copy). */
  push(data: Uint8Array): number {
    const n = Math.min(this.free, data.length);
    if (n === 0) return 0;
    this.chunks.push(n === data.length ? data : data.subarray(0, n));
    this.length += n;
    return n;
  }

  /**
   * `len` bytes starting `offset` bytes after the first unacknowledged byte. A view into the
   * user's chunk when possible; otherwise a fresh copy the caller owns.
   */
  read(offset: number, len: number): Uint8Array {
    if (len <= 0 || offset >= this.length) return new Uint8Array(0);
    len = Math.min(len, this.length - offset);
    this.locate(offset);
    const first = this.chunks[this.foundIndex]!;
    const skip = this.foundSkip;
    if (skip + len <= first.length) return first.subarray(skip, skip + len);
    const out = new Uint8Array(len);
    this.copyInto(offset, len, out, 0);
    return out;
  }

  /**
   * Copies the `len` bytes starting `offset` bytes after the first unacknowledged byte to
   * `into[at..]`, straight from the user's chunks (a range spanning chunks costs no buffer of
   * its own). Returns the bytes copied: fewer than `len` only when the buffer holds fewer.
   */
  copyInto(offset: number, len: number, into: Uint8Array, at: number): number {
    if (len <= 0 || offset >= this.length) return 0;
    len = Math.min(len, this.length - offset);
    this.locate(offset);
    let i = this.foundIndex;
    let skip = this.foundSkip;
    let filled = 0;
    while (filled < len) {
      const c = this.chunks[i]!;
      const n = Math.min(c.length - skip, len - filled);
      into.set(n === c.length ? c : c.subarray(skip, skip + n), at + filled);
      filled += n;
      skip = 0;
      i++;
    }
    return len;
  }

  /**
   * Finds the chunk holding the byte `offset` after the first unacknowledged one (`offset` below
   * `length`): its index in `foundIndex`, the byte's place in it in `foundSkip` (fields rather
   * than a returned object: this runs once per segment sent).
   */
  private locate(offset: number): void {
    let skip = offset + this.headOffset;
    let i = this.head;
    while (skip >= this.chunks[i]!.length) {
      skip -= this.chunks[i]!.length;
      i++;
    }
    this.foundIndex = i;
    this.foundSkip = skip;
  }

  /** Releases the first `n` bytes (acknowledged by the peer). */
  consume(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    let left = n + this.headOffset;
    while (this.head < this.chunks.length && left >= this.chunks[this.head]!.length) {
      left -= this.chunks[this.head]!.length;
      this.head++;
    }
    this.headOffset = left;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    if (this.length === 0) {
      this.chunks.length = 0; // the same array: request/response traffic empties it on every ACK
      this.head = 0;
      this.headOffset = 0;
    }
  }
}
