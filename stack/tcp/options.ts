/**
 * Engine-wide settings and per-connection options, with the defaults and the reason for each.
 * Times are milliseconds, sizes bytes.
 */

import type { CongestionAlgorithm } from './congestion/types';

export interface KeepAliveOptions {
  enable: boolean;
  /** Idle time before the first probe (RFC 1122 §4.2.3.6: default no less than two hours). */
  idleMs: number;
  /** Time between unanswered probes. */
  intervalMs: number;
  /** Unanswered probes before the connection is aborted with ETIMEDOUT. */
  count: number;
}

export interface TcpConnectionOptions {
  /** Nagle's algorithm off (RFC 9293 §3.7.4); Node's `setNoDelay`. */
  noDelay: boolean;
  keepAlive: KeepAliveOptions;
  /** RFC 5482 / Linux TCP_USER_TIMEOUT: abort when sent data stays unacknowledged this long; 0 = off. */
  userTimeoutMs: number;
  sendBufferSize: number;
  receiveBufferSize: number;
  /** Congestion control for this connection; absent: the engine's `congestion`. */
  congestion?: CongestionAlgorithm;
}

export interface TcpEngineOptions {
  /**
   * Maximum segment lifetime. TIME-WAIT lasts 2·MSL. Deviation: 30 s, so TIME-WAIT is 60 s as on
   * Linux (TCP_TIMEWAIT_LEN), not RFC 9293's 2·2 min: ports recycle sooner and 60 s is what real
   * peers expect today.
   */
  mslMs: number;
  /** Most TIME-WAIT blocks kept; beyond this a closing connection skips TIME-WAIT (Linux's tw_buckets). */
  maxTimeWait: number;
  /** Delayed-ACK timeout; RFC 9293 §3.8.6.3 MUST be < 0.5 s. 40 ms like Linux's TCP_ATO_MIN. */
  delayedAckMs: number;
  /** RFC 6298 §2.1: 1 s before any sample. */
  initialRtoMs: number;
  /** Deviation: 200 ms like Linux (TCP_RTO_MIN), see rtt.ts. */
  minRtoMs: number;
  maxRtoMs: number;
  /** SYN retransmissions before ETIMEDOUT (Linux tcp_syn_retries = 6). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries = 5). */
  synAckRetries: number;
  /** Data retransmissions before ETIMEDOUT (Linux tcp_retries2 = 15). */
  maxRetransmits: number;
  /** An orphaned (user-closed) connection waits this long in FIN-WAIT-2 (Linux tcp_fin_timeout). */
  finWait2TimeoutMs: number;
  /** RFC 6056 ephemeral range; Linux's default ip_local_port_range. */
  ephemeralPortMin: number;
  ephemeralPortMax: number;
  /** RFC 7323 window scaling, timestamps, and RFC 2018 SACK offered on our SYNs. */
  windowScaling: boolean;
  timestamps: boolean;
  sack: boolean;
  /**
   * Congestion control of new connections (each may override it): CUBIC by default, as on Linux
   * (RFC 9438 §1: CUBIC is the default in Linux, Windows and Apple stacks); NewReno on request.
   */
  congestion: CongestionAlgorithm;
  /**
   * RACK-TLP loss detection (RFC 8985) on connections that negotiated SACK: time-based loss
   * marking and tail loss probes, as Linux does by default (tcp_recovery = 1); false leaves
   * duplicate ACKs, NewReno partial ACKs and the RTO.
   */
  rackTlp: boolean;
  /** Defaults for new connections (accepted or connected). */
  connection: TcpConnectionOptions;
  /** Default listen backlog (accept queue bound); Linux's SOMAXCONN is 4096, Node asks for 511. */
  backlog: number;
  /**
   * RFC 5961 §7: challenge ACKs the engine sends per second, all connections together (Linux's
   * tcp_challenge_ack_limit, randomised per second as Linux does); Infinity for no bound.
   */
  challengeAckLimit: number;
  /**
   * RFC 4987 §3.6: answer SYNs with SYN cookies while a listener's half-open queue is full
   * (Linux's tcp_syncookies = 1); false drops them instead.
   */
  synCookies: boolean;
}

export const DEFAULT_KEEPALIVE: KeepAliveOptions = {
  enable: false,
  // Linux defaults: tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9.
  idleMs: 7_200_000,
  intervalMs: 75_000,
  count: 9,
};

export const DEFAULT_CONNECTION_OPTIONS: TcpConnectionOptions = {
  noDelay: false,
  keepAlive: DEFAULT_KEEPALIVE,
  userTimeoutMs: 0,
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
};

export const DEFAULT_ENGINE_OPTIONS: TcpEngineOptions = {
  mslMs: 30_000,
  maxTimeWait: 4096,
  delayedAckMs: 40,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 120_000,
  synRetries: 6,
  synAckRetries: 5,
  maxRetransmits: 15,
  finWait2TimeoutMs: 60_000,
  ephemeralPortMin: 32768,
  ephemeralPortMax: 60999,
  windowScaling: true,
  timestamps: true,
  sack: true,
  congestion: 'cubic',
  rackTlp: true,
  connection: DEFAULT_CONNECTION_OPTIONS,
  backlog: 511,
  challengeAckLimit: 1000,
  synCookies: true,
};

/** Smallest and largest buffer sizes accepted from users (one MSS; the RFC 7323 scaled maximum). */
export const MIN_BUFFER_SIZE = 1024;
export const MAX_BUFFER_SIZE = 1 << 30;

export function mergeEngineOptions(o: Partial<TcpEngineOptions> | undefined): TcpEngineOptions {
  const merged = { ...DEFAULT_ENGINE_OPTIONS, ...o };
  merged.connection = mergeConnectionOptions(DEFAULT_CONNECTION_OPTIONS, o?.connection);
  return merged;
}

export function mergeConnectionOptions(
  base: TcpConnectionOptions,
  o: Partial<TcpConnectionOptions> | undefined,
): TcpConnectionOptions {
  const merged = { ...base, ...o, keepAlive: { ...base.keepAlive, ...o?.keepAlive } };
  merged.sendBufferSize = clampBuffer(merged.sendBufferSize);
  merged.receiveBufferSize = clampBuffer(merged.receiveBufferSize);
  return merged;
}

function clampBuffer(n: number): number {
  return Math.min(MAX_BUFFER_SIZE, Math.max(MIN_BUFFER_SIZE, Math.floor(n)));
}
