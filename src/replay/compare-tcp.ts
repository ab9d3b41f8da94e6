/**
 * Comparison of one TCP conversation by meaning (RFC 9293 §3.4 relative sequence numbers):
 *
 * - data and control segments (payload, SYN, FIN, RST) are paired in order by relative sequence
 *   number and control bits; in each pair the flags, relative ACK, length, bytes, option kinds
 *   (and MSS value), window (within `windowFactor`) and time (within `timeMs`) are compared.
 *   PSH is shown but does not count: it is advisory and its placement depends on how a stack
 *   cuts writes into segments (RFC 9293 §3.9.1.2). Unpaired segments are missing or extra.
 * - pure ACKs are not paired one by one — a stack may acknowledge at other moments than the
 *   kernel (delayed ACK, one ACK per two segments) — but by the cumulative acknowledged position
 *   over time: whatever the capture's endpoint had acknowledged at time t, usernet must have
 *   acknowledged by t + `ackMs`.
 */

import { TcpFlag, tcpFlagsString, type TcpRepr } from '../../stack/wire/tcp';
import { relative, type TcpConversation } from './conversation';
import type { Difference, Tolerances } from './difference';
import type { Packet } from './packet';

/** How far ahead in usernet's segments a partner for an expected segment is looked for. */
const PAIRING_LOOKAHEAD = 256;

const CONTROL = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;

interface Side {
  /** ISNs for relative numbers: this side's own (seq) and the other side's (ack). */
  iss: number | undefined;
  irs: number | undefined;
  /** Window shift of this side's non-SYN segments (0 unless both SYNs carried window scale). */
  shift: number;
}

function isDataOrControl(s: TcpRepr): boolean {
  return s.payload.length > 0 || (s.flags & CONTROL) !== 0;
}

/** Bytes the window field means: unscaled on SYNs (RFC 7323 §2.2). */
function windowBytes(s: TcpRepr, side: Side): number {
  return (s.flags & TcpFlag.SYN) !== 0 ? s.window : s.window * 2 ** side.shift;
}

/** `[P.] seq 1:1449 ack 1 win 64512 len 1448`, relative to the side's ISNs. */
export function describeSegment(s: TcpRepr, side: Side): string {
  const seq = relative(s.seq, side.iss);
  const len = s.payload.length;
  const range = len > 0 ? `${seq}:${(seq + len) >>> 0}` : `${seq}`;
  const ack = (s.flags & TcpFlag.ACK) !== 0 ? ` ack ${relative(s.ack, side.irs)}` : '';
  return `[${tcpFlagsString(s.flags)}] seq ${range}${ack} win ${windowBytes(s, side)} len ${len}`;
}

function optionKinds(s: TcpRepr): string {
  const o = s.options;
  const k: string[] = [];
  if (o.mss !== undefined) k.push(`mss ${o.mss}`);
  if (o.sackPermitted === true) k.push('sackOK');
  if (o.timestamp !== undefined) k.push('TS');
  if (o.windowScale !== undefined) k.push('wscale');
  if (o.sack !== undefined && o.sack.length > 0) k.push('sack');
  return k.join(',');
}

function ms(t: number): string {
  return `${t.toFixed(3)} ms`;
}

function sides(conv: TcpConversation, expected: Packet[], actual: Packet[], peer: Packet[]): { exp: Side; act: Side } {
  const peerSyn = peer.find((p) => (p.tcp!.flags & TcpFlag.SYN) !== 0)?.tcp;
  const expSyn = expected.find((p) => (p.tcp!.flags & TcpFlag.SYN) !== 0)?.tcp;
  const actSyn = actual.find((p) => (p.tcp!.flags & TcpFlag.SYN) !== 0)?.tcp;
  const scaled = (own: TcpRepr | undefined): number =>
    own?.options.windowScale !== undefined && peerSyn?.options.windowScale !== undefined ? Math.min(14, own.options.windowScale) : 0;
  return {
    exp: { iss: conv.endpointIsn, irs: conv.peerIsn, shift: scaled(expSyn) },
    act: { iss: actSyn?.seq, irs: conv.peerIsn, shift: scaled(actSyn) },
  };
}

/**
 * Differences between `expected` (the endpoint's segments in the capture) and `actual`
 * (usernet's) for one conversation; `peer` holds the peer's segments (for the window scale).
 */
