/**
 * The application on usernet's side, read from the capture: what the endpoint's application
 * must have done for the endpoint's kernel to send what it sent. For TCP: listen (it answered a
 * SYN), connect (it sent one), write (new data), shut down (FIN), abort (RST on a connection it
 * had). For UDP: bind (ports it used without answering "port unreachable") and send. For ICMP:
 * echo requests (ping).
 *
 * Each action carries the time the endpoint did it and what it had received by then (read from
 * the acknowledgment field of the segment that shows the action): at replay it runs at that
 * time, but never before usernet's application has received as much.
 *
 * Writes: a kernel's segments do not show write boundaries. The rule used here: new data sent
 * at least `WRITE_GAP_MS` after all earlier data had been acknowledged (the sender sat idle with
 * nothing to send, so the application had written nothing more) starts a new write; other new
 * data continues the current write (the kernel was waiting for the window or the ACK clock, and
 * answers an ACK within microseconds when it has queued data).
 */

import { bytesEqual, type IpAddress } from '../../stack/wire/address';
import { TcpFlag } from '../../stack/wire/tcp';
import { relative, tupleKey, endpointTuple, type TcpConversation } from './conversation';
import { isEndpointAddress, sentBy, type Endpoint } from './endpoint';
import type { Packet } from './packet';
import { reassembledIcmp } from './reassemble';

/** What the application had received when it acted: peer bytes, and whether the peer's FIN. */
/**
 * Idle time after which new data is taken for a new write: far above the microseconds a kernel
 * takes to send queued data when an ACK opens the window, far below the pauses between an
 * application's writes that matter to a replay.
 */
export const WRITE_GAP_MS = 5;

export interface Progress {
  bytes: number;
  fin: boolean;
}

export type AppAction =
  | { kind: 'tcp-connect'; atMs: number; frame: number; conv: TcpConversation }
  | { kind: 'tcp-write'; atMs: number; frame: number; conv: TcpConversation; data: Uint8Array; after: Progress }
  | { kind: 'tcp-shutdown'; atMs: number; frame: number; conv: TcpConversation; after: Progress }
  | { kind: 'tcp-abort'; atMs: number; frame: number; conv: TcpConversation; after: Progress }
  | { kind: 'udp-send'; atMs: number; frame: number; local: IpAddress; localPort: number; remote: IpAddress; remotePort: number; payload: Uint8Array; afterDatagrams: number }
  | { kind: 'echo'; atMs: number; frame: number; src: IpAddress; dst: IpAddress; identifier: number; sequence: number; data: Uint8Array };

export interface AppScript {
  /** Passive opens, made before anything is fed. */
  listens: Array<{ address: IpAddress; port: number }>;
  udpBinds: Array<{ address: IpAddress; port: number }>;
  /** In capture order. */
  actions: AppAction[];
  /** Things the script cannot reproduce, in words. */
  notes: string[];
}

export function describeAction(a: AppAction): string {
  switch (a.kind) {
    case 'tcp-connect':
      return `connect ${a.conv.local}:${a.conv.localPort} → ${a.conv.remote}:${a.conv.remotePort}`;
    case 'tcp-write':
      return `write ${a.data.length} bytes after receiving ${progressText(a.after)}`;
    case 'tcp-shutdown':
      return `shutdown after receiving ${progressText(a.after)}`;
    case 'tcp-abort':
      return `abort (RST) after receiving ${progressText(a.after)}`;
    case 'udp-send':
      return `send ${a.payload.length}-byte datagram ${a.localPort} → ${a.remote}:${a.remotePort} after ${a.afterDatagrams} received`;
    case 'echo':
      return `ping ${a.dst} id ${a.identifier} seq ${a.sequence} (${a.data.length} bytes)`;
  }
}

export function progressText(p: Progress): string {
  return `${p.bytes} bytes${p.fin ? ' and FIN' : ''}`;
}

