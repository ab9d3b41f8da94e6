/**
 * Fragment reassembly shared by IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5).
 *
 * A datagram is complete when its last fragment (M=0) fixed the total length and the fragments,
 * which never overlap, add up to it. Any overlap discards the whole datagram (RFC 5722 §4 for
 * IPv6; Deviation for IPv4: RFC 815 would merge overlaps, we drop like Linux does since 4.19 —
 * overlapping fragments are an attack, not something a correct sender produces). An exact
 * duplicate of a fragment already held is ignored (RFC 5722 erratum 3089), so a duplicating link
 * does not destroy datagrams.
 *
 * Bounds: bytes held across all datagrams, datagrams in progress, fragments per datagram, and a
 * timeout. Fragments are copied in: the driver owns the frame only until `receive` returns.
 */

import { drop, type Drop } from '../wire/drop';

/** All reassembly buffers together; a flood of fragments can never hold more (Linux: 4 MiB). */
export const REASSEMBLY_MAX_BYTES = 256 * 1024;
/** Datagrams being reassembled at once; the oldest is discarded to make room. */
export const REASSEMBLY_MAX_DATAGRAMS = 64;
/** Fragments per datagram: 8-byte fragments could otherwise make one datagram 8192 pieces. */
export const REASSEMBLY_MAX_FRAGMENTS = 256;
/** Largest reassembled payload (IPv4 total length is 16 bits; IPv6 payload length too). */
export const REASSEMBLY_MAX_PAYLOAD = 65535;

export interface Completed<M> {
  readonly payload: Uint8Array;
  /** What the fragment at offset 0 carried (its header fields the caller needs). */
  readonly first: M;
}

export interface Expired<M> {
  readonly key: string;
  /** The first fragment's metadata, when it arrived (RFC 792/4443: time exceeded needs it). */
  readonly first: M | null;
}

interface Piece {
  readonly offset: number;
  readonly data: Uint8Array;
}

interface Datagram<M> {
  readonly key: string;
  readonly pieces: Piece[];
  bytes: number;
  total: number | null;
  first: M | null;
  readonly deadline: number;
}

export class Reassembler<M> {
  private readonly datagrams = new Map<string, Datagram<M>>();
  private held = 0;

  /**
   * @param family prefix of drop reasons ('ipv4' → 'ipv4-frag-overlap')
   * @param timeoutMs how long an incomplete datagram is kept (RFC 8200 §4.5: 60 s)
   */
  constructor(
    readonly family: 'ipv4' | 'ipv6',
    readonly timeoutMs: number,
    readonly maxBytes: number = REASSEMBLY_MAX_BYTES,
  ) {}

  /** Bytes currently held in all buffers (never above `maxBytes`). */
  get bytesHeld(): number {
    return this.held;
  }

  get datagramsInProgress(): number {
    return this.datagrams.size;
  }

  /**
   * Adds one fragment. `data` is read, not kept (copied). `first` must be given for offset 0.
   * Returns the completed datagram, null while incomplete, or a Drop (the fragment, and for
   * overlaps or inconsistent lengths the whole datagram, discarded).
   */
  insert(key: string, offset: number, more: boolean, data: Uint8Array, first: M | null, now: number): Completed<M> | Drop | null {
    const end = offset + data.length;
    if (end > REASSEMBLY_MAX_PAYLOAD) return this.discard(key, 'frag-too-big');
    if (more && (data.length === 0 || data.length % 8 !== 0)) return this.discard(key, 'frag-bad-length');
    let d = this.datagrams.get(key);
    if (d === undefined) {
      if (this.datagrams.size >= REASSEMBLY_MAX_DATAGRAMS) this.evictOldest();
      d = { key, pieces: [], bytes: 0, total: null, first: null, deadline: now + this.timeoutMs };
      this.datagrams.set(key, d);
    }
    if (!more) {
      if (d.total !== null && d.total !== end) return this.discard(key, 'frag-inconsistent');
      if (d.pieces.some((p) => p.offset + p.data.length > end)) return this.discard(key, 'frag-inconsistent');
      d.total = end;
    } else if (d.total !== null && end > d.total) {
      return this.discard(key, 'frag-inconsistent');
    }
    // Find the insertion point and check both neighbours for overlap (pieces are sorted, disjoint).
    let i = 0;
    while (i < d.pieces.length && d.pieces[i]!.offset < offset) i++;
    const next = d.pieces[i];
    const prev = d.pieces[i - 1];
    if (next !== undefined && next.offset === offset && next.data.length === data.length) {
      return null; // exact duplicate: ignore (RFC 5722 erratum 3089)
    }
    if ((prev !== undefined && prev.offset + prev.data.length > offset) || (next !== undefined && next.offset < end)) {
      return this.discard(key, 'frag-overlap');
    }
    if (d.pieces.length >= REASSEMBLY_MAX_FRAGMENTS) return this.discard(key, 'frag-too-many');
    if (this.held + data.length > this.maxBytes) {
      this.evictOldest(key);
      if (this.held + data.length > this.maxBytes) return drop(`${this.family}-frag-no-memory`);
    }
    d.pieces.splice(i, 0, { offset, data: Uint8Array.from(data) }); // ownership: our copy
    d.bytes += data.length;
    this.held += data.length;
    if (offset === 0) d.first = first;
    if (d.total === null || d.bytes !== d.total || d.first === null) return null;
    const payload = new Uint8Array(d.total);
    for (const p of d.pieces) payload.set(p.data, p.offset);
    this.forget(d);
    return { payload, first: d.first };
  }

  /** Discards datagrams whose time ran out; bounded by REASSEMBLY_MAX_DATAGRAMS. */
  poll(now: number): Expired<M>[] {
    const out: Expired<M>[] = [];
    for (const d of this.datagrams.values()) {
      if (d.deadline <= now) {
        this.forget(d);
        out.push({ key: d.key, first: d.first });
      }
    }
    return out;
  }

  nextDeadline(): number {
    // Map iteration is insertion order and every datagram gets the same timeout: the first is earliest.
    for (const d of this.datagrams.values()) return d.deadline;
    return Infinity;
  }

  private discard(key: string, reason: string): Drop {
    const d = this.datagrams.get(key);
    if (d !== undefined) this.forget(d);
    return drop(`${this.family}-${reason}`);
  }

  private forget(d: Datagram<M>): void {
    this.held -= d.bytes;
    this.datagrams.delete(d.key);
  }

  /** Drops the oldest datagram other than `keep` (memory pressure, as Linux's ipfrag evictor). */
  private evictOldest(keep?: string): void {
    for (const d of this.datagrams.values()) {
      if (d.key === keep) continue;
      this.forget(d);
      return;
    }
  }
}