export function compareTcp(conv: TcpConversation, expected: Packet[], actual: Packet[], peer: Packet[], tol: Tolerances): Difference[] {
  const out: Difference[] = [];
  const { exp, act } = sides(conv, expected, actual, peer);
  const expSegs = splitFins(expected.filter((p) => isDataOrControl(p.tcp!)));
  const actSegs = splitFins(actual.filter((p) => isDataOrControl(p.tcp!)));
  const key = (p: Packet, side: Side): string => `${relative(p.tcp!.seq, side.iss)}|${p.tcp!.flags & (TcpFlag.SYN | TcpFlag.RST)}|${p.tcp!.payload.length > 0}`;
  let j = 0;
  for (const e of expSegs) {
    const want = key(e, exp);
    let found = -1;
    for (let k = j; k < Math.min(actSegs.length, j + PAIRING_LOOKAHEAD); k++) {
      if (key(actSegs[k]!, act) === want) {
        found = k;
        break;
      }
    }
    if (found < 0) {
      out.push({ code: 'missing', subject: 'tcp', frame: e.number, text: `frame ${e.number}: expected ${describeSegment(e.tcp!, exp)} at ${ms(e.timeMs)}, usernet sent no such segment` });
      continue;
    }
    for (; j < found; j++) out.push(extra(actSegs[j]!, act));
    comparePair(e, actSegs[found]!, exp, act, tol, out);
    j = found + 1;
  }
  for (; j < actSegs.length; j++) out.push(extra(actSegs[j]!, act));
  compareAcks(expected, actual, exp, act, tol, out);
  return out;
}

/** FINs taken off data segments by `splitFins`. */
const carriedFins = new WeakSet<Packet>();

/**
 * A FIN that rides on the last data segment is compared as the data segment and a FIN of its
 * own at the next sequence number: whether a stack sends them together depends on whether the
 * application closed before the data left, not on the meaning (RFC 9293 §3.10.4: the FIN
 * follows the queued data either way).
 */
function splitFins(segs: Packet[]): Packet[] {
  const out: Packet[] = [];
  for (const p of segs) {
    const s = p.tcp!;
    if ((s.flags & TcpFlag.FIN) === 0 || s.payload.length === 0) {
      out.push(p);
      continue;
    }
    out.push({ ...p, tcp: { ...s, flags: s.flags & ~TcpFlag.FIN } });
    const fin: Packet = { ...p, tcp: { ...s, flags: s.flags & ~TcpFlag.PSH, seq: (s.seq + s.payload.length) >>> 0, payload: new Uint8Array(0) } };
    carriedFins.add(fin);
    out.push(fin);
  }
  return out;
}

function extra(a: Packet, act: Side): Difference {
  return { code: 'extra', subject: 'tcp', text: `usernet frame ${a.number}: sent ${describeSegment(a.tcp!, act)} at ${ms(a.timeMs)}, the capture has no such segment` };
}

