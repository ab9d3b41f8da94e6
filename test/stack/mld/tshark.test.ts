/**
 * usernet's MLD messages as Wireshark reads them: the reports a stack sends when it joins its
 * groups and when it answers queries (v2 and v1) are written to a pcap and decoded by tshark,
 * which must see MLDv2 reports (ICMPv6 type 143) with good checksums, hop limit 1 and a Router
 * Alert for MLD. Skips, saying so, when tshark is not installed (`make debs` installs it).
 */

import test from 'ava';
import { execFile, spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { Stack } from '../../../stack/stack';
import { EtherType, IpProtocol } from '../../../stack/wire/ip-protocol';
import { pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { emitMld, emitMldHopByHop, mldLen, type MldRepr } from '../../../stack/wire/mld';
import { writePcap } from '../../../drivers/pcap/write';
import { eth, ipv6, v6 } from '../frames';

const run = promisify(execFile);
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

const FIELDS = ['ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'ipv6.hopopts.nxt', 'ipv6.opt.router_alert', 'icmpv6.type', 'icmpv6.checksum.status', 'icmpv6.mldr.nb_mcast_records', 'icmpv6.mldr.mar.record_type', 'icmpv6.mldr.mar.multicast_address', 'icmpv6.mld.multicast_address'];

function query(version: 1 | 2): Uint8Array {
  const m: MldRepr = { kind: 'query', version, maxResponseCode: 0, group: new Uint8Array(16), suppressRouterProcessing: false, qrv: 2, qqic: 125, sources: [] };
  const src = v6('fe80::99');
  const dst = v6('ff02::1');
  const len = mldLen(m);
  const p = new Uint8Array(8 + len);
  emitMldHopByHop(p);
  emitMld(m, p, pseudoHeaderSumV6(src, dst, IpProtocol.ICMPv6, len), 8);
  return eth(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), EtherType.IPv6, ipv6(src, dst, IpProtocol.HopByHop, p, 1));
}

(hasTshark ? test : test.skip)('tshark decodes usernet\'s joins and query answers as MLDv2 reports (and MLDv1 after a v1 query)', async (t) => {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv6: ['fd00::1/64', 'fd00::2:abcd/64'], mac: '02:00:00:00:00:01', dad: false, mld: true });
  s.drain();
  const frames: Uint8Array[] = [];
  const take = (): void => void frames.push(...s.drain().flatMap((d) => d.frames));
  for (let now = 0; now < 2000; now = Math.max(now + 1, s.nextDeadline())) (s.poll(now), take());
  s.input(iface, [query(2)], 3000);
  s.poll(3000);
  take();
  s.input(iface, [query(1)], 4000);
  s.poll(4000);
  take();
  t.is(frames.length, 2 + 1 + 2);
  const dir = mkdtempSync(join(tmpdir(), `usernet-mld-${process.pid}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'mld.pcap');
  writeFileSync(file, writePcap(frames.map((data, i) => ({ data, timeMs: i })), 'ethernet'));
  const { stdout } = await run('tshark', ['-r', file, '-o', 'icmpv6.checksum_validation:TRUE', '-T', 'fields', '-E', 'separator=|', ...FIELDS.flatMap((f) => ['-e', f])]).catch(async () =>
    // Older tshark has no such preference: ICMPv6 checksums are then verified by default.
    run('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', ...FIELDS.flatMap((f) => ['-e', f])]));
  const rows = stdout.trim().split('\n');
  const join2 = ['ff02::1:ff00:1,ff02::1:ff02:abcd'];
  t.deepEqual(rows, [
    // Joins: CHANGE_TO_EXCLUDE_MODE (4), twice; router alert value 0 (MLD); ICMPv6 checksum good (1).
    `fe80::ff:fe00:1|ff02::16|1|58|0|143|1|2|4,4|${join2[0]}|`,
    `fe80::ff:fe00:1|ff02::16|1|58|0|143|1|2|4,4|${join2[0]}|`,
    // The General Query's answer: MODE_IS_EXCLUDE (2).
    `fe80::ff:fe00:1|ff02::16|1|58|0|143|1|2|2,2|${join2[0]}|`,
    // MLDv1 compatibility: one Report (131) per group, sent to the group.
    'fe80::ff:fe00:1|ff02::1:ff00:1|1|58|0|131|1||||ff02::1:ff00:1',
    'fe80::ff:fe00:1|ff02::1:ff02:abcd|1|58|0|131|1||||ff02::1:ff02:abcd',
  ]);
});
