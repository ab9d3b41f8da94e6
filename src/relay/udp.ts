/**
 * The UDP half of namespace mode, like slirp4netns's and pasta's UDP: every datagram the
 * namespace sends to a foreign address (the stack's UDP catch-all, `Stack.bindUdpAny`) is sent
 * on from a host `dgram` socket, one per flow — a (namespace address:port, destination
 * address:port) pair — and what that socket receives from the destination goes back to the
 * namespace from the destination's address and port. The gateway address stands for the host's
 * loopback, as for TCP (`host-map.ts`).
 *
 * A flow is a NAT mapping with endpoint-dependent filtering (RFC 4787 §5): its host socket only
 * lets back datagrams from the address and port it sends to. Flows end after an idle timeout;
 * their number is bounded, the least recently used flow making room for a new one.
 */

import createDebug from 'debug';
import * as dgram from 'dgram';
import { IpAddress } from '../../stack/wire/address';
import type { UdpDatagram, UdpSend } from '../../stack/udp';
import { hostTarget, type GatewayMap } from './host-map';

const log = createDebug('usernet:relay');

/** Flows (host sockets) at once: every DNS lookup is a flow, so a few hundred are in use. */
export const UDP_RELAY_MAX_FLOWS = 512;
/**
 * A flow with no datagram either way for this long is closed. Linux's conntrack keeps an
 * unanswered UDP mapping 30 s and an answered one 120 s; one minute sits between.
 */
export const UDP_RELAY_IDLE_MS = 60_000;

/** The part of Node's `dgram` the relay uses (tests may wrap it). */
export interface DgramApi {
  createSocket(type: 'udp4' | 'udp6'): dgram.Socket;
}

export interface UdpRelayOptions extends GatewayMap {
  maxFlows?: number;
  idleTimeoutMs?: number;
  dgram?: DgramApi;
}

/** Why a datagram was not relayed; counted in `UdpRelay.drops`. */
export type UdpRelayDrop =
  /** The host socket could not send (EMSGSIZE, ENETUNREACH, port 0 …). */
  | 'send-failed'
  /** A reply the stack could not send back (no route, too big). */
  | 'reply-failed'
  /** A datagram to a flow's host socket from somewhere else than the flow's destination. */
  | 'foreign-source'
  /** A flow's host socket failed; the flow was closed. */
  | 'socket-error';

export interface UdpRelayTotals {
  /** Flows opened, closed for idleness, and closed to make room. */
  opened: number;
  expired: number;
  evicted: number;
  datagramsOut: number;
  datagramsIn: number;
  bytesOut: number;
  bytesIn: number;
}

interface Flow {
  readonly key: string;
  readonly client: IpAddress;
  readonly clientPort: number;
  readonly destination: IpAddress;
  readonly destinationPort: number;
  /** What the host socket sends to. */
  readonly target: string;
  readonly targetAddress: IpAddress | null;
  readonly socket: dgram.Socket;
  lastActive: number;
}

export class UdpRelay {
  /** Flows by key, least recently active first (re-inserted on activity). */
  private readonly flows = new Map<string, Flow>();
  private readonly maxFlows: number;
  private readonly idleTimeoutMs: number;
  private readonly dgram: DgramApi;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  readonly totals: UdpRelayTotals = { opened: 0, expired: 0, evicted: 0, datagramsOut: 0, datagramsIn: 0, bytesOut: 0, bytesIn: 0 };
  readonly drops: Record<UdpRelayDrop, number> = { 'send-failed': 0, 'reply-failed': 0, 'foreign-source': 0, 'socket-error': 0 };

