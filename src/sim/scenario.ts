/**
 * A scenario runner: two or more Stacks on a memory switch, each port wrapped in `impair` (loss,
 * reordering, duplication, corruption, delay, rate), all on one SimulatedClock, TCP flows
 * between them, everything derived from one seed. Hours of TCP run in milliseconds and repeat
 * exactly. After the run it checks the invariants a correct stack keeps whatever the link does:
 *
 * - every byte is delivered exactly once and in order, or the flow fails with an error a lossy
 *   path explains (ETIMEDOUT, or EHOSTUNREACH when neighbour discovery itself was lost), and
 *   never fails on a loss-free link; on a clean link (no loss, reordering, duplication or
 *   jitter) nothing is ever retransmitted;
 * - both ends of every flow reach their final state: each gets one `closed`, no event after it,
 *   and TIME-WAIT ends with no control block left;
 * - no leaks: no TCP timer armed, reassembly empty, nothing left in send or receive buffers;
 * - counters agree: segments the engine sent = segments IP sent for TCP, acknowledged and
 *   received byte counts match what the flows wrote, the link's own bookkeeping balances.
 *
 * @example
 *   const r = runScenario({ seed: 7, impair: { loss: 0.05, reorder: 0.1 }, flows: [{ bytes: 100_000 }] });
 *   if (r.violations.length > 0) console.log(r.violations);
 */

import { Stack } from '../stack';
import type { LinkDriver } from '../../stack/link';
import { MemorySwitch } from '../../drivers/switch';
import { impair, type ImpairedLink, type ImpairOptions } from '../../drivers/impair';
import { SimulatedClock } from '../../drivers/scheduler';
import { deriveSeed } from '../../drivers/prng';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpConnection } from '../../stack/tcp/connection';
import { DEFAULT_CONNECTION_OPTIONS } from '../../stack/tcp/options';
import { Flow, type FlowOutcome } from './flow';

export interface FlowSpec {
  /** Index of the client's stack (default 0) and of the server's (default 1). */
  from?: number;
  to?: number;
  /** Bytes the client writes, and bytes the server writes back (default 0). */
  bytes: number;
  reverseBytes?: number;
  /** When the client connects, in simulated ms after the network is up (default 0). */
  startMs?: number;
}

export interface ScenarioOptions {
  seed: number;
  /** Stacks on the switch, at least 2 (default 2). */
  stacks?: number;
  /** Address family of the flows (default 4). */
  family?: 4 | 6;
  /** Impairment applied to every stack's port, in both directions. */
  impair?: ImpairOptions;
  /** One-way latency of the switch ports, ms (default 1). */
  latencyMs?: number;
  /** Send and receive buffer size of every connection (default: the engine's). */
  bufferSize?: number;
  flows: FlowSpec[];
  /** Simulated time allowed for the flows, ms (default two hours: longer than the give-up time of a connection retransmitting through heavy loss). */
  timeLimitMs?: number;
  /**
   * Sees every frame a stack sends (before impairment) and receives (after it), with the
   * simulated time: for logs, pcap capture or counting. Must not modify the frame.
   */
  trace?: (stack: number, direction: 'send' | 'receive', frame: Uint8Array, now: number) => void;
}

export interface FlowResult {
  name: string;
  outcome: FlowOutcome;
  error?: string;
  /** Bytes read by the server and by the client. */
  delivered: number;
  deliveredBack: number;
  /** Simulated ms from connect to both ends closed, for complete flows. */
  durationMs?: number;
  retransmits: number;
}

export interface ScenarioResult {
  seed: number;
  flows: FlowResult[];
  /** Broken invariants, as sentences; empty when the stack behaved. */
  violations: string[];
  /** Simulated time at the end of the run (including the TIME-WAIT drain). */
  endMs: number;
}

/** Simulated time the flows get before their ends are aborted and checked. */
export const DEFAULT_TIME_LIMIT_MS = 2 * 3_600_000;
/** After the flows, at least: TIME-WAIT (60 s) and the longest SYN-ACK retry sequence. */
export const DRAIN_MS = 200_000;
const NETWORK_UP_MS = 2_000;
const BASE_PORT = 5000;

