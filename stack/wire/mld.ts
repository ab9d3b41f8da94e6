/**
 * Multicast Listener Discovery messages, ICMPv6 types 130–132 and 143: MLDv2 (RFC 3810 §5)
 * queries and reports, and the MLDv1 (RFC 2710 §3) query, report and done that an MLDv2 host
 * must understand for compatibility (RFC 3810 §8). Also the Hop-by-Hop header with the Router
 * Alert option (RFC 2711, value 0 = MLD) that every MLD message is sent with (RFC 3810 §5).
 *
 * The checksum covers the IPv6 pseudo-header (RFC 4443 §2.3), with the ICMPv6 length as its
 * upper-layer length (the Hop-by-Hop header is not part of it, RFC 8200 §8.1).
 */

import { Drop, drop, isDrop } from './drop';
import { finishChecksum, sumBytes, verifies } from './checksum';
import { formatIpv6 } from './address';
import { Ipv6OptionType, type Ipv6GenericExt } from './ipv6-ext';

export const MldType = { Query: 130, ReportV1: 131, DoneV1: 132, ReportV2: 143 } as const;

/** RFC 3810 §5.2.12. */
export const MldRecordType = {
  ModeIsInclude: 1,
  ModeIsExclude: 2,
  ChangeToIncludeMode: 3,
  ChangeToExcludeMode: 4,
  AllowNewSources: 5,
  BlockOldSources: 6,
} as const;

const F = { type: 0, code: 1, checksum: 2, maxResponse: 4, reportRecords: 6, group: 8, flags: 24, qqic: 25, sources: 26, firstSource: 28 } as const;
/** RFC 2710 §3: every MLDv1 message, and the MLDv2 query before its source list. */
export const MLDV1_LEN = 24;
export const MLDV2_QUERY_MIN_LEN = 28;
export const MLDV2_REPORT_HEADER_LEN = 8;
/** Record Type, Aux Data Len, Number of Sources, Multicast Address (RFC 3810 §5.2.4–7). */
export const MLD_RECORD_HEADER_LEN = 20;
/** The Hop-by-Hop header usernet sends MLD with: Router Alert (4 bytes) and PadN (2). */
export const MLD_HOP_BY_HOP_LEN = 8;
/** RFC 2711 §2.1: Router Alert value 0, "the datagram contains a Multicast Listener Discovery message". */
export const ROUTER_ALERT_MLD = 0;

export interface MldQuery {
  kind: 'query';
  /** 1: a 24-byte MLDv1 query (RFC 2710); 2: an MLDv2 query (RFC 3810 §5.1). */
  version: 1 | 2;
  /** Maximum Response Code (v2, §5.1.3) or Maximum Response Delay in ms (v1). */
  maxResponseCode: number;
  /** `::` in a General Query, else the group asked about. A view when parsed. */
  group: Uint8Array;
  /** v2 only (0/false/empty in v1): S flag, Querier's Robustness Variable, QQIC, sources. */
  suppressRouterProcessing: boolean;
  qrv: number;
  qqic: number;
  sources: Uint8Array[];
}

export interface MldAddressRecord {
  /** An `MldRecordType`; others are kept as numbers. */
  type: number;
  group: Uint8Array;
  sources: Uint8Array[];
  /** RFC 3810 §5.2.10: ignored by receivers; a multiple of 4 bytes. */
  auxData: Uint8Array;
}

export interface MldReportV2 {
  kind: 'report-v2';
  records: MldAddressRecord[];
}

export interface MldV1Message {
  kind: 'report-v1' | 'done';
  group: Uint8Array;
}

export type MldRepr = MldQuery | MldReportV2 | MldV1Message;

/** An MLD message read in place; once `check` returns a view, no getter reads out of bounds. */
export class MldView {
  private constructor(private readonly b: Uint8Array) {}

  /** For untrusted bytes (the whole ICMPv6 message). Every MLD message is at least 24 bytes but a v2 report (8). */
  static check(b: Uint8Array): MldView | Drop {
    if (b.length < MLDV2_REPORT_HEADER_LEN) return drop('mld-truncated');
    const type = b[F.type]!;
    if (type !== MldType.ReportV2 && b.length < MLDV1_LEN) return drop('mld-truncated');
    return new MldView(b);
  }

  get type(): number { return this.b[F.type]!; }
  get code(): number { return this.b[F.code]!; }
  get checksum(): number { return (this.b[F.checksum]! << 8) | this.b[F.checksum + 1]!; }
  /** Queries: Maximum Response Code (v2) / Delay (v1). */
  get maxResponseCode(): number { return (this.b[F.maxResponse]! << 8) | this.b[F.maxResponse + 1]!; }
  /** v2 reports: Nr of Mcast Address Records. */
  get numberOfRecords(): number { return (this.b[F.reportRecords]! << 8) | this.b[F.reportRecords + 1]!; }
  /** Queries and v1 messages: Multicast Address. */
  get multicastAddress(): Uint8Array { return this.b.subarray(F.group, F.group + 16); }
  get length(): number { return this.b.length; }

