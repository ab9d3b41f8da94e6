import test from 'ava';
import fc from 'fast-check';
import {
  MldView, emitMld, emitMldHopByHop, maxResponseDelayMs, mldLen, parseMld, routerAlertValue, describeMld, isMldType,
  MLD_HOP_BY_HOP_LEN, type MldRepr,
} from '../../../stack/wire/mld';
import { isDrop } from '../../../stack/wire/drop';
import * as wire from '../../../stack/wire';
import { pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { formatIpv6, parseIpv6 } from '../../../stack/wire/address';

const LL = parseIpv6('fe80::ff:fe00:1')!;
const ALL_MLDV2 = parseIpv6('ff02::16')!;
const QUERIER = parseIpv6('fe80::99')!;
const ALL_NODES = parseIpv6('ff02::1')!;
const ph = (src: Uint8Array, dst: Uint8Array, len: number): number => pseudoHeaderSumV6(src, dst, 58, len);
/** Hex bytes, one field per line, each annotated after `//`. */
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\/\/.*$/gm, '').replace(/\s+/g, ''), 'hex'));
const reason = (x: unknown): string | undefined => (isDrop(x) ? x.reason : undefined);

// fe80::ff:fe00:1 → ff02::16: one CHANGE_TO_EXCLUDE_MODE {} record for ff02::1:ff00:1 (a join).
// Checksum computed independently (Python).
const REPORT = hex(`
  8f 00        // type 143 (MLDv2 report), reserved
  7207         // checksum
  0000 0001    // reserved, Nr of Mcast Address Records 1
  04 00 0000   // record type 4 CHANGE_TO_EXCLUDE_MODE, aux data len 0, 0 sources
  ff020000000000000000000 1ff000001 // multicast address ff02::1:ff00:1
`);

// fe80::99 → ff02::1: an MLDv2 General Query, max response code 1000, QRV 2, QQIC 125.
const QUERY = hex(`
  82 00        // type 130 (query), code 0
  7926         // checksum
  03e8 0000    // maximum response code 1000 (ms), reserved
  00000000000000000000000000000000 // multicast address :: (a General Query)
  02           // Resv 0, S 0, QRV 2
  7d           // QQIC 125
  0000         // number of sources 0
`);

test('an MLDv2 report decodes field by field and is rebuilt byte for byte', (t) => {
  const v = MldView.check(REPORT);
  if (isDrop(v)) return t.fail(v.reason);
  t.deepEqual([v.type, v.code, v.checksum, v.numberOfRecords, v.length], [143, 0, 0x7207, 1, 28]);
  t.true(v.checksumValid(ph(LL, ALL_MLDV2, REPORT.length)));
  const r = parseMld(REPORT, ph(LL, ALL_MLDV2, REPORT.length));
  if (isDrop(r) || r.kind !== 'report-v2') return t.fail();
  t.deepEqual(r.records.map((x) => [x.type, formatIpv6(x.group), x.sources.length, x.auxData.length]), [[4, 'ff02::1:ff00:1', 0, 0]]);
  const out = new Uint8Array(mldLen(r));
  t.is(emitMld(r, out, ph(LL, ALL_MLDV2, out.length)), 28);
  t.deepEqual([...out], [...REPORT]);
  t.is(describeMld(r), 'MLDv2 report, 1 record(s) [to_ex ff02::1:ff00:1 { }]');
  t.is(v.toString(), 'MLDv2 report, 1 record(s) [to_ex ff02::1:ff00:1 { }]');
});

test('an MLDv2 General Query decodes and is rebuilt; an MLDv1 query is 24 bytes', (t) => {
  const q = parseMld(QUERY, ph(QUERIER, ALL_NODES, QUERY.length));
  if (isDrop(q) || q.kind !== 'query') return t.fail();
  t.deepEqual([q.version, q.maxResponseCode, formatIpv6(q.group), q.suppressRouterProcessing, q.qrv, q.qqic, q.sources.length], [2, 1000, '::', false, 2, 125, 0]);
  const out = new Uint8Array(mldLen(q));
  emitMld(q, out, ph(QUERIER, ALL_NODES, out.length));
  t.deepEqual([...out], [...QUERY]);
  const v1 = parseMld(QUERY.subarray(0, 24));
  if (isDrop(v1) || v1.kind !== 'query') return t.fail();
  t.deepEqual([v1.version, v1.maxResponseCode, v1.sources.length], [1, 1000, 0]);
  t.is(describeMld(v1), 'MLDv1 query max resp 1000 ms, group ::');
});

