/**
 * The replay's own feeding loop around a sans-IO core `Stack` (DESIGN.md, "The core is
 * sans-IO"): simulated time, one event at a time — a peer frame at its recorded time (rewritten
 * by `rebase.ts` against what usernet has sent so far), an application action when its time has
 * come and its application has received enough, or a stack deadline. Everything usernet sends is
 * collected with the time it was sent. Deterministic: the same capture and seed give the same run.
 */

import { Stack as CoreStack, type NetInterface } from '../../stack/stack';
import type { LinkType } from '../../stack/link';
import type { TcpConnection } from '../../stack/tcp/connection';
import { isTcpError } from '../../stack/tcp/events';
import { linkLocalFromMac } from '../../stack/iface/interface';
import { endpointTuple, tupleKey, type TcpConversation } from './conversation';
import { onLinkPrefix, type Endpoint } from './endpoint';
import { NeighbourProxy } from './neighbour-proxy';
import { parsePacket, type Packet } from './packet';
import { observeUsernetSegment, rebasePeerSegment, type RebaseState } from './rebase';
import { describeAction, progressText, type AppAction, type AppScript, type Progress } from './script';

export interface RunOptions {
  /** Seed of usernet's random source (ISNs, ports). */
  seed: number;
  /** How long to keep running after the last frame fed or expected, in (replay) ms. */
  settleMs: number;
  mtu: number;
  linkType: LinkType;
}

export interface RunResult {
  /** Peer frames given to usernet (proxy answers not included). */
  fed: number;
  /** usernet's frames, numbered from 1, in the order sent. */
  sent: Packet[];
  /** Sent before anything was fed or done (the interface coming up): not compared. */
  startup: Packet[];
  /** usernet's ARP/NS for a peer that the neighbour proxy answered: not compared. */
  resolution: Packet[];
  /** Peer acknowledgments cut back to what usernet had sent, and ones fed unmapped. */
  clamped: number;
  unmapped: number;
  /** Actions that never ran, with the reason. */
  unfinished: string[];
  /** Failures of the application's calls, in words. */
  appErrors: string[];
  /** Connections that ended in an error (the caller decides whether the capture explains it). */
  connectionErrors: Array<{ conv: TcpConversation | undefined; code: string; text: string }>;
}

/** Iterations at one instant with nothing but stack work before the loop calls it a livelock. */
const SAME_INSTANT_LIMIT = 10_000;

interface Lane {
  actions: AppAction[];
  /** Bytes of the head write already accepted by usernet. */
  written: number;
}

