/**
 * TCP options (RFC 9293 §3.1–3.2): End of Option List, No-Operation, Maximum Segment Size;
 * window scale and timestamps (RFC 7323 §2.2, §3.2); SACK-permitted and SACK (RFC 2018 §2, §3).
 *
 * Parsing fills a `TcpOptions`; emission writes them in the layout Linux uses
 * (`tcp_options_write`), so our segments look like the kernel's in a capture:
 *
 *   mss | sackOK TS (or nop nop TS) | nop nop sackOK (without TS) | nop wscale | nop nop sack…
 *
 * Every item in that layout is a multiple of 4 bytes, so no padding is ever needed.
 */

import { Drop, drop } from './drop';
import type { SackBlock, TcpOptions } from './tcp';
import { readU32, writeU32 } from './bytes';

/** Option kinds (IANA "TCP Option Kind Numbers"). Unknown kinds stay numbers. */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** Option lengths, kind and length bytes included. */
const LEN = {
  MSS: 4,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 2,
  SACK_BASE: 2,
  SACK_BLOCK: 8,
  TIMESTAMP: 10,
} as const;

/** The data offset field allows 60 header bytes, 20 of them fixed (RFC 9293 §3.1). */
export const TCP_MAX_OPTIONS_LEN = 40;
/** 2 + 8·4 = 34 bytes: the most blocks the option space holds (RFC 2018 §3). */
export const TCP_MAX_SACK_BLOCKS = 4;

/**
 * Parses the options in `b[start..end)` (the bytes after the fixed header, up to the data
 * offset). RFC 9293 MUST-6: options we do not implement are skipped by their length. A known
 * kind with the wrong length is skipped the same way, as Linux `tcp_parse_options` does.
 * RFC 9293 MUST-7 asks us to be prepared for an illegal length: a length below 2 or running past
 * `end` leaves no way to find the next option, so the segment is dropped (`'tcp-bad-option'`).
 * When an option appears twice the last one wins (as in Linux).
 */
