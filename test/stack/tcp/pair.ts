/**
 * Two engines wired back to back through a tiny simulated link with its own seeded PRNG: delay,
 * jitter (which reorders), and loss. Time is simulated; `run` advances to the next delivery or
 * deadline until a condition holds.
 */
import type { IpAddress } from '../../../stack/wire/address';
import { TcpEngine } from '../../../stack/tcp/engine';
import type { TcpEvent } from '../../../stack/tcp/events';
import type { TcpEngineOptions } from '../../../stack/tcp/options';
import type { TcpSegmentOut } from '../../../stack/tcp/host';
import { A, B, environment, prng } from './harness';

export interface LinkOptions {
  delayMs: number;
  jitterMs: number;
  loss: number;
  seed: number;
}

interface InFlight {
  at: number;
  order: number;
  to: 'a' | 'b';
  seg: TcpSegmentOut;
}

export class Pair {
  readonly a: TcpEngine;
  readonly b: TcpEngine;
  now = 0;
  readonly eventsA: TcpEvent[] = [];
  readonly eventsB: TcpEvent[] = [];
  delivered = 0;
  lost = 0;
  private wire: InFlight[] = [];
  private order = 0;
  private readonly rand: () => number;

  constructor(
    readonly link: LinkOptions,
    options: Partial<TcpEngineOptions> = {},
  ) {
    this.a = new TcpEngine(environment(A, link.seed + 1), options);
    this.b = new TcpEngine(environment(B, link.seed + 2), options);
    this.rand = prng(link.seed);
  }

  private uniform(): number {
    return this.rand() / 2 ** 32;
  }

  /** Moves output from both engines onto the wire (copying payloads, as a real link would). */
  private collect(): void {
    for (const [from, to] of [[this.a, 'b'], [this.b, 'a']] as const) {
      for (const seg of from.takeOutput()) {
        if (this.uniform() < this.link.loss) {
          this.lost++;
          continue;
        }
        const copy: TcpSegmentOut = { ...seg, repr: { ...seg.repr, payload: seg.repr.payload.slice() } };
        const at = this.now + this.link.delayMs + this.uniform() * this.link.jitterMs;
        this.wire.push({ at, order: this.order++, to, seg: copy });
      }
    }
    this.eventsA.push(...this.a.takeEvents());
    this.eventsB.push(...this.b.takeEvents());
  }

  /** Runs until `done()` or `limitMs` of simulated time; returns whether `done` held. */
  run(done: () => boolean, limitMs = 600_000): boolean {
    const end = this.now + limitMs;
    for (let guard = 0; guard < 5_000_000; guard++) {
      this.a.poll(this.now);
      this.b.poll(this.now);
      this.collect();
      if (done()) return true;
      const nextWire = this.wire.reduce((m, w) => Math.min(m, w.at), Infinity);
      const next = Math.min(nextWire, this.a.nextDeadline(), this.b.nextDeadline());
      if (next === Infinity || next > end) return done();
      this.now = Math.max(this.now, next);
      const due = this.wire.filter((w) => w.at <= this.now).sort((x, y) => x.at - y.at || x.order - y.order);
      this.wire = this.wire.filter((w) => w.at > this.now);
      for (const w of due) {
        const e = w.to === 'a' ? this.a : this.b;
        e.input(w.seg.src as IpAddress, w.seg.dst as IpAddress, w.seg.repr, this.now);
        this.delivered++;
      }
    }
    return done();
  }
}
