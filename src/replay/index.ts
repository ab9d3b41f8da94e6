/**
 * `replayCapture`: usernet takes the place of one endpoint of a captured conversation (see the
 * modules this joins: `endpoint.ts` finds it, `conversation.ts` and `script.ts` read its TCP
 * conversations and its application's actions, `run.ts` plays the peer's frames and the
 * application into usernet, `compare-*.ts` compare by meaning, `expect.ts` applies the
 * expectations written next to the capture, `report.ts` prints).
 */

import type { PcapFile } from '../../drivers/pcap/format';
import { endpointTuple, findConversations, tupleKey } from './conversation';
import { compareMessages, subjectOf } from './compare-messages';
import { TcpFlag } from '../../stack/wire/tcp';
import { compareTcp, pureAckCounts } from './compare-tcp';
import { counts, DEFAULT_TOLERANCES, type Difference, type Tolerances } from './difference';
import { describeEndpoint, findEndpoint, isEndpointAddress, sentBy, type EndpointSpec } from './endpoint';
import { applyExpectations, type Allowance } from './expect';
import { NeighbourProxy } from './neighbour-proxy';
import { parsePacket, type Packet } from './packet';
import { runReplay } from './run';
import { deriveScript } from './script';

export interface ReplayOptions {
  /** Name shown in the report (the file name). */
  name?: string;
  /** Time compression: 10 plays a 10 s capture in 1 s of (simulated) time. Default 1. */
  speed?: number;
  /** Simulated time to keep running after the last frame, in ms. Default 1000. */
  settleMs?: number;
  /** usernet's random seed (ISNs, ports). Default 1. */
  seed?: number;
  tolerances?: Partial<Tolerances>;
  /** Differences where usernet is right to differ, from an expectation file. */
  allow?: readonly Allowance[];
  /** Known findings from an expectation file: labelled in the report, still failing. */
  findings?: readonly Allowance[];
}

export interface ReplayReport {
  name: string;
  endpoint: string;
  /** Peer frames fed, endpoint frames expected, usernet frames seen (compared). */
  fed: number;
  expected: number;
  seen: number;
  /** Things worth knowing that are not differences. */
  notes: string[];
  differences: Difference[];
  /** Expectations (allowances and findings) that matched no difference. */
  unusedAllowances: Allowance[];
  pass: boolean;
}

