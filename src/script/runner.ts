/**
 * Runs a parsed packetdrill script against usernet's sans-IO TCP engine on a simulated clock.
 * Timing follows packetdrill (`run.c`): `+t` is relative to when the previous event actually
 * happened, each event must happen within the tolerance (4 ms by default, `--tolerance_usecs`),
 * `*` matches any time, `a~b` a range. Outbound packets the stack sends are compared, in order,
 * with the script's `>` lines; one sent when the script expects none is an error. A blocking call
 * written `start...end call()` starts at `start`, lets later packets run, and must return at
 * `end`; any other call on a blocking socket that would wait is reported.
 */

import { Xoshiro128 } from '../../drivers/prng';
import { TcpEngine, type TcpEnvironment } from '../../stack/tcp/engine';
import type { TcpEngineOptions } from '../../stack/tcp/options';
import type { TcpRepr } from '../../stack/wire/tcp';
import type { PacketSpec, Script, ScriptEvent, SyscallSpec } from './ast';
import { buildInbound, compareOutbound, FlowMap, formatActual, formatSpec, toActual } from './packet';
import { LOCAL_IP, REMOTE_IP, REMOTE_PORT, SCRIPT_PORT, type SyscallOutcome, SocketTable } from './sockets';
import { evaluate, exprText } from './symbols';

export interface RunnerOptions {
  /** packetdrill's --tolerance_usecs (default 4000). */
  toleranceUs: number;
  /** packetdrill's --tolerance_percent: tolerance grows with the gap since the last event. */
  tolerancePercent: number;
  /** packetdrill's --tcp_ts_tick_usecs: 0 leaves outbound TS val unchecked (the default). */
  tsTickUs: number;
  /** The remote's actual ISN minus the script's (packetdrill: 0). */
  remoteIsn: number;
  /** Path MTU the engine sees (IP packet size). */
  mtu: number;
  /** Seed of the engine's random source (ISNs, timestamp offsets, ports). */
  seed: number;
  /** Engine settings (usernet's defaults otherwise). */
  engine: Partial<TcpEngineOptions>;
  /** Stop after this many engine wake-ups without the clock moving (a livelock guard). */
  maxStalls: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  toleranceUs: 4000,
  tolerancePercent: 0,
  tsTickUs: 0,
  remoteIsn: 0,
  mtu: 1500,
  seed: 1,
  engine: {},
  maxStalls: 10_000,
};

export type ScriptOutcome =
  | { status: 'pass'; events: number; trace: string[] }
  | { status: 'fail'; line: number; message: string; trace: string[] }
  | { status: 'unsupported'; items: Array<{ line: number; what: string }>; trace: string[] };

class ScriptFailure extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

function secs(us: number): string {
  return (us / 1e6).toFixed(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '.0');
}

interface Pending {
  event: ScriptEvent;
  call: SyscallSpec;
  retry: () => SyscallOutcome;
  endUs: number;
  tolUs: number;
  timeoutAtUs: number | undefined;
  onTimeout: (() => SyscallOutcome) | undefined;
}

export class ScriptRunner {
  private nowUs = 0;
  readonly engine: TcpEngine;
  private readonly sockets: SocketTable;
  private readonly flowMap: FlowMap;
  private flow = { localPort: SCRIPT_PORT, remotePort: REMOTE_PORT };
  private readonly outQueue: Array<{ atUs: number; repr: TcpRepr }> = [];
  private pending: Pending | undefined;
  private lastScriptUs = 0;
  readonly trace: string[] = [];

