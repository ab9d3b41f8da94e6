/**
 * The send buffer (RFC 9293 §3.7, §3.8.1): the bytes the user has handed to `send()` that the
 * peer has not yet acknowledged, from SND.UNA onward — both the retransmission queue and the
 * not-yet-sent tail. It holds references to the user's chunks (the `send()` contract says the
 * caller must not reuse them), so segment payloads are views whenever one segment falls in one
 * chunk, and copies only where a segment spans chunks. Nothing here ever writes into a chunk, so a
 * payload view handed to the network layer stays valid until it is emitted.
 */

export class SendBuffer {
  /** Queued chunks; `chunks[head]` begins `headOffset` bytes in (those bytes are acknowledged). */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headOffset = 0;
  /** Bytes held: unacknowledged plus unsent. */
  length = 0;

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
    let skip = offset + this.headOffset;
    let i = this.head;
    while (skip >= this.chunks[i]!.length) {
      skip -= this.chunks[i]!.length;
      i++;
    }
    const first = this.chunks[i]!;
    if (skip + len <= first.length) return first.subarray(skip, skip + len);
    const out = new Uint8Array(len);
    let filled = 0;
    while (filled < len) {
      const c = this.chunks[i]!;
      const part = c.subarray(skip, Math.min(c.length, skip + len - filled));
      out.set(part, filled);
      filled += part.length;
      skip = 0;
      i++;
    }
    return out;
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
      this.chunks = [];
      this.head = 0;
      this.headOffset = 0;
    }
  }
}