export function runReplay(ep: Endpoint, feeds: readonly Packet[], expectedEndMs: number, conversations: readonly TcpConversation[], script: AppScript, proxy: NeighbourProxy, o: RunOptions): RunResult {
  const r: RunResult = { fed: 0, sent: [], startup: [], resolution: [], clamped: 0, unmapped: 0, unfinished: [], appErrors: [], connectionErrors: [] };
  const core = new CoreStack({ seed: o.seed });
  const iface = setUp(core, ep, o);
  const byTuple = new Map(conversations.map((c) => [tupleKey(c.local, c.localPort, c.remote, c.remotePort), c]));
  const rebase = new Map<TcpConversation, RebaseState>(conversations.map((c) => [c, c.endpointIsn === undefined ? {} : { captureIss: c.endpointIsn }]));
  const conns = new Map<TcpConversation, TcpConnection>();
  const progress = new Map<TcpConversation, Progress>(conversations.map((c) => [c, { bytes: 0, fin: false }]));
  const datagrams = new Map<string, number>();
  for (const l of script.listens) {
    const res = core.tcp.listen(l.address, l.port);
    if (isTcpError(res)) r.appErrors.push(`listen ${l.address}:${l.port}: ${res.error}`);
  }
  for (const b of script.udpBinds) {
    const key = `${b.address.key}|${b.port}`;
    try {
      core.bindUdp(b.port, () => datagrams.set(key, (datagrams.get(key) ?? 0) + 1), b.address.toString());
    } catch (e) {
      r.appErrors.push(`bind udp ${b.address}:${b.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const lanes = new Map<string, Lane>();
  for (const a of script.actions) {
    const key = laneOf(a);
    const lane = lanes.get(key) ?? { actions: [], written: 0 };
    lane.actions.push(a);
    lanes.set(key, lane);
  }
  const proxied: Uint8Array[] = [];
  let started = false;
  let now = 0;
  let fi = 0;
  let sameInstant = 0;
  const lastMs = Math.max(expectedEndMs, feeds[feeds.length - 1]?.timeMs ?? 0, ...script.actions.map((a) => a.atMs));
  const horizon = lastMs + o.settleMs;

  const ready = (a: AppAction, lane: Lane): boolean => blockedBy(a, lane) === null;
  const blockedBy = (a: AppAction, _lane: Lane): string | null => {
    switch (a.kind) {
      case 'tcp-connect':
      case 'echo':
        return null;
      case 'udp-send': {
        const got = datagrams.get(`${a.local.key}|${a.localPort}`) ?? 0;
        return got >= a.afterDatagrams ? null : `its application had received ${got} of ${a.afterDatagrams} datagrams`;
      }
      default: {
        if (!conns.has(a.conv)) return 'usernet has no connection for it';
        const p = progress.get(a.conv)!;
        const enough = p.bytes >= a.after.bytes && (p.fin || !a.after.fin);
        return enough ? null : `its application had received ${progressText(p)}`;
      }
    }
  };

  const drainOutput = (): void => {
    for (const { frames } of core.drain()) {
      for (const f of frames) {
        const p = parsePacket(f, o.linkType, 0, now);
        const answer = iface.mac !== null ? proxy.answer(p, iface.mac) : null;
        if (answer !== null) {
          proxied.push(answer);
          p.number = r.resolution.length + 1;
          r.resolution.push(p);
          continue;
        }
        if (!started) {
          p.number = r.startup.length + 1;
          r.startup.push(p);
          continue;
        }
        p.number = r.sent.length + 1;
        r.sent.push(p);
        if (p.tcp !== undefined && p.ip !== undefined) {
          const c = byTuple.get(tupleKey(p.ip.src, p.tcp.srcPort, p.ip.dst, p.tcp.dstPort));
          if (c !== undefined) observeUsernetSegment(rebase.get(c)!, p);
        }
      }
    }
  };

  const takeEvents = (): void => {
    for (const e of core.tcp.takeEvents()) {
      if (e.kind === 'syn' || e.kind === 'syn-expired') continue; // no deferring listener here
      const c = byTuple.get(tupleKey(e.conn.local, e.conn.localPort, e.conn.remote, e.conn.remotePort));
      switch (e.kind) {
        case 'accept':
          if (c !== undefined) conns.set(c, e.conn);
          e.conn.readStart();
          break;
        case 'data':
          if (c !== undefined) progress.get(c)!.bytes += e.chunk.length;
          break;
        case 'peer-fin':
          if (c !== undefined) progress.get(c)!.fin = true;
          break;
        case 'error':
          r.connectionErrors.push({ conv: c, code: e.code, text: `${e.conn.local}:${e.conn.localPort} ↔ ${e.conn.remote}:${e.conn.remotePort}: ${e.code} at ${now.toFixed(3)} ms` });
          break;
        default:
          break;
      }
    }
  };

  const perform = (a: AppAction, lane: Lane): boolean => {
    switch (a.kind) {
      case 'tcp-connect': {
        const c = core.tcp.connect({ remote: a.conv.remote, remotePort: a.conv.remotePort, local: a.conv.local, localPort: a.conv.localPort }, now);
        if (isTcpError(c)) r.appErrors.push(`${describeAction(a)}: ${c.error}`);
        else {
          conns.set(a.conv, c);
          c.readStart();
        }
        return true;
      }
      case 'tcp-write': {
        const n = conns.get(a.conv)!.send(a.data.subarray(lane.written));
        if (isTcpError(n)) {
          r.appErrors.push(`frame ${a.frame}: ${describeAction(a)}: ${n.error}`);
          return true;
        }
        lane.written += n;
        if (lane.written < a.data.length) return false; // the send buffer is full: wait for room
        lane.written = 0;
        return true;
      }
      case 'tcp-shutdown': {
        const res = conns.get(a.conv)!.shutdown();
        if (res !== undefined) r.appErrors.push(`frame ${a.frame}: ${describeAction(a)}: ${res.error}`);
        return true;
      }
      case 'tcp-abort':
        conns.get(a.conv)!.abort();
        return true;
      case 'udp-send': {
        const res = core.sendUdp({ src: a.local, srcPort: a.localPort, dst: a.remote, dstPort: a.remotePort, payload: a.payload }, now);
        if (res !== null) r.appErrors.push(`frame ${a.frame}: ${describeAction(a)}: ${res}`);
        return true;
      }
      case 'echo': {
        const res = core.sendEcho(a.dst, { identifier: a.identifier, sequence: a.sequence, data: a.data, src: a.src }, now);
        if (res !== null) r.appErrors.push(`frame ${a.frame}: ${describeAction(a)}: ${res}`);
        return true;
      }
    }
  };

  core.poll(0);
  drainOutput();
  for (;;) {
    const tFeed = fi < feeds.length ? feeds[fi]!.timeMs : Infinity;
    let tAct = Infinity;
    for (const lane of lanes.values()) {
      const head = lane.actions[0];
      if (head !== undefined && ready(head, lane)) tAct = Math.min(tAct, Math.max(head.atMs, now));
    }
    const tProxy = proxied.length > 0 ? now : Infinity;
    const tStack = core.nextDeadline();
    const t = Math.min(tFeed, tAct, tProxy, tStack);
    if (t === Infinity || t > horizon) break;
    sameInstant = t <= now ? sameInstant + 1 : 0;
    if (sameInstant > SAME_INSTANT_LIMIT) {
      r.appErrors.push(`the replay stopped at ${now.toFixed(3)} ms: usernet kept asking to be polled at the same instant`);
      break;
    }
    now = Math.max(now, t);
    if (tProxy <= now) {
      core.input(iface, proxied.splice(0), now);
    } else if (tFeed <= now) {
      started = true;
      const p = feeds[fi++]!;
      r.fed++;
      core.input(iface, [feedFrame(p)], now);
    } else if (tAct <= now) {
      started = true;
      // Everything an application does at one instant happens before usernet next sends
      // (a write and a shutdown together give a FIN on the data, as they would in a program).
      for (const lane of lanes.values()) {
        for (let head = lane.actions[0]; head !== undefined && head.atMs <= now && ready(head, lane) && perform(head, lane); head = lane.actions[0]) {
          lane.actions.shift();
        }
      }
    }
    core.poll(now);
    drainOutput();
    takeEvents();
  }
  for (const lane of lanes.values()) {
    for (const a of lane.actions) r.unfinished.push(`frame ${a.frame}: ${describeAction(a)} never ran: ${blockedBy(a, lane) ?? 'the replay ended first'}`);
  }
  core.close();
  return r;

  function feedFrame(p: Packet): Uint8Array {
    const t = endpointTuple(ep, p);
    const c = t === null ? undefined : byTuple.get(tupleKey(t.local, t.localPort, t.remote, t.remotePort));
    if (c === undefined) return Uint8Array.from(p.frame);
    const res = rebasePeerSegment(rebase.get(c)!, p);
    if (res.clamped) r.clamped++;
    if (res.unmapped) r.unmapped++;
    return res.frame;
  }
}

function laneOf(a: AppAction): string {
  switch (a.kind) {
    case 'udp-send':
      return `udp|${a.local.key}|${a.localPort}`;
    case 'echo':
      return 'echo';
    default:
      return `tcp|${a.conv.id}`;
  }
}

/** One interface with the endpoint's MAC and addresses; DAD off (the addresses were in use). */
function setUp(core: CoreStack, ep: Endpoint, o: RunOptions): NetInterface {
  const v4 = ep.addresses.filter((a) => a.family === 4).map((a) => `${a}/${onLinkPrefix(ep, a)}`);
  const v6 = ep.addresses.filter((a) => a.family === 6).map((a) => `${a}/${onLinkPrefix(ep, a)}`);
  const mtu = v6.length > 0 || ep.linkLocal.length > 0 ? Math.max(o.mtu, 1280) : o.mtu;
  const iface = core.addInterface({ mtu, linkType: o.linkType }, { name: 'replay0', ipv4: v4, ipv6: v6, dad: false, ...(ep.mac !== null ? { mac: ep.mac } : {}) }, 0);
  const derived = ep.mac !== null ? linkLocalFromMac(ep.mac) : null;
  for (const ll of ep.linkLocal) if (derived === null || !ll.equals(derived)) core.addAddress(iface, `${ll}/64`, 0);
  return iface;
}
