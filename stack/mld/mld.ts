/**
 * Multicast Listener Discovery for a host: MLDv2 (RFC 3810 §6, the Multicast Listener side)
 * with MLDv1 compatibility (§8, RFC 2710). An interface listens to the solicited-node groups of
 * its addresses (RFC 4291 §2.7.1, joined for NDP and DAD, RFC 4862 §5.4.2) and to all-nodes;
 * MLD-snooping switches forward a group to a port only after hearing a report for it, so:
 *
 * - a joined group is announced with an unsolicited State Change Report (CHANGE_TO_EXCLUDE {}),
 *   sent [Robustness Variable] = 2 times, the repetition after a random delay in
 *   (0, Unsolicited Report Interval] (§6.1); a left group likewise with CHANGE_TO_INCLUDE {}.
 *   A new change goes out at once, with the changes still being repeated in the same report;
 * - a General Query is answered after a random delay within its Maximum Response Delay with one
 *   Current State Report (MODE_IS_EXCLUDE {} per group); a Multicast Address Specific Query for
 *   one of our groups likewise, and an Address and Source Specific one with MODE_IS_INCLUDE of the
 *   queried sources, which our EXCLUDE {} state does not block (§6.2, §6.3);
 * - after an MLDv1 query, reports are MLDv1 Reports and leaves Dones, until the Older Version
 *   Querier Present Timeout passes (§8.2.1).
 *
 * §6: "no MLD messages are ever sent regarding neither the link-scope all-nodes multicast address,
 * nor any multicast address of scope 0 (reserved) or 1 (node-local)", so all-nodes is never
 * reported. Messages go to ff02::16 (v2) with hop limit 1 and a Router Alert option, from the
 * link-local address or `::` when there is none yet (§5.2.13, RFC 3590).
 *
 * Joins and leaves are found by comparing the groups the interface's addresses imply with the
 * groups reported, at every poll: whoever adds or removes an address need not tell MLD.
 */

import createDebug from 'debug';
import { IpAddress } from '../wire/address';
import { pseudoHeaderSumV6 } from '../wire/checksum';
import { IpProtocol } from '../wire/ip-protocol';
import { isDrop } from '../wire/drop';
import {
  emitMld, emitMldHopByHop, maxResponseDelayMs, mldLen, parseMld, MldRecordType, MLD_HOP_BY_HOP_LEN, ROUTER_ALERT_MLD,
  type MldAddressRecord, type MldQuery, type MldRepr,
} from '../wire/mld';
import type { NetHost } from '../ip/host';
import { solicitedNodeGroup, type NetInterface } from '../iface/interface';
import { isLinkLocal, sendIpv6 } from '../ipv6/output';
import type { Icmpv6Context } from '../icmp/icmpv6';

const log = createDebug('usernet:ndp');

/** RFC 3810 §9.1 Robustness Variable: each state change is reported this many times. */
export const MLD_ROBUSTNESS = 2;
/** §9.11 Unsolicited Report Interval. */
export const MLD_UNSOLICITED_REPORT_INTERVAL_MS = 1_000;
/** §9.2 Query Interval and §9.3 Query Response Interval, for the timeout below. */
export const MLD_QUERY_INTERVAL_MS = 125_000;
export const MLD_QUERY_RESPONSE_INTERVAL_MS = 10_000;
/** §9.12 Older Version Querier Present Timeout: Robustness × Query Interval + Query Response Interval. */
export const MLD_OLDER_VERSION_QUERIER_PRESENT_MS = MLD_ROBUSTNESS * MLD_QUERY_INTERVAL_MS + MLD_QUERY_RESPONSE_INTERVAL_MS;
/**
 * Sources remembered for a pending source-specific answer: what fits in one report of the
 * minimum MTU (1280 − 40 − 8 hop-by-hop − 8 report − 20 record header) / 16.
 */
export const MLD_MAX_PENDING_SOURCES = 75;
/** Groups left but still being reported as left; addresses come and go rarely. */
export const MLD_MAX_LEAVING = 64;

