/**
 * The transmission control block (RFC 9293 §3.3.1): the send and receive sequence variables under
 * their RFC names, the negotiated options, the buffers and the timers of one connection. Read
 * RFC 9293 §3.3 and RFC 7323 §2–§4 before editing. The user API is in `connection.ts`, segment
 * arrival in `input*.ts`, sending in `output.ts`, timers in `timers.ts`.
 */

import debugFactory from 'debug';
import type { IpAddress } from '../wire/address';
import type { CongestionControl } from './congestion/types';
import { createCongestionControl } from './congestion/create';
import type { TcpConnection } from './connection';
import type { ConnectionErrorCode, TcpEvent } from './events';
import type { TcpHost } from './host';
import type { TcpListener } from './listener';
import type { TcpConnectionOptions } from './options';
import { RackState } from './rack';
import { Reassembly } from './reassembly';
import { RttEstimator } from './rtt';
import { SackScoreboard } from './sack';
import { SendBuffer } from './send-buffer';
import { seqAdd, seqDiff } from './seq';
import type { TcpState } from './state';
import { TailLossProbe } from './tlp';

const logState = debugFactory('usernet:tcp:state');

/** Timers are data (STYLE.md): the retransmission slot is either the RTO or the persist timer. */
export type RetransmitTimer =
  | { readonly kind: 'none' }
  | { readonly kind: 'retransmit'; readonly at: number }
  | { readonly kind: 'persist'; readonly at: number; readonly backoff: number };

/** The idle slot, shared: timers are values, never changed in place, so one object serves all. */
export const NO_RETRANSMIT_TIMER: RetransmitTimer = Object.freeze({ kind: 'none' });

/** Largest window the 16-bit field can express unscaled, and the RFC 7323 §2.3 shift limit. */
export const MAX_UNSCALED_WINDOW = 65535;
export const MAX_WINDOW_SCALE = 14;

/** RFC 9293 §3.7.1 / RFC 8200: the MSS assumed when the peer sends none (576−40, 1280−60). */
export const DEFAULT_MSS_V4 = 536;
export const DEFAULT_MSS_V6 = 1220;
/** Option bytes a timestamp costs in every segment (10, padded to 12; RFC 7323 §3). */
export const TIMESTAMP_OPTION_LEN = 12;
/** NOP, NOP, kind and length in front of the SACK blocks, as Linux and usernet lay them out. */
export const SACK_OPTION_OVERHEAD = 4;
/** One SACK block: left and right edges (RFC 2018 §3). */
export const SACK_BLOCK_LEN = 8;

let nextId = 1;

/** The counter each state's entries are counted under (`state:ESTABLISHED` …), named once. */
const STATE_COUNTER: Readonly<Record<TcpState, string>> = {
  CLOSED: 'state:CLOSED',
  LISTEN: 'state:LISTEN',
  'SYN-SENT': 'state:SYN-SENT',
  'SYN-RECEIVED': 'state:SYN-RECEIVED',
  ESTABLISHED: 'state:ESTABLISHED',
  'FIN-WAIT-1': 'state:FIN-WAIT-1',
  'FIN-WAIT-2': 'state:FIN-WAIT-2',
  'CLOSE-WAIT': 'state:CLOSE-WAIT',
  CLOSING: 'state:CLOSING',
  'LAST-ACK': 'state:LAST-ACK',
  'TIME-WAIT': 'state:TIME-WAIT',
};

export abstract class ControlBlock {
  readonly id = nextId++;
  state: TcpState = 'CLOSED';
  /** Opened from LISTEN (RFC 9293 §3.10.7.4: a reset SYN-RECEIVED returns to LISTEN). */
  readonly passive: boolean;
  listener: TcpListener | null = null;
  opts: TcpConnectionOptions;

  // --- Send sequence variables (RFC 9293 §3.3.1, Figure 4) ---
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent so far (SND.NXT is rewound on RTO; RFC 6582's "recover" uses it). */
  sndMax = 0;
  /** The peer's window in bytes (scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer ever offered (sender SWS avoidance, RFC 9293 §3.8.6.2.1). */
  maxSndWnd = 0;
  /** Shift applied to the peer's window fields (RFC 7323 §2.3), 0 when not negotiated. */
  sndWscale = 0;
  /** Sequence number of the first byte held in `sendBuffer`. */
  bufSeq = 0;
  readonly sendBuffer: SendBuffer;
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant, see output.ts). */
  sndSml = 0;
  /** The user asked for our FIN (shutdown or close); it follows the last queued byte. */
  finQueued = false;

