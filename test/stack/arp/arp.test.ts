import test from 'ava';
import { Stack } from '../../../stack/stack';
import { ArpOp, emitArp, parseArp, ARP_LEN, type ArpRepr } from '../../../stack/wire/arp';
import { EtherType } from '../../../stack/wire/ip-protocol';
import { IpAddress, MAC_BROADCAST, formatMac } from '../../../stack/wire/address';
import { isDrop } from '../../../stack/wire/drop';
import { eth, readEth, v4, PEER_MAC } from '../frames';
import { NEIGHBOUR_CACHE_MAX } from '../../../stack/neighbour/cache';

const OUR_MAC = '02:00:00:00:00:01';

function setup(): { s: Stack; iface: ReturnType<Stack['addInterface']> } {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24', mac: OUR_MAC, dad: false });
  s.drain(); // the gratuitous ARP and NDP announcements
  return { s, iface };
}

function arpFrame(r: Partial<ArpRepr> & { op: number; spa: number; tpa: number }, dst = MAC_BROADCAST): Uint8Array {
  const b = new Uint8Array(ARP_LEN);
  emitArp({ sha: PEER_MAC, tha: new Uint8Array(6), ...r }, b);
  return eth(dst, EtherType.ARP, b);
}

function sent(s: Stack): Uint8Array[] {
  return s.drain().flatMap((d) => d.frames);
}

test('gratuitous ARP announces an address when it is added', (t) => {
  const s = new Stack();
  s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24', mac: OUR_MAC, dad: false });
  const arps = sent(s).map(readEth).filter((e) => e.etherType === EtherType.ARP);
  t.is(arps.length, 1);
  const a = parseArp(arps[0]!.payload);
  if (isDrop(a)) return t.fail();
  t.deepEqual([a.op, a.spa, a.tpa, formatMac(a.sha), formatMac(arps[0]!.dst)], [ArpOp.Request, v4('10.0.0.1'), v4('10.0.0.1'), OUR_MAC, 'ff:ff:ff:ff:ff:ff']);
});

test('an ARP request for our address gets exactly one reply with the right fields (RFC 826)', (t) => {
  const { s, iface } = setup();
  s.input(iface, [arpFrame({ op: ArpOp.Request, spa: v4('10.0.0.9'), tpa: v4('10.0.0.1') })], 0);
  const out = sent(s);
  t.is(out.length, 1);
  const e = readEth(out[0]!);
  t.is(formatMac(e.dst), formatMac(PEER_MAC));
  t.is(formatMac(e.src), OUR_MAC);
  t.is(e.etherType, EtherType.ARP);
  const a = parseArp(e.payload);
  if (isDrop(a)) return t.fail(a.reason);
  t.deepEqual(
    { op: a.op, sha: formatMac(a.sha), spa: a.spa, tha: formatMac(a.tha), tpa: a.tpa },
    { op: ArpOp.Reply, sha: OUR_MAC, spa: v4('10.0.0.1'), tha: formatMac(PEER_MAC), tpa: v4('10.0.0.9') },
  );
  // The requester was learned (merge rule: we are the target).
  t.deepEqual(s.neighbours(iface).map((n) => [n.addr.toString(), n.state]), [['10.0.0.9', 'STALE']]);
});

test('requests for other addresses get no reply; unsolicited replies create no entry', (t) => {
  const { s, iface } = setup();
  s.input(iface, [arpFrame({ op: ArpOp.Request, spa: v4('10.0.0.9'), tpa: v4('10.0.0.77') })], 0);
  s.input(iface, [arpFrame({ op: ArpOp.Reply, spa: v4('10.0.0.66'), tpa: v4('10.0.0.1') }, iface.mac!)], 0);
  t.deepEqual(sent(s), []);
  t.deepEqual(s.neighbours(iface), []);
  const c = s.counters();
  t.is(c.drops.arp!['arp-not-for-us'], 1);
  t.is(c.counts.arp!.InReplies, 1);
});

test('resolution: request, retries every second, queued packets flushed by the reply', (t) => {
  const { s, iface } = setup();
  t.is(s.sendEcho('10.0.0.5', { sequence: 1 }, 0), null);
  t.is(s.sendEcho('10.0.0.5', { sequence: 2 }, 0), null);
  const req = sent(s).map(readEth);
  t.is(req.length, 1, 'one request for two packets');
  t.is(s.nextDeadline(), 1000);
  s.poll(1000);
  t.is(sent(s).length, 1, 'a retry');
  s.input(iface, [arpFrame({ op: ArpOp.Reply, spa: v4('10.0.0.5'), tpa: v4('10.0.0.1'), tha: iface.mac! }, iface.mac!)], 1100);
  const flushed = sent(s).map(readEth);
  t.deepEqual(flushed.map((e) => [e.etherType, formatMac(e.dst)]), [[EtherType.IPv4, formatMac(PEER_MAC)], [EtherType.IPv4, formatMac(PEER_MAC)]]);
  t.deepEqual(s.neighbours(iface).map((n) => n.state), ['REACHABLE']);
  t.true(s.isLocalAddress(IpAddress.parse('10.0.0.1')!));
});

test('an unanswered request gives up after three tries and drops the queue', (t) => {
  const { s } = setup();
  s.sendEcho('10.0.0.5', {}, 0);
  for (const at of [1000, 2000, 3000]) s.poll(at);
  t.is(sent(s).length, 3);
  t.is(s.counters().drops.ipv4!['ipv4-neighbour-unreachable'], 1);
  t.is(s.nextDeadline(), Infinity);
});

test('malformed ARP is dropped and counted', (t) => {
  const { s, iface } = setup();
  const bad = new Uint8Array(ARP_LEN);
  emitArp({ op: ArpOp.Request, sha: PEER_MAC, spa: v4('10.0.0.9'), tha: new Uint8Array(6), tpa: v4('10.0.0.1') }, bad);
  bad[1] = 6; // hardware type 6 (IEEE 802)
  s.input(iface, [eth(MAC_BROADCAST, EtherType.ARP, bad), eth(MAC_BROADCAST, EtherType.ARP, bad.subarray(0, 7))], 0);
  t.deepEqual(sent(s), []);
  t.deepEqual(s.counters().drops.arp, { 'arp-unsupported': 1, 'arp-truncated': 1 });
});

test('an ARP flood from thousands of senders keeps the cache within its bound', (t) => {
  const { s, iface } = setup();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) frames.push(arpFrame({ op: ArpOp.Request, spa: v4('10.0.0.0') + (i % 250) + 2 + Math.floor(i / 250) * 0x10000, tpa: v4('10.0.0.1') }));
  s.input(iface, frames, 0);
  t.true(iface.arp.size <= NEIGHBOUR_CACHE_MAX, `${iface.arp.size}`);
  t.is(s.counters().counts.arp!.OutReplies, 3000);
});