/** RFC 3810 §5.2.14: all MLDv2-capable routers. */
const ALL_MLDV2_ROUTERS = IpAddress.parse('ff02::16')!;
/** RFC 2710 §3.7: Done messages go to all-routers. */
const ALL_ROUTERS = IpAddress.parse('ff02::2')!;
const UNSPECIFIED = IpAddress.parse('::')!;

/** A group's change still to be (re)sent in State Change Reports: `left` more times. */
interface Change {
  group: IpAddress;
  left: number;
}

/** A pending answer to a Multicast Address (and Source) Specific Query; `sources` null = the whole group. */
interface SpecificAnswer {
  group: IpAddress;
  at: number;
  sources: IpAddress[] | null;
}

interface MldState {
  enabled: boolean;
  /** Groups reported as joined, by key. */
  joined: Map<string, IpAddress>;
  joins: Map<string, Change>;
  leaves: Map<string, Change>;
  /** §6.1: when the next State Change Report (retransmission) is due; one timer per interface. */
  changeAt: number;
  /** §6.2 interface timer: when the answer to a General Query is due. */
  generalAt: number;
  specific: Map<string, SpecificAnswer>;
  /** §8.2.1: until then an MLDv1 querier is present and we speak MLDv1. */
  v1Until: number;
  /** `groupsOf`'s memo: the addresses it was computed from and the groups they imply. */
  groupsFrom: IpAddress[];
  groups: Map<string, IpAddress>;
}

const states = new WeakMap<NetInterface, MldState>();
function stateOf(iface: NetInterface): MldState {
  let s = states.get(iface);
  if (s === undefined) {
    s = { enabled: false, joined: new Map(), joins: new Map(), leaves: new Map(), changeAt: Infinity, generalAt: Infinity, specific: new Map(), v1Until: -Infinity, groupsFrom: [], groups: new Map() };
    states.set(iface, s);
  }
  return s;
}

/** Turns MLD on or off for `iface` (off until turned on; only Ethernet links report); off forgets all state. */
export function setMldEnabled(iface: NetInterface, enabled: boolean): void {
  const s = stateOf(iface);
  s.enabled = enabled;
  if (enabled) return;
  for (const m of [s.joined, s.joins, s.leaves, s.specific]) m.clear();
  s.generalAt = Infinity;
  s.changeAt = Infinity;
}

function active(iface: NetInterface): MldState | null {
  if (iface.linkType !== 'ethernet') return null;
  const s = stateOf(iface);
  return s.enabled ? s : null;
}

/** The groups MLD reports for `iface`: the solicited-node group of every address (tentative too), once each. */
export function mldGroups(iface: NetInterface): IpAddress[] {
  const out = new Map<string, IpAddress>();
  for (const a of iface.ipv6) {
    const g = solicitedNodeGroup(a.address);
    out.set(g.key, g);
  }
  return [...out.values()];
}

/**
 * `mldGroups` by key, recomputed only when the interface's addresses changed: polls and deadline
 * queries ask on every flush, and the addresses almost never change.
 */
function groupsOf(iface: NetInterface, s: MldState): Map<string, IpAddress> {
  const list = iface.ipv6;
  let same = list.length === s.groupsFrom.length;
  for (let i = 0; same && i < list.length; i++) same = list[i]!.address === s.groupsFrom[i];
  if (!same) {
    s.groupsFrom = list.map((a) => a.address);
    s.groups = new Map(mldGroups(iface).map((g) => [g.key, g]));
  }
  return s.groups;
}

/** A random delay in [lo, hi] ms from the stack's seeded source. */
function jitter(host: NetHost, lo: number, hi: number): number {
  return lo + (host.random.next32() % (Math.max(0, hi - lo) + 1));
}

