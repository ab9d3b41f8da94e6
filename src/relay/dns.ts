/**
 * The namespace's DNS forwarder, as slirp4netns and pasta offer one: queries to the services
 * address, port 53, are forwarded byte for byte to the host's resolvers (`/etc/resolv.conf`, or
 * `--dns-upstream`) from the host process, so a loopback resolver such as systemd-resolved's
 * 127.0.0.53 works too. Over UDP each query gets its own host socket and waits for the answer
 * carrying its transaction ID (RFC 1035 §4.1.1), trying the next upstream after a timeout;
 * over TCP (RFC 7766) the connection is spliced to the first upstream.
 *
 * Nothing of the message is parsed beyond the 12-byte header's ID and QR bit. When no upstream
 * answers (or there is none), the query comes back as SERVFAIL (RFC 1035 §4.1.1 RCODE 2), so the
 * namespace's resolver fails at once instead of waiting out its own retries.
 */

import createDebug from 'debug';
import * as dgram from 'dgram';
import * as fs from 'fs';
import { IpAddress } from '../../stack/wire/address';
import type { UdpDatagram, UdpSend } from '../../stack/udp';
import { splice } from './splice';
import type { NetApi, RelaySocket } from './types';
import type { DgramApi } from './udp';

const log = createDebug('usernet:dns');

export const DNS_PORT = 53;
/** RFC 1035 §4.1.1: the fixed header every message starts with. */
export const DNS_HEADER_LEN = 12;
/** Queries waiting for an answer at once (each holds a host socket); more are dropped, counted. */
export const DNS_MAX_PENDING = 256;
/** Time per upstream before the next is tried: glibc's resolver waits 5 s per try, so two fit. */
export const DNS_ATTEMPT_TIMEOUT_MS = 2_000;
/** resolv.conf's MAXNS: glibc reads three nameservers at most. */
export const DNS_MAX_UPSTREAMS = 3;

export interface DnsUpstream {
  address: string;
  port: number;
}

/** `ADDR`, `ADDR:PORT` or `[V6ADDR]:PORT` (port 53 by default); a reason string when invalid. */
export function parseDnsUpstream(text: string): DnsUpstream | string {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text) ?? /^([0-9a-fA-F:.]+)()$/.exec(text);
  const address = m?.[1];
  if (address === undefined || IpAddress.parse(address) === null) return `'${text}' is not ADDR[:PORT] with an IP address`;
  const port = m?.[2] === undefined || m[2] === '' ? DNS_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `'${text}': port must be 1-65535`;
  return { address: IpAddress.parse(address)!.toString(), port };
}

/** The `nameserver` lines of a resolv.conf text (zone suffixes like `%eth0` dropped), at most three. */
export function parseResolvConf(text: string): DnsUpstream[] {
  const out: DnsUpstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m === null) continue;
    const a = IpAddress.parse(m[1]!.replace(/%.*$/, ''));
    if (a !== null && out.length < DNS_MAX_UPSTREAMS) out.push({ address: a.toString(), port: DNS_PORT });
  }
  return out;
}