/** The application script of the endpoint, over the conversations found in the capture. */
export function deriveScript(ep: Endpoint, packets: readonly Packet[], conversations: readonly TcpConversation[]): AppScript {
  const script: AppScript = { listens: [], udpBinds: [], actions: [], notes: [] };
  const byKey = new Map(conversations.map((c) => [tupleKey(c.local, c.localPort, c.remote, c.remotePort), c]));
  const tcp = new Map<TcpConversation, TcpTrack>();
  for (const c of conversations) {
    if (c.role === 'server' && !script.listens.some((l) => l.port === c.localPort && l.address.equals(c.local))) {
      script.listens.push({ address: c.local, port: c.localPort });
    }
    if (c.role === 'midstream') script.notes.push(`conversation ${c.local}:${c.localPort} ↔ ${c.remote}:${c.remotePort} starts after its handshake: usernet cannot take it over`);
    tcp.set(c, { sent: 0, acked: 0, write: null, idleSince: 0, finDone: false, rstDone: false });
  }
  const udp = new UdpTrack();
  for (const p of packets) {
    const t = endpointTuple(ep, p);
    if (t !== null) {
      const c = byKey.get(tupleKey(t.local, t.localPort, t.remote, t.remotePort));
      if (c !== undefined && c.role !== 'midstream') tcpStep(script, c, tcp.get(c)!, p, sentBy(ep, p));
      continue;
    }
    if (p.udp !== undefined && p.ip !== undefined) udp.step(ep, script, p);
    else if (p.icmp !== undefined && p.ip !== undefined && sentBy(ep, p)) icmpStep(script, packets, p);
  }
  udp.finish(script);
  dropRefusedBinds(ep, script, packets);
  for (const a of script.actions) a.atMs = resolutionStart(ep, packets, a);
  script.actions.sort((a, b) => a.atMs - b.atMs || a.frame - b.frame);
  return script;
}

interface TcpTrack {
  /** Bytes of new data the endpoint sent, and how many of them the peer acknowledged. */
  sent: number;
  acked: number;
  write: { data: Uint8Array[] } | null;
  /** When the peer last acknowledged everything the endpoint had sent. */
  idleSince: number;
  finDone: boolean;
  rstDone: boolean;
  /** The peer's FIN, relative to its ISN, once seen. */
  peerFin?: number;
}

function tcpStep(script: AppScript, c: TcpConversation, s: TcpTrack, p: Packet, mine: boolean): void {
  const seg = p.tcp!;
  const syn = (seg.flags & TcpFlag.SYN) !== 0;
  if (!mine) {
    if ((seg.flags & TcpFlag.ACK) !== 0 && c.endpointIsn !== undefined) {
      const acked = relative(seg.ack, c.endpointIsn) - 1;
      if (acked > s.acked && acked <= s.sent + 1) {
        s.acked = Math.min(acked, s.sent);
        if (s.acked >= s.sent) s.idleSince = p.timeMs;
      }
    }
    if ((seg.flags & TcpFlag.FIN) !== 0 && s.peerFin === undefined) s.peerFin = relative(seg.seq, c.peerIsn) + seg.payload.length;
    return;
  }
  if (syn && (seg.flags & TcpFlag.ACK) === 0 && c.role === 'client' && !script.actions.some((a) => a.kind === 'tcp-connect' && a.conv === c)) {
    script.actions.push({ kind: 'tcp-connect', atMs: p.timeMs, frame: p.number, conv: c });
  }
  const after = progressOf(c, s, seg.flags, seg.ack);
  if (seg.payload.length > 0 && c.endpointIsn !== undefined) {
    const start = relative(seg.seq, c.endpointIsn) - 1; // stream offset of the first byte
    const end = start + seg.payload.length;
    if (end > s.sent && start <= s.sent) {
      const fresh = seg.payload.subarray(s.sent - start);
      if (s.write === null || (s.acked >= s.sent && p.timeMs - s.idleSince >= WRITE_GAP_MS)) {
        s.write = { data: [] };
        script.actions.push({ kind: 'tcp-write', atMs: p.timeMs, frame: p.number, conv: c, data: new Uint8Array(0), after });
      }
      s.write.data.push(Uint8Array.from(fresh));
      const action = [...script.actions].reverse().find((a) => a.kind === 'tcp-write' && a.conv === c);
      if (action !== undefined && action.kind === 'tcp-write') action.data = concat(s.write.data);
      s.sent = end;
    }
  }
  if ((seg.flags & TcpFlag.FIN) !== 0 && !s.finDone) {
    s.finDone = true;
    script.actions.push({ kind: 'tcp-shutdown', atMs: p.timeMs, frame: p.number, conv: c, after });
  }
  if ((seg.flags & TcpFlag.RST) !== 0 && !s.rstDone && (c.role === 'client' || c.role === 'server')) {
    s.rstDone = true;
    script.actions.push({ kind: 'tcp-abort', atMs: p.timeMs, frame: p.number, conv: c, after });
  }
}

/** What the endpoint had received when it sent a segment with `flags`/`ack`: its ACK says. */
function progressOf(c: TcpConversation, s: TcpTrack, flags: number, ack: number): Progress {
  if ((flags & TcpFlag.ACK) === 0 || c.peerIsn === undefined) return { bytes: 0, fin: false };
  const rel = relative(ack, c.peerIsn);
  const fin = s.peerFin !== undefined && rel > s.peerFin;
  return { bytes: Math.max(0, rel - 1 - (fin ? 1 : 0)), fin };
}

/**
 * When the endpoint resolved the destination (ARP request, RFC 826; neighbour solicitation,
 * RFC 4861 §7.2.2) right before the frame that shows an action, the application acted when the
 * resolution began: the kernel held the packet until the answer came. Returns that earlier time.
 */
