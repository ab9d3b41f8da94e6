/**
 * SYN cookies (RFC 4987 §3.6): when a listener's half-open queue is full, the SYN is answered
 * without keeping any state; everything the connection needs later is encoded in our ISN, and
 * the ACK that completes the handshake proves the peer received it. Read RFC 4987 §3.6 and
 * RFC 9293 §3.10.7.2 first.
 *
 * Deviation: RFC 4987 describes the idea, not a format; the layout is Linux's
 * (`secure_tcp_syn_cookie`):
 *
 *     ISN = H1(4-tuple) + SEG.SEQ + (count << 24) + ((H2(4-tuple, count) + mssIndex) mod 2^24)
 *
 * where `count` is a minute counter of `now`, H1 and H2 keyed hashes with secrets drawn from the
 * engine's random source, and `mssIndex` a 2-bit index into a table of common MSS values. A
 * cookie is valid in the minute it was made and the next one (Linux's MAX_SYNCOOKIE_AGE = 2).
 *
 * The other SYN options cannot fit in the ISN. As Linux does, when the peer uses timestamps the
 * low 6 bits of our SYN-ACK's TSval carry its window scale (4 bits, 0xf = none) and SACK-permitted
 * (1 bit); the peer echoes them in TSecr on its ACK. Without timestamps, window scaling and SACK
 * are lost for a cookie connection, and the MSS is rounded down to a table value.
 */

import type { IpAddress } from '../wire/address';
import { TcpFlag, type TcpRepr } from '../wire/tcp';
import { type ControlBlock, DEFAULT_MSS_V4, DEFAULT_MSS_V6, MAX_UNSCALED_WINDOW, MAX_WINDOW_SCALE } from './control-block';
import { KeyedHash, addressWords } from './hash';
import { TcpConnection } from './connection';
import type { TcpHost } from './host';
import type { TcpListener } from './listener';
import { negotiateFromSyn } from './negotiate';
import type { TcpConnectionOptions } from './options';
import { synWindow, windowScaleFor } from './output';
import { seqAdd, seqGt } from './seq';

/** The time counter ticks once a minute (Linux: `tcp_cookie_time`, 60 s). */
export const COOKIE_PERIOD_MS = 60_000;
/** Counter values a cookie may be behind and still be accepted: this minute and the last. */
export const COOKIE_MAX_AGE = 2;
const COUNT_BITS = 24;
const COUNT_MASK = 0xffffff;

/** MSS values a cookie can carry (Linux's msstab for IPv4 and IPv6, in ascending order). */
export const COOKIE_MSS_V4: readonly number[] = [DEFAULT_MSS_V4, 1300, 1440, 1460];
export const COOKIE_MSS_V6: readonly number[] = [DEFAULT_MSS_V6, 1480 - 60, 1500 - 60, 9000 - 60];

/** Low TSval bits that carry options (Linux's TS_OPT_*): 4 bits of window scale, 1 of SACK. */
const TS_OPT_WSCALE_MASK = 0xf;
const TS_OPT_NO_WSCALE = 0xf;
const TS_OPT_SACK = 1 << 4;
const TS_OPT_BITS = 6;
const TS_OPT_MASK = (1 << TS_OPT_BITS) - 1;

/** What a valid cookie tells about the SYN it answered. */
export interface CookieSyn {
  /** The peer's MSS, rounded down to a table value. */
  mss: number;
  /** The peer's window shift, when its SYN offered one and timestamps carried it back. */
  windowScale: number | undefined;
  sackPermitted: boolean;
}

function tupleWords(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): number[] {
  return [...addressWords(remote.bytes), ...addressWords(local.bytes), (remotePort << 16) | localPort];
}

export class SynCookies {
  private readonly h1: KeyedHash;
  private readonly h2: KeyedHash;
  /** Per-4-tuple timestamp offsets (RFC 7323 §5.4), so a cookie connection's clock is reproducible. */
  private readonly ts: KeyedHash;

  /** Draws six words of secret from `random32` (the engine creates this at the first cookie). */
  constructor(random32: () => number) {
    this.h1 = new KeyedHash(random32(), random32());
    this.h2 = new KeyedHash(random32(), random32());
    this.ts = new KeyedHash(random32(), random32());
  }