  // --- Receive sequence variables (RFC 9293 §3.3.1, Figure 5) ---
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window we last advertised (never moved left: RFC 9293 §3.8.6.2.2). */
  rcvAdvRight = 0;
  /** Shift applied to our window fields, 0 when not negotiated. */
  rcvWscale = 0;
  /** In-order data waiting for the user (while reading is stopped), owned copies. */
  receiveQueue: Uint8Array[] = [];
  receiveQueued = 0;
  readonly reassembly = new Reassembly();
  /** Sequence number of a FIN that arrived ahead of missing data. */
  peerFinSeq: number | undefined;
  reading = true;
  /** The peer's FIN arrived while data still waited in `receiveQueue`; reported after it. */
  peerFinPending = false;

  // --- Options (RFC 9293 §3.7.1, RFC 7323, RFC 2018) ---
  /** MSS the peer announced (or the default when it sent none). */
  peerMss = DEFAULT_MSS_V4;
  /** MSS we announce: our MTU minus headers. */
  ourMss = DEFAULT_MSS_V4;
  tsEnabled = false;
  tsRecent = 0;
  /** Random offset added to our timestamp clock (RFC 7323 §5.4); a SYN-cookie connection's is keyed. */
  tsOffset: number;
  /** RCV.NXT in the last ACK we sent ("Last.ACK.sent", RFC 7323 §4.3). */
  lastAckSent = 0;
  sackEnabled = false;
  /** What the peer has SACKed above SND.UNA (RFC 2018 §5). */
  readonly scoreboard = new SackScoreboard();
  /** What we put on our SYN (for the SYN-ACK check of what was negotiated). */
  offeredWscale: number | undefined;

  // --- Timers (RFC 9293 §3.8; deadlines, not callbacks) ---
  rtxTimer: RetransmitTimer = NO_RETRANSMIT_TIMER;
  delayedAckAt = Infinity;
  keepaliveAt = Infinity;
  timeWaitAt = Infinity;
  finWait2At = Infinity;
  /** Consecutive expiries of the retransmission or persist timer without progress. */
  retries = 0;
  keepaliveProbes = 0;
  /** When the oldest unacknowledged data was first sent (user timeout). */
  unackedSince = Infinity;

  // --- Round-trip timing and congestion (RFC 6298, RFC 5681, RFC 6582) ---
  readonly rtt: RttEstimator;
  /** A timed segment (Karn: never a retransmitted one): its end sequence and send time. */
  rttSeq: number | undefined;
  rttTime = 0;
  cc: CongestionControl;
  dupAcks = 0;
  inRecovery = false;
  recover = 0;
  /** RACK (RFC 8985 §6): per-segment transmit times and the reordering timer. */
  readonly rack = new RackState();
  /** Tail Loss Probe (RFC 8985 §7): the episode and the probe timer. */
  readonly tlp = new TailLossProbe();

  // --- Acknowledgment policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2) ---
  ackNow = false;
  /** Full-sized segments received since our last ACK. */
  unackedSegments = 0;

  // --- Bookkeeping ---
  /** The user called close(): nothing more is reported, the connection finishes on its own. */
  orphaned = false;
  closedReported = false;
  /** The user knows this connection (active: from connect; passive: from its accept event). */
  announced: boolean;
  writeBlocked = false;
  /** In the engine's list of blocks its next `poll` sends for (`TcpEngine.wake`). */
  queuedForPoll = false;
  /** Time of the last segment heard from the peer (keepalive idle clock). */
  lastHeard = 0;
  /** An ICMP error seen while synchronized (RFC 1122 §4.2.3.9 "soft error"), reported on give-up. */
  softError: ConnectionErrorCode | undefined;
  retransmits = 0;
  bytesAcked = 0;
  bytesReceived = 0;
  segmentsIn = 0;
  segmentsOut = 0;

  constructor(
    readonly host: TcpHost,
    readonly local: IpAddress,
    readonly localPort: number,
    readonly remote: IpAddress,
    readonly remotePort: number,
    opts: TcpConnectionOptions,
    passive: boolean,
  ) {
    this.opts = opts;
    this.passive = passive;
    this.announced = !passive;
    const o = host.options;
    this.sendBuffer = new SendBuffer(opts.sendBufferSize);
    this.rtt = new RttEstimator(o.initialRtoMs, o.minRtoMs, o.maxRtoMs);
    const fallback = local.family === 4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6;
    const mtuMss = host.env.mtuFor(local, remote) - (local.family === 4 ? 40 : 60);
    this.ourMss = Math.max(fallback, Math.min(65495, mtuMss));
    this.peerMss = fallback;
    this.tsOffset = host.tsOffsetFor(local, localPort, remote, remotePort);
    // The connection itself names its controller in logs: its text is built only when a line is.
    this.cc = createCongestionControl(opts.congestion ?? o.congestion, this.mssWithin(mtuMss), this, this.rtt);
  }

