/**
 * Out-of-order reassembly on the receive side (RFC 9293 §3.10.7.4, seventh step: "segments with
 * higher beginning sequence numbers ... may be held for later processing"). Holds copies of
 * in-window segments beyond RCV.NXT as sorted, non-overlapping ranges; duplicates and overlaps are
 * trimmed on insertion. Memory is bounded twice: the caller only inserts bytes inside the receive
 * window (so at most the receive buffer's size), and the number of ranges is capped so a peer
 * sending one-byte fragments cannot make us hold many small objects.
 */

import type { SackBlock } from '../wire/tcp';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq';

/** At most this many separate ranges are held (Linux prunes its out-of-order queue similarly). */
export const MAX_REASSEMBLY_RANGES = 128;

interface Range {
  seq: number;
  data: Uint8Array;
}

export class Reassembly {
  private ranges: Range[] = [];
  /** Left edges of ranges in the order they were last extended, newest first (RFC 2018 §4). */
  private recent: number[] = [];
  bytes = 0;

  get count(): number {
    return this.ranges.length;
  }

  /**
   * Stores `data` (which the caller owns and hands over) starting at `seq`, a sequence number
   * beyond RCV.NXT. Returns true when any byte was new.
   */
  insert(seq: number, data: Uint8Array): boolean {
    const pieces: Range[] = [];
    let cur = seq;
    let rest = data;
    for (const r of this.ranges) {
      if (rest.length === 0) break;
      const rEnd = seqAdd(r.seq, r.data.length);
      if (seqLe(rEnd, cur)) continue;
      if (seqGe(r.seq, seqAdd(cur, rest.length))) break;
      if (seqLt(cur, r.seq)) pieces.push({ seq: cur, data: rest.subarray(0, seqDiff(r.seq, cur)) });
      const skip = seqDiff(rEnd, cur);
      rest = rest.subarray(Math.min(rest.length, skip));
      cur = rEnd;
    }
    if (rest.length > 0) pieces.push({ seq: cur, data: rest });
    if (pieces.length === 0) return false;
    if (this.ranges.length + pieces.length > MAX_REASSEMBLY_RANGES) return false;
    for (const p of pieces) {
      let i = 0;
      while (i < this.ranges.length && seqLt(this.ranges[i]!.seq, p.seq)) i++;
      this.ranges.splice(i, 0, p);
      this.bytes += p.data.length;
    }
    this.noteRecent(seq);
    return true;
  }

  /**
   * Removes and returns the chunks that now continue in order from `rcvNxt`, trimmed of anything
   * before it; ranges wholly before `rcvNxt` are discarded.
   */
  takeFrom(rcvNxt: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.ranges.length > 0) {
      const r = this.ranges[0]!;
      if (seqGt(r.seq, next)) break;
      this.ranges.shift();
      this.bytes -= r.data.length;
      const skip = seqDiff(next, r.seq);
      if (skip < r.data.length) {
        const part = r.data.subarray(skip);
        out.push(part);
        next = seqAdd(next, part.length);
      }
    }
    this.recent = this.recent.filter((s) => this.blockAt(s) !== undefined);
    return out;
  }

  /** The first sequence number held, or undefined when empty. */
  get firstSeq(): number | undefined {
    return this.ranges[0]?.seq;
  }

  /**
   * SACK blocks (RFC 2018 §3–4): contiguous runs of held data, the block containing the most
   * recently received segment first, at most `max` of them.
   */
  sackBlocks(max: number): SackBlock[] {
    const out: SackBlock[] = [];
    const seen = new Set<number>();
    for (const s of this.recent) {
      const b = this.blockAt(s);
      if (b === undefined || seen.has(b.left)) continue;
      seen.add(b.left);
      out.push(b);
      if (out.length >= max) break;
    }
    return out;
  }

  clear(): void {
    this.ranges = [];
    this.recent = [];
    this.bytes = 0;
  }

  private noteRecent(seq: number): void {
    this.recent = [seq, ...this.recent.filter((s) => s !== seq)].slice(0, 8);
  }

  /** The contiguous run of held data that contains `seq`. */
  private blockAt(seq: number): SackBlock | undefined {
    let left: number | undefined;
    let right = 0;
    for (const r of this.ranges) {
      const end = seqAdd(r.seq, r.data.length);
      if (left !== undefined && r.seq === right) {
        right = end;
        continue;
      }
      if (left !== undefined && seqGe(seq, left) && seqLt(seq, right)) break;
      left = r.seq;
      right = end;
    }
    if (left === undefined || !(seqGe(seq, left) && seqLt(seq, right))) return undefined;
    return { left, right };
  }
}