function resolutionStart(ep: Endpoint, packets: readonly Packet[], a: AppAction): number {
  if (a.kind !== 'echo' && a.kind !== 'udp-send' && a.kind !== 'tcp-connect') return a.atMs;
  const dst = a.kind === 'echo' ? a.dst : a.kind === 'udp-send' ? a.remote : a.conv.remote;
  let start = a.atMs;
  const at = packets.findIndex((p) => p.number === a.frame);
  for (let i = at - 1; i >= 0; i--) {
    const p = packets[i]!;
    if (!sentBy(ep, p)) continue;
    const resolves =
      (p.arp !== undefined && p.arp.op === 1 && dst.family === 4 && p.arp.tpa === dst.v4) ||
      (p.icmp?.kind === 'neighbor-solicitation' && p.ip !== undefined && !p.ip.src.isUnspecified() && bytesEqual(p.icmp.target, dst.bytes));
    if (resolves) start = p.timeMs;
    else if (p.ip !== undefined && p.ip.dst.equals(dst)) break; // an earlier packet to dst went out: resolved already
  }
  return start;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/**
 * UDP: every datagram the endpoint sent is a `send` after as many datagrams as it had received
 * on that port; ports it sent from, and ports it received on without answering "port
 * unreachable", are bound before feeding.
 */
class UdpTrack {
  private readonly received = new Map<string, number>();
  private readonly bound = new Map<string, { address: IpAddress; port: number }>();

  step(ep: Endpoint, script: AppScript, p: Packet): void {
    const ip = p.ip!;
    const u = p.udp!;
    const mine = sentBy(ep, p);
    const localPort = mine ? u.srcPort : u.dstPort;
    if (ep.spec.port !== undefined && localPort !== ep.spec.port) return;
    const local = mine ? ip.src : ip.dst;
    if (!mine && !isEndpointAddress(ep, local)) return;
    const key = `${local.key}|${localPort}`;
    if (!mine) {
      this.received.set(key, (this.received.get(key) ?? 0) + 1);
      if (!this.bound.has(key)) this.bound.set(key, { address: local, port: localPort });
      return;
    }
    this.bound.set(key, { address: local, port: localPort });
    script.actions.push({
      kind: 'udp-send',
      atMs: p.timeMs,
      frame: p.number,
      local,
      localPort,
      remote: ip.dst,
      remotePort: u.dstPort,
      payload: Uint8Array.from(u.payload),
      afterDatagrams: this.received.get(key) ?? 0,
    });
  }

  finish(script: AppScript): void {
    for (const b of this.bound.values()) script.udpBinds.push(b);
  }
}

function icmpStep(script: AppScript, packets: readonly Packet[], p: Packet): void {
  const ip = p.ip!;
  const m = p.icmp!;
  if (m.kind === 'echo-request') {
    const whole = reassembledIcmp(packets, p);
    const data = whole !== null && whole.kind === 'echo-request' ? whole.data : m.data;
    script.actions.push({ kind: 'echo', atMs: p.timeMs, frame: p.number, src: ip.src, dst: ip.dst, identifier: m.identifier, sequence: m.sequence, data: Uint8Array.from(data) });
  }
}

/**
 * Ports the endpoint refused: ICMP port unreachable (v4 type 3 code 3, v6 type 1 code 4) quoting
 * a UDP datagram.
 */
export function refusedUdpPorts(ep: Endpoint, packets: readonly Packet[]): Array<{ address: IpAddress; port: number }> {
  const out: Array<{ address: IpAddress; port: number }> = [];
  for (const p of packets) {
    if (p.icmp === undefined || p.ip === undefined || !sentBy(ep, p) || p.icmp.kind !== 'destination-unreachable') continue;
    const portUnreachable = p.ip.family === 4 ? p.icmp.code === 3 : p.icmp.code === 4;
    if (!portUnreachable) continue;
    const q = p.icmp.invoking;
    const hl = p.ip.family === 4 ? (q.length > 0 ? (q[0]! & 0x0f) * 4 : 0) : 40;
    const proto = p.ip.family === 4 ? q[9] : q[6];
    if (proto !== 17 || q.length < hl + 4) continue;
    out.push({ address: p.ip.src, port: (q[hl + 2]! << 8) | q[hl + 3]! });
  }
  return out;
}

/** Removes binds of refused ports (see `refusedUdpPorts`). */
function dropRefusedBinds(ep: Endpoint, script: AppScript, packets: readonly Packet[]): void {
  const refused = refusedUdpPorts(ep, packets);
  script.udpBinds = script.udpBinds.filter((b) => !refused.some((r) => r.port === b.port && r.address.equals(b.address)));
}