/** Finds joins and leaves, and sends what is due. Called from `Stack.poll` for each interface. */
export function mldPoll(host: NetHost, iface: NetInterface, now: number): void {
  const s = active(iface);
  if (s === null) return;
  const current = groupsOf(iface, s);
  for (const [k, g] of current) {
    if (s.joined.has(k)) continue;
    s.joined.set(k, g);
    s.leaves.delete(k);
    s.joins.set(k, { group: g, left: MLD_ROBUSTNESS });
    s.changeAt = now;
    log('%s: joined %s', iface.name, g.toString());
  }
  for (const [k, g] of s.joined) {
    if (current.has(k)) continue;
    s.joined.delete(k);
    s.joins.delete(k);
    s.specific.delete(k);
    if (s.leaves.size < MLD_MAX_LEAVING) s.leaves.set(k, { group: g, left: s.v1Until > now ? 1 : MLD_ROBUSTNESS });
    s.changeAt = now;
    log('%s: left %s', iface.name, g.toString());
  }
  const v1 = s.v1Until > now;
  // State changes (§6.1): a change is sent at once, together with the earlier changes still
  // being retransmitted, in one report (v2) or one message each (v1).
  let joins: IpAddress[] = [];
  let leaves: IpAddress[] = [];
  if (s.changeAt <= now) {
    joins = takeChanges(s.joins);
    leaves = takeChanges(s.leaves);
    s.changeAt = s.joins.size + s.leaves.size > 0 ? now + jitter(host, 1, MLD_UNSOLICITED_REPORT_INTERVAL_MS) : Infinity;
  }
  if (v1) {
    for (const g of joins) sendMld(host, iface, g, { kind: 'report-v1', group: g.bytes }, now);
    for (const g of leaves) sendMld(host, iface, ALL_ROUTERS, { kind: 'done', group: g.bytes }, now);
  } else if (joins.length + leaves.length > 0) {
    const records = [
      ...joins.map((g) => record(MldRecordType.ChangeToExcludeMode, g)),
      ...leaves.map((g) => record(MldRecordType.ChangeToIncludeMode, g)),
    ];
    sendMld(host, iface, ALL_MLDV2_ROUTERS, { kind: 'report-v2', records }, now);
  }
  // Answers to queries (§6.2, §6.3).
  if (s.generalAt <= now) {
    s.generalAt = Infinity;
    s.specific.clear();
    const groups = [...s.joined.values()];
    if (v1) for (const g of groups) sendMld(host, iface, g, { kind: 'report-v1', group: g.bytes }, now);
    else if (groups.length > 0) sendMld(host, iface, ALL_MLDV2_ROUTERS, { kind: 'report-v2', records: groups.map((g) => record(MldRecordType.ModeIsExclude, g)) }, now);
  }
  const answers = [...s.specific.values()].filter((a) => a.at <= now);
  for (const a of answers) s.specific.delete(a.group.key);
  if (v1) for (const a of answers) sendMld(host, iface, a.group, { kind: 'report-v1', group: a.group.bytes }, now);
  else if (answers.length > 0) {
    const records = answers.map((a) => (a.sources === null ? record(MldRecordType.ModeIsExclude, a.group) : record(MldRecordType.ModeIsInclude, a.group, a.sources)));
    sendMld(host, iface, ALL_MLDV2_ROUTERS, { kind: 'report-v2', records }, now);
  }
}

/** Every pending change's group, counting one transmission; finished changes are forgotten. */
function takeChanges(changes: Map<string, Change>): IpAddress[] {
  const groups: IpAddress[] = [];
  for (const [k, c] of changes) {
    groups.push(c.group);
    if (--c.left <= 0) changes.delete(k);
  }
  return groups;
}

function record(type: number, group: IpAddress, sources: readonly IpAddress[] = []): MldAddressRecord {
  return { type, group: group.bytes, sources: sources.map((x) => x.bytes), auxData: new Uint8Array(0) };
}

export function mldNextDeadline(iface: NetInterface): number {
  const s = active(iface);
  if (s === null) return Infinity;
  // An address added or removed since the last poll: report at once.
  const groups = groupsOf(iface, s);
  if (groups.size !== s.joined.size) return 0;
  for (const k of groups.keys()) if (!s.joined.has(k)) return 0;
  let t = Math.min(s.generalAt, s.changeAt);
  for (const a of s.specific.values()) t = Math.min(t, a.at);
  return t;
}