function addressOf(i: number, family: 4 | 6): string {
  return family === 4 ? `10.1.0.${i + 1}` : `fd01::${(i + 1).toString(16)}`;
}

/** Runs a scenario to the end and checks every invariant; never throws for stack misbehaviour. */
export function runScenario(o: ScenarioOptions): ScenarioResult {
  const count = o.stacks ?? 2;
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`a scenario needs at least 2 stacks, got ${count}`);
  const family = o.family ?? 4;
  const violations: string[] = [];
  const violation = (text: string): void => void (violations.length < 50 && violations.push(text));
  const clock = new SimulatedClock();
  const sw = new MemorySwitch(count, { scheduler: clock, latencyMs: o.latencyMs ?? 1 });
  const connection = o.bufferSize === undefined ? undefined : { ...DEFAULT_CONNECTION_OPTIONS, sendBufferSize: o.bufferSize, receiveBufferSize: o.bufferSize };
  const stacks: Stack[] = [];
  const links: ImpairedLink[] = [];
  for (let i = 0; i < count; i++) {
    const s = new Stack({ seed: deriveSeed(o.seed, 100 + i), scheduler: clock, ...(connection ? { tcp: { connection } } : {}) });
    // Corruption on the sending side only: a frame crosses two impaired ports (its sender's and
    // its receiver's), and two bit flips can cancel in the 16-bit ones' complement sum (a bit
    // set in one word and the same bit cleared in another) — undetectable by any Internet
    // checksum, which is why real links add a CRC. One flip per frame is always detected.
    const link = impair(sw.port(i), { ...o.impair, receive: { corrupt: 0 }, seed: deriveSeed(o.seed, i), scheduler: clock });
    s.addInterface(o.trace === undefined ? link : traced(link, i, o.trace, clock), { ipv4: `${addressOf(i, 4)}/24`, ipv6: `${addressOf(i, 6)}/64` });
    stacks.push(s);
    links.push(link);
  }
  const flows = o.flows.map((f, k) => {
    const from = f.from ?? 0;
    const to = f.to ?? 1;
    if (from === to || stacks[from] === undefined || stacks[to] === undefined) throw new RangeError(`flow ${k}: stacks ${from} → ${to} of ${count}`);
    return new Flow(k, from, to, BASE_PORT + k, f.bytes, f.reverseBytes ?? 0, violation);
  });
  stacks.forEach((s, i) => s.runtime.onTcpEvents((events) => dispatch(i, events)));

  function dispatch(stackIndex: number, events: TcpEvent[]): void {
    const now = clock.now();
    for (const e of events) {
      if (e.kind === 'syn' || e.kind === 'syn-expired') continue; // no deferring listener here
      let end = flows.map((f) => f.endOf(e.conn)).find((x) => x !== undefined);
      const flow = flows.find((f) => f.endOf(e.conn) !== undefined || (e.kind === 'accept' && f.serverStack === stackIndex && f.port === e.conn.localPort));
      if (flow === undefined) {
        violation(`stack ${stackIndex}: event '${e.kind}' for a connection no flow knows (${e.conn.toString()})`);
        continue;
      }
      if (e.kind === 'accept') {
        if (flow.server.conn !== null) {
          violation(`${flow.name}: a second connection accepted`);
          continue;
        }
        flow.server.conn = e.conn;
        end = flow.server;
      }
      flow.onEvent(end!, e, now);
    }
    stacks[stackIndex]!.runtime.kick();
  }

  // A bound on frames, far above what any scenario's flows need: an exchange that never ends (an
  // ACK war) is reported as a violation instead of running forever in simulated time.
  let storm = false;
  const framesSent = (): number => links.reduce((n, l) => n + l.stats.send.frames, 0);
  const stepUntil = (t: number, done: () => boolean): void => {
    if (storm) return;
    let steps = 0;
    for (let next = clock.nextTime(); next !== undefined && next <= t && !done(); next = clock.nextTime()) {
      clock.advanceTo(next);
      if (++steps % 1024 === 0 && framesSent() > FRAME_STORM_LIMIT) {
        storm = true;
        violation(`frame storm: more than ${FRAME_STORM_LIMIT} frames sent by ${clock.now().toFixed(0)} ms (an exchange that never ends)`);
        return;
      }
    }
    if (clock.now() < t && !done()) clock.advanceTo(t);
  };

  stepUntil(NETWORK_UP_MS, () => false); // IPv6 duplicate address detection ends
  for (const f of flows) {
    const l = stacks[f.serverStack]!.tcp.listen(IpAddress.parse(addressOf(f.serverStack, family))!, f.port);
    if (isTcpError(l)) throw new Error(`${f.name}: listen failed with ${l.error}`);
  }
  const starts = o.flows.map((f, k) => ({ at: NETWORK_UP_MS + (f.startMs ?? 0), flow: flows[k]! })).sort((a, b) => a.at - b.at);
  for (const { at, flow } of starts) {
    stepUntil(at, () => false);
    const s = stacks[flow.clientStack]!;
    const c = s.tcp.connect({ remote: IpAddress.parse(addressOf(flow.serverStack, family))!, remotePort: flow.port }, clock.now());
    flow.startedAt = clock.now();
    if (isTcpError(c)) {
      violation(`${flow.name}: connect failed at once with ${c.error}`);
      continue;
    }
    flow.client.conn = c;
    s.runtime.kick();
  }
  const limit = NETWORK_UP_MS + (o.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  stepUntil(limit, () => flows.every((f) => f.outcome !== 'unfinished'));
  // Whatever is still open at the limit is aborted by its application.
  for (const f of flows) {
    for (const end of [f.client, f.server]) {
      if (end.conn !== null && !end.closeCalled && end.closedEvents === 0) {
        end.closeCalled = true;
        end.conn.abort();
      }
    }
  }
  for (const s of stacks) s.runtime.kick();
  // Drain: TIME-WAIT, and ends still retransmitting a FIN whose ACK was lost, run out on their own.
  stepUntil(clock.now() + DRAIN_MS, () => false);
  stepUntil(clock.now() + DEFAULT_TIME_LIMIT_MS, () => stacks.every((s) => s.tcp.allConnections().length === 0));
  checkFlows(flows, o, violation);
  checkStacks(stacks, links, violation);
  const result: ScenarioResult = { seed: o.seed, flows: flows.map(flowResult), violations, endMs: clock.now() };
  for (const s of stacks) void s.close();
  return result;
}