  /** This block as the user sees it (the one concrete subclass is `TcpConnection`). */
  abstract get conn(): TcpConnection;

  /** Effective send MSS (RFC 9293 §3.7.1 "Eff.snd.MSS"): path and peer limits minus option space. */
  get effectiveMss(): number {
    return this.mssWithin(this.host.env.mtuFor(this.local, this.remote) - (this.local.family === 4 ? 40 : 60));
  }

  /** `effectiveMss` for a path whose MTU less the IP and TCP headers is `mtuMss`. */
  private mssWithin(mtuMss: number): number {
    const m = Math.min(this.peerMss, Math.max(mtuMss, 88)) - (this.tsEnabled ? TIMESTAMP_OPTION_LEN : 0);
    return Math.max(m, 64);
  }

  /**
   * The data one segment may carry now: the effective MSS less the SACK option that goes with it.
   * RFC 9293 §3.7.1: the MSS excludes "the size of the TCP options" a segment carries, and SACK
   * blocks (RFC 2018 §3) come and go with out-of-order data, so — like Linux's
   * `tcp_current_mss` — data segments shrink while we are reporting holes. The bound counts one
   * block per out-of-order range, which `emitSegment` never exceeds.
   */
  get currentMss(): number {
    if (!this.sackEnabled || this.reassembly.count === 0) return this.effectiveMss;
    const blocks = Math.min(this.reassembly.count, this.tsEnabled ? 3 : 4);
    return Math.max(this.effectiveMss - (SACK_OPTION_OVERHEAD + SACK_BLOCK_LEN * blocks), 64);
  }

  /** Sequence number just past the last byte the user queued (where our FIN goes). */
  get sndEnd(): number {
    return seqAdd(this.bufSeq, this.sendBuffer.length);
  }

  /** Bytes sent and not yet acknowledged. */
  get flightSize(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  /** Our FIN has been sent (it sits at `sndEnd`). */
  get finSent(): boolean {
    return this.finQueued && seqDiff(this.sndMax, this.sndEnd) === 1;
  }

  /** Our timestamp clock (RFC 7323 §5.4): 1 ms ticks plus a per-connection random offset. */
  tsNow(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }

  /** Every state change goes through here: logged on `usernet:tcp:state`, counted, tables kept. */
  setState(next: TcpState, cause: string): void {
    const prev = this.state;
    if (prev === next) return;
    this.state = next;
    // Per connection this runs ~6 times: no text for a logger that is off, no counter name built.
    if (logState.enabled) logState('%s %s → %s (%s)', this.toString(), prev, next, cause);
    this.host.count(STATE_COUNTER[next]);
    this.host.stateChanged(this, prev, next);
  }

  /** Queues an event unless the user has already been told the connection is gone. */
  emit(ev: TcpEvent): void {
    if (this.closedReported || !this.announced) return;
    this.host.emit(ev);
  }

  /** Tells the user the connection is gone (once). */
  reportClosed(): void {
    if (this.closedReported) return;
    if (this.announced) this.host.emit({ kind: 'closed', conn: this.conn });
    this.closedReported = true;
  }

  /**
   * Ends the connection with an error: the one table from causes to errno lives in the callers'
   * choice of `code` (RST in SYN-SENT → ECONNREFUSED, later RST → ECONNRESET, give-up →
   * ETIMEDOUT, ICMP → EHOSTUNREACH/ENETUNREACH).
   */
  fail(code: ConnectionErrorCode, cause: string): void {
    this.host.count(`error:${code}`);
    this.emit({ kind: 'error', conn: this.conn, code });
    this.terminate(cause);
  }

  /** Enters CLOSED and forgets everything (RFC 9293: "delete the TCB"). */
  terminate(cause: string): void {
    this.rtxTimer = NO_RETRANSMIT_TIMER;
    this.delayedAckAt = this.keepaliveAt = this.timeWaitAt = this.finWait2At = Infinity;
    this.rack.clear();
    this.tlp.probeAt = Infinity;
    this.reassembly.clear();
    this.setState('CLOSED', cause);
    this.reportClosed();
  }

  toString(): string {
    return `${this.local}:${this.localPort}→${this.remote}:${this.remotePort}`;
  }
}