  /** `pseudoSum` from `pseudoHeaderSumV6(src, dst, 58, message length)`. */
  checksumValid(pseudoSum: number): boolean {
    return verifies(sumBytes(this.b, 0, this.b.length, pseudoSum));
  }

  toString(): string {
    const r = parseMld(this.b);
    return isDrop(r) ? `MLD ${r}` : describeMld(r);
  }
}

/** True for the ICMPv6 types this module parses. */
export function isMldType(type: number): boolean {
  return type === MldType.Query || type === MldType.ReportV1 || type === MldType.DoneV1 || type === MldType.ReportV2;
}

function sixteen(b: Uint8Array, off: number): Uint8Array {
  return b.subarray(off, off + 16);
}

/**
 * Parses a whole MLD message (views into `b`); verifies the checksum when `pseudoSum` is given.
 * Drops: `mld-truncated`, `mld-bad-checksum`, `mld-bad-length` (a query neither 24 bytes nor at
 * least 28, which RFC 3810 §8.1 says to ignore), `mld-not-mld`.
 */
export function parseMld(b: Uint8Array, pseudoSum?: number): MldRepr | Drop {
  const v = MldView.check(b);
  if (isDrop(v)) return v;
  if (pseudoSum !== undefined && !v.checksumValid(pseudoSum)) return drop('mld-bad-checksum');
  switch (v.type) {
    case MldType.Query: {
      if (b.length === MLDV1_LEN) {
        return { kind: 'query', version: 1, maxResponseCode: v.maxResponseCode, group: v.multicastAddress, suppressRouterProcessing: false, qrv: 0, qqic: 0, sources: [] };
      }
      if (b.length < MLDV2_QUERY_MIN_LEN) return drop('mld-bad-length');
      const n = (b[F.sources]! << 8) | b[F.sources + 1]!;
      if (F.firstSource + 16 * n > b.length) return drop('mld-truncated');
      const sources = Array.from({ length: n }, (_, i) => sixteen(b, F.firstSource + 16 * i));
      return {
        kind: 'query', version: 2, maxResponseCode: v.maxResponseCode, group: v.multicastAddress,
        suppressRouterProcessing: (b[F.flags]! & 0x08) !== 0, qrv: b[F.flags]! & 0x07, qqic: b[F.qqic]!, sources,
      };
    }
    case MldType.ReportV1:
    case MldType.DoneV1:
      return { kind: v.type === MldType.ReportV1 ? 'report-v1' : 'done', group: v.multicastAddress };
    case MldType.ReportV2: {
      const records: MldAddressRecord[] = [];
      let o = MLDV2_REPORT_HEADER_LEN;
      // Each record takes at least 20 bytes, so the loop is bounded by the message length.
      for (let i = 0; i < v.numberOfRecords; i++) {
        if (o + MLD_RECORD_HEADER_LEN > b.length) return drop('mld-truncated');
        const aux = b[o + 1]! * 4;
        const n = (b[o + 2]! << 8) | b[o + 3]!;
        const end = o + MLD_RECORD_HEADER_LEN + 16 * n + aux;
        if (end > b.length) return drop('mld-truncated');
        const first = o + MLD_RECORD_HEADER_LEN;
        records.push({ type: b[o]!, group: sixteen(b, o + 4), sources: Array.from({ length: n }, (_, k) => sixteen(b, first + 16 * k)), auxData: b.subarray(end - aux, end) });
        o = end;
      }
      return { kind: 'report-v2', records };
    }
    default:
      return drop('mld-not-mld');
  }
}