/** The host's resolvers from `path`; none when it cannot be read. */
export function hostResolvers(path = '/etc/resolv.conf'): DnsUpstream[] {
  try {
    return parseResolvConf(fs.readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

export interface DnsTotals {
  queries: number;
  answers: number;
  /** Queries no upstream answered in time (answered SERVFAIL). */
  timeouts: number;
  /** SERVFAIL answers: after timeouts, or with no upstream at all. */
  servfails: number;
  /** Not forwarded: shorter than a header, a response (QR set), or too many pending. */
  dropped: number;
  /** Upstream tries after the first (a timeout or a send failure). */
  retries: number;
  tcpConnections: number;
}

interface Pending {
  readonly query: UdpDatagram;
  readonly id: number;
  socket: dgram.Socket | null;
  upstream: number;
  timer: NodeJS.Timeout | null;
}

export interface DnsForwarderOptions {
  attemptTimeoutMs?: number;
  maxPending?: number;
  dgram?: DgramApi;
}

export class DnsForwarder {
  private readonly pending = new Set<Pending>();
  private readonly attemptTimeoutMs: number;
  private readonly maxPending: number;
  private readonly dgram: DgramApi;
  private closed = false;
  readonly totals: DnsTotals = { queries: 0, answers: 0, timeouts: 0, servfails: 0, dropped: 0, retries: 0, tcpConnections: 0 };

  /**
   * `upstreams` are tried in order; `reply` sends an answer into the namespace (the router's
   * `stack.sendUdp`; if it throws, the answer is lost and counted as dropped).
   */
  constructor(
    readonly upstreams: readonly DnsUpstream[],
    private readonly reply: (d: UdpSend) => void,
    options: DnsForwarderOptions = {},
  ) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DNS_ATTEMPT_TIMEOUT_MS;
    this.maxPending = options.maxPending ?? DNS_MAX_PENDING;
    this.dgram = options.dgram ?? dgram;
  }

  /** Queries waiting for an answer now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** A query from the namespace (the UDP binding on port 53 of the services address). */
  query(d: UdpDatagram): void {
    this.totals.queries++;
    const p = d.payload;
    // RFC 1035 §4.1.1: QR (the top bit of byte 2) is 0 in a query; answering responses would reflect.
    if (this.closed || p.length < DNS_HEADER_LEN || (p[2]! & 0x80) !== 0 || this.pending.size >= this.maxPending) {
      this.totals.dropped++;
      return;
    }
    if (this.upstreams.length === 0) return this.servfail(d);
    const q: Pending = { query: d, id: (p[0]! << 8) | p[1]!, socket: null, upstream: -1, timer: null };
    this.pending.add(q);
    this.nextUpstream(q);
  }

  /** Sends `q` to the next upstream on a fresh socket, or gives up after the last. */
  private nextUpstream(q: Pending): void {
    this.release(q);
    if (!this.pending.has(q)) return;
    q.upstream++;
    const u = this.upstreams[q.upstream];
    if (u === undefined) {
      this.totals.timeouts++;
      this.pending.delete(q);
      log('query %d from %s: no upstream answered', q.id, q.query.src);
      this.servfail(q.query);
      return;
    }
    if (q.upstream > 0) this.totals.retries++;
    const socket = this.dgram.createSocket(u.address.includes(':') ? 'udp6' : 'udp4');
    q.socket = socket;
    const failed = (err: Error): void => {
      log('query %d to %s: %s', q.id, u.address, err.message);
      if (q.socket === socket) this.nextUpstream(q);
    };
    socket.on('error', failed);
    socket.on('message', (msg, rinfo) => {
      if (q.socket !== socket || rinfo.port !== u.port || !sameAddress(rinfo.address, u.address)) return;
      // RFC 5452 §9.1: only an answer with the query's ID counts.
      if (msg.length < DNS_HEADER_LEN || ((msg[0]! << 8) | msg[1]!) !== q.id) return;
      this.answer(q, msg);
    });
    q.timer = setTimeout(() => this.nextUpstream(q), this.attemptTimeoutMs);
    const p = q.query.payload;
    socket.send(Buffer.from(p.buffer, p.byteOffset, p.byteLength), u.port, u.address, (err) => {
      if (err !== null && err !== undefined) failed(err);
    });
  }

  private answer(q: Pending, msg: Uint8Array): void {
    this.release(q);
    this.pending.delete(q);
    if (this.send(q.query, msg)) this.totals.answers++;
  }

  /**
   * The query itself turned into a SERVFAIL response: QR and RA set, RCODE 2; the question and
   * any EDNS OPT record stay, which a response may carry (RFC 6891 §7).
   */
  private servfail(d: UdpDatagram): void {
    const r = Uint8Array.from(d.payload);
    r[2] = r[2]! | 0x80;
    r[3] = (r[3]! & 0x70) | 0x80 | 2;
    if (this.send(d, r)) this.totals.servfails++;
  }

  private send(d: UdpDatagram, payload: Uint8Array): boolean {
    try {
      this.reply({ src: d.dst, srcPort: d.dstPort, dst: d.src, dstPort: d.srcPort, payload });
      return true;
    } catch (e) {
      this.totals.dropped++;
      log('answer to %s: %s', d.src, (e as Error).message);
      return false;
    }
  }

  private release(q: Pending): void {
    if (q.timer !== null) clearTimeout(q.timer);
    q.timer = null;
    const s = q.socket;
    q.socket = null;
    if (s !== null) {
      try {
        s.close();
      } catch {
        // Already closed.
      }
    }
  }

  /**
   * DNS over TCP (RFC 7766): `inner` (a connection the namespace opened to port 53 of the
   * services address) is spliced to a host connection to the first upstream; the two-byte
   * length framing passes through untouched.
   */
  relayTcp(inner: RelaySocket, hostNet: NetApi): void {
    const u = this.upstreams[0];
    if (this.closed || u === undefined) {
      inner.on('error', () => undefined);
      inner.resetAndDestroy();
      return;
    }
    this.totals.tcpConnections++;
    const outer = hostNet.connect({ host: u.address, port: u.port, allowHalfOpen: true });
    void splice(inner, outer, `dns/tcp ${inner.remoteAddress}:${inner.remotePort}→${u.address}:${u.port}`).result;
  }

  /** Forgets pending queries and closes their sockets. */
  close(): void {
    this.closed = true;
    for (const q of this.pending) this.release(q);
    this.pending.clear();
  }
}

function sameAddress(a: string, b: string): boolean {
  const x = IpAddress.parse(a);
  const y = IpAddress.parse(b);
  return x !== null && y !== null && x.equals(y);
}
