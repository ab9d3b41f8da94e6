import test from 'ava';
import fc from 'fast-check';
import { Stack } from '../../../stack/stack';
import { EtherType, IpProtocol } from '../../../stack/wire/ip-protocol';
import { formatIpv6, formatMac } from '../../../stack/wire/address';
import { pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { isDrop } from '../../../stack/wire/drop';
import { emitMld, emitMldHopByHop, mldLen, parseMld, describeMld, type MldRepr } from '../../../stack/wire/mld';
import { MLD_UNSOLICITED_REPORT_INTERVAL_MS } from '../../../stack/mld/mld';
import { eth, icmp6, ipv6, readIpv6, v6, PEER_MAC } from '../frames';

const OUR_MAC = '02:00:00:00:00:01';
const LL = 'fe80::ff:fe00:1'; // EUI-64 of 02:00:00:00:00:01; its solicited-node group is fd00::1's too
const QUERIER = v6('fe80::99');
const hex = (s: string): number[] => [...Buffer.from(s.replace(/\/\/.*$/gm, '').replace(/\s+/g, ''), 'hex')];

/** The whole frame usernet sends to join ff02::1:ff00:1 (checksum computed independently). */
const JOIN_FRAME = hex(`
  333300000016 020000000001 86dd      // Ethernet: to 33:33:00:00:00:16 (ff02::16), IPv6
  60000000 0024 00 01                 // IPv6: payload 36, next header 0 (Hop-by-Hop), hop limit 1
  fe80000000000000000000fffe000001    // source fe80::ff:fe00:1 (link-local)
  ff020000000000000000000000000016    // destination ff02::16 (all MLDv2-capable routers)
  3a 00 05 02 0000 01 00              // Hop-by-Hop: next 58, Router Alert value 0 (MLD), PadN
  8f 00 7207 0000 0001                // MLDv2 report, checksum, 1 record
  04 00 0000                          // CHANGE_TO_EXCLUDE_MODE, no aux data, no sources
  ff0200000000000000000001ff000001    // ff02::1:ff00:1
`);

function setup(options: { dad?: boolean; ipv6?: string[]; mld?: boolean } = {}): { s: Stack; iface: ReturnType<Stack['addInterface']>; send: (p: Uint8Array, now: number, dst?: Uint8Array) => void; out: () => Uint8Array[] } {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv6: options.ipv6 ?? ['fd00::1/64'], mac: OUR_MAC, dad: options.dad ?? false, mld: options.mld ?? true });
  const send = (p: Uint8Array, now: number, dst: Uint8Array = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1)): void => s.input(iface, [eth(dst, EtherType.IPv6, p)], now);
  s.drain(); // unsolicited neighbour advertisements of addresses without DAD (RFC 4861 §7.2.6)
  return { s, iface, send, out: () => s.drain().flatMap((d) => d.frames) };
}

/** An MLD message from `src` to `dst` as a querier sends it: Hop-by-Hop with Router Alert (unless `alert` is false). */
function mldPacket(m: MldRepr, dst: Uint8Array, o: { src?: Uint8Array; hopLimit?: number; alert?: boolean } = {}): Uint8Array {
  const src = o.src ?? QUERIER;
  const len = mldLen(m);
  if (o.alert === false) {
    const body = new Uint8Array(len);
    emitMld(m, body, pseudoHeaderSumV6(src, dst, IpProtocol.ICMPv6, len));
    return ipv6(src, dst, IpProtocol.ICMPv6, body, o.hopLimit ?? 1);
  }
  const payload = new Uint8Array(8 + len);
  emitMldHopByHop(payload);
  emitMld(m, payload, pseudoHeaderSumV6(src, dst, IpProtocol.ICMPv6, len), 8);
  return ipv6(src, dst, IpProtocol.HopByHop, payload, o.hopLimit ?? 1);
}

const generalQuery = (maxResponseCode: number, version: 1 | 2 = 2): MldRepr => ({ kind: 'query', version, maxResponseCode, group: new Uint8Array(16), suppressRouterProcessing: false, qrv: 2, qqic: 125, sources: [] });

/** `src > dst hop N: <MLD description>` for each MLD frame; other frames by their ICMPv6 type. */
function describe(frames: Uint8Array[]): string[] {
  return frames.map((f) => {
    const ip = readIpv6(f);
    const hbh = ip.extensions[0];
    const m = parseMld(ip.upperLayerPayload, pseudoHeaderSumV6(ip.src, ip.dst, IpProtocol.ICMPv6, ip.upperLayerPayload.length));
    const what = isDrop(m) ? `icmp6 type ${ip.upperLayerPayload[0]}` : describeMld(m);
    const ra = hbh?.type === 0 ? ' RA' : '';
    return `${formatIpv6(ip.src)} > ${formatIpv6(ip.dst)} (${formatMac(f.subarray(0, 6))}) hop ${ip.hopLimit}${ra}: ${what}`;
  });
}