/** Bytes `emitMld` writes. */
export function mldLen(repr: MldRepr): number {
  switch (repr.kind) {
    case 'query':
      return repr.version === 1 ? MLDV1_LEN : MLDV2_QUERY_MIN_LEN + 16 * repr.sources.length;
    case 'report-v2':
      return repr.records.reduce((n, r) => n + MLD_RECORD_HEADER_LEN + 16 * r.sources.length + r.auxData.length, MLDV2_REPORT_HEADER_LEN);
    default:
      return MLDV1_LEN;
  }
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/**
 * Writes the message at `into[offset..]` with its checksum (`pseudoSum` from
 * `pseudoHeaderSumV6(src, dst, 58, mldLen(repr))`); returns its length. Reserved fields are zero.
 */
export function emitMld(repr: MldRepr, into: Uint8Array, pseudoSum: number, offset = 0): number {
  const len = mldLen(repr);
  const b = into.subarray(offset, offset + len);
  if (b.length < len) throw new RangeError(`emitMld: need ${len} bytes`);
  b.fill(0);
  switch (repr.kind) {
    case 'query':
      b[F.type] = MldType.Query;
      put16(b, F.maxResponse, repr.maxResponseCode);
      b.set(repr.group, F.group);
      if (repr.version === 2) {
        b[F.flags] = (repr.suppressRouterProcessing ? 0x08 : 0) | (repr.qrv & 0x07);
        b[F.qqic] = repr.qqic;
        put16(b, F.sources, repr.sources.length);
        repr.sources.forEach((s, i) => b.set(s, F.firstSource + 16 * i));
      }
      break;
    case 'report-v2': {
      b[F.type] = MldType.ReportV2;
      put16(b, F.reportRecords, repr.records.length);
      let o = MLDV2_REPORT_HEADER_LEN;
      for (const r of repr.records) {
        if (r.auxData.length % 4 !== 0) throw new RangeError('emitMld: aux data must be a multiple of 4 bytes');
        b[o] = r.type;
        b[o + 1] = r.auxData.length / 4;
        put16(b, o + 2, r.sources.length);
        b.set(r.group, o + 4);
        o += MLD_RECORD_HEADER_LEN;
        for (const s of r.sources) (b.set(s, o), (o += 16));
        b.set(r.auxData, o);
        o += r.auxData.length;
      }
      break;
    }
    default:
      b[F.type] = repr.kind === 'report-v1' ? MldType.ReportV1 : MldType.DoneV1;
      b.set(repr.group, F.group);
  }
  const ck = finishChecksum(sumBytes(b, 0, len, pseudoSum));
  put16(b, F.checksum, ck);
  return len;
}

/**
 * RFC 3810 §5.1.3: the Maximum Response Delay in ms. Codes below 32768 are the delay itself;
 * above, a floating-point value: (mant | 0x1000) << (exp + 3).
 */
export function maxResponseDelayMs(code: number): number {
  if (code < 0x8000) return code;
  const exp = (code >> 12) & 0x7;
  const mant = code & 0xfff;
  return (mant | 0x1000) * 2 ** (exp + 3);
}

/**
 * Writes the 8-byte Hop-by-Hop Options header MLD messages carry (RFC 3810 §5): Next Header
 * `nextHeader` (58, ICMPv6), Hdr Ext Len 0, Router Alert (RFC 2711: type 5, length 2, value 0
 * = MLD), PadN with no data bytes. Returns its length.
 */
export function emitMldHopByHop(into: Uint8Array, offset = 0, nextHeader = 58): number {
  into.set([nextHeader, 0, Ipv6OptionType.RouterAlert, 2, ROUTER_ALERT_MLD >> 8, ROUTER_ALERT_MLD & 0xff, Ipv6OptionType.PadN, 0], offset);
  return MLD_HOP_BY_HOP_LEN;
}

/**
 * The value of the Router Alert option in the Hop-by-Hop header `ext` of `packet` (RFC 2711),
 * or null when it has none (or its options are malformed).
 */
export function routerAlertValue(packet: Uint8Array, ext: Ipv6GenericExt): number | null {
  if (ext.type !== 0) return null;
  const end = Math.min(ext.offset + ext.length, packet.length);
  let o = ext.offset + 2;
  while (o < end) {
    const t = packet[o]!;
    if (t === Ipv6OptionType.Pad1) {
      o++;
      continue;
    }
    if (o + 2 > end || o + 2 + packet[o + 1]! > end) return null;
    if (t === Ipv6OptionType.RouterAlert && packet[o + 1] === 2) return (packet[o + 2]! << 8) | packet[o + 3]!;
    o += 2 + packet[o + 1]!;
  }
  return null;
}

const RECORD_NAMES: Readonly<Record<number, string>> = { 1: 'is_in', 2: 'is_ex', 3: 'to_in', 4: 'to_ex', 5: 'allow', 6: 'block' };

/** tcpdump-like: `MLDv2 report, 1 record(s) [to_ex ff02::1:ff00:1 { }]`, `MLDv2 query max resp 10000 ms, group ::`. */
export function describeMld(repr: MldRepr): string {
  switch (repr.kind) {
    case 'query':
      return repr.version === 1
        ? `MLDv1 query max resp ${repr.maxResponseCode} ms, group ${formatIpv6(repr.group)}`
        : `MLDv2 query max resp ${maxResponseDelayMs(repr.maxResponseCode)} ms, group ${formatIpv6(repr.group)}, ${repr.sources.length} source(s), qrv ${repr.qrv}${repr.suppressRouterProcessing ? ' S' : ''}`;
    case 'report-v2':
      return `MLDv2 report, ${repr.records.length} record(s) ${repr.records.map((r) => `[${RECORD_NAMES[r.type] ?? `type ${r.type}`} ${formatIpv6(r.group)} { ${r.sources.map(formatIpv6).join(' ')}${r.sources.length ? ' ' : ''}}]`).join(' ')}`;
    case 'report-v1':
      return `MLDv1 report ${formatIpv6(repr.group)}`;
    case 'done':
      return `MLDv1 done ${formatIpv6(repr.group)}`;
  }
}

