/**
 * The TCP header (RFC 9293 §3.1) and its options: MSS (RFC 9293 §3.2), window scale and
 * timestamps (RFC 7323), SACK-permitted and SACK blocks (RFC 2018). Options themselves are in
 * `tcp-options.ts`.
 */

import { Drop, drop, isDrop } from './drop';
import { finishChecksum, fold, sumBytes, verifies } from './checksum';
import { copyPayloadUnlessInPlace } from './payload';
import { emitTcpOptions, formatTcpOptions, parseTcpOptions, tcpOptionsLen } from './tcp-options';
import { writeU32 } from './bytes';

/* CONTRACT (fixed; the TCP engine is written against these types): */

/** Control bits, as a bitmask in the order of the header's flags byte. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** One SACK block (RFC 2018 §3): the left edge and the right edge (first sequence number after). */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** Options as the engine uses them; absent means the option was not in the segment. */
export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: SackBlock[];
  timestamp?: { tsVal: number; tsEcr: number };
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence and acknowledgment numbers (unsigned). */
  seq: number;
  ack: number;
  /** Bitmask of TcpFlag. */
  flags: number;
  /** The 16-bit window field as sent, before any window scaling. */
  window: number;
  urgent: number;
  options: TcpOptions;
  /** The segment's data: a view into the packet when parsed; the sender's bytes when emitted. */
  payload: Uint8Array;
}

/* ---- End of the fixed contract. The view, parser and emitter follow. ---- */

/** Field offsets in the fixed header (RFC 9293 §3.1, figure 1). */
const F = {
  srcPort: 0,
  dstPort: 2,
  seq: 4,
  ack: 8,
  dataOffset: 12,
  flags: 13,
  window: 14,
  checksum: 16,
  urgent: 18,
} as const;

export const TCP_MIN_HEADER = 20;
/** Data offset is 4 bits counting 32-bit words: 15 · 4. */
export const TCP_MAX_HEADER = 60;

/** A TCP header read in place. Once `check` returns a view, no getter reads out of bounds. */
export class TcpView {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly dv: DataView,
  ) {}

  /**
   * For untrusted bytes: `b` is the whole segment (header and data, as delimited by the IP
   * length). Needs the fixed header, and a data offset of at least 5 words within `b`.
   */
  static check(b: Uint8Array): TcpView | Drop {
    if (b.byteLength < TCP_MIN_HEADER) return drop('tcp-truncated');
    const v = new TcpView(b, new DataView(b.buffer, b.byteOffset, b.byteLength));
    const hl = v.headerLen;
    return hl < TCP_MIN_HEADER || hl > b.byteLength ? drop('tcp-bad-offset') : v;
  }

  get srcPort(): number {
    return this.dv.getUint16(F.srcPort);
  }
  get dstPort(): number {
    return this.dv.getUint16(F.dstPort);
  }
  get seq(): number {
    return this.dv.getUint32(F.seq);
  }
  get ack(): number {
    return this.dv.getUint32(F.ack);
  }
  /** The data offset in bytes. */
  get headerLen(): number {
    return (this.dv.getUint8(F.dataOffset) >> 4) * 4;
  }
  /** The eight control bits (`TcpFlag` mask). The reserved bits before them are not included. */
  get flags(): number {
    return this.dv.getUint8(F.flags);
  }
  get window(): number {
    return this.dv.getUint16(F.window);
  }
  get checksum(): number {
    return this.dv.getUint16(F.checksum);
  }
  get urgent(): number {
    return this.dv.getUint16(F.urgent);
  }
  /** The data after the header: a view into the segment, not a copy. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }

  toString(): string {
    const ack = this.flags & TcpFlag.ACK ? ` ack ${this.ack}` : '';
    return (
      `TCP ${this.srcPort} > ${this.dstPort} [${tcpFlagsString(this.flags)}] seq ${this.seq}${ack}` +
      ` win ${this.window} len ${this.bytes.byteLength - this.headerLen}`
    );
  }
}

/**
 * True when the segment `b` with its checksum field in place verifies against `pseudoSum`
 * (`pseudoHeaderSumV4/V6` with protocol 6 and length `b.length`).
 */
export function tcpChecksumOk(b: Uint8Array, pseudoSum: number): boolean {
  return verifies(sumBytes(b, 0, b.length, pseudoSum));
}

/**
 * Parses a whole segment into a repr whose payload is a view into `b` (the caller copies it when
 * the bytes must outlive the frame). With `pseudoSum` (see `tcpChecksumOk`) the checksum is
 * verified (RFC 9293 §3.1, MUST-3); without it the checksum is not looked at (decoders,
 * offloaded captures). Drops: `tcp-truncated`, `tcp-bad-offset`, `tcp-bad-checksum`,
 * `tcp-bad-flags` (SYN with FIN or RST: no state accepts both, and Linux drops them on arrival),
 * `tcp-bad-option`.
 */
