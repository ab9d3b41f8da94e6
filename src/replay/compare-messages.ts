/**
 * Comparison of everything that is not a TCP segment — ARP (RFC 826), ICMP (RFC 792), ICMPv6
 * (RFC 4443) and NDP (RFC 4861), UDP (RFC 768), IP fragments (RFC 791 §3.2, RFC 8200 §4.5) —
 * by meaning: frames are grouped by what they are (their subject), paired in order within a
 * subject, and each pair's meaningful fields are compared, plus the time within tolerance.
 * Values that are a stack's own choice (IP identification, TTL, checksums) are not compared.
 */

import { IpAddress, formatIpv4, formatMac } from '../../stack/wire/address';
import type { Difference, Tolerances } from './difference';
import { icmpTypeOf, type Packet } from './packet';

const ICMPV4_NAMES: Record<number, string> = { 0: 'ICMP echo reply', 3: 'ICMP unreachable', 5: 'ICMP redirect', 8: 'ICMP echo request', 11: 'ICMP time exceeded', 12: 'ICMP parameter problem' };
const ICMPV6_NAMES: Record<number, string> = {
  1: 'ICMPv6 unreachable',
  2: 'ICMPv6 packet too big',
  3: 'ICMPv6 time exceeded',
  4: 'ICMPv6 parameter problem',
  128: 'ICMPv6 echo request',
  129: 'ICMPv6 echo reply',
  130: 'MLD query',
  131: 'MLDv1 report',
  132: 'MLD done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbour solicitation',
  136: 'neighbour advertisement',
  137: 'redirect',
  143: 'MLDv2 report',
};

/** What kind of frame `p` is, in words; frames of one subject are paired in order. */
export function subjectOf(p: Packet): string {
  if (p.arp !== undefined) return p.arp.op === 1 ? 'ARP request' : 'ARP reply';
  const ip = p.ip;
  if (ip === undefined) return p.drop ?? 'unreadable frame';
  if (ip.fragment !== undefined && ip.fragment.offset > 0) return `IPv${ip.family} fragment`;
  if (p.tcp !== undefined) return 'tcp';
  if (p.udp !== undefined) return 'UDP';
  if (p.icmp !== undefined) {
    const type = icmpTypeOf(p.icmp, ip.family);
    const name = (ip.family === 4 ? ICMPV4_NAMES : ICMPV6_NAMES)[type];
    return name ?? `ICMPv${ip.family === 4 ? 4 : 6} type ${type}`;
  }
  return `IP protocol ${ip.protocol}`;
}

/** A short digest of bytes, so that a line can say they differ without printing them. */
function digest(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return `${b.length} bytes #${h.toString(16).padStart(8, '0')}`;
}

/** The fields compared for `p`, by name; a field absent on one side counts as a difference. */
export function fieldsOf(p: Packet): Record<string, string> {
  const f: Record<string, string> = {};
  if (p.ethDst !== null) f['eth dst'] = formatMac(p.ethDst);
  if (p.arp !== undefined) {
    f['sender'] = `${formatIpv4(p.arp.spa)} ${formatMac(p.arp.sha)}`;
    f['target'] = p.arp.op === 1 ? formatIpv4(p.arp.tpa) : `${formatIpv4(p.arp.tpa)} ${formatMac(p.arp.tha)}`;
    return f;
  }
  const ip = p.ip;
  if (ip === undefined) return f;
  f['src'] = ip.src.toString();
  f['dst'] = ip.dst.toString();
  if (ip.fragment !== undefined) {
    f['fragment'] = `offset ${ip.fragment.offset} len ${ip.upperLength}${ip.fragment.more ? ' MF' : ''}`;
  }
  if (p.udp !== undefined) {
    f['ports'] = `${p.udp.srcPort} > ${p.udp.dstPort}`;
    f['payload'] = digest(p.udp.payload);
  }
  const m = p.icmp;
  if (m === undefined) return f;
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      f['id/seq'] = `${m.identifier}/${m.sequence}`;
      // A first fragment holds only part of the data; the fragment field covers the length.
      f['data'] = ip.fragment === undefined ? digest(m.data) : `first ${m.data.length} bytes #${digest(m.data).split('#')[1]}`;
      break;
    case 'destination-unreachable':
    case 'time-exceeded':
    case 'parameter-problem':
    case 'packet-too-big':
      f['code'] = String('code' in m ? m.code : 0);
      f['quoted'] = quoted(m.invoking, ip.family);
      break;
    case 'neighbor-solicitation':
      f['target'] = formatTarget(m.target);
      f['source lladdr'] = m.options.sourceLinkLayerAddress === undefined ? 'none' : formatMac(m.options.sourceLinkLayerAddress);
      break;
    case 'neighbor-advertisement':
      f['target'] = formatTarget(m.target);
      f['flags'] = `${m.router ? 'R' : ''}${m.solicited ? 'S' : ''}${m.override ? 'O' : ''}` || 'none';
      f['target lladdr'] = m.options.targetLinkLayerAddress === undefined ? 'none' : formatMac(m.options.targetLinkLayerAddress);
      break;
    default:
      break;
  }
  return f;
}