  /** Our ISN for a SYN from `remote` with sequence number `peerIsn` and MSS option `peerMss`. */
  isn(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number, peerIsn: number, peerMss: number, now: number): number {
    const table = local.family === 4 ? COOKIE_MSS_V4 : COOKIE_MSS_V6;
    let index = 0;
    while (index + 1 < table.length && table[index + 1]! <= peerMss) index++;
    const words = tupleWords(local, localPort, remote, remotePort);
    const count = Math.floor(now / COOKIE_PERIOD_MS) >>> 0;
    const low = (this.h2.hash([...words, count]) + index) & COUNT_MASK;
    return (this.h1.hash(words) + peerIsn + ((count << COUNT_BITS) >>> 0) + low) >>> 0;
  }

  /**
   * Checks the cookie an ACK returns (SEG.ACK − 1) against the peer's ISN (SEG.SEQ − 1).
   * Returns the peer's table MSS, or null for a forged, damaged or expired cookie.
   */
  check(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number, peerIsn: number, cookie: number, now: number): number | null {
    const words = tupleWords(local, localPort, remote, remotePort);
    const c = (cookie - this.h1.hash(words) - peerIsn) >>> 0;
    const count = Math.floor(now / COOKIE_PERIOD_MS) >>> 0;
    const age = (count - (c >>> COUNT_BITS)) & (0xffffffff >>> COUNT_BITS);
    if (age >= COOKIE_MAX_AGE) return null;
    const index = (c - this.h2.hash([...words, (count - age) >>> 0])) & COUNT_MASK;
    const table = local.family === 4 ? COOKIE_MSS_V4 : COOKIE_MSS_V6;
    return index < table.length ? table[index]! : null;
  }

  /** The timestamp-clock offset of this 4-tuple (used for cookie SYN-ACKs and their connections). */
  tsOffset(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): number {
    return this.ts.hash(tupleWords(local, localPort, remote, remotePort));
  }
}

/**
 * A TSval carrying the SYN's options in its low 6 bits: at most `tsNow` (never ahead of our
 * clock, so later TSvals never go backwards for the peer's PAWS check, RFC 7323 §5).
 */
export function cookieTimestamp(tsNow: number, windowScale: number | undefined, sackPermitted: boolean): number {
  const opts = (windowScale === undefined ? TS_OPT_NO_WSCALE : Math.min(windowScale, MAX_WINDOW_SCALE)) | (sackPermitted ? TS_OPT_SACK : 0);
  let ts = ((tsNow & ~TS_OPT_MASK) | opts) >>> 0;
  if (seqGt(ts, tsNow)) ts = seqAdd(ts, -(1 << TS_OPT_BITS));
  return ts;
}

/** The options a cookie timestamp carried back in TSecr (every 6-bit pattern decodes). */
export function cookieTimestampOptions(tsEcr: number): { windowScale: number | undefined; sackPermitted: boolean } {
  const w = tsEcr & TS_OPT_WSCALE_MASK;
  return { windowScale: w === TS_OPT_NO_WSCALE ? undefined : Math.min(w, MAX_WINDOW_SCALE), sackPermitted: (tsEcr & TS_OPT_SACK) !== 0 };
}

/** Our MSS toward `remote` (as a control block computes it: path MTU less IP and TCP headers). */
function ourMssFor(host: TcpHost, local: IpAddress, remote: IpAddress): number {
  const fallback = local.family === 4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6;
  const mtuMss = host.env.mtuFor(local, remote) - (local.family === 4 ? 40 : 60);
  return Math.max(fallback, Math.min(65495, mtuMss));
}

/**
 * The stateless SYN-ACK for `syn` (RFC 9293 §3.10.7.2 third step, with the ISN a cookie): the
 * options echo what the peer offered and the engine supports, as a half-open block would.
 */
