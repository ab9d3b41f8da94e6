/**
 * The stack fuzzer's world: two sans-IO `Stack`s (stack/stack.ts) joined by an in-test wire and a
 * number for a clock, with two TCP connections open between them (IPv4 and IPv6), and data
 * flowing both ways on each. Every received byte is checked against the stream's pattern as it
 * arrives, so a byte delivered twice, lost, or out of order is seen at once. Hostile frames are
 * put on the wire by the campaign (stack-campaign.ts) through `inject`.
 */

import { Stack } from '../../stack/stack';
import type { NetInterface } from '../../stack/iface/interface';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { Prng } from '../../drivers/prng';

export const SERVER_PORT = 80;
/** Unacknowledged-by-the-reader bytes per stream: keeps both send buffers busy, never unbounded. */
export const STREAM_AHEAD_BYTES = 96 * 1024;

/** The byte at offset `i` of stream `id`: shifts and repeats both change it. */
export function patternByte(id: number, i: number): number {
  return (Math.imul(i, 131) + (i >>> 8) * 7 + (i >>> 16) * 13 + id * 17) & 0xff;
}

export interface Stream {
  readonly id: number;
  readonly name: string;
  sender: TcpConnection | null;
  receiver: TcpConnection | null;
  sent: number;
  received: number;
}

export class FuzzNet {
  readonly a = new Stack({ seed: 101 });
  readonly b = new Stack({ seed: 202 });
  readonly ia: NetInterface;
  readonly ib: NetInterface;
  now = 0;
  readonly streams: Stream[] = [];
  /** Connection failures and checker complaints, in order. */
  readonly problems: string[] = [];
  /** The most recent frames seen on the wire (copies): the live mutation corpus. */
  readonly recent: Uint8Array[] = [];
  private readonly peerOf = new Map<TcpConnection, TcpConnection>();

