/**
 * The sender's SACK scoreboard (RFC 2018 §5, RFC 6675 §3): which ranges above SND.UNA the peer
 * has reported holding. Retransmission skips them, so a loss in a large window costs the holes,
 * not the whole window. Loss detection from SACK (RFC 6675's pipe and IsLost) is not done yet;
 * recovery is NewReno's, with SACKed data left out of what it resends.
 */

import type { SackBlock } from '../wire/tcp';
import { seqDiff, seqGt, seqLe, seqLt, seqMax, seqMin } from './seq';

/** Ranges kept; a peer sends at most 4 per segment, so this only bounds a hostile one. */
export const MAX_SCOREBOARD_RANGES = 64;

export class SackScoreboard {
  private ranges: { left: number; right: number }[] = [];

  get size(): number {
    return this.ranges.length;
  }

  /**
   * Records the blocks of one ACK; RFC 2018 §5: ignore blocks outside (SND.UNA, SND.MAX].
   * Returns how many bytes were SACKed for the first time (RFC 6675 §2's duplicate-ACK test).
   */
  update(blocks: readonly SackBlock[], sndUna: number, sndMax: number): number {
    const before = this.sackedBelow(sndMax);
    for (const b of blocks) {
      if (!seqLt(b.left, b.right) || seqLe(b.right, sndUna) || seqGt(b.right, sndMax)) continue;
      this.add(seqMax(b.left, sndUna), b.right);
    }
    return Math.max(0, this.sackedBelow(sndMax) - before);
  }

  private add(left: number, right: number): void {
    const merged: { left: number; right: number }[] = [];
    let l = left;
    let r = right;
    for (const x of this.ranges) {
      if (seqLt(x.right, l) || seqGt(x.left, r)) merged.push(x);
      else {
        l = seqMin(l, x.left);
        r = seqMax(r, x.right);
      }
    }
    merged.push({ left: l, right: r });
    merged.sort((a, b) => (seqLt(a.left, b.left) ? -1 : 1));
    this.ranges = merged.slice(0, MAX_SCOREBOARD_RANGES);
  }

  /** Forgets what the cumulative ACK now covers. */
  advance(sndUna: number): void {
    if (this.ranges.length === 0) return; // every ACK asks; almost always there is nothing
    this.ranges = this.ranges
      .filter((x) => seqGt(x.right, sndUna))
      .map((x) => (seqLt(x.left, sndUna) ? { left: sndUna, right: x.right } : x));
  }

  /** The first sequence number at or after `seq` that the peer has not SACKed. */
  skipSacked(seq: number): number {
    let s = seq;
    for (const x of this.ranges) if (seqLe(x.left, s) && seqLt(s, x.right)) s = x.right;
    return s;
  }

  /** SACKed bytes below `seq` (all ranges lie above SND.UNA): they are not in flight. */
  sackedBelow(seq: number): number {
    let n = 0;
    for (const x of this.ranges) {
      if (seqLe(x.right, seq)) n += seqDiff(x.right, x.left);
      else if (seqLt(x.left, seq)) n += seqDiff(seq, x.left);
    }
    return n;
  }

  /** Bytes from `seq` (not SACKed) up to the next SACKed range; Infinity when none follows. */
  runLength(seq: number): number {
    for (const x of this.ranges) if (seqGt(x.left, seq)) return seqDiff(x.left, seq);
    return Infinity;
  }

  clear(): void {
    this.ranges = [];
  }
}