/** Frames all stacks together may send in one scenario before it counts as a storm. */
export const FRAME_STORM_LIMIT = 1_000_000;

/** Lossy paths may fail flows, but only with errors loss explains; clean ones never. */
function checkFlows(flows: Flow[], o: ScenarioOptions, violation: (t: string) => void): void {
  const im = o.impair ?? {};
  const lossy = (im.loss ?? 0) > 0 || (im.corrupt ?? 0) > 0 || (im.rate ?? Infinity) < Infinity;
  const clean = !lossy && !((im.reorder ?? 0) > 0 || (im.duplicate ?? 0) > 0 || (im.jitter ?? 0) > 0);
  for (const f of flows) {
    const errors = [...f.client.errors, ...f.server.errors];
    // On a link that loses, reorders and duplicates nothing, a retransmission is a bug.
    const retransmits = (f.client.conn?.stats().retransmits ?? 0) + (f.server.conn?.stats().retransmits ?? 0);
    if (clean && retransmits > 0) violation(`${f.name}: ${retransmits} retransmissions on a clean link`);
    if (f.outcome === 'complete') {
      if (f.client.in.read !== f.client.in.total || f.server.in.read !== f.server.in.total) violation(`${f.name}: closed with bytes missing`);
    } else if (f.outcome === 'unfinished') {
      violation(`${f.name}: neither finished nor failed within the time limit (client ${f.client.conn?.state}, server ${f.server.conn?.state})`);
    } else if (!lossy) {
      violation(`${f.name}: failed with ${errors.join(', ')} on a link without loss`);
    } else if (!errors.some((e) => e === 'ETIMEDOUT' || e === 'EHOSTUNREACH')) {
      violation(`${f.name}: failed with ${errors.join(', ')}, which loss does not explain`);
    }
    for (const [who, end] of [['client', f.client], ['server', f.server]] as const) {
      if (end.conn !== null && end.closedEvents !== 1) violation(`${f.name} ${who}: ${end.closedEvents} 'closed' events`);
      if (end.conn === null) continue;
      const st = end.conn.stats();
      // Without loss every byte is acknowledged; with it the last ACK may be lost (the end then
      // leaves by retransmission give-up or the peer's RST), but never more than was written.
      if (st.bytesAcked > end.out.written || (!lossy && f.outcome === 'complete' && st.bytesAcked !== end.out.total)) {
        violation(`${f.name} ${who}: ${st.bytesAcked} bytes acknowledged, ${end.out.written} written`);
      }
      if (st.bytesReceived !== end.in.read) violation(`${f.name} ${who}: stats say ${st.bytesReceived} bytes received, ${end.in.read} were read`);
      if (st.state !== 'CLOSED') violation(`${f.name} ${who}: still ${st.state} after the drain`);
    }
  }
}

