/**
 * RACK, time-based loss detection (RFC 8985 §6): a segment is lost when a segment sent
 * sufficiently later (by more than a reordering window) has been delivered. This module keeps the
 * per-segment transmit times the algorithm needs (§5.2 "Per-segment variables") and the RACK
 * variables (§5.3), and answers §6.2 steps 1–5 from plain numbers; `rack-recovery.ts` joins it
 * to the control block and retransmits what it marks. Read RFC 8985 §5–§6 and RFC 2883 (DSACK)
 * before editing.
 */

import type { SackBlock } from '../wire/tcp';
import { seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from './seq';

/**
 * One transmitted segment, [start, end) in sequence space (end includes a FIN), as the
 * retransmission queue's bookkeeping (§5.2). The list is bounded by the send buffer: every record
 * covers at least one unacknowledged byte (or the FIN), so there are never more records than
 * buffered bytes + 1; in practice one per sent segment.
 */
export interface TransmitRecord {
  start: number;
  end: number;
  /** Segment.xmit_ts: when this range was last (re)sent. */
  xmitTime: number;
  /** Position of that transmission among all of this connection's (see `sentAfter`). */
  xmitOrder: number;
  /** Segment.retransmitted. */
  retransmitted: boolean;
  /** Segment.lost: marked lost and not resent since. */
  lost: boolean;
  /** Reported by the peer in a SACK block (wholly). */
  sacked: boolean;
}

/** §6.2 step 4: reordering-window multiplier rounds kept after a DSACK ("16 recoveries"). */
export const REO_WND_PERSIST = 16;

/**
 * RACK_sent_after (§6.2): was a transmission sent after another? Deviation: by transmission
 * order, not (xmit_ts, end_seq). `now` is shared by everything sent in one tick, and within a tick
 * a retransmission may follow new data of higher sequence; ordering those by sequence would call
 * the retransmission older and mark it lost as soon as the new data is SACKed. Linux orders by
 * its time-sorted list and microsecond stamps, to the same effect.
 */
export function sentAfter(order1: number, order2: number): boolean {
  return order1 > order2;
}

/**
 * RFC 2883 §4: a D-SACK is the first block of an ACK when it lies below the cumulative ACK, or
 * inside the second block. Returns that block, or undefined.
 */
export function dsackBlock(blocks: readonly SackBlock[] | undefined, ack: number): SackBlock | undefined {
  if (blocks === undefined || blocks.length === 0) return undefined;
  const first = blocks[0]!;
  if (!seqLt(first.left, first.right)) return undefined;
  if (seqLe(first.right, ack)) return first;
  const second = blocks[1];
  if (second !== undefined && seqGe(first.left, second.left) && seqLe(first.right, second.right)) return first;
  return undefined;
}

/** What RACK asks of the SACK scoreboard: the first sequence at or after `seq` not SACKed. */
export interface SackedRanges {
  skipSacked(seq: number): number;
}

/** What RACK asks of the connection's timestamp clock (RFC 7323): the TSval sent at `ms`. */
export interface TimestampClock {
  tsNow(ms: number): number;
}

export class RackState {
  /** Sent and not cumulatively acknowledged, in sequence order. */
  records: TransmitRecord[] = [];
  /** RACK.xmit_ts and RACK.end_seq: the most recently sent segment delivered so far (§5.3). */
  xmitTime = -Infinity;
  endSeq = 0;
  /** That segment's transmission order; −1 before any delivery. */
  xmitOrder = -1;
  /** Transmissions so far (orders them). */
  private transmissions = 0;
  /** RACK.rtt: the RTT of that segment. */
  rtt = 0;
  /**
   * RACK.min_RTT. Deviation: the minimum over the connection's life, not Linux's windowed
   * minimum (tcp_min_rtt over 5 minutes); it only scales the reordering window.
   */
  minRtt = Infinity;
  /** RACK.fack: the highest sequence delivered. */
  fack: number | undefined;
  /** RACK.reordering_seen. */
  reorderingSeen = false;
  /** RACK.reo_wnd_mult, RACK.reo_wnd_persist, RACK.dsack_round (§6.2 step 4). */
  reoWndMult = 1;
  reoWndPersist = 0;
  dsackRound: number | undefined;
  /** The RACK reordering timer (§6.2 step 5, §8), a deadline. */
  reorderAt = Infinity;
  /** Some record may be marked lost (false: none is), so ACKs without loss skip the scan. */
  private mayHaveLost = false;

  /**
   * Records a transmission of [start, end) at `now`: replaces whatever records it covers (a
   * retransmission may cut a segment differently from the original). `retransmission`: any
   * byte of it was sent before.
   */
  onTransmit(start: number, end: number, now: number, retransmission: boolean): void {
    if (!seqLt(start, end)) return;
    const rec: TransmitRecord = { start, end, xmitTime: now, xmitOrder: this.transmissions++, retransmitted: retransmission, lost: false, sacked: false };
    const rs = this.records;
    const last = rs[rs.length - 1];
    if (last === undefined || seqLe(last.end, start)) {
      rs.push(rec);
      return;
    }
    const out: TransmitRecord[] = [];
    let placed = false;
    for (const r of rs) {
      if (seqLe(r.end, start)) {
        out.push(r);
        continue;
      }
      if (seqGe(r.start, end)) {
        if (!placed) out.push(rec);
        placed = true;
        out.push(r);
        continue;
      }
      // Overlap: keep the parts outside [start, end).
      if (seqLt(r.start, start)) out.push({ ...r, end: start });
      if (!placed) out.push(rec);
      placed = true;
      if (seqGt(r.end, end)) out.push({ ...r, start: end });
    }
    if (!placed) out.push(rec);
    this.records = out;
  }

  /**
   * §6.2 steps 1–3 for one ACK: finds the records newly delivered — cumulatively below `ack` or
   * wholly SACKed by the scoreboard `sacked` (undefined: no SACK ranges) — and advances
   * RACK.xmit_ts/end_seq/rtt/fack with them, noting reordering. A retransmitted record is used
   * only when its delivery cannot be that of the original (step 2: `tsEcr`, the ACK's TSecr when
   * timestamps are in use, echoes a TSval `clock` gave at or after the retransmission; or the ACK
   * came at least min_RTT after it). Drops the cumulatively acknowledged records; returns how
   * many records were newly delivered. Allocates nothing: it runs for every ACK.
   */
  onAck(ack: number, now: number, sacked: SackedRanges | undefined, tsEcr: number | undefined, clock: TimestampClock): number {
    let newlyDelivered = 0;
    const fackBefore = this.fack;
    let drop = 0;
    for (const r of this.records) {
      if (seqLe(r.end, ack)) {
        if (!r.sacked) {
          newlyDelivered++;
          this.delivered(r, now, fackBefore, tsEcr, clock);
        }
        drop++;
        continue;
      }
      if (seqLt(r.start, ack)) r.start = ack;
      // Without SACK ranges nothing above the cumulative ACK is delivered.
      if (sacked === undefined) break;
      if (!r.sacked && seqGe(sacked.skipSacked(r.start), r.end)) {
        r.sacked = true;
        r.lost = false;
        newlyDelivered++;
        this.delivered(r, now, fackBefore, tsEcr, clock);
      }
    }
    if (drop > 0) this.records.splice(0, drop);
    return newlyDelivered;
  }

  /** Steps 1–3 for one record this ACK delivered; `fackBefore`: RACK.fack before the ACK. */
  private delivered(r: TransmitRecord, now: number, fackBefore: number | undefined, tsEcr: number | undefined, clock: TimestampClock): void {
    const rtt = now - r.xmitTime;
    // Step 3: a never-resent segment delivered below the highest delivered one was reordered.
    if (!r.retransmitted && fackBefore !== undefined && seqLt(r.end, fackBefore)) this.reorderingSeen = true;
    this.fack = this.fack === undefined ? r.end : seqMax(this.fack, r.end);
    if (r.retransmitted) {
      // Step 2: the ACK echoes a timestamp sent no earlier than the retransmission, or (without
      // timestamps) came at least min_RTT after it.
      const fromRetransmission = tsEcr !== undefined ? seqGe(tsEcr, clock.tsNow(r.xmitTime)) : rtt >= this.minRtt;
      if (!fromRetransmission || rtt < this.minRtt) return;
    }
    // Step 1 (min_RTT) and step 2.
    this.minRtt = Math.min(this.minRtt, rtt);
    if (sentAfter(r.xmitOrder, this.xmitOrder)) {
      this.rtt = rtt;
      this.xmitTime = r.xmitTime;
      this.xmitOrder = r.xmitOrder;
      this.endSeq = r.end;
    }
  }

  /**
   * §6.2 step 4, RACK_update_reo_wnd: the reordering window in ms. `dsack` says whether this ACK
   * carried a D-SACK; `inRecovery` fast or RTO recovery; `dupThreshReached` RFC 6675's trigger.
   */
  reorderWindow(sndUna: number, sndNxt: number, dsack: boolean, recoveryEnded: boolean, inRecovery: boolean, dupThreshReached: boolean, srtt: number | undefined): number {
    if (this.dsackRound !== undefined && seqGe(sndUna, this.dsackRound)) this.dsackRound = undefined;
    if (dsack && this.dsackRound === undefined) {
      this.reoWndMult++;
      this.dsackRound = sndNxt;
      this.reoWndPersist = REO_WND_PERSIST;
    } else if (recoveryEnded && this.reoWndPersist > 0) {
      this.reoWndPersist--;
      if (this.reoWndPersist === 0) this.reoWndMult = 1;
    }
    if (!this.reorderingSeen && (inRecovery || dupThreshReached)) return 0;
    if (this.minRtt === Infinity) return 0;
    return Math.min((this.minRtt / 4) * this.reoWndMult, srtt ?? Infinity);
  }

  /**
   * §6.2 step 5, RACK_detect_loss: marks lost every undelivered record sent before RACK.xmit_ts
   * whose time (RACK.rtt + reoWnd after its transmission) is up, and sets the reordering timer
   * (`reorderAt`) for the next one that may be ("If RACK.reo_wnd_timeout is not zero, arm the
   * reordering timer"; Infinity when none is pending). Returns how many were newly marked.
   */
  detectLoss(now: number, reoWnd: number): number {
    let marked = 0;
    let wait = 0;
    for (const r of this.records) {
      if (r.sacked) continue;
      if (!sentAfter(this.xmitOrder, r.xmitOrder)) {
        // Records after this one in sequence that were sent once were sent later still; a
        // resent one may still be older than RACK.xmit_ts.
        if (!r.retransmitted) break;
        continue;
      }
      if (r.lost) continue;
      const remaining = r.xmitTime + this.rtt + reoWnd - now;
      if (remaining <= 0) {
        r.lost = true;
        this.mayHaveLost = true;
        marked++;
      } else {
        wait = Math.max(wait, remaining);
      }
    }
    this.reorderAt = wait > 0 ? now + wait : Infinity;
    return marked;
  }

  /** RFC 6675 §4's pipe from the records: bytes sent, neither delivered nor lost. */
  pipe(): number {
    let n = 0;
    for (const r of this.records) if (!r.sacked && !r.lost) n += seqDiff(r.end, r.start);
    return n;
  }

  /** Whether any record below `limit` is marked lost (and not since SACKed). */
  hasLostBelow(limit: number): boolean {
    if (!this.mayHaveLost) return false;
    for (const r of this.records) if (r.lost && !r.sacked && seqLt(r.start, limit)) return true;
    return false;
  }

  /** Lost records below `limit`, as [start, end) pairs, in sequence order. */
  lostBelow(limit: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    if (!this.mayHaveLost) return out;
    let any = false;
    for (const r of this.records) {
      if (!r.lost || r.sacked) continue;
      any = true;
      if (seqLt(r.start, limit)) out.push({ start: r.start, end: seqMin(r.end, limit) });
    }
    this.mayHaveLost = any;
    return out;
  }

  /** The record holding `seq`, if any. */
  recordAt(seq: number): TransmitRecord | undefined {
    for (const r of this.records) if (seqLe(r.start, seq) && seqLt(seq, r.end)) return r;
    return undefined;
  }

  /**
   * RFC 8985 §6.3: on RTO the outstanding segments are lost. Deviation: all of them at once, as
   * usernet's RTO goes back to SND.UNA and resends everything unSACKed (Linux marks the head and
   * lets RACK judge the rest).
   */
  markAllLost(): void {
    for (const r of this.records) if (!r.sacked) r.lost = true;
    this.mayHaveLost = true;
    this.reorderAt = Infinity;
  }

  clear(): void {
    this.records = [];
    this.reorderAt = Infinity;
  }
}
