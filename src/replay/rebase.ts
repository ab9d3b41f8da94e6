/**
 * The on-the-fly rewrite of the peer's TCP segments, so that they stay meaningful to usernet
 * (whose ISN is not the kernel's, RFC 6528, and whose timestamp clock is its own, RFC 7323):
 *
 * - the acknowledgment number and SACK blocks (RFC 2018) are mapped from the endpoint's ISN in
 *   the capture to usernet's ISS, and clamped to what usernet has actually sent (SND.MAX): a
 *   peer cannot acknowledge bytes it never received, and RFC 9293 §3.10.7.4 makes usernet
 *   ignore an ACK of unsent data;
 * - TSecr (RFC 7323 §4.3) becomes the latest TSval usernet sent on the conversation (what a
 *   real peer would echo); a TSecr of zero stays zero;
 * - the TCP checksum is recomputed (RFC 9293 §3.1, RFC 1071); the IP header is untouched.
 *
 * The peer's own sequence numbers and TSval are left alone: usernet learns them as IRS and
 * TS.Recent.
 */

import { readU32, writeU32 } from '../../stack/wire/bytes';
import { finishChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6, sumBytes } from '../../stack/wire/checksum';
import { TcpOptionKind } from '../../stack/wire/tcp-options';
import { TcpFlag } from '../../stack/wire/tcp';
import type { Packet } from './packet';

/** What the rewrite needs to know about one conversation; updated from usernet's output. */
export interface RebaseState {
  /** The endpoint's ISN in the capture. */
  captureIss?: number;
  /** usernet's ISS, once it sent its SYN or SYN-ACK. */
  usernetIss?: number;
  /** One past the highest sequence number usernet sent (SYN and FIN included). */
  usernetSndMax?: number;
  /** The TSval of usernet's latest segment. */
  usernetTsVal?: number;
}

export interface RebaseResult {
  frame: Uint8Array;
  /** The acknowledgment (or a SACK edge) was cut back to usernet's SND.MAX. */
  clamped: boolean;
  /** usernet's ISS was not known yet, so the acknowledgment went in unchanged. */
  unmapped: boolean;
}

/** Signed distance a − b in sequence space (RFC 9293 §3.4). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Records what usernet's own segment `p` tells about the conversation. */
export function observeUsernetSegment(state: RebaseState, p: Packet): void {
  const seg = p.tcp;
  if (seg === undefined) return;
  if ((seg.flags & TcpFlag.SYN) !== 0) state.usernetIss = seg.seq;
  const len = seg.payload.length + ((seg.flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((seg.flags & TcpFlag.FIN) !== 0 ? 1 : 0);
  const end = (seg.seq + len) >>> 0;
  if ((seg.flags & TcpFlag.RST) === 0 && (state.usernetSndMax === undefined || seqDiff(end, state.usernetSndMax) > 0)) state.usernetSndMax = end;
  if (seg.options.timestamp !== undefined) state.usernetTsVal = seg.options.timestamp.tsVal;
}

/** Maps one acknowledgment-space number; clamps it to SND.MAX. */
function mapAck(state: RebaseState, value: number): { value: number; clamped: boolean } {
  const mapped = (value - state.captureIss! + state.usernetIss!) >>> 0;
  const max = state.usernetSndMax;
  if (max !== undefined && seqDiff(mapped, max) > 0) return { value: max, clamped: true };
  return { value: mapped, clamped: false };
}

/**
 * Returns a rewritten copy of the peer's TCP frame `p` (which must have `ip` and `tcp`). The
 * caller keeps `p.frame` intact.
 */
export function rebasePeerSegment(state: RebaseState, p: Packet): RebaseResult {
  const frame = Uint8Array.from(p.frame);
  const ip = p.ip!;
  const seg = p.tcp!;
  const t = ip.upperOffset;
  const known = state.captureIss !== undefined && state.usernetIss !== undefined;
  let clamped = false;
  let unmapped = false;
  if ((seg.flags & TcpFlag.ACK) !== 0) {
    if (known) {
      const a = mapAck(state, seg.ack);
      writeU32(frame, t + 8, a.value);
      clamped ||= a.clamped;
    } else {
      unmapped = true;
    }
  }
  const headerLen = (frame[t + 12]! >> 4) * 4;
  for (let i = t + 20; i < t + headerLen; ) {
    const kind = frame[i]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    const len = frame[i + 1] ?? 0;
    if (len < 2 || i + len > t + headerLen) break;
    if (kind === TcpOptionKind.TIMESTAMP && len === 10 && state.usernetTsVal !== undefined && readU32(frame, i + 6) !== 0) {
      writeU32(frame, i + 6, state.usernetTsVal);
    } else if (kind === TcpOptionKind.SACK && known) {
      for (let j = i + 2; j + 8 <= i + len; j += 8) {
        const left = mapAck(state, readU32(frame, j));
        const right = mapAck(state, readU32(frame, j + 4));
        writeU32(frame, j, left.value);
        writeU32(frame, j + 4, right.value);
        clamped ||= right.clamped;
      }
    }
    i += len;
  }
  const length = ip.upperLength;
  const pseudo = ip.family === 4 ? pseudoHeaderSumV4(ip.src.v4, ip.dst.v4, 6, length) : pseudoHeaderSumV6(ip.src.bytes, ip.dst.bytes, 6, length);
  frame[t + 16] = 0;
  frame[t + 17] = 0;
  const ck = finishChecksum(sumBytes(frame, t, t + length, pseudo));
  frame[t + 16] = ck >>> 8;
  frame[t + 17] = ck & 0xff;
  return { frame, clamped, unmapped };
}