/** Tables, timers and counters of every stack after the drain. */
function checkStacks(stacks: Stack[], links: ImpairedLink[], violation: (t: string) => void): void {
  stacks.forEach((s, i) => {
    const left = s.tcp.allConnections();
    if (left.length > 0) violation(`stack ${i}: control blocks left: ${left.map((c: TcpConnection) => `${c.toString()} ${c.state}`).join(', ')}`);
    if (s.tcp.nextDeadline() !== Infinity) violation(`stack ${i}: a TCP timer is still armed (${s.tcp.nextDeadline()})`);
    const r = s.core.reassemblyBytes();
    if (r.ipv4 + r.ipv6 > 0) violation(`stack ${i}: ${r.ipv4 + r.ipv6} bytes left in IP reassembly`);
    const tcp = s.counters().counts['tcp'] ?? {};
    if ((tcp['OutSegs'] ?? 0) !== s.tcp.counter('segments-out')) violation(`stack ${i}: IP sent ${tcp['OutSegs'] ?? 0} TCP segments, the engine ${s.tcp.counter('segments-out')}`);
    if ((tcp['InSegs'] ?? 0) < s.tcp.counter('segments-in')) violation(`stack ${i}: the engine saw ${s.tcp.counter('segments-in')} segments, IP delivered ${tcp['InSegs'] ?? 0}`);
    const link = links[i]!;
    for (const [dir, d] of [['send', link.sendDirection], ['receive', link.receiveDirection]] as const) {
      // A frame may still be held back for reordering (or wait for its delay): it is accounted
      // for, just not yet handed on.
      const st = d.stats;
      if (st.frames + st.duplicated !== st.passed + st.lost + st.queueDrops + st.discardedOnClose + d.inFlight) {
        violation(`stack ${i} link ${dir}: ${st.frames} frames + ${st.duplicated} duplicates ≠ ${st.passed} passed + ${st.lost} lost + ${st.queueDrops} queue drops + ${d.inFlight} in flight`);
      }
    }
  });
}

/** `link` with every frame shown to `trace` on its way out and in. */
function traced(link: LinkDriver, stack: number, trace: NonNullable<ScenarioOptions['trace']>, clock: SimulatedClock): LinkDriver {
  return {
    mtu: link.mtu,
    linkType: link.linkType,
    start: (receive) => link.start((frames) => {
      for (const f of frames) trace(stack, 'receive', f, clock.now());
      receive(frames);
    }),
    send: (frames) => {
      for (const f of frames) trace(stack, 'send', f, clock.now());
      link.send(frames);
    },
    close: () => link.close(),
  };
}

function flowResult(f: Flow): FlowResult {
  const r: FlowResult = {
    name: f.name,
    outcome: f.outcome,
    delivered: f.server.in.read,
    deliveredBack: f.client.in.read,
    retransmits: (f.client.conn?.stats().retransmits ?? 0) + (f.server.conn?.stats().retransmits ?? 0),
  };
  if (f.error !== undefined) r.error = f.error;
  if (f.finishedAt !== undefined) r.durationMs = f.finishedAt - f.startedAt;
  return r;
}
