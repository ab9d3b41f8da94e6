import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  Icmpv4View, Icmpv4Repr, parseIcmpv4, emitIcmpv4, icmpv4Len, icmpv4HeaderLen, describeIcmpv4, Icmpv4Type,
} from '../../../stack/wire/icmpv4';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { parseIpv4 } from '../../../stack/wire/address';
import { sumBytes, verifies } from '../../../stack/wire/checksum';
import { ipv4EchoRequestFrame, icmpv4FragNeeded, bytes, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}
function rebuilt(r: Icmpv4Repr): Uint8Array {
  return emitTwice(icmpv4Len(r), (b) => {
    if (emitIcmpv4(r, b) !== b.length) throw new Error('length mismatch');
  });
}

const echo = ipv4EchoRequestFrame.subarray(34);

test('an echo request decodes field by field and rebuilds byte for byte', (t) => {
  const v = ok(Icmpv4View.check(echo));
  t.is(v.type, Icmpv4Type.EchoRequest);
  t.is(v.code, 0);
  t.is(v.checksum, 0x2465);
  t.true(v.checksumValid);
  t.is(v.identifier, 1);
  t.is(v.sequence, 2);
  t.is(v.body.length, 56);
  const r = ok(parseIcmpv4(echo));
  t.is(r.kind, 'echo-request');
  if (r.kind !== 'echo-request') return;
  t.is(r.data.buffer, echo.buffer, 'data is a view');
  t.deepEqual(rebuilt(r), echo);
  t.is(describeIcmpv4(r), 'ICMP echo request id=1 seq=2 len 56');
  t.is(v.toString(), describeIcmpv4(r));
  t.is(icmpv4HeaderLen(r), 8);
});

test('fragmentation needed carries the next-hop MTU and the invoking datagram', (t) => {
  const r = ok(parseIcmpv4(icmpv4FragNeeded));
  t.deepEqual(plain(r), plain({ kind: 'destination-unreachable', code: 4, nextHopMtu: 1400, invoking: icmpv4FragNeeded.subarray(8) }));
  if (r.kind !== 'destination-unreachable') return;
  t.is(r.invoking.length, 28);
  t.deepEqual(rebuilt(r), icmpv4FragNeeded);
  t.is(describeIcmpv4(r), 'ICMP need to frag (mtu 1400), for 10.0.0.2 > 198.51.100.7 proto 6');
});

test('other error kinds round-trip: port unreachable, time exceeded, parameter problem, redirect, unknown', (t) => {
  const invoking = icmpv4FragNeeded.subarray(8);
  const reprs: Icmpv4Repr[] = [
    { kind: 'echo-reply', identifier: 0xabcd, sequence: 0xffff, data: bytes('010203') },
    { kind: 'destination-unreachable', code: 3, nextHopMtu: 0, invoking },
    { kind: 'time-exceeded', code: 1, invoking },
    { kind: 'parameter-problem', code: 0, pointer: 9, invoking },
    { kind: 'redirect', code: 1, gateway: parseIpv4('10.0.0.254')!, invoking },
    { kind: 'other', type: 13, code: 0, rest: 0x00010002, body: bytes('00000001 00000002 00000003') },
  ];
  for (const r of reprs) t.deepEqual(plain(parseIcmpv4(rebuilt(r))), plain(r), r.kind);
  const param = rebuilt(reprs[3]!);
  t.deepEqual([param[0], param[1]], [12, 0], 'type 12 code 0');
  t.deepEqual(param.subarray(4, 8), bytes('09 000000'), 'pointer, then unused bytes written as zero');
  t.is(describeIcmpv4(reprs[1]!), 'ICMP port unreachable, for 10.0.0.2 > 198.51.100.7 proto 6');
  t.is(describeIcmpv4(reprs[2]!), 'ICMP time exceeded in-reassembly, for 10.0.0.2 > 198.51.100.7 proto 6');
  t.is(describeIcmpv4(reprs[5]!), 'ICMP type 13 code 0 len 12');
});

test('an echo with a non-zero code is kept as other', (t) => {
  const b = rebuilt({ kind: 'other', type: 8, code: 1, rest: 0x00010002, body: bytes('ff') });
  t.is(ok(parseIcmpv4(b)).kind, 'other');
});

test('every truncation of the header is a Drop; a shortened message fails its checksum', (t) => {
  for (let n = 0; n < 8; n++) t.is(reason(parseIcmpv4(echo.subarray(0, n))), 'icmpv4-truncated', `length ${n}`);
  for (let n = 8; n < echo.length; n++) t.is(reason(parseIcmpv4(echo.subarray(0, n))), 'icmpv4-bad-checksum', `length ${n}`);
});

test('a bad checksum is dropped unless verification is skipped', (t) => {
  const b = Uint8Array.from(echo);
  b[7] ^= 1;
  t.is(reason(parseIcmpv4(b)), 'icmpv4-bad-checksum');
  const r = ok(parseIcmpv4(b, { verifyChecksum: false }));
  t.is(r.kind === 'echo-request' ? r.sequence : -1, 3);
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 255 });
const body = fc.uint8Array({ maxLength: 40 });
const repr: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc.record({ kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const), identifier: u16, sequence: u16, data: body }),
  fc.record({ kind: fc.constant('destination-unreachable' as const), code: u8, nextHopMtu: u16, invoking: body })
    .map((r) => ({ ...r, nextHopMtu: r.code === 4 ? r.nextHopMtu : 0 })),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: u8, invoking: body }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: u8, pointer: u8, invoking: body }),
  fc.record({ kind: fc.constant('redirect' as const), code: u8, gateway: fc.nat({ max: 0xffffffff }), invoking: body }),
  fc.record({ kind: fc.constant('other' as const), type: u8.filter((x) => ![0, 3, 5, 8, 11, 12].includes(x)), code: u8, rest: fc.nat({ max: 0xffffffff }), body }),
);

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), fc.boolean(), (b, verify) => {
      const v = Icmpv4View.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseIcmpv4(b, { verifyChecksum: verify });
      if (!isDrop(r)) describeIcmpv4(r);
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr and the checksum verifies', (t) => {
  fc.assert(
    fc.property(repr, (r) => {
      const out = rebuilt(r);
      if (!verifies(sumBytes(out))) throw new Error('checksum does not verify');
      deepStrictEqual(plain(parseIcmpv4(out)), plain(r));
    }),
  );
  t.pass();
});