test('a joined group is reported twice (robustness 2), the second within the Unsolicited Report Interval — exact frames', (t) => {
  const { s, out } = setup();
  t.is(s.nextDeadline(), 0, 'a new group is reported at once');
  s.poll(0);
  const first = out();
  t.deepEqual(first.map((f) => [...f]), [JOIN_FRAME]);
  const next = s.nextDeadline();
  t.true(next > 0 && next <= MLD_UNSOLICITED_REPORT_INTERVAL_MS, `repeat at ${next}`);
  s.poll(next - 1);
  t.deepEqual(out(), []);
  s.poll(next);
  t.deepEqual(out().map((f) => [...f]), [JOIN_FRAME]);
  t.is(s.nextDeadline(), Infinity, 'nothing more to say');
  t.is(s.counters().counts.icmpv6!.OutMLDv2Reports, 2);
});

test('all-nodes is never reported (RFC 3810 §6); a second address adds its group; off by default', (t) => {
  const { s, out } = setup({ ipv6: ['fd00::1/64', 'fd00::2:abcd/64'] });
  s.poll(0);
  t.deepEqual(describe(out()), [`${LL} > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 2 record(s) [to_ex ff02::1:ff00:1 { }] [to_ex ff02::1:ff02:abcd { }]`]);
  const quiet = setup({ mld: false });
  quiet.s.poll(0);
  quiet.s.poll(5000);
  t.deepEqual(quiet.out(), []);
});

test('during DAD the report comes first and from :: (RFC 3590); a duplicate address is left with CHANGE_TO_INCLUDE', (t) => {
  const { s, send, out } = setup({ dad: true, ipv6: ['fd00::2:abcd/64'] });
  s.poll(0);
  t.deepEqual(describe(out()), [
    ':: > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 2 record(s) [to_ex ff02::1:ff00:1 { }] [to_ex ff02::1:ff02:abcd { }]',
    ':: > ff02::1:ff00:1 (33:33:ff:00:00:01) hop 255: icmp6 type 135',
    ':: > ff02::1:ff02:abcd (33:33:ff:02:ab:cd) hop 255: icmp6 type 135',
  ]);
  // Another node advertises fd00::2:abcd: DAD fails, the address and its group go.
  send(ipv6(v6('fe80::77'), v6('ff02::1'), IpProtocol.ICMPv6, icmp6(v6('fe80::77'), v6('ff02::1'), { kind: 'neighbor-advertisement', router: false, solicited: false, override: true, target: v6('fd00::2:abcd'), options: { targetLinkLayerAddress: PEER_MAC } }), 255), 10);
  t.is(s.nextDeadline(), 0);
  s.poll(10);
  // §6.1: the new change goes out at once, with the join still owed its repetition.
  t.deepEqual(describe(out()), [':: > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 2 record(s) [to_ex ff02::1:ff00:1 { }] [to_in ff02::1:ff02:abcd { }]']);
  for (let now = 11; now <= 3000; now = Math.max(now + 1, s.nextDeadline())) s.poll(now);
  const later = describe(out()).filter((l) => l.includes('MLD'));
  t.is(later.length, 1, later.join('\n'));
  t.regex(later[0]!, /^(::|fe80::ff:fe00:1) > ff02::16 \(33:33:00:00:00:16\) hop 1 RA: MLDv2 report, 1 record\(s\) \[to_in ff02::1:ff02:abcd \{ \}\]$/);
});

test('a General Query is answered within its Maximum Response Delay with every group as MODE_IS_EXCLUDE {} (RFC 3810 §6.2)', (t) => {
  const { s, send, out } = setup({ ipv6: ['fd00::1/64', 'fd00::2:abcd/64'] });
  for (let now = 0; now < 2000; now = Math.max(now + 1, s.nextDeadline())) s.poll(now);
  out();
  send(mldPacket(generalQuery(500), v6('ff02::1')), 10_000);
  const at = s.nextDeadline();
  t.true(at >= 10_000 && at <= 10_500, `answer at ${at}`);
  // A second query with a longer delay changes nothing (rule 1).
  send(mldPacket(generalQuery(10_000), v6('ff02::1')), 10_001);
  t.is(s.nextDeadline(), at);
  s.poll(at);
  t.deepEqual(describe(out()), [`${LL} > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 2 record(s) [is_ex ff02::1:ff00:1 { }] [is_ex ff02::1:ff02:abcd { }]`]);
  t.is(s.nextDeadline(), Infinity);
});