/**
 * An MLD message (ICMPv6 type 130–132 or 143) whose ICMPv6 checksum passed. Queries must come
 * from a link-local address with hop limit 1 and a Router Alert option (RFC 3810 §6.2, §5.1.14);
 * other listeners' reports are counted and ignored (a v2 host does no report suppression, §6).
 */
export function mldInput(host: NetHost, ctx: Icmpv6Context, payload: Uint8Array, now: number): void {
  const c = host.counters;
  const m = parseMld(payload);
  if (isDrop(m)) return void c.drop('icmpv6', m);
  if (m.kind !== 'query') {
    c.add('icmpv6', m.kind === 'report-v2' ? 'InMLDv2Reports' : m.kind === 'report-v1' ? 'InGroupMembResponses' : 'InGroupMembReductions');
    return;
  }
  c.add('icmpv6', 'InGroupMembQueries');
  if (!isLinkLocal(ctx.src) || ctx.hopLimit !== 1 || ctx.routerAlert !== ROUTER_ALERT_MLD) return void c.drop('icmpv6', 'mld-bad-query');
  const s = active(ctx.iface);
  if (s === null) return;
  query(host, s, m, now);
}

function query(host: NetHost, s: MldState, m: MldQuery, now: number): void {
  // §8.2.1: an MLDv1 query switches us to MLDv1 for the Older Version Querier Present Timeout.
  if (m.version === 1) s.v1Until = now + MLD_OLDER_VERSION_QUERIER_PRESENT_MS;
  const maxDelay = m.version === 1 ? m.maxResponseCode : maxResponseDelayMs(m.maxResponseCode);
  const at = now + jitter(host, 0, maxDelay);
  const group = IpAddress.v6(m.group);
  // §6.2 rule 1: a pending General Query answer due sooner covers this query.
  if (s.generalAt <= at) return;
  if (group.isUnspecified()) {
    s.generalAt = at; // rule 2
    return;
  }
  if (!s.joined.has(group.key)) return; // no reception state: no answer (§6.3)
  const pending = s.specific.get(group.key);
  const sources = m.version === 2 && m.sources.length > 0 ? m.sources.map((x) => IpAddress.v6(x)) : null;
  if (pending === undefined) {
    s.specific.set(group.key, { group, at, sources: sources?.slice(0, MLD_MAX_PENDING_SOURCES) ?? null }); // rule 3
    return;
  }
  // Rule 4: the earlier time; the source lists merge, and a whole-group query wins over both.
  pending.at = Math.min(pending.at, at);
  if (pending.sources === null || sources === null) pending.sources = null;
  else for (const x of sources) if (pending.sources.length < MLD_MAX_PENDING_SOURCES && !pending.sources.some((y) => y.equals(x))) pending.sources.push(x);
}

/** Sends one MLD message to `dst` on `iface`: Hop-by-Hop with Router Alert, hop limit 1 (§5). */
function sendMld(host: NetHost, iface: NetInterface, dst: IpAddress, m: MldRepr, now: number): void {
  const src = iface.linkLocal() ?? UNSPECIFIED;
  const len = mldLen(m);
  const payload = new Uint8Array(MLD_HOP_BY_HOP_LEN + len);
  emitMldHopByHop(payload, 0, IpProtocol.ICMPv6);
  emitMld(m, payload, pseudoHeaderSumV6(src.bytes, dst.bytes, IpProtocol.ICMPv6, len), MLD_HOP_BY_HOP_LEN);
  const c = host.counters;
  c.add('icmpv6', 'OutMsgs');
  c.add('icmpv6', m.kind === 'report-v2' ? 'OutMLDv2Reports' : m.kind === 'report-v1' ? 'OutGroupMembResponses' : 'OutGroupMembReductions');
  sendIpv6(host, { src, dst, nextHeader: IpProtocol.HopByHop, payload, hopLimit: 1, iface }, now);
}