export function parseTcp(b: Uint8Array, pseudoSum?: number): TcpRepr | Drop {
  const v = TcpView.check(b);
  if (isDrop(v)) return v;
  if (pseudoSum !== undefined && !tcpChecksumOk(b, pseudoSum)) return drop('tcp-bad-checksum');
  const flags = v.flags;
  if (flags & TcpFlag.SYN && flags & (TcpFlag.FIN | TcpFlag.RST)) return drop('tcp-bad-flags');
  const hl = v.headerLen;
  const options = parseTcpOptions(b, TCP_MIN_HEADER, hl);
  if (isDrop(options)) return options;
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    flags,
    window: v.window,
    urgent: v.urgent,
    options,
    payload: b.subarray(hl),
  };
}

/** Header bytes `emitTcp` writes for `repr`: 20 plus the options (a multiple of 4), at most 60. */
export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_MIN_HEADER + tcpOptionsLen(repr.options);
}

/**
 * How `emitTcp` fills the checksum field: `'full'`, the Internet checksum over pseudo-header,
 * header and data (RFC 9293 §3.1); `'partial'`, only the folded pseudo-header sum, not
 * complemented, for a link that completes it (`LinkOffloads.txTcpChecksum`, Linux's
 * CHECKSUM_PARTIAL) — then the segment is not read at all.
 */
export type TcpChecksumMode = 'full' | 'partial';

/**
 * Writes the header into `into[0..)`, then the payload — copied, unless `repr.payload` already
 * sits right after the header in the same buffer (the sender placed it there) — and fills in the
 * checksum. `pseudoSum` is `pseudoHeaderSumV4/V6` with protocol 6 and length
 * `tcpHeaderLen(repr) + repr.payload.length`. Returns the bytes written. `into` must hold them
 * (a shorter buffer is a caller bug and throws RangeError). Allocates nothing; the segment is
 * summed once (in `'full'` mode; not at all in `'partial'`).
 */
export function emitTcp(repr: TcpRepr, into: Uint8Array, pseudoSum: number, checksum: TcpChecksumMode = 'full'): number {
  const hl = tcpHeaderLen(repr);
  const total = hl + repr.payload.length;
  if (into.length < total) throw new RangeError(`emitTcp: need ${total} bytes, buffer has ${into.length}`);
  into[F.srcPort] = (repr.srcPort >>> 8) & 0xff;
  into[F.srcPort + 1] = repr.srcPort & 0xff;
  into[F.dstPort] = (repr.dstPort >>> 8) & 0xff;
  into[F.dstPort + 1] = repr.dstPort & 0xff;
  writeU32(into, F.seq, repr.seq);
  writeU32(into, F.ack, repr.ack);
  into[F.dataOffset] = (hl / 4) << 4; // reserved bits zero (RFC 9293 §3.1)
  into[F.flags] = repr.flags & 0xff;
  into[F.window] = (repr.window >>> 8) & 0xff;
  into[F.window + 1] = repr.window & 0xff;
  into[F.checksum] = 0;
  into[F.checksum + 1] = 0;
  into[F.urgent] = (repr.urgent >>> 8) & 0xff;
  into[F.urgent + 1] = repr.urgent & 0xff;
  emitTcpOptions(repr.options, into, TCP_MIN_HEADER);
  copyPayloadUnlessInPlace(repr.payload, into, hl);
  const ck = checksum === 'partial' ? fold(pseudoSum) : finishChecksum(sumBytes(into, 0, total, pseudoSum));
  into[F.checksum] = ck >>> 8;
  into[F.checksum + 1] = ck & 0xff;
  return total;
}

/** Flag letters in tcpdump's order and spelling (`print-tcp.c`): ACK is `.`, CWR is `W`. */
const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
];

/** tcpdump's flags text: `S`, `S.`, `P.`, `F.`, `R`, `R.`, `.`; `none` when no bit is set. */
export function tcpFlagsString(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s === '' ? 'none' : s;
}

/**
 * One line like tcpdump's, for logs and test failures:
 * `TCP 49500 > 80 [S.] seq 1 ack 2 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7> len 0`.
 * The ack number shows only with ACK set, `urg` only with URG; options appear as emitted.
 */
export function formatTcp(repr: TcpRepr): string {
  const ack = repr.flags & TcpFlag.ACK ? ` ack ${repr.ack >>> 0}` : '';
  const urg = repr.flags & TcpFlag.URG ? ` urg ${repr.urgent}` : '';
  const opts = formatTcpOptions(repr.options);
  return (
    `TCP ${repr.srcPort} > ${repr.dstPort} [${tcpFlagsString(repr.flags)}] seq ${repr.seq >>> 0}${ack}` +
    ` win ${repr.window}${urg}${opts === '' ? '' : ` <${opts}>`} len ${repr.payload.length}`
  );
}
