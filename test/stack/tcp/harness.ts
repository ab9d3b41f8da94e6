/**
 * Test fixtures for the TCP engine: a simulated clock, a scripted peer that crafts segments by
 * hand, and one fixture per state built by driving a real handshake (and close) through the
 * engine. The engine is at A:80 (listening) or A:<ephemeral> (connecting); the peer is B.
 */

import { IpAddress } from '../../../stack/wire/address';
import { TcpFlag, type TcpOptions, type TcpRepr } from '../../../stack/wire/tcp';
import { TcpConnection } from '../../../stack/tcp/connection';
import { TcpEngine, type TcpEnvironment } from '../../../stack/tcp/engine';
import { isTcpError, type TcpEvent } from '../../../stack/tcp/events';
import type { TcpListener } from '../../../stack/tcp/listener';
import type { TcpEngineOptions } from '../../../stack/tcp/options';
import { seqAdd } from '../../../stack/tcp/seq';

export const A = IpAddress.parse('10.0.0.1')!;
export const B = IpAddress.parse('10.0.0.2')!;
export const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function environment(self: IpAddress, seed = 1, mtu = 1500): TcpEnvironment {
  const r = prng(seed);
  return {
    random32: r,
    mtuFor: () => mtu,
    sourceAddressFor: (remote) => (remote.family === self.family ? self : null),
    isLocalAddress: (a) => a.equals(self),
  };
}

export function flagsOf(r: TcpRepr): string {
  const names: [number, string][] = [[SYN, 'S'], [FIN, 'F'], [RST, 'R'], [PSH, 'P'], [ACK, '.']];
  return names.filter(([f]) => (r.flags & f) !== 0).map(([, n]) => n).join('');
}