test('queries without hop limit 1, Router Alert, or a link-local source are dropped (RFC 3810 §5.1.14)', (t) => {
  const { s, send, out } = setup();
  s.poll(0);
  s.poll(1000);
  out();
  send(mldPacket(generalQuery(100), v6('ff02::1'), { hopLimit: 64 }), 5000);
  send(mldPacket(generalQuery(100), v6('ff02::1'), { alert: false }), 5000);
  send(mldPacket(generalQuery(100), v6('ff02::1'), { src: v6('fd00::99') }), 5000);
  t.is(s.nextDeadline(), Infinity);
  t.is(s.counters().drops.icmpv6!['mld-bad-query'], 3);
  t.is(s.counters().counts.icmpv6!.InGroupMembQueries, 3);
});

test('address-specific queries: ours answered (with sources as MODE_IS_INCLUDE), others ignored (RFC 3810 §6.3)', (t) => {
  const { s, send, out } = setup();
  s.poll(0);
  s.poll(1000);
  out();
  const group = v6('ff02::1:ff00:1');
  const specific = (g: Uint8Array, sources: Uint8Array[] = []): MldRepr => ({ kind: 'query', version: 2, maxResponseCode: 0, group: g, suppressRouterProcessing: false, qrv: 2, qqic: 125, sources });
  send(mldPacket(specific(v6('ff02::1:ff99:9999')), v6('ff02::1:ff99:9999')), 2000);
  t.is(s.nextDeadline(), Infinity, 'not our group');
  send(mldPacket(specific(group, [v6('fe80::5'), v6('fe80::6')]), group), 2000, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  t.is(s.nextDeadline(), 2000, 'maximum response code 0: at once');
  s.poll(2000);
  t.deepEqual(describe(out()), [`${LL} > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 1 record(s) [is_in ff02::1:ff00:1 { fe80::5 fe80::6 }]`]);
  send(mldPacket(specific(group), group), 3000, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  s.poll(3000);
  t.deepEqual(describe(out()), [`${LL} > ff02::16 (33:33:00:00:00:16) hop 1 RA: MLDv2 report, 1 record(s) [is_ex ff02::1:ff00:1 { }]`]);
});

test('after an MLDv1 query we answer with MLDv1 reports to the group itself (RFC 3810 §8.2.1)', (t) => {
  const { s, send, out } = setup();
  s.poll(0);
  s.poll(1000);
  out();
  send(mldPacket(generalQuery(0, 1), v6('ff02::1')), 5000);
  s.poll(5000);
  t.deepEqual(describe(out()), [`${LL} > ff02::1:ff00:1 (33:33:ff:00:00:01) hop 1 RA: MLDv1 report ff02::1:ff00:1`]);
  t.is(s.counters().counts.icmpv6!.OutGroupMembResponses, 1);
});

test('property: any MLD-typed message with a good checksum is handled without throwing, and bounded work follows', (t) => {
  fc.assert(fc.property(fc.constantFrom(130, 131, 132, 143), fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 10_000 }), (type, body, now) => {
    const { s, send, out } = setup();
    const msg = Uint8Array.from([type, 0, 0, 0, ...body]);
    const dst = v6('ff02::1');
    const sum = pseudoHeaderSumV6(QUERIER, dst, IpProtocol.ICMPv6, msg.length);
    // Fill in the checksum so that the message reaches MLD (RFC 4443 §2.3).
    let acc = sum;
    for (let i = 0; i < msg.length; i += 2) acc += (msg[i]! << 8) | (msg[i + 1] ?? 0);
    while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
    const ck = ~acc & 0xffff;
    msg[2] = ck >> 8;
    msg[3] = ck & 0xff;
    const p = new Uint8Array(8 + msg.length);
    emitMldHopByHop(p);
    p.set(msg, 8);
    send(ipv6(QUERIER, dst, IpProtocol.HopByHop, p, 1), now);
    for (let i = 0, at = now; i < 10 && s.nextDeadline() !== Infinity; i++) (at = Math.max(at, s.nextDeadline())), s.poll(at);
    out();
    return s.nextDeadline() === Infinity;
  }), { seed: 3810, numRuns: 200 });
  t.pass();
});
