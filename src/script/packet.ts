/**
 * Script packets against the engine's segments, as packetdrill maps them (`run_packet.c`):
 * inbound sequence numbers are relative to the remote's ISN and their ACKs (and SACK blocks) to
 * usernet's ISN, learned from the first SYN or SYN-ACK usernet sends; outbound ones the other way
 * round. Outbound TS values are mapped onto the script's through the first timestamp seen, and an
 * inbound `TS ecr` naming a script TS value gets the actual value it stood for.
 */

import { emitTcpOptions, tcpOptionsLen, TcpOptionKind } from '../../stack/wire/tcp-options';
import { TcpFlag, tcpFlagsString, type TcpOptions, type TcpRepr } from '../../stack/wire/tcp';
import type { PacketSpec, ScriptTcpOption } from './ast';

/** The byte a side sends at stream offset `k` (0 = first byte after the SYN). */
export function patternByte(k: number): number {
  return (k % 251) & 0xff;
}

export function patternBytes(offset: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = patternByte(offset + i);
  return b;
}

/** Sequence-space and timestamp mapping of the connection under test. */
export class FlowMap {
  /** usernet's ISN, once its SYN or SYN-ACK has been seen. */
  iss: number | undefined;
  /** The remote's actual ISN minus the script's (packetdrill uses 0). */
  constructor(readonly remoteIsn: number) {}
  private readonly tsVals = new Map<number, number>();
  private firstTs: { script: number; actual: number } | undefined;

  /** Script → actual for a `TS ecr` the script puts in an inbound packet. */
  inboundEcr(scriptEcr: number): number | string {
    if (scriptEcr === 0) return 0;
    const exact = this.tsVals.get(scriptEcr);
    if (exact !== undefined) return exact;
    if (this.firstTs !== undefined) return (scriptEcr - this.firstTs.script + this.firstTs.actual) >>> 0;
    return `TS ecr ${scriptEcr} names no TS val usernet has sent (expect an outbound packet with its TS option first)`;
  }

  /** Actual → script for an outbound TS val, learning the mapping from the script's value. */
  outboundTsVal(actual: number, scriptVal: number | undefined): number {
    if (this.firstTs === undefined) {
      if (scriptVal === undefined) return actual;
      this.firstTs = { script: scriptVal, actual };
    }
    if (scriptVal !== undefined) this.tsVals.set(scriptVal, actual);
    return (this.firstTs.script + (actual - this.firstTs.actual)) >>> 0;
  }

  localOffset(): number {
    return this.iss ?? 0;
  }
}

/** The engine's repr for an inbound script packet; a string says why none can be built. */
export function buildInbound(p: PacketSpec, flow: FlowMap, srcPort: number, dstPort: number): TcpRepr | string {
  const options: TcpOptions = {};
  if (p.options === 'any') return "'<...>' means 'any options' and only fits outbound packets";
  for (const o of p.options ?? []) {
    switch (o.kind) {
      case 'mss':
        options.mss = o.value;
        break;
      case 'wscale':
        options.windowScale = o.value;
        break;
      case 'sackOK':
        options.sackPermitted = true;
        break;
      case 'sack':
        options.sack = o.blocks.map(([l, r]) => ({ left: (l + flow.localOffset()) >>> 0, right: (r + flow.localOffset()) >>> 0 }));
        break;
      case 'TS': {
        const ecr = (p.flags & TcpFlag.ACK) !== 0 ? flow.inboundEcr(o.ecr) : o.ecr;
        if (typeof ecr === 'string') return ecr;
        options.timestamp = { tsVal: o.val >>> 0, tsEcr: ecr };
        break;
      }
      case 'nop':
      case 'eol':
        break;
    }
  }
  const syn = (p.flags & TcpFlag.SYN) !== 0;
  return {
    srcPort,
    dstPort,
    seq: (p.start + flow.remoteIsn) >>> 0,
    ack: (p.flags & TcpFlag.ACK) !== 0 || p.ack !== undefined ? ((p.ack ?? 0) + flow.localOffset()) >>> 0 : 0,
    flags: p.flags,
    window: p.window ?? 0,
    urgent: 0,
    options,
    payload: patternBytes(p.start + (syn ? 1 : 0) - 1, p.len),
  };
}

/** An outbound segment in script space. */
export interface ActualPacket {
  flags: number;
  start: number;
  len: number;
  ack: number;
  window: number;
  options: ScriptTcpOption[];
  payload: Uint8Array;
}

/** The options exactly as they go on the wire (the emitter's layout, `nop`s included). */
function wireOptions(o: TcpOptions): Array<{ kind: number; data: number[] }> {
  const len = tcpOptionsLen(o);
  const b = new Uint8Array(len);
  emitTcpOptions(o, b, 0);
  const out: Array<{ kind: number; data: number[] }> = [];
  for (let i = 0; i < len; ) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL || kind === TcpOptionKind.NOP) {
      out.push({ kind, data: [] });
      i++;
      if (kind === TcpOptionKind.EOL) break;
      continue;
    }
    const l = Math.max(2, b[i + 1]!);
    out.push({ kind, data: [...b.subarray(i + 2, i + l)] });
    i += l;
  }
  return out;
}

function u32(d: number[], at: number): number {
  return ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
}

/**
 * Maps an outbound segment into script space. `spec` supplies the script's TS val for the
 * timestamp mapping (packetdrill learns it from the first outbound packet that has one).
 */
