/**
 * One simulated TCP flow, as an application would run it on the engine's user API: the client
 * connects, both ends write a known pattern (as much as asked, as fast as the send buffer takes
 * it), shut down their sending side when done, and close once the peer's FIN has arrived. Every
 * received byte is checked against the pattern as it arrives, and every event against the
 * connection's lifecycle, so a duplicated, lost or reordered byte, or an event after `closed`,
 * is reported at once as a violation.
 */

import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpEvent } from '../../stack/tcp/events';
import { isTcpError } from '../../stack/tcp/events';

/** Largest chunk handed to `send` at once (a Node stream's default highWaterMark). */
export const WRITE_CHUNK_BYTES = 16 * 1024;

/** The byte at offset `i` of the stream `id`: an off-by-one, a repeat or a gap changes it. */
export function patternByte(id: number, i: number): number {
  return (Math.imul(i, 131) + (i >>> 8) * 7 + (i >>> 16) * 13 + id * 17) & 0xff;
}

/** One direction of a flow, seen from the writer and from the reader. */
export interface Direction {
  readonly id: number;
  readonly total: number;
  written: number;
  read: number;
  shutdown: boolean;
  finReceived: boolean;
}

/** One end of a flow. */
export interface FlowEnd {
  conn: TcpConnection | null;
  /** What this end writes and what it reads. */
  readonly out: Direction;
  readonly in: Direction;
  errors: string[];
  closedEvents: number;
  closeCalled: boolean;
}

export type FlowOutcome = 'complete' | 'failed' | 'unfinished';

export class Flow {
  readonly client: FlowEnd;
  readonly server: FlowEnd;
  /** When the connect was issued, and when both ends had read everything (simulated ms). */
  startedAt = 0;
  finishedAt: number | undefined;

  constructor(
    readonly index: number,
    readonly clientStack: number,
    readonly serverStack: number,
    readonly port: number,
    bytes: number,
    reverseBytes: number,
    private readonly violation: (text: string) => void,
  ) {
    const up: Direction = { id: 2 * index, total: bytes, written: 0, read: 0, shutdown: false, finReceived: false };
    const down: Direction = { id: 2 * index + 1, total: reverseBytes, written: 0, read: 0, shutdown: false, finReceived: false };
    this.client = { conn: null, out: up, in: down, errors: [], closedEvents: 0, closeCalled: false };
    this.server = { conn: null, out: down, in: up, errors: [], closedEvents: 0, closeCalled: false };
  }

  get name(): string {
    return `flow ${this.index} (stack ${this.clientStack} → stack ${this.serverStack}:${this.port})`;
  }

  get outcome(): FlowOutcome {
    if (this.client.errors.length > 0 || this.server.errors.length > 0) return 'failed';
    return this.finishedAt !== undefined && this.client.closeCalled && this.server.closeCalled ? 'complete' : 'unfinished';
  }

  /** The first error code either end reported, if any. */
  get error(): string | undefined {
    return this.client.errors[0] ?? this.server.errors[0];
  }

  endOf(conn: TcpConnection): FlowEnd | undefined {
    return this.client.conn === conn ? this.client : this.server.conn === conn ? this.server : undefined;
  }

  /** Handles one engine event for `end`; `now` is the simulated time. */
  onEvent(end: FlowEnd, e: TcpEvent, now: number): void {
    const who = `${this.name} ${end === this.client ? 'client' : 'server'}`;
    if (end.closedEvents > 0) this.violation(`${who}: event '${e.kind}' after 'closed'`);
    switch (e.kind) {
      case 'established':
      case 'accept':
        e.conn.readStart();
        this.pump(end, now);
        return;
      case 'writable':
      case 'drained':
        this.pump(end, now);
        return;
      case 'data':
        this.received(end, e.chunk, who);
        return;
      case 'peer-fin':
        if (end.in.finReceived) this.violation(`${who}: a second 'peer-fin'`);
        end.in.finReceived = true;
        if (end.in.read !== end.in.total) this.violation(`${who}: FIN after ${end.in.read} of ${end.in.total} bytes`);
        this.maybeClose(end, now);
        return;
      case 'error':
        end.errors.push(e.code);
        return;
      case 'closed':
        end.closedEvents++;
        return;
    }
  }

  /** Writes as much of the pattern as the send buffer takes; shuts down after the last byte. */
  pump(end: FlowEnd, now: number): void {
    const c = end.conn;
    const d = end.out;
    if (c === null || end.closeCalled || d.shutdown || end.errors.length > 0) return;
    while (d.written < d.total) {
      // Offered whole even when the buffer is short: a partial take is what arms 'writable'.
      const n = Math.min(WRITE_CHUNK_BYTES, d.total - d.written);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = patternByte(d.id, d.written + i);
      const r = c.send(chunk);
      if (isTcpError(r)) {
        this.violation(`${this.name}: send failed with ${r.error} in ${c.state}`);
        return;
      }
      d.written += r;
      if (r < n) return;
    }
    d.shutdown = true;
    c.shutdown();
    this.maybeClose(end, now);
  }

  private received(end: FlowEnd, chunk: Uint8Array, who: string): void {
    const d = end.in;
    for (let i = 0; i < chunk.length; i++) {
      const want = patternByte(d.id, d.read + i);
      if (chunk[i] !== want) {
        this.violation(`${who}: byte ${d.read + i} is ${chunk[i]}, expected ${want}`);
        break;
      }
    }
    d.read += chunk.length;
    if (d.read > d.total) this.violation(`${who}: read ${d.read} bytes, only ${d.total} were written`);
  }

  /** Closes an end once it has sent everything and seen the peer's FIN; the flow is done when both have. */
  private maybeClose(end: FlowEnd, now: number): void {
    if (end.closeCalled || end.conn === null || !end.out.shutdown || !end.in.finReceived) return;
    end.closeCalled = true;
    end.conn.close();
    if (this.client.closeCalled && this.server.closeCalled) this.finishedAt = now;
  }
}