export function parseTcpOptions(b: Uint8Array, start: number, end: number): TcpOptions | Drop {
  const o: TcpOptions = {};
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return drop('tcp-bad-option');
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) return drop('tcp-bad-option');
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len === LEN.MSS) o.mss = (b[i + 2]! << 8) | b[i + 3]!;
        break;
      case TcpOptionKind.WINDOW_SCALE:
        // The raw shift; RFC 7323 §2.3 caps it at 14, which is the engine's business.
        if (len === LEN.WINDOW_SCALE) o.windowScale = b[i + 2]!;
        break;
      case TcpOptionKind.SACK_PERMITTED:
        // Only meaningful on a SYN (RFC 2018 §2); the engine decides what to do elsewhere.
        if (len === LEN.SACK_PERMITTED) o.sackPermitted = true;
        break;
      case TcpOptionKind.SACK: {
        const n = (len - LEN.SACK_BASE) / LEN.SACK_BLOCK;
        if (Number.isInteger(n) && n >= 1 && n <= TCP_MAX_SACK_BLOCKS) {
          const sack: SackBlock[] = [];
          for (let j = i + LEN.SACK_BASE; j < i + len; j += LEN.SACK_BLOCK) {
            sack.push({ left: readU32(b, j), right: readU32(b, j + 4) });
          }
          o.sack = sack;
        }
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        if (len === LEN.TIMESTAMP) o.timestamp = { tsVal: readU32(b, i + 2), tsEcr: readU32(b, i + 6) };
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

/** Bytes taken by everything except SACK blocks, in the Linux layout. */
function fixedOptionsLen(o: TcpOptions): number {
  let n = 0;
  if (o.mss !== undefined) n += LEN.MSS;
  if (o.timestamp !== undefined) n += 2 + LEN.TIMESTAMP; // sackOK or nop nop, then TS
  else if (o.sackPermitted === true) n += 2 + LEN.SACK_PERMITTED; // nop nop sackOK
  if (o.windowScale !== undefined) n += 1 + LEN.WINDOW_SCALE; // nop wscale
  return n;
}

/**
 * How many of `o.sack` fit after the other options. Like Linux, blocks that do not fit are left
 * out (the first ones are the most recent, RFC 2018 §4), at most 4, at most 3 with timestamps.
 */
export function tcpSackBlocksEmitted(o: TcpOptions): number {
  const sack = o.sack;
  if (sack === undefined || sack.length === 0) return 0;
  const room = Math.floor((TCP_MAX_OPTIONS_LEN - fixedOptionsLen(o) - 2 - LEN.SACK_BASE) / LEN.SACK_BLOCK);
  return Math.max(0, Math.min(sack.length, TCP_MAX_SACK_BLOCKS, room));
}

/** Bytes `emitTcpOptions` writes for `o`: a multiple of 4, at most 40. */
export function tcpOptionsLen(o: TcpOptions): number {
  const blocks = tcpSackBlocksEmitted(o);
  return fixedOptionsLen(o) + (blocks > 0 ? 2 + LEN.SACK_BASE + blocks * LEN.SACK_BLOCK : 0);
}

/**
 * Writes `o` at `into[off..)` in the Linux layout and returns the offset after it. `into` must
 * have `tcpOptionsLen(o)` bytes from `off`. Allocates nothing.
 */
export function emitTcpOptions(o: TcpOptions, into: Uint8Array, off: number): number {
  let i = off;
  if (o.mss !== undefined) {
    into[i] = TcpOptionKind.MSS;
    into[i + 1] = LEN.MSS;
    into[i + 2] = (o.mss >>> 8) & 0xff;
    into[i + 3] = o.mss & 0xff;
    i += LEN.MSS;
  }
  const ts = o.timestamp;
  if (ts !== undefined) {
    if (o.sackPermitted === true) {
      into[i] = TcpOptionKind.SACK_PERMITTED;
      into[i + 1] = LEN.SACK_PERMITTED;
    } else {
      into[i] = TcpOptionKind.NOP;
      into[i + 1] = TcpOptionKind.NOP;
    }
    into[i + 2] = TcpOptionKind.TIMESTAMP;
    into[i + 3] = LEN.TIMESTAMP;
    writeU32(into, i + 4, ts.tsVal);
    writeU32(into, i + 8, ts.tsEcr);
    i += 12;
  } else if (o.sackPermitted === true) {
    into[i] = TcpOptionKind.NOP;
    into[i + 1] = TcpOptionKind.NOP;
    into[i + 2] = TcpOptionKind.SACK_PERMITTED;
    into[i + 3] = LEN.SACK_PERMITTED;
    i += 4;
  }
  if (o.windowScale !== undefined) {
    into[i] = TcpOptionKind.NOP;
    into[i + 1] = TcpOptionKind.WINDOW_SCALE;
    into[i + 2] = LEN.WINDOW_SCALE;
    into[i + 3] = o.windowScale & 0xff;
    i += 4;
  }
  const blocks = tcpSackBlocksEmitted(o);
  if (blocks > 0) {
    const sack = o.sack!;
    into[i] = TcpOptionKind.NOP;
    into[i + 1] = TcpOptionKind.NOP;
    into[i + 2] = TcpOptionKind.SACK;
    into[i + 3] = LEN.SACK_BASE + blocks * LEN.SACK_BLOCK;
    i += 4;
    for (let k = 0; k < blocks; k++) {
      writeU32(into, i, sack[k]!.left);
      writeU32(into, i + 4, sack[k]!.right);
      i += LEN.SACK_BLOCK;
    }
  }
  return i;
}

/**
 * tcpdump's text for the options as `emitTcpOptions` would lay them out:
 * `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`. Empty when there are none.
 */
export function formatTcpOptions(o: TcpOptions): string {
  const parts: string[] = [];
  if (o.mss !== undefined) parts.push(`mss ${o.mss}`);
  if (o.timestamp !== undefined) {
    parts.push(...(o.sackPermitted === true ? ['sackOK'] : ['nop', 'nop']));
    parts.push(`TS val ${o.timestamp.tsVal >>> 0} ecr ${o.timestamp.tsEcr >>> 0}`);
  } else if (o.sackPermitted === true) {
    parts.push('nop', 'nop', 'sackOK');
  }
  if (o.windowScale !== undefined) parts.push('nop', `wscale ${o.windowScale}`);
  const blocks = tcpSackBlocksEmitted(o);
  if (blocks > 0) parts.push('nop', 'nop', formatSack(o.sack!.slice(0, blocks)));
  return parts.join(',');
}

/**
 * tcpdump's text for the options exactly as they are in `b[start..end)`, in wire order,
 * `nop`s included, for decoders. Never throws: a malformed option prints as `bad-opt` and ends
 * the list; a known kind with the wrong length prints as `mss[bad len 3]`; unknown kinds print
 * their kind in hex and their length.
 */
export function formatTcpOptionBytes(b: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  let i = start;
  const stop = Math.min(end, b.length);
  while (i < stop) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL) {
      parts.push('eol');
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      parts.push('nop');
      i++;
      continue;
    }
    const len = i + 1 < stop ? b[i + 1]! : 0;
    if (len < 2 || i + len > stop) {
      parts.push('bad-opt');
      break;
    }
    parts.push(formatOneOption(b, i, kind, len));
    i += len;
  }
  return parts.join(',');
}

function formatOneOption(b: Uint8Array, i: number, kind: number, len: number): string {
  switch (kind) {
    case TcpOptionKind.MSS:
      return len === LEN.MSS ? `mss ${(b[i + 2]! << 8) | b[i + 3]!}` : `mss[bad len ${len}]`;
    case TcpOptionKind.WINDOW_SCALE:
      return len === LEN.WINDOW_SCALE ? `wscale ${b[i + 2]!}` : `wscale[bad len ${len}]`;
    case TcpOptionKind.SACK_PERMITTED:
      return len === LEN.SACK_PERMITTED ? 'sackOK' : `sackOK[bad len ${len}]`;
    case TcpOptionKind.SACK: {
      const n = (len - LEN.SACK_BASE) / LEN.SACK_BLOCK;
      if (!Number.isInteger(n) || n < 1 || n > TCP_MAX_SACK_BLOCKS) return `sack[bad len ${len}]`;
      const blocks: SackBlock[] = [];
      for (let j = i + LEN.SACK_BASE; j < i + len; j += LEN.SACK_BLOCK) {
        blocks.push({ left: readU32(b, j), right: readU32(b, j + 4) });
      }
      return formatSack(blocks);
    }
    case TcpOptionKind.TIMESTAMP:
      return len === LEN.TIMESTAMP
        ? `TS val ${readU32(b, i + 2)} ecr ${readU32(b, i + 6)}`
        : `TS[bad len ${len}]`;
    default:
      return `unknown-0x${kind.toString(16).padStart(2, '0')} len ${len}`;
  }
}

/** tcpdump's SACK text with raw sequence numbers: `sack 2 {100:200}{300:400}`. */
function formatSack(blocks: readonly SackBlock[]): string {
  let s = `sack ${blocks.length} `;
  for (const blk of blocks) s += `{${blk.left >>> 0}:${blk.right >>> 0}}`;
  return s;
}