  constructor(private readonly opts: RunnerOptions) {
    // The engine's ISNs, timestamp offsets and ports come from the seed, so a run replays.
    const random = new Xoshiro128(opts.seed);
    const env: TcpEnvironment = {
      random32: () => random.nextUint32(),
      mtuFor: () => opts.mtu,
      sourceAddressFor: (remote) => (remote.family === 4 ? LOCAL_IP : null),
      isLocalAddress: (a) => a.equals(LOCAL_IP),
    };
    this.engine = new TcpEngine(env, opts.engine);
    this.flowMap = new FlowMap(opts.remoteIsn >>> 0);
    this.sockets = new SocketTable({
      engine: this.engine,
      collect: () => this.pump(),
      flowChanged: (localPort, remotePort) => {
        this.flow = { localPort, remotePort };
      },
    });
  }

  private get nowMs(): number {
    return this.nowUs / 1000;
  }

  /** Takes the engine's output (stamped with the current time) and events. */
  private pump(): void {
    for (const o of this.engine.takeOutput()) this.outQueue.push({ atUs: this.nowUs, repr: o.repr });
    for (const ev of this.engine.takeEvents()) this.sockets.onEvent(ev);
  }

  private step(): void {
    this.engine.poll(this.nowMs);
    this.pump();
    this.checkPending();
  }

  /**
   * Moves the clock toward `targetUs`, firing every engine deadline on the way (those at
   * `targetUs` only when `inclusive`). With `stopOnOutput`, stops at the first segment sent.
   */
  private advance(targetUs: number, inclusive: boolean, stopOnOutput: boolean): void {
    let stalls = 0;
    for (;;) {
      if (stopOnOutput && this.outQueue.length > 0) return;
      const d = this.engine.nextDeadline();
      let next = d === Infinity ? Infinity : Math.ceil(d * 1000 - 1e-6);
      const p = this.pending;
      if (p?.timeoutAtUs !== undefined) next = Math.min(next, p.timeoutAtUs);
      next = Math.max(next, this.nowUs);
      if (next === Infinity || next > targetUs || (next === targetUs && !inclusive)) break;
      stalls = next === this.nowUs ? stalls + 1 : 0;
      if (stalls > this.opts.maxStalls) throw new ScriptFailure(this.pending?.event.line ?? 0, `engine livelock: its next deadline stays at ${secs(next)} s`);
      this.nowUs = next;
      this.step();
      this.checkPendingOverdue();
    }
    if (targetUs !== Infinity && !(stopOnOutput && this.outQueue.length > 0)) this.nowUs = Math.max(this.nowUs, targetUs);
    this.checkPendingOverdue();
  }

  private checkPending(): void {
    const p = this.pending;
    if (p === undefined) return;
    let r = p.retry();
    if (r.kind === 'block' && p.timeoutAtUs !== undefined && this.nowUs >= p.timeoutAtUs && p.onTimeout !== undefined) r = p.onTimeout();
    if (r.kind === 'block') {
      p.retry = r.retry;
      return;
    }
    this.pending = undefined;
    this.verifyReturnTime(p.event, p.endUs, p.tolUs);
    this.checkResult(p.event, p.call, r);
  }

  private checkPendingOverdue(): void {
    const p = this.pending;
    if (p !== undefined && this.nowUs > p.endUs + p.tolUs) {
      throw new ScriptFailure(p.event.line, `blocking ${p.call.name}() expected to return at ${secs(p.endUs)} s has not returned at ${secs(this.nowUs)} s`);
    }
  }

  private verifyReturnTime(ev: ScriptEvent, endUs: number, tolUs: number): void {
    if (Math.abs(this.nowUs - endUs) > tolUs) {
      throw new ScriptFailure(ev.line, `timing error: expected ${ev.text.split('(')[0]!.split(' ').pop()}() to return at ${secs(endUs)} s but it returned at ${secs(this.nowUs)} s; tolerance ${secs(tolUs)} s`);
    }
  }