export function cookieSynAck(
  host: TcpHost,
  cookies: SynCookies,
  local: IpAddress,
  remote: IpAddress,
  syn: TcpRepr,
  opts: TcpConnectionOptions,
  now: number,
): TcpRepr {
  const o = host.options;
  const peerMss = syn.options.mss === undefined || syn.options.mss === 0 ? (local.family === 4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6) : syn.options.mss;
  const iss = cookies.isn(local, syn.dstPort, remote, syn.srcPort, syn.seq, peerMss, now);
  const options: TcpRepr['options'] = { mss: ourMssFor(host, local, remote) };
  const wscale = o.windowScaling && syn.options.windowScale !== undefined;
  const sack = o.sack && syn.options.sackPermitted === true;
  const ts = syn.options.timestamp;
  if (o.timestamps && ts !== undefined) {
    const tsNow = (Math.floor(now) + cookies.tsOffset(local, syn.dstPort, remote, syn.srcPort)) >>> 0;
    options.timestamp = { tsVal: cookieTimestamp(tsNow, wscale ? syn.options.windowScale : undefined, sack), tsEcr: ts.tsVal };
    // Without timestamps there is nowhere to remember these, so they are not offered.
    if (wscale) options.windowScale = windowScaleFor(opts.receiveBufferSize);
    if (sack) options.sackPermitted = true;
  }
  return {
    srcPort: syn.dstPort,
    dstPort: syn.srcPort,
    seq: iss,
    ack: seqAdd(syn.seq, 1),
    flags: TcpFlag.SYN | TcpFlag.ACK,
    window: Math.min(MAX_UNSCALED_WINDOW, opts.receiveBufferSize), // as synWindow()
    urgent: 0,
    options,
    payload: new Uint8Array(0),
  };
}

/** The SYN a valid cookie ACK stands for: what `negotiateFromSyn` needs to rebuild the half-open block. */
export function synFromCookie(ack: TcpRepr, mss: number, timestamps: boolean): TcpRepr {
  const ts = ack.options.timestamp;
  const options: TcpRepr['options'] = { mss };
  if (timestamps && ts !== undefined && ts.tsEcr !== 0) {
    const bits = cookieTimestampOptions(ts.tsEcr);
    if (bits.windowScale !== undefined) options.windowScale = bits.windowScale;
    if (bits.sackPermitted) options.sackPermitted = true;
    options.timestamp = { tsVal: ts.tsVal, tsEcr: 0 };
  }
  return { ...ack, seq: seqAdd(ack.seq, -1), flags: TcpFlag.SYN, options, payload: new Uint8Array(0) };
}

/**
 * Turns `cb`, fresh from the listener, into the half-open block the cookie stood for, as if its
 * SYN had been answered at ISS = the cookie: SYN-RECEIVED's variables, without the SYN-ACK.
 */
export function restoreHalfOpen(cb: ControlBlock, cookies: SynCookies, ack: TcpRepr, now: number): void {
  cb.irs = seqAdd(ack.seq, -1);
  cb.rcvNxt = ack.seq;
  cb.lastAckSent = cb.rcvNxt;
  cb.iss = seqAdd(ack.ack, -1);
  cb.sndUna = cb.iss;
  cb.sndNxt = cb.sndMax = cb.bufSeq = cb.sndSml = ack.ack;
  cb.recover = cb.iss;
  cb.rttTime = now;
  // When the SYN-ACK left is unknown: no RTT sample from the handshake (as after a retransmission).
  cb.retries = 1;
  cb.tsOffset = cookies.tsOffset(cb.local, cb.localPort, cb.remote, cb.remotePort);
  // The window our cookie SYN-ACK offered (RFC 7323 §2.2: unscaled).
  cb.rcvAdvRight = seqAdd(cb.rcvNxt, synWindow(cb));
}

/**
 * The connection an ACK with a valid cookie completes, rebuilt in SYN-RECEIVED (not yet in any
 * table); null when the ACK does not carry a cookie of ours. The caller registers it and lets the
 * ACK complete the handshake through ordinary segment arrival (RFC 9293 §3.10.7.4).
 */
export function connectionFromCookie(
  host: TcpHost,
  cookies: SynCookies,
  listener: TcpListener,
  src: IpAddress,
  dst: IpAddress,
  ack: TcpRepr,
  now: number,
): TcpConnection | null {
  const mss = cookies.check(dst, ack.dstPort, src, ack.srcPort, seqAdd(ack.seq, -1), seqAdd(ack.ack, -1), now);
  if (mss === null) return null;
  const syn = synFromCookie(ack, mss, host.options.timestamps);
  const cb = new TcpConnection(host, dst, ack.dstPort, src, ack.srcPort, listener.connectionOptions, true);
  cb.state = 'LISTEN';
  cb.listener = listener;
  negotiateFromSyn(cb, syn);
  restoreHalfOpen(cb, cookies, ack, now);
  return cb;
}