test('checks: bad checksum, truncations, a 26-byte query, counts that overrun, not MLD', (t) => {
  const bad = Uint8Array.from(REPORT);
  bad[20] ^= 1;
  t.is(reason(parseMld(bad, ph(LL, ALL_MLDV2, bad.length))), 'mld-bad-checksum');
  for (let n = 0; n < REPORT.length; n++) t.true(isDrop(parseMld(REPORT.subarray(0, n))), `report cut at ${n}`);
  for (const n of [0, 7, 23]) t.is(reason(parseMld(QUERY.subarray(0, n))), 'mld-truncated');
  t.is(reason(parseMld(QUERY.subarray(0, 26))), 'mld-bad-length', 'RFC 3810 §8.1: neither v1 nor v2');
  const lying = Uint8Array.from(QUERY);
  lying[27] = 1; // one source announced, none present
  t.is(reason(parseMld(lying)), 'mld-truncated');
  const aux = Uint8Array.from(REPORT);
  aux[9] = 1; // 4 bytes of aux data announced, none present
  t.is(reason(parseMld(aux)), 'mld-truncated');
  const echo = Uint8Array.from(QUERY);
  echo[0] = 128;
  t.is(reason(parseMld(echo)), 'mld-not-mld');
  t.deepEqual([130, 131, 132, 143, 128, 133].map(isMldType), [true, true, true, true, false, false]);
});

test('the module is reachable as wire.mld', (t) => {
  t.is(wire.mld.parseMld, parseMld);
});

test('RFC 3810 §5.1.3 maximum response code: linear below 32768, floating point above', (t) => {
  t.is(maxResponseDelayMs(10_000), 10_000);
  t.is(maxResponseDelayMs(0x7fff), 32767);
  t.is(maxResponseDelayMs(0x8000), 0x1000 << 3); // exp 0, mant 0: 32768
  t.is(maxResponseDelayMs(0xffff), 0x1fff * 2 ** 10); // the largest: 8387584 ms
});

test('the Hop-by-Hop header with Router Alert (RFC 2711) is written and found again', (t) => {
  const b = new Uint8Array(MLD_HOP_BY_HOP_LEN + 40);
  const packetStart = 40;
  t.is(emitMldHopByHop(b, packetStart), 8);
  t.deepEqual([...b.subarray(40)], [0x3a, 0, 5, 2, 0, 0, 1, 0]);
  t.is(routerAlertValue(b, { type: 0, offset: 40, length: 8, nextHeader: 58 }), 0);
  const pad1 = Uint8Array.of(0x3a, 0, 0, 0, 1, 0, 0, 0); // Pad1 Pad1 PadN(0) … no Router Alert
  t.is(routerAlertValue(pad1, { type: 0, offset: 0, length: 8, nextHeader: 58 }), null);
  const overrun = Uint8Array.of(0x3a, 0, 5, 9, 0, 0, 0, 0);
  t.is(routerAlertValue(overrun, { type: 0, offset: 0, length: 8, nextHeader: 58 }), null);
});

const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
const reprs: fc.Arbitrary<MldRepr> = fc.oneof(
  fc.record({ kind: fc.constant('query' as const), version: fc.constant(2 as const), maxResponseCode: fc.integer({ min: 0, max: 0xffff }), group: addr, suppressRouterProcessing: fc.boolean(), qrv: fc.integer({ min: 0, max: 7 }), qqic: fc.integer({ min: 0, max: 255 }), sources: fc.array(addr, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('report-v2' as const), records: fc.array(fc.record({ type: fc.integer({ min: 1, max: 6 }), group: addr, sources: fc.array(addr, { maxLength: 3 }), auxData: fc.uint8Array({ maxLength: 2 }).map((a) => new Uint8Array(a.length * 4)) }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constantFrom('report-v1' as const, 'done' as const), group: addr }),
);

test('property: emit then parse gives the repr back, checksum included', (t) => {
  fc.assert(fc.property(reprs, (r) => {
    const b = new Uint8Array(mldLen(r));
    emitMld(r, b, ph(LL, ALL_MLDV2, b.length));
    const back = parseMld(b, ph(LL, ALL_MLDV2, b.length));
    if (isDrop(back)) return false;
    const norm = (x: MldRepr): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));
    return JSON.stringify(norm(back)) === JSON.stringify(norm(r));
  }), { seed: 18 });
  t.pass();
});
