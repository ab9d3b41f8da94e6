import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { EthernetView, EthernetRepr, parseEthernet, emitEthernet, ethernetHeaderLen, describeEthernet } from '../../../stack/wire/ethernet';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { formatMac } from '../../../stack/wire/address';
import { EtherType } from '../../../stack/wire/ip-protocol';
import { arpRequestFrame, qinqArpReply, bytes, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}

test('an untagged frame decodes field by field and rebuilds byte for byte', (t) => {
  const v = ok(EthernetView.check(arpRequestFrame));
  t.is(formatMac(v.destination), 'ff:ff:ff:ff:ff:ff');
  t.is(formatMac(v.source), '02:00:00:00:00:01');
  t.is(v.etherType, EtherType.ARP);
  t.is(v.tagCount, 0);
  t.is(v.headerLen, 14);
  t.is(v.vlanId, undefined);
  t.is(v.payload.length, 46);
  const r = ok(parseEthernet(arpRequestFrame));
  t.false('vlan' in r);
  t.is(r.payload.buffer, arpRequestFrame.buffer, 'payload is a view, not a copy');
  const out = new Uint8Array(ethernetHeaderLen(r) + r.payload.length);
  t.is(emitEthernet(r, out), 60);
  t.deepEqual(out, arpRequestFrame);
  t.is(v.toString(), '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP, length 60');
  t.is(describeEthernet(r), v.toString());
});

test('a QinQ frame exposes both tags, the inner VLAN id and PCP, and rebuilds', (t) => {
  const v = ok(EthernetView.check(qinqArpReply));
  t.is(v.tagCount, 2);
  t.is(v.headerLen, 22);
  t.is(v.etherType, EtherType.ARP);
  t.deepEqual(v.tag(0), { tpid: EtherType.QinQ, pcp: 5, dei: false, vid: 10 });
  t.deepEqual(v.tag(1), { tpid: EtherType.VLAN, pcp: 3, dei: true, vid: 100 });
  t.is(v.vlanId, 100);
  t.is(v.pcp, 3);
  t.is(v.payload.length, 28);
  const r = ok(parseEthernet(qinqArpReply));
  t.is(r.vlan?.length, 2);
  const out = new Uint8Array(qinqArpReply.length);
  t.is(emitEthernet(r, out), qinqArpReply.length);
  t.deepEqual(out, qinqArpReply);
  t.regex(v.toString(), /802\.1ad vlan 10 p 5, 802\.1Q vlan 100 p 3 DEI, ethertype ARP/);
});

test('one 802.1Q tag', (t) => {
  const f = bytes('020000000001 020000000002 8100 2007 86dd', 'aabb');
  const r = ok(parseEthernet(f));
  t.is(r.etherType, EtherType.IPv6);
  t.deepEqual(r.vlan, [{ tpid: 0x8100, pcp: 1, dei: false, vid: 7 }]);
  t.deepEqual(r.payload, bytes('aabb'));
});

test('every truncation of a header yields a Drop', (t) => {
  for (const f of [arpRequestFrame, qinqArpReply]) {
    const hl = ok(EthernetView.check(f)).headerLen;
    for (let n = 0; n < hl; n++) {
      const r = parseEthernet(f.subarray(0, n));
      t.true(isDrop(r), `length ${n}`);
      t.is((r as Drop).reason, 'eth-truncated');
    }
  }
});

test('an 802.3 length-field frame is dropped', (t) => {
  const f = bytes('ffffffffffff 020000000001 0026 4242 03 00');
  t.false(isDrop(EthernetView.check(f)), 'the view is fine: only the meaning is refused');
  t.is((parseEthernet(f) as Drop).reason, 'eth-8023-frame');
  t.is((parseEthernet(bytes('ffffffffffff 020000000001 05ff')) as Drop).reason, 'eth-8023-frame');
  t.false(isDrop(parseEthernet(bytes('ffffffffffff 020000000001 0600'))));
});

test('a third VLAN tag is refused', (t) => {
  const f = bytes('ffffffffffff 020000000001 88a8 0001 8100 0002 8100 0003 0800', '00'.repeat(20));
  t.is((EthernetView.check(f) as Drop).reason, 'eth-too-many-tags');
});

test('emit does not copy a payload already in place and copies one that is not', (t) => {
  const frame = new Uint8Array(14 + 4);
  const payload = frame.subarray(14);
  payload.set([1, 2, 3, 4]);
  const repr: EthernetRepr = { dst: new Uint8Array(6), src: new Uint8Array(6), etherType: 0x0800, payload };
  t.is(emitEthernet(repr, frame), 18);
  t.deepEqual(frame.subarray(14), bytes('01020304'));
  const other = new Uint8Array(30);
  t.is(emitEthernet(repr, other, 5), 18);
  t.deepEqual(other.subarray(19, 23), bytes('01020304'));
  t.throws(() => emitEthernet({ ...repr, vlan: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 4096 }] }, other), { instanceOf: RangeError });
});

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const tag = fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8), pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), vid: fc.integer({ min: 0, max: 4095 }) });
const repr: fc.Arbitrary<EthernetRepr> = fc
  .record({
    dst: mac,
    src: mac,
    etherType: fc.integer({ min: 0x0600, max: 0xffff }).filter((x) => x !== 0x8100 && x !== 0x88a8),
    vlan: fc.option(fc.array(tag, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map((r) => {
    const out: EthernetRepr = { dst: r.dst, src: r.src, etherType: r.etherType, payload: r.payload };
    if (r.vlan !== undefined) out.vlan = r.vlan;
    return out;
  });

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      const v = EthernetView.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseEthernet(b);
      if (!isDrop(r)) describeEthernet(r);
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr', (t) => {
  fc.assert(
    fc.property(repr, (r) => {
      const out = emitTwice(ethernetHeaderLen(r) + r.payload.length, (b) => emitEthernet(r, b));
      deepStrictEqual(plain(parseEthernet(out)), plain(r));
    }),
  );
  t.pass();
});