function comparePair(e: Packet, a: Packet, exp: Side, act: Side, tol: Tolerances, out: Difference[]): void {
  const es = e.tcp!;
  const as = a.tcp!;
  const line = (what: string): string => `frame ${e.number}: expected ${describeSegment(es, exp)}, usernet sent ${describeSegment(as, act)} (${what})`;
  const push = (d: Omit<Difference, 'subject' | 'frame'>): void => void out.push({ subject: 'tcp', frame: e.number, ...d });
  if (carriedFins.has(e) !== carriedFins.has(a)) {
    const where = (p: Packet): string => (carriedFins.has(p) ? 'on the last data segment' : 'in a segment of its own');
    push({ code: 'flags', text: line(`FIN sent ${where(a)}, the capture's ${where(e)}`), tolerated: 'the same FIN at the same sequence number; whether it shares a segment with data depends on when the application closed relative to sending' });
  }
  const flagsDiff = (es.flags ^ as.flags) & ~TcpFlag.PSH;
  if (flagsDiff !== 0) push({ code: 'flags', text: line(`flags ${tcpFlagsString(es.flags)} vs ${tcpFlagsString(as.flags)}`) });
  else if ((es.flags ^ as.flags) & TcpFlag.PSH) {
    push({ code: 'flags', text: line('PSH differs'), tolerated: 'PSH is advisory (RFC 9293 §3.9.1.2); where it falls depends on how writes are cut into segments' });
  }
  if ((es.flags & as.flags & TcpFlag.ACK) !== 0 && relative(es.ack, exp.irs) !== relative(as.ack, act.irs)) {
    push({ code: 'ack', text: line(`ack ${relative(es.ack, exp.irs)} vs ${relative(as.ack, act.irs)}`) });
  }
  if (es.payload.length !== as.payload.length) {
    push({ code: 'length', text: line(`len ${es.payload.length} vs ${as.payload.length}`) });
  } else {
    const at = es.payload.findIndex((b, i) => b !== as.payload[i]);
    if (at >= 0) push({ code: 'payload', text: line(`payload differs from byte ${at}`) });
  }
  const eo = optionKinds(es);
  const ao = optionKinds(as);
  if (eo !== ao) push({ code: 'options', text: line(`options <${eo}> vs <${ao}>`) });
  const ew = windowBytes(es, exp);
  const aw = windowBytes(as, act);
  if (ew !== aw && (es.flags & TcpFlag.RST) === 0) {
    const zero = (ew === 0) !== (aw === 0);
    const ratio = Math.max(ew, aw) / Math.max(1, Math.min(ew, aw));
    const d: Omit<Difference, 'subject' | 'frame'> = { code: 'window', text: line(`window ${ew} vs ${aw}${zero || ratio > tol.windowFactor ? '' : ' within tolerance'}`) };
    if (!zero && ratio <= tol.windowFactor) d.tolerated = `windows within a factor of ${tol.windowFactor}: buffer sizes are each stack's choice`;
    push(d);
  }
  const dt = a.timeMs - e.timeMs;
  if (Math.abs(dt) > tol.timeMs) push({ code: 'timing', text: line(`sent at ${ms(a.timeMs)}, the capture at ${ms(e.timeMs)}: ${dt > 0 ? 'later' : 'earlier'} by ${ms(Math.abs(dt))}, tolerance ${tol.timeMs} ms`) });
}

/** Highest acknowledged position (relative) of `packets` over time. */
function ackSteps(packets: Packet[], side: Side): Array<{ t: number; ack: number; number: number; pure: boolean }> {
  const steps: Array<{ t: number; ack: number; number: number; pure: boolean }> = [];
  let best = -1;
  for (const p of packets) {
    const s = p.tcp!;
    if ((s.flags & TcpFlag.ACK) === 0 || (s.flags & TcpFlag.RST) !== 0 || side.irs === undefined) continue;
    const a = relative(s.ack, side.irs);
    if (a > best) {
      best = a;
      steps.push({ t: p.timeMs, ack: a, number: p.number, pure: !isDataOrControl(s) });
    }
  }
  return steps;
}

function compareAcks(expected: Packet[], actual: Packet[], exp: Side, act: Side, tol: Tolerances, out: Difference[]): void {
  const want = ackSteps(expected, exp);
  const got = ackSteps(actual, act);
  for (const w of want) {
    const g = got.find((x) => x.ack >= w.ack);
    if (g === undefined) {
      const best = got[got.length - 1]?.ack ?? 0;
      out.push({ code: 'ack-late', subject: 'tcp', frame: w.number, text: `frame ${w.number}: the endpoint had acknowledged ${w.ack} at ${ms(w.t)}; usernet never acknowledged beyond ${best}` });
    } else if (g.t > w.t + tol.ackMs) {
      out.push({
        code: 'ack-late',
        subject: 'tcp',
        frame: w.number,
        text: `frame ${w.number}: the endpoint had acknowledged ${w.ack} at ${ms(w.t)}; usernet did at ${ms(g.t)} (usernet frame ${g.number}), ${ms(g.t - w.t)} later, tolerance ${tol.ackMs} ms`,
      });
    }
  }
}

/** Pure-ACK counts, for the summary (not differences): usernet may ACK more or less often. */
export function pureAckCounts(expected: Packet[], actual: Packet[]): { expected: number; actual: number } {
  const pure = (p: Packet): boolean => !isDataOrControl(p.tcp!);
  return { expected: expected.filter(pure).length, actual: actual.filter(pure).length };
}