function formatTarget(t: Uint8Array): string {
  return IpAddress.v6(t).toString();
}

/** The quoted datagram's meaning: protocol, addresses and ports (the first 8 bytes of its data). */
function quoted(b: Uint8Array, family: 4 | 6): string {
  const hl = family === 4 ? (b.length > 0 ? (b[0]! & 0x0f) * 4 : 0) : 40;
  if (b.length < hl + 4) return `${b.length} bytes (too short to read)`;
  const proto = family === 4 ? b[9]! : b[6]!;
  const ports = `${(b[hl]! << 8) | b[hl + 1]!} > ${(b[hl + 2]! << 8) | b[hl + 3]!}`;
  return `proto ${proto} ports ${ports}`;
}

function describe(p: Packet, subject: string): string {
  const f = fieldsOf(p);
  const main = ['target', 'id/seq', 'fragment', 'ports', 'quoted'].filter((k) => f[k] !== undefined).map((k) => `${k} ${f[k]}`);
  const addr = p.ip !== undefined ? ` ${p.ip.src} > ${p.ip.dst}` : '';
  return `${subject}${addr}${main.length > 0 ? `, ${main.join(', ')}` : ''}`;
}

function ms(t: number): string {
  return `${t.toFixed(3)} ms`;
}

/** Fields that say which message a frame is (which ping, which target, which fragment). */
const IDENTITY = ['target', 'id/seq', 'ports', 'fragment', 'quoted'] as const;

function identity(p: Packet): string {
  const f = fieldsOf(p);
  return IDENTITY.map((k) => f[k] ?? '').join('|');
}

/**
 * Pairs the frames of one subject: first those with the same identity, in order; then what is
 * left, in order (so a frame that differs in an identifying field is still shown next to its
 * counterpart); the rest stays unpaired (missing or extra). Sorted by the expected frame.
 */
function pair(exp: Packet[], act: Packet[]): Array<[Packet | undefined, Packet | undefined]> {
  const partner = new Map<Packet, Packet>();
  const taken = new Set<Packet>();
  for (const e of exp) {
    const a = act.find((x) => !taken.has(x) && identity(x) === identity(e));
    if (a !== undefined) {
      partner.set(e, a);
      taken.add(a);
    }
  }
  const restA = act.filter((a) => !taken.has(a));
  for (const e of exp) {
    if (partner.has(e) || restA.length === 0) continue;
    const a = restA.shift()!;
    partner.set(e, a);
    taken.add(a);
  }
  const out: Array<[Packet | undefined, Packet | undefined]> = exp.map((e) => [e, partner.get(e)]);
  for (const a of act) if (!taken.has(a)) out.push([undefined, a]);
  return out;
}

/** Differences between the endpoint's non-TCP frames and usernet's. */
export function compareMessages(expected: Packet[], actual: Packet[], tol: Tolerances): Difference[] {
  const out: Difference[] = [];
  const groups = new Map<string, { exp: Packet[]; act: Packet[] }>();
  const group = (s: string): { exp: Packet[]; act: Packet[] } => {
    let g = groups.get(s);
    if (g === undefined) groups.set(s, (g = { exp: [], act: [] }));
    return g;
  };
  for (const p of expected) group(subjectOf(p)).exp.push(p);
  for (const p of actual) group(subjectOf(p)).act.push(p);
  for (const [subject, g] of groups) {
    for (const [e, a] of pair(g.exp, g.act)) {
      if (a === undefined) {
        out.push({ code: 'missing', subject, frame: e!.number, text: `frame ${e!.number}: expected ${describe(e!, subject)} at ${ms(e!.timeMs)}, usernet sent none` });
        continue;
      }
      if (e === undefined) {
        out.push({ code: 'extra', subject, text: `usernet frame ${a.number}: sent ${describe(a, subject)} at ${ms(a.timeMs)}, the capture has no such frame` });
        continue;
      }
      const ef = fieldsOf(e);
      const af = fieldsOf(a);
      for (const k of new Set([...Object.keys(ef), ...Object.keys(af)])) {
        if (ef[k] === af[k]) continue;
        out.push({ code: 'field', subject, frame: e.number, text: `frame ${e.number}: ${describe(e, subject)}: ${k} expected ${ef[k] ?? 'absent'}, usernet ${af[k] ?? 'absent'} (usernet frame ${a.number})` });
      }
      const dt = a.timeMs - e.timeMs;
      if (Math.abs(dt) > tol.timeMs) {
        out.push({ code: 'timing', subject, frame: e.number, text: `frame ${e.number}: ${describe(e, subject)} at ${ms(e.timeMs)}, usernet at ${ms(a.timeMs)}: ${dt > 0 ? 'later' : 'earlier'} by ${ms(Math.abs(dt))}, tolerance ${tol.timeMs} ms` });
      }
    }
  }
  return out;
}