/** Replays `capture` with usernet as the endpoint `spec`. Throws only for unusable input. */
export function replayCapture(capture: PcapFile, spec: EndpointSpec, options: ReplayOptions = {}): ReplayReport {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const tol: Tolerances = { ...DEFAULT_TOLERANCES, ...options.tolerances };
  const first = capture.records[0]?.timeMs ?? 0;
  const notes: string[] = [];
  const packets: Packet[] = [];
  capture.records.forEach((rec, i) => {
    if (rec.truncated || rec.data.length < rec.origLen) {
      notes.push(`frame ${i + 1} was cut short by the capture (${rec.data.length} of ${rec.origLen} bytes): left out`);
      return;
    }
    packets.push(parsePacket(rec.data, capture.linkType, i + 1, (rec.timeMs - first) / speed));
  });
  const ep = findEndpoint(packets, spec, capture.linkType === 'ethernet');
  if (typeof ep === 'string') throw new Error(ep);
  const conversations = findConversations(ep, packets);
  const convKeys = new Set(conversations.map((c) => tupleKey(c.local, c.localPort, c.remote, c.remotePort)));
  const inScope = (p: Packet): boolean => {
    if (spec.port === undefined) return true;
    if (p.tcp !== undefined) {
      const t = endpointTuple(ep, p);
      return t === null || convKeys.has(tupleKey(t.local, t.localPort, t.remote, t.remotePort));
    }
    if (p.udp !== undefined && p.ip !== undefined) {
      const local = sentBy(ep, p) ? p.udp.srcPort : isEndpointAddress(ep, p.ip.dst) ? p.udp.dstPort : spec.port;
      return local === spec.port;
    }
    return true;
  };
  const expected = packets.filter((p) => sentBy(ep, p) && inScope(p));
  const feeds = packets.filter((p) => !sentBy(ep, p) && inScope(p));
  const script = deriveScript(ep, packets, conversations);
  notes.push(...script.notes);
  const mtu = Math.max(1500, ...packets.map((p) => (p.ip === undefined ? 0 : p.frame.length - p.ip.ipOffset)));
  const run = runReplay(ep, feeds, expected[expected.length - 1]?.timeMs ?? 0, conversations, script, new NeighbourProxy(ep, packets), {
    seed: options.seed ?? 1,
    settleMs: options.settleMs ?? 1000,
    mtu,
    linkType: capture.linkType,
  });
  if (run.startup.length > 0) {
    const what = run.startup.map((p) => (p.ip !== undefined ? `${subjectOf(p)} ${p.ip.src} > ${p.ip.dst}` : subjectOf(p))).join('; ');
    notes.push(`usernet's interface came up before the replay and sent ${run.startup.length} frame(s), not compared: ${what}`);
  }
  if (run.resolution.length > 0) notes.push(`${run.resolution.length} address resolution(s) by usernet answered for the peer (the capture has none: its endpoints had static neighbour entries): not compared`);
  if (run.clamped > 0) notes.push(`${run.clamped} peer acknowledgment(s) cut back to what usernet had sent`);
  if (run.unmapped > 0) notes.push(`${run.unmapped} peer acknowledgment(s) fed unmapped: usernet had not sent its SYN yet`);
  const differences: Difference[] = [];
  for (const u of run.unfinished) differences.push({ code: 'app', subject: 'app', text: u });
  for (const e of run.appErrors) differences.push({ code: 'app', subject: 'app', text: `application: ${e}` });
  for (const e of run.connectionErrors) {
    // A reset from the peer in the capture explains ECONNREFUSED / ECONNRESET; nothing else does.
    const c = e.conv;
    const peerReset = c !== undefined && feeds.some((p) => p.tcp !== undefined && (p.tcp.flags & TcpFlag.RST) !== 0 && c.frames.includes(p.number));
    if (peerReset && (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET')) notes.push(`connection error ${e.text}, as the peer's reset in the capture says`);
    else differences.push({ code: 'app', subject: 'app', text: `connection error ${e.text}` });
  }

  const tcpOf = (list: Packet[], key: string): Packet[] =>
    list.filter((p) => {
      const t = p.tcp !== undefined ? endpointTuple(ep, p) : null;
      return t !== null && tupleKey(t.local, t.localPort, t.remote, t.remotePort) === key;
    });
  for (const c of conversations) {
    const key = tupleKey(c.local, c.localPort, c.remote, c.remotePort);
    const exp = tcpOf(expected, key);
    const act = tcpOf(run.sent, key);
    differences.push(...compareTcp(c, exp, act, tcpOf(feeds, key), tol));
    const acks = pureAckCounts(exp, act);
    notes.push(`${c.local}:${c.localPort} ↔ ${c.remote}:${c.remotePort} (${c.role}): pure ACKs: capture ${acks.expected}, usernet ${acks.actual}`);
  }
  const strayTcp = run.sent.filter((p) => {
    const t = p.tcp !== undefined ? endpointTuple(ep, p) : null;
    return p.tcp !== undefined && (t === null || !convKeys.has(tupleKey(t.local, t.localPort, t.remote, t.remotePort)));
  });
  for (const p of strayTcp) differences.push({ code: 'extra', subject: 'tcp', text: `usernet frame ${p.number}: sent a segment on a conversation the capture does not have: ${p.ip!.src}:${p.tcp!.srcPort} > ${p.ip!.dst}:${p.tcp!.dstPort}` });
  differences.push(...compareMessages(expected.filter((p) => p.tcp === undefined), run.sent.filter((p) => p.tcp === undefined), tol));
  differences.sort((a, b) => (a.frame ?? Infinity) - (b.frame ?? Infinity));
  const unusedAllowances = applyExpectations(differences, options.allow ?? [], options.findings ?? []);
  return {
    name: options.name ?? 'capture',
    endpoint: describeEndpoint(ep),
    fed: run.fed,
    expected: expected.length,
    seen: run.sent.length,
    notes,
    differences,
    unusedAllowances,
    pass: !differences.some(counts),
  };
}

export { parseEndpointSpec, formatEndpointSpec, type EndpointSpec } from './endpoint';
export { expectationFor, expectationPathFor, readExpectations, type Allowance, type ReplayExpectation } from './expect';
export { formatReport } from './report';
export { DEFAULT_TOLERANCES, type Difference, type DiffCode, type Tolerances } from './difference';