  constructor() {
    const link = { mtu: 1500, linkType: 'ethernet' as const };
    this.ia = this.a.addInterface(link, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', dad: false }, 0);
    this.ib = this.b.addInterface(link, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64', dad: false }, 0);
    for (const addr of ['10.0.0.2', 'fd00::2']) {
      const l = this.b.tcp.listen(IpAddress.parse(addr)!, SERVER_PORT, { backlog: 64 });
      if (isTcpError(l)) throw new Error(`listen ${addr}: ${l.error}`);
    }
    const l = this.a.tcp.listen(IpAddress.parse('0.0.0.0')!, 8080, { backlog: 64 });
    if (isTcpError(l)) throw new Error(`listen a: ${l.error}`);
    for (const [i, addr] of ['10.0.0.2', 'fd00::2'].entries()) {
      const c = this.a.tcp.connect({ remote: IpAddress.parse(addr)!, remotePort: SERVER_PORT }, 0);
      if (isTcpError(c)) throw new Error(`connect ${addr}: ${c.error}`);
      c.readStart();
      this.streams.push({ id: 2 * i, name: `${addr} a→b`, sender: c, receiver: null, sent: 0, received: 0 });
      this.streams.push({ id: 2 * i + 1, name: `${addr} b→a`, sender: null, receiver: c, sent: 0, received: 0 });
    }
    this.run(this.now + 500);
    for (const s of this.streams) {
      if (s.sender === null || s.receiver === null) throw new Error(`stream ${s.name} did not open`);
    }
  }

  get stacks(): readonly Stack[] {
    return [this.a, this.b];
  }

  /** Hands one hostile frame to `side`; an exception escaping the stack is reported as is. */
  inject(side: 'a' | 'b', frame: Uint8Array): void {
    const [s, i] = side === 'a' ? [this.a, this.ia] : [this.b, this.ib];
    s.input(i, [frame], this.now);
    this.events();
  }

  /** Queues pattern bytes on a random stream whose reader is not too far behind. */
  write(rng: Prng): void {
    const s = this.streams[rng.nextInt(this.streams.length)]!;
    if (s.sender === null || s.sent - s.received > STREAM_AHEAD_BYTES) return;
    const chunk = new Uint8Array(1 + rng.nextInt(rng.nextFloat() < 0.8 ? 1500 : 20000));
    for (let i = 0; i < chunk.length; i++) chunk[i] = patternByte(s.id, s.sent + i);
    const n = s.sender.send(chunk);
    if (isTcpError(n)) this.problems.push(`send on ${s.name}: ${n.error}`);
    else s.sent += n;
  }

  /**
   * Moves frames between the stacks and fires timers until quiet or `untilMs`; `between` runs
   * after each frame delivered (the campaign injects there).
   */
  run(untilMs: number, between?: (from: 'a' | 'b') => void): void {
    for (let steps = 0; steps < 200_000; steps++) {
      this.a.poll(this.now);
      this.b.poll(this.now);
      this.events();
      let moved = false;
      for (const [from, to, iface] of [['a', this.b, this.ib], ['b', this.a, this.ia]] as const) {
        const src = from === 'a' ? this.a : this.b;
        for (const { frames } of src.drain()) {
          for (const f of frames) {
            moved = true;
            this.recent.push(Uint8Array.from(f));
            if (this.recent.length > 256) this.recent.shift();
            to.input(iface, [f], this.now);
            this.events();
            between?.(from);
          }
        }
      }
      if (moved) continue;
      const next = Math.min(this.a.nextDeadline(), this.b.nextDeadline());
      if (next > untilMs) {
        this.now = untilMs;
        return;
      }
      this.now = Math.max(this.now, next);
    }
    throw new Error(`fuzz net: still busy after 200000 steps at ${this.now} ms`);
  }

  /** Bytes written and not yet read, over every stream. */
  get outstanding(): number {
    return this.streams.reduce((n, s) => n + s.sent - s.received, 0);
  }

  private events(): void {
    for (const side of ['a', 'b'] as const) {
      for (const e of (side === 'a' ? this.a : this.b).tcp.takeEvents()) this.event(side, e);
    }
  }

  private event(side: 'a' | 'b', e: TcpEvent): void {
    switch (e.kind) {
      case 'accept': {
        if (side !== 'b' || e.conn.localPort !== SERVER_PORT) {
          e.conn.abort(); // a hostile SYN completed a handshake: not one of ours
          return;
        }
        const client = this.a.tcp.allConnections().find((c) => c.localPort === e.conn.remotePort && c.remote.equals(e.conn.local) && c.state !== 'CLOSED');
        if (client === undefined || this.peerOf.has(client)) {
          e.conn.abort();
          return;
        }
        this.peerOf.set(client, e.conn);
        e.conn.readStart();
        for (const s of this.streams) {
          if (s.sender === client) s.receiver = e.conn;
          if (s.receiver === client) s.sender = e.conn;
        }
        return;
      }
      case 'data': {
        const s = this.streams.find((x) => x.receiver === e.conn);
        if (s === undefined) return;
        for (let i = 0; i < e.chunk.length; i++) {
          if (e.chunk[i] !== patternByte(s.id, s.received + i)) {
            this.problems.push(`${s.name}: byte ${s.received + i} is ${e.chunk[i]}, expected ${patternByte(s.id, s.received + i)}`);
            break;
          }
        }
        s.received += e.chunk.length;
        if (s.received > s.sent) this.problems.push(`${s.name}: received ${s.received} bytes, only ${s.sent} were sent`);
        return;
      }
      case 'error':
        if (this.isOurs(e.conn)) this.problems.push(`connection ${e.conn.toString()} failed: ${e.code}`);
        return;
      case 'peer-fin':
        if (this.isOurs(e.conn) && !this.closing) this.problems.push(`connection ${e.conn.toString()}: unexpected FIN`);
        return;
      default:
        return;
    }
  }

  /** Set when the campaign closes the connections on purpose. */
  closing = false;

  private isOurs(c: TcpConnection): boolean {
    return this.streams.some((s) => s.sender === c || s.receiver === c);
  }
}
