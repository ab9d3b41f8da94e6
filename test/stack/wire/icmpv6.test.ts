import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  Icmpv6View, Icmpv6Repr, parseIcmpv6, emitIcmpv6, icmpv6Len, icmpv6HeaderLen, describeIcmpv6, Icmpv6Type,
} from '../../../stack/wire/icmpv6';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { parseIpv6 as ip6 } from '../../../stack/wire/address';
import { pseudoHeaderSumV6, sumBytes, verifies } from '../../../stack/wire/checksum';
import { ipv6EchoRequestFrame, icmpv6PacketTooBig, ndpNeighborSolicitation, bytes, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}

const A = ip6('fe80::1')!;
const B = ip6('fe80::2')!;
const S = ip6('2001:db8::1')!;
const D = ip6('2001:db8::2')!;
const sumFor = (src: Uint8Array, dst: Uint8Array, len: number): number => pseudoHeaderSumV6(src, dst, 58, len);

function rebuilt(r: Icmpv6Repr, src = A, dst = B): Uint8Array {
  return emitTwice(icmpv6Len(r), (b) => {
    if (emitIcmpv6(r, b, sumFor(src, dst, b.length)) !== b.length) throw new Error('length mismatch');
  });
}

const echo = ipv6EchoRequestFrame.subarray(54);

test('an echo request decodes field by field and rebuilds byte for byte', (t) => {
  const v = ok(Icmpv6View.check(echo));
  t.is(v.type, Icmpv6Type.EchoRequest);
  t.is(v.code, 0);
  t.is(v.checksum, (echo[2]! << 8) | echo[3]!);
  t.true(v.checksumValid(sumFor(A, B, echo.length)));
  t.false(v.checksumValid(sumFor(B, A, echo.length + 2)), 'another pseudo-header does not verify');
  t.is(v.identifier, 1);
  t.is(v.sequence, 2);
  t.is(v.body.length, 56);
  const r = ok(parseIcmpv6(echo, sumFor(A, B, echo.length)));
  t.is(r.kind, 'echo-request');
  t.deepEqual(rebuilt(r), echo);
  t.is(describeIcmpv6(r), 'ICMP6 echo request id=1 seq=2 len 56');
  t.is(v.toString(), describeIcmpv6(r));
  t.is(icmpv6HeaderLen(r), 8);
});

test('packet too big carries the MTU and the invoking packet', (t) => {
  const r = ok(parseIcmpv6(icmpv6PacketTooBig, sumFor(D, S, icmpv6PacketTooBig.length)));
  t.deepEqual(plain(r), plain({ kind: 'packet-too-big', mtu: 1280, invoking: icmpv6PacketTooBig.subarray(8) }));
  t.is(ok(Icmpv6View.check(icmpv6PacketTooBig)).mtu, 1280);
  t.deepEqual(rebuilt(r, D, S), icmpv6PacketTooBig);
  t.is(describeIcmpv6(r), 'ICMP6 packet too big, mtu 1280, for 2001:db8::1 > 2001:db8::2 next-header 6');
});

test('the other kinds round-trip and write their fields where RFC 4443 puts them', (t) => {
  const invoking = icmpv6PacketTooBig.subarray(8);
  const reprs: Icmpv6Repr[] = [
    { kind: 'echo-reply', identifier: 7, sequence: 65535, data: bytes('ff') },
    { kind: 'destination-unreachable', code: 4, invoking },
    { kind: 'time-exceeded', code: 0, invoking },
    { kind: 'parameter-problem', code: 1, pointer: 40, invoking },
    { kind: 'other', type: 130, code: 0, rest: 0x27100000, body: new Uint8Array(16) },
  ];
  for (const r of reprs) t.deepEqual(plain(parseIcmpv6(rebuilt(r), sumFor(A, B, icmpv6Len(r)))), plain(r), r.kind);
  t.deepEqual(rebuilt(reprs[3]!).subarray(4, 8), bytes('00000028'), 'pointer is 32 bits');
  t.deepEqual(rebuilt(reprs[1]!).subarray(0, 2), bytes('0104'));
  t.is(describeIcmpv6(reprs[1]!), 'ICMP6 port unreachable, for 2001:db8::1 > 2001:db8::2 next-header 6');
  t.is(describeIcmpv6(reprs[3]!), 'ICMP6 parameter problem code 1 pointer 40, for 2001:db8::1 > 2001:db8::2 next-header 6');
});

test('NDP types are parsed through parseNdp and emitted through emitNdp', (t) => {
  const sn = ip6('ff02::1:ff00:2')!;
  const r = ok(parseIcmpv6(ndpNeighborSolicitation, sumFor(A, sn, ndpNeighborSolicitation.length)));
  t.is(r.kind, 'neighbor-solicitation');
  t.deepEqual(rebuilt(r, A, sn), ndpNeighborSolicitation);
  t.is(describeIcmpv6(r), 'ICMP6 neighbor solicitation, who has fe80::2, src-lladdr 02:00:00:00:00:01');
  const zero = Uint8Array.from(ndpNeighborSolicitation);
  zero[25] = 0;
  t.is(reason(parseIcmpv6(zero)), 'ndp-option-zero-length', 'NDP checks apply');
});

test('every truncation of the header is a Drop; a shortened message fails its checksum', (t) => {
  for (let n = 0; n < 8; n++) t.is(reason(parseIcmpv6(echo.subarray(0, n), 0)), 'icmpv6-truncated', `length ${n}`);
  for (let n = 8; n < echo.length; n++) {
    t.is(reason(parseIcmpv6(echo.subarray(0, n), sumFor(A, B, n))), 'icmpv6-bad-checksum', `length ${n}`);
  }
});

test('a bad checksum is dropped; without a pseudo-header sum it is not checked', (t) => {
  const b = Uint8Array.from(echo);
  b[9] ^= 0x80;
  t.is(reason(parseIcmpv6(b, sumFor(A, B, b.length))), 'icmpv6-bad-checksum');
  t.is(ok(parseIcmpv6(b)).kind, 'echo-request');
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 255 });
const u32 = fc.nat({ max: 0xffffffff });
const body = fc.uint8Array({ maxLength: 40 });
const repr: fc.Arbitrary<Icmpv6Repr> = fc.oneof(
  fc.record({ kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const), identifier: u16, sequence: u16, data: body }),
  fc.record({ kind: fc.constant('destination-unreachable' as const), code: u8, invoking: body }),
  fc.record({ kind: fc.constant('packet-too-big' as const), mtu: u32, invoking: body }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: u8, invoking: body }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: u8, pointer: u32, invoking: body }),
  fc.record({ kind: fc.constant('other' as const), type: u8.filter((x) => ![1, 2, 3, 4, 128, 129].includes(x) && (x < 133 || x > 137)), code: u8, rest: u32, body }),
);

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.option(fc.nat({ max: 0x7fffffff }), { nil: undefined }), (b, sum) => {
      if (b.length > 0 && b[0]! % 3 === 0) b[0] = 133 + (b[0]! % 5); // reach the NDP parsers too
      const v = Icmpv6View.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseIcmpv6(b, sum);
      if (!isDrop(r)) describeIcmpv6(r);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr and the checksum verifies with the pseudo-header', (t) => {
  fc.assert(
    fc.property(repr, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (r, src, dst) => {
      const out = rebuilt(r, src, dst);
      const sum = sumFor(src, dst, out.length);
      if (!verifies(sumBytes(out, 0, out.length, sum))) throw new Error('checksum does not verify');
      deepStrictEqual(plain(parseIcmpv6(out, sum)), plain(r));
    }),
  );
  t.pass();
});