export function bytes(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

export interface SegFields {
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  payload?: Uint8Array;
  options?: TcpOptions;
  srcPort?: number;
  dstPort?: number;
}

export class Harness {
  readonly engine: TcpEngine;
  now = 0;
  /** The peer's port and next sequence number; what it expects from the engine next. */
  peerPort = 40000;
  ourPort = 80;
  peerNxt = 1000;
  conn!: TcpConnection;
  listener: TcpListener | undefined;
  iss = 0;
  private eventLog: TcpEvent[] = [];

  constructor(options: Partial<TcpEngineOptions> = {}, seed = 7) {
    this.engine = new TcpEngine(environment(A, seed), options);
  }

  /** A segment from the peer, with defaults from the scripted state. */
  seg(f: SegFields = {}): TcpRepr {
    return {
      srcPort: f.srcPort ?? this.peerPort,
      dstPort: f.dstPort ?? this.ourPort,
      seq: (f.seq ?? this.peerNxt) >>> 0,
      ack: (f.ack ?? (this.conn ? this.conn.sndNxt : 0)) >>> 0,
      flags: f.flags ?? ACK,
      window: f.window ?? 65535,
      urgent: 0,
      options: f.options ?? {},
      payload: f.payload ?? new Uint8Array(0),
    };
  }

  /** Feeds a segment at the current time, then polls; returns what the engine sent. */
  send(f: SegFields = {}): TcpRepr[] {
    const s = this.seg(f);
    this.engine.input(B, A, s, this.now);
    this.engine.poll(this.now);
    return this.out();
  }

  /** Everything the engine has queued for the wire since the last call. */
  out(): TcpRepr[] {
    return this.engine.takeOutput().map((o) => o.repr);
  }

  events(): TcpEvent[] {
    const e = this.engine.takeEvents();
    this.eventLog.push(...e);
    return e;
  }

  kinds(): string[] {
    return this.events().map((e) => (e.kind === 'error' ? `error:${e.code}` : e.kind));
  }

  /** Advances the clock to `t`, firing every deadline on the way; returns segments with their times. */
  advanceTo(t: number): { at: number; repr: TcpRepr }[] {
    const out: { at: number; repr: TcpRepr }[] = [];
    for (let guard = 0; guard < 100000; guard++) {
      const d = this.engine.nextDeadline();
      if (d > t) break;
      this.now = Math.max(this.now, d);
      this.engine.poll(this.now);
      for (const r of this.out()) out.push({ at: this.now, repr: r });
    }
    this.now = t;
    this.engine.poll(t);
    for (const r of this.out()) out.push({ at: this.now, repr: r });
    return out;
  }

  advance(ms: number): { at: number; repr: TcpRepr }[] {
    return this.advanceTo(this.now + ms);
  }

  /** Polls now (user calls take effect) and returns the output. */
  flush(): TcpRepr[] {
    this.engine.poll(this.now);
    return this.out();
  }
}

/** Peer SYN options used by default: just an MSS, so segments stay easy to read. */
export const PLAIN_SYN: TcpOptions = { mss: 1460 };

export function listening(options: Partial<TcpEngineOptions> = {}, backlog?: number): Harness {
  const h = new Harness(options);
  const l = h.engine.listen(IpAddress.parse('0.0.0.0')!, 80, backlog === undefined ? {} : { backlog });
  if (isTcpError(l)) throw new Error(l.error);
  h.listener = l;
  return h;
}

/** LISTEN, then the peer's SYN: the engine is in SYN-RECEIVED and has sent its SYN-ACK. */
export function synReceived(options: Partial<TcpEngineOptions> = {}, synOptions: TcpOptions = PLAIN_SYN): Harness {
  const h = listening(options);
  const out = h.send({ flags: SYN, seq: h.peerNxt, ack: 0, options: synOptions });
  h.peerNxt = seqAdd(h.peerNxt, 1);
  h.iss = out[0]!.seq;
  h.conn = h.engine.allConnections()[0]!;
  return h;
}

/** A passively opened connection in ESTABLISHED (the accept event already taken). */
export function established(options: Partial<TcpEngineOptions> = {}, synOptions: TcpOptions = PLAIN_SYN): Harness {
  const h = synReceived(options, synOptions);
  h.send({ flags: ACK, ack: seqAdd(h.iss, 1) });
  h.events();
  return h;
}

/** An actively opened connection: the engine's SYN is out (SYN-SENT). */
export function synSent(options: Partial<TcpEngineOptions> = {}): Harness {
  const h = new Harness(options);
  const c = h.engine.connect({ remote: B, remotePort: 80 }, 0);
  if (isTcpError(c)) throw new Error(c.error);
  h.conn = c;
  h.ourPort = c.localPort;
  h.peerPort = 80;
  h.iss = c.iss;
  h.out();
  return h;
}

export function activeEstablished(options: Partial<TcpEngineOptions> = {}): Harness {
  const h = synSent(options);
  h.send({ flags: SYN | ACK, seq: h.peerNxt, ack: seqAdd(h.iss, 1), options: PLAIN_SYN });
  h.peerNxt = seqAdd(h.peerNxt, 1);
  h.events();
  return h;
}

/** We shut down: our FIN is out, not acknowledged. */
export function finWait1(): Harness {
  const h = established();
  h.conn.shutdown();
  h.flush();
  return h;
}

export function finWait2(): Harness {
  const h = finWait1();
  h.send({ flags: ACK });
  return h;
}

/** The peer closed first. */
export function closeWait(): Harness {
  const h = established();
  h.send({ flags: FIN | ACK });
  h.peerNxt = seqAdd(h.peerNxt, 1);
  h.events();
  return h;
}

export function lastAck(): Harness {
  const h = closeWait();
  h.conn.shutdown();
  h.flush();
  return h;
}

/** Simultaneous close: both FINs crossed; ours is not yet acknowledged. */
export function closing(): Harness {
  const h = finWait1();
  h.send({ flags: FIN | ACK, ack: seqAdd(h.iss, 1) });
  h.peerNxt = seqAdd(h.peerNxt, 1);
  return h;
}

export function timeWait(): Harness {
  const h = finWait2();
  h.send({ flags: FIN | ACK });
  h.peerNxt = seqAdd(h.peerNxt, 1);
  h.events();
  return h;
}