  /**
   * `reply` sends a datagram into the namespace (the router's `stack.sendUdp`); it may throw
   * when the datagram cannot be sent, which is counted as 'reply-failed'.
   */
  constructor(
    private readonly reply: (d: UdpSend) => void,
    private readonly options: UdpRelayOptions = {},
  ) {
    this.maxFlows = options.maxFlows ?? UDP_RELAY_MAX_FLOWS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? UDP_RELAY_IDLE_MS;
    if (!Number.isInteger(this.maxFlows) || this.maxFlows < 1) throw new RangeError(`maxFlows must be a positive integer, got ${this.maxFlows}`);
    if (!(this.idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be positive, got ${this.idleTimeoutMs}`);
    this.dgram = options.dgram ?? dgram;
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(10, Math.min(this.idleTimeoutMs / 4, 5_000)));
    this.sweeper.unref();
  }

  /** Flows open now. */
  get size(): number {
    return this.flows.size;
  }

  /** Flows as `client → destination via target`, least recently active first (status page). */
  describe(): string[] {
    return [...this.flows.values()].map((f) => `${endpoint(f.client, f.clientPort)} → ${endpoint(f.destination, f.destinationPort)} via ${f.target}`);
  }

  /**
   * A datagram from the namespace (the UDP catch-all calls this): sent on over its flow's host
   * socket, the flow opened if new. Returns true (the datagram is taken) unless the relay is closed.
   */
  datagram(d: UdpDatagram): boolean {
    if (this.closed) return false;
    const key = `${d.src.key}/${d.srcPort}>${d.dst.key}/${d.dstPort}`;
    let flow = this.flows.get(key);
    if (flow === undefined) flow = this.open(key, d);
    else this.flows.delete(key); // re-inserted below: most recently active last
    this.flows.set(key, flow);
    flow.lastActive = Date.now();
    const bytes = Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength);
    const failed = (why: string): void => {
      this.drops['send-failed']++;
      log('udp %s: send failed: %s', key, why);
    };
    // Port 0 cannot be sent to from a host socket (Node throws ERR_SOCKET_BAD_PORT).
    if (d.dstPort === 0) return failed('destination port 0'), true;
    try {
      flow.socket.send(bytes, d.dstPort, flow.target, (err) => {
        if (err !== null && err !== undefined) return failed(err.message);
        this.totals.datagramsOut++;
        this.totals.bytesOut += bytes.length;
      });
    } catch (e) {
      failed((e as Error).message);
    }
    return true;
  }

  private open(key: string, d: UdpDatagram): Flow {
    while (this.flows.size >= this.maxFlows) {
      const oldest = this.flows.values().next().value as Flow;
      this.totals.evicted++;
      this.closeFlow(oldest);
    }
    const target = hostTarget(d.dst.toString(), this.options);
    const targetAddress = IpAddress.parse(target);
    const socket = this.dgram.createSocket(target.includes(':') ? 'udp6' : 'udp4');
    const flow: Flow = { key, client: d.src, clientPort: d.srcPort, destination: d.dst, destinationPort: d.dstPort, target, targetAddress, socket, lastActive: Date.now() };
    socket.on('message', (msg, rinfo) => this.fromHost(flow, msg, rinfo));
    socket.on('error', (err) => {
      this.drops['socket-error']++;
      log('udp %s: socket error: %s', key, err.message);
      this.closeFlow(flow);
    });
    this.totals.opened++;
    log('udp flow %s → %s via host %s', endpoint(d.src, d.srcPort), endpoint(d.dst, d.dstPort), target);
    return flow;
  }

  private fromHost(flow: Flow, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.flows.get(flow.key) !== flow) return;
    const from = IpAddress.parse(rinfo.address);
    if (rinfo.port !== flow.destinationPort || from === null || flow.targetAddress === null || !from.equals(flow.targetAddress)) {
      this.drops['foreign-source']++;
      return;
    }
    flow.lastActive = Date.now();
    this.flows.delete(flow.key);
    this.flows.set(flow.key, flow);
    try {
      // Ownership: `msg` is ours (Node allocates it per datagram); the stack copies it into a frame.
      this.reply({ src: flow.destination, srcPort: flow.destinationPort, dst: flow.client, dstPort: flow.clientPort, payload: msg });
      this.totals.datagramsIn++;
      this.totals.bytesIn += msg.length;
    } catch (e) {
      this.drops['reply-failed']++;
      log('udp %s: reply failed: %s', flow.key, (e as Error).message);
    }
  }

  /** Closes flows idle since before `now − idleTimeoutMs` (the sweeper calls this; tests may). */
  expire(now: number): void {
    for (const f of [...this.flows.values()]) {
      if (now - f.lastActive < this.idleTimeoutMs) continue;
      this.totals.expired++;
      this.closeFlow(f);
    }
  }

  private closeFlow(f: Flow): void {
    if (this.flows.get(f.key) !== f) return;
    this.flows.delete(f.key);
    try {
      f.socket.close();
    } catch {
      // Already closed (after an error).
    }
  }

  /** Closes every flow and stops the sweeper; later datagrams are refused. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const f of [...this.flows.values()]) this.closeFlow(f);
  }
}

function endpoint(a: IpAddress, port: number): string {
  return a.family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}