export function toActual(r: TcpRepr, flow: FlowMap, spec: PacketSpec | undefined): ActualPacket {
  if ((r.flags & TcpFlag.SYN) !== 0) flow.iss = r.seq;
  const scriptTs = spec !== undefined && spec.options !== 'any' ? spec.options?.find((o) => o.kind === 'TS') : undefined;
  const options: ScriptTcpOption[] = [];
  for (const w of wireOptions(r.options)) {
    switch (w.kind) {
      case TcpOptionKind.NOP:
        options.push({ kind: 'nop' });
        break;
      case TcpOptionKind.EOL:
        options.push({ kind: 'eol' });
        break;
      case TcpOptionKind.MSS:
        options.push({ kind: 'mss', value: (w.data[0]! << 8) | w.data[1]! });
        break;
      case TcpOptionKind.WINDOW_SCALE:
        options.push({ kind: 'wscale', value: w.data[0]! });
        break;
      case TcpOptionKind.SACK_PERMITTED:
        options.push({ kind: 'sackOK' });
        break;
      case TcpOptionKind.SACK: {
        const blocks: Array<readonly [number, number]> = [];
        for (let i = 0; i + 8 <= w.data.length; i += 8) {
          blocks.push([(u32(w.data, i) - flow.remoteIsn) >>> 0, (u32(w.data, i + 4) - flow.remoteIsn) >>> 0] as const);
        }
        options.push({ kind: 'sack', blocks });
        break;
      }
      case TcpOptionKind.TIMESTAMP: {
        const val = flow.outboundTsVal(u32(w.data, 0), scriptTs?.kind === 'TS' ? scriptTs.val : undefined);
        options.push({ kind: 'TS', val, ecr: u32(w.data, 4) });
        break;
      }
      default:
        break;
    }
  }
  return {
    flags: r.flags,
    start: (r.seq - flow.localOffset()) >>> 0,
    len: r.payload.length,
    ack: (r.flags & TcpFlag.ACK) !== 0 ? (r.ack - flow.remoteIsn) >>> 0 : 0,
    window: r.window,
    options,
    payload: r.payload,
  };
}

function optionText(o: ScriptTcpOption): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.kind;
    case 'mss':
    case 'wscale':
      return `${o.kind} ${o.value}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'TS':
      return `TS val ${o.val} ecr ${o.ecr}`;
  }
}

function flagsText(flags: number): string {
  return flags === 0 ? '-' : tcpFlagsString(flags);
}

/** A script packet as packetdrill would write it. */
export function formatSpec(p: PacketSpec): string {
  let s = `${p.direction === 'inbound' ? '<' : '>'} ${flagsText(p.flags)} ${p.start}:${p.end}(${p.len})`;
  if (p.ack !== undefined) s += ` ack ${p.ack}`;
  if (p.window !== undefined) s += ` win ${p.window}`;
  if (p.options === 'any') s += ' <...>';
  else if (p.options !== undefined) s += ` <${p.options.map(optionText).join(',')}>`;
  return s;
}

export function formatActual(a: ActualPacket): string {
  let s = `> ${flagsText(a.flags)} ${a.start}:${(a.start + a.len) >>> 0}(${a.len})`;
  if ((a.flags & TcpFlag.ACK) !== 0) s += ` ack ${a.ack}`;
  s += ` win ${a.window}`;
  if (a.options.length > 0) s += ` <${a.options.map(optionText).join(',')}>`;
  return s;
}

function sameOption(s: ScriptTcpOption, a: ScriptTcpOption, tsTolerance: number | undefined): boolean {
  if (s.kind !== a.kind) return false;
  switch (s.kind) {
    case 'mss':
    case 'wscale':
      return s.value === (a as typeof s).value;
    case 'sack': {
      const b = (a as typeof s).blocks;
      return b.length === s.blocks.length && s.blocks.every(([l, r], i) => b[i]![0] === l && b[i]![1] === r);
    }
    case 'TS': {
      const t = a as typeof s;
      // Deviation from packetdrill, which never checks the echoed value: inbound TS values are the
      // script's own numbers, so usernet must echo them exactly (RFC 7323 §4.3).
      if (t.ecr !== s.ecr) return false;
      return tsTolerance === undefined || Math.abs((t.val - s.val) | 0) <= tsTolerance;
    }
    default:
      return true;
  }
}

/**
 * The first difference between an expected outbound packet and the actual one, or undefined
 * when they match. `tsTolerance` (in TS ticks) checks TS val when defined.
 */
export function compareOutbound(p: PacketSpec, a: ActualPacket, tsTolerance: number | undefined): string | undefined {
  if (p.flags !== a.flags) return `flags ${flagsText(p.flags)} vs ${flagsText(a.flags)}`;
  if (p.start !== a.start) return `sequence number ${p.start} vs ${a.start}`;
  if (p.len !== a.len) return `length ${p.len} vs ${a.len}`;
  if ((p.flags & TcpFlag.ACK) !== 0 && p.ack !== undefined && p.ack !== a.ack) return `ack ${p.ack} vs ${a.ack}`;
  if ((p.flags & TcpFlag.ACK) !== 0 && p.ack === undefined) return 'the script gives no ack number for an ACK';
  if (p.window !== undefined && p.window !== a.window) return `window ${p.window} vs ${a.window}`;
  if (p.options !== 'any') {
    const s = p.options ?? [];
    const n = Math.max(s.length, a.options.length);
    for (let i = 0; i < n; i++) {
      const so = s[i];
      const ao = a.options[i];
      if (so === undefined || ao === undefined || !sameOption(so, ao, tsTolerance)) {
        return `option ${i + 1}: ${so === undefined ? 'none' : optionText(so)} vs ${ao === undefined ? 'none' : optionText(ao)}`;
      }
    }
  }
  const offset = p.start + ((p.flags & TcpFlag.SYN) !== 0 ? 1 : 0) - 1;
  for (let i = 0; i < a.payload.length; i++) {
    if (a.payload[i] !== patternByte(offset + i)) return `payload byte at stream offset ${offset + i} is not what write() queued there`;
  }
  return undefined;
}