  private checkResult(ev: ScriptEvent, call: SyscallSpec, r: SyscallOutcome): void {
    if (r.kind === 'unsupported') throw new ScriptFailure(ev.line, r.what, true);
    if (r.kind === 'mismatch') throw new ScriptFailure(ev.line, r.message);
    if (r.kind === 'block') return;
    const want = evaluate(call.result);
    if (typeof want === 'string') throw new ScriptFailure(ev.line, `result of ${call.name}(): ${want}`);
    const actual = `${r.ret}${r.errno !== undefined ? ` ${r.errno}` : ''}`;
    const expected = `${want}${call.errno !== undefined ? ` ${call.errno}` : ''}`;
    if (want !== r.ret || (r.ret < 0 && call.errno !== undefined && call.errno !== r.errno && !(call.errno === 'EWOULDBLOCK' && r.errno === 'EAGAIN'))) {
      throw new ScriptFailure(ev.line, `expected: ${call.name}(…) = ${expected}  actual: = ${actual}`);
    }
    this.trace.push(`${secs(this.nowUs)} ${call.name}(${call.args.map(exprText).join(', ')}) = ${actual}`);
  }

  /** Runs every event; the outcome names the first failing line. */
  run(script: Script): ScriptOutcome {
    try {
      for (const ev of script.events) this.runEvent(ev);
      // A blocking call still waiting gets until its return time (and no later).
      if (this.pending !== undefined) this.advance(this.pending.endUs + this.pending.tolUs, true, false);
      if (this.pending !== undefined) {
        throw new ScriptFailure(this.pending.event.line, `blocking ${this.pending.call.name}() has not returned when the script ends`);
      }
      this.failOnQueued(script.events[script.events.length - 1]?.line ?? 0, Infinity, 'after the last line');
      return { status: 'pass', events: script.events.length, trace: this.trace };
    } catch (e) {
      if (!(e instanceof ScriptFailure)) throw e;
      if (e.unsupported) return { status: 'unsupported', items: [{ line: e.line, what: e.message }], trace: this.trace };
      return { status: 'fail', line: e.line, message: e.message, trace: this.trace };
    }
  }

  /** An outbound segment sent before `beforeUs` that no `>` line took is an error. */
  private failOnQueued(line: number, beforeUs: number, where: string): void {
    const q = this.outQueue[0];
    if (q === undefined || q.atUs >= beforeUs) return;
    const a = toActual(q.repr, this.flowMap, undefined);
    throw new ScriptFailure(line, `unexpected outbound packet ${where}: ${secs(q.atUs)} ${formatActual(a)}`);
  }

  private runEvent(ev: ScriptEvent): void {
    if (ev.action.kind === 'unsupported') throw new ScriptFailure(ev.line, ev.action.what, true);
    const base = this.nowUs;
    let lo: number;
    let hi: number;
    switch (ev.time.kind) {
      case 'absolute':
        lo = hi = ev.time.us;
        break;
      case 'relative':
        lo = hi = base + ev.time.us;
        break;
      case 'any':
        lo = base;
        hi = ev.action.kind === 'packet' && ev.action.packet.direction === 'outbound' ? Infinity : base;
        break;
      case 'absolute-range':
        lo = ev.time.us;
        hi = ev.time.endUs;
        break;
      case 'relative-range':
        lo = base + ev.time.us;
        hi = base + ev.time.endUs;
        break;
    }
    if ((ev.time.kind === 'absolute' || ev.time.kind === 'absolute-range') && lo < this.lastScriptUs) {
      throw new ScriptFailure(ev.line, `time goes backward in script from ${secs(this.lastScriptUs)} s to ${secs(lo)} s`);
    }
    const tol = Math.max(this.opts.toleranceUs, Math.floor((this.opts.tolerancePercent / 100) * Math.max(0, lo - this.lastScriptUs)));
    if (ev.time.kind !== 'any') this.lastScriptUs = lo;

    if (ev.action.kind === 'packet' && ev.action.packet.direction === 'outbound') {
      this.expectPacket(ev, ev.action.packet, lo, hi, tol);
      return;
    }
    if (ev.action.kind === 'syscall' && this.pending !== undefined) {
      // packetdrill runs one call at a time: a new call waits for the blocking one to return.
      this.advance(this.pending.endUs + this.pending.tolUs, true, false);
    }
    const t = Math.max(lo, this.nowUs);
    this.advance(t, false, false);
    this.failOnQueued(ev.line, t - tol, `before this line (at ${secs(t)} s)`);
    this.nowUs = t;
    if (ev.action.kind === 'packet') this.inject(ev, ev.action.packet);
    else this.syscall(ev, ev.action.call, base, tol);
    this.step();
  }

  private inject(ev: ScriptEvent, p: PacketSpec): void {
    const repr = buildInbound(p, this.flowMap, this.flow.remotePort, this.flow.localPort);
    if (typeof repr === 'string') throw new ScriptFailure(ev.line, repr);
    this.trace.push(`${secs(this.nowUs)} ${formatSpec(p)}`);
    this.engine.input(REMOTE_IP, LOCAL_IP, repr, this.nowMs);
    this.pump();
  }

  private syscall(ev: ScriptEvent, call: SyscallSpec, base: number, tol: number): void {
    const r = this.sockets.call(call.name, call.args);
    this.pump();
    const relative = ev.time.kind === 'relative' || ev.time.kind === 'relative-range' || ev.time.kind === 'any';
    const endUs = call.endUs === undefined ? undefined : relative ? base + call.endUs : call.endUs;
    if (r.kind === 'block') {
      if (endUs === undefined) {
        throw new ScriptFailure(ev.line, `${call.name}() would block on a blocking socket: write it as a blocking call with its return time (start...end ${call.name}(…)), or make the socket non-blocking with fcntl`);
      }
      this.pending = {
        event: ev,
        call,
        retry: r.retry,
        endUs,
        tolUs: tol,
        timeoutAtUs: r.timeoutUs === undefined ? undefined : this.nowUs + r.timeoutUs,
        onTimeout: r.onTimeout,
      };
      this.trace.push(`${secs(this.nowUs)} ${call.name}(…) blocks`);
      return;
    }
    if (endUs !== undefined) this.verifyReturnTime(ev, endUs, tol);
    this.checkResult(ev, call, r);
  }

  private expectPacket(ev: ScriptEvent, p: PacketSpec, lo: number, hi: number, tol: number): void {
    if (this.outQueue.length === 0) this.advance(hi === Infinity ? Infinity : hi + tol, true, true);
    const q = this.outQueue.shift();
    if (q === undefined) {
      const d = this.engine.nextDeadline();
      const when = hi === Infinity ? 'at any time' : `by ${secs(hi + tol)} s`;
      throw new ScriptFailure(ev.line, `expected: ${formatSpec(p)} ${when}, but usernet sent nothing` +
        (d === Infinity ? ' (no timer pending)' : ` (its next timer is at ${secs(Math.ceil(d * 1000))} s)`));
    }
    const a = toActual(q.repr, this.flowMap, p);
    const diff = compareOutbound(p, a, this.opts.tsTickUs > 0 ? Math.floor(this.opts.toleranceUs / this.opts.tsTickUs) : undefined);
    if (diff !== undefined) {
      throw new ScriptFailure(ev.line, `expected: ${formatSpec(p)}  actual: ${formatActual(a)}  (${diff}; sent at ${secs(q.atUs)} s)`);
    }
    if (q.atUs < lo - tol || q.atUs > hi + tol) {
      const expected = lo === hi ? `at ${secs(lo)} s` : `in ${secs(lo)}~${hi === Infinity ? '' : secs(hi)} s`;
      throw new ScriptFailure(ev.line, `timing error: expected ${formatSpec(p)} ${expected} but it was sent at ${secs(q.atUs)} s; tolerance ${secs(tol)} s`);
    }
    this.trace.push(`${secs(q.atUs)} ${formatActual(a)}`);
  }
}
