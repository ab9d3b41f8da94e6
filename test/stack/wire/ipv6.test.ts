import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { Ipv6View, Ipv6Header, parseIpv6, emitIpv6, ipv6HeaderLen, describeIpv6, IPV6_HEADER_LEN } from '../../../stack/wire/ipv6';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { formatIpv6 } from '../../../stack/wire/address';
import { pseudoHeaderSumV6 } from '../../../stack/wire/checksum';
import { IpProtocol } from '../../../stack/wire/ip-protocol';
import { parseIcmpv6, describeIcmpv6 } from '../../../stack/wire/icmpv6';
import { ipv6EchoRequestFrame, ipv6ExtensionChain, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}

const echo = ipv6EchoRequestFrame.subarray(14);

test('a fixed header decodes field by field and rebuilds byte for byte', (t) => {
  const v = ok(Ipv6View.check(echo));
  t.is(v.version, 6);
  t.is(v.trafficClass, 0xb8);
  t.is(v.flowLabel, 0x12345);
  t.is(v.payloadLength, 64);
  t.is(v.nextHeader, IpProtocol.ICMPv6);
  t.is(v.hopLimit, 64);
  t.is(formatIpv6(v.src), 'fe80::1');
  t.is(formatIpv6(v.dst), 'fe80::2');
  const r = ok(parseIpv6(echo));
  t.is(r.extensions.length, 0);
  t.is(r.upperLayerProtocol, IpProtocol.ICMPv6);
  t.is(r.upperLayerOffset, 40);
  t.is(r.upperLayerPayload.length, 64);
  t.is(r.unfragmentableEnd, 40);
  t.false('fragment' in r);
  const out = new Uint8Array(ipv6HeaderLen(r) + r.payload.length);
  t.is(emitIpv6(r, out), 104);
  t.deepEqual(out, echo);
  const sum = pseudoHeaderSumV6(r.src, r.dst, 58, r.upperLayerPayload.length);
  const icmp = ok(parseIcmpv6(r.upperLayerPayload, sum));
  t.is(describeIpv6(r, describeIcmpv6(icmp)), 'IP6 fe80::1 > fe80::2: ICMP6 echo request id=1 seq=2 len 56');
  t.is(v.toString(), 'IP6 fe80::1 > fe80::2: next-header ICMP6 (hlim 64, payload length 64)');
});

test('the extension chain is walked to the upper layer with offsets, the fragment and the unfragmentable part', (t) => {
  const r = ok(parseIpv6(ipv6ExtensionChain));
  t.is(r.nextHeader, IpProtocol.HopByHop);
  t.deepEqual(plain(r.extensions), [
    { type: 0, offset: 40, length: 8, nextHeader: 60 },
    { type: 60, offset: 48, length: 16, nextHeader: 43 },
    { type: 43, offset: 64, length: 24, nextHeader: 44, routingType: 3, segmentsLeft: 0 },
    { type: 44, offset: 88, length: 8, nextHeader: 17, fragmentOffset: 1232, moreFragments: true, identification: 0xdeadbeef },
  ]);
  t.true(r.fragment === r.extensions[3], 'the fragment is the entry in the list');
  t.is(r.upperLayerProtocol, IpProtocol.UDP);
  t.is(r.upperLayerOffset, 96);
  t.deepEqual(r.upperLayerPayload, ipv6ExtensionChain.subarray(96));
  t.is(r.upperLayerPayload.buffer, ipv6ExtensionChain.buffer);
  t.is(r.unfragmentableEnd, 88, 'the fragment header starts the fragmentable part');
  const out = new Uint8Array(ipv6ExtensionChain.length);
  emitIpv6(r, out);
  t.deepEqual(out, ipv6ExtensionChain);
  t.is(describeIpv6(r), 'IP6 2001:db8::1 > 2001:db8::2: HBH(8) DSTOPT(16) srcrt(type 3, segleft 0) frag(3735928559:1232+) UDP len 12 (hlim 64)');
});

test('every truncation yields a Drop', (t) => {
  for (const p of [echo, ipv6ExtensionChain]) {
    for (let n = 0; n < p.length; n++) t.is(reason(parseIpv6(p.subarray(0, n))), 'ipv6-truncated', `length ${n}`);
  }
});

test('a bad version is dropped; Ethernet padding after the payload is left out', (t) => {
  const b = Uint8Array.from(echo);
  b[0] = 0x45;
  t.is(reason(Ipv6View.check(b)), 'ipv6-bad-version');
  const padded = new Uint8Array(echo.length + 6);
  padded.set(echo);
  t.is(ok(parseIpv6(padded)).upperLayerPayload.length, 64);
});

test('a Payload Length that cuts the chain short is an extension-header drop', (t) => {
  const b = Uint8Array.from(ipv6ExtensionChain.subarray(0, 92));
  b[5] = 52; // payload length now ends inside the fragment header
  t.is(reason(parseIpv6(b)), 'ipv6-ext-truncated');
});

test('emit refuses what cannot be encoded', (t) => {
  const r = ok(parseIpv6(echo));
  t.throws(() => emitIpv6({ ...r, flowLabel: 0x100000 }, new Uint8Array(200)), { instanceOf: RangeError });
  t.throws(() => emitIpv6({ ...r, payload: new Uint8Array(65536) }, new Uint8Array(65600)), { instanceOf: RangeError });
});

const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
// Upper-layer next headers only, so the payload is not walked as extension headers.
const upper = fc.integer({ min: 0, max: 255 }).filter((n) => ![0, 43, 44, 51, 60].includes(n));
const header: fc.Arbitrary<Ipv6Header> = fc.record({
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  nextHeader: upper,
  hopLimit: fc.integer({ min: 0, max: 255 }),
  src: addr,
  dst: addr,
  payload: fc.uint8Array({ maxLength: 64 }),
});

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  const chainy = fc.uint8Array({ minLength: 40, maxLength: 160 }).map((b) => {
    b[0] = 0x60 | (b[0]! & 0x0f);
    b[4] = 0;
    b[5] = b.length - 40;
    b[6] = [0, 43, 44, 51, 60, 59, 50, 6][b[6]! & 7]!;
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), chainy), (b) => {
      const v = Ipv6View.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseIpv6(b);
      if (!isDrop(r)) describeIpv6(r);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: parse(emit(header)) gives the header back', (t) => {
  fc.assert(
    fc.property(header, (h) => {
      const out = emitTwice(IPV6_HEADER_LEN + h.payload.length, (b) => emitIpv6(h, b));
      const r = ok(parseIpv6(out));
      deepStrictEqual(
        plain({ trafficClass: r.trafficClass, flowLabel: r.flowLabel, nextHeader: r.nextHeader, hopLimit: r.hopLimit, src: r.src, dst: r.dst, payload: r.payload }),
        plain(h),
      );
      if (r.upperLayerProtocol !== h.nextHeader || r.extensions.length !== 0) throw new Error('walked a non-extension header');
    }),
  );
  t.pass();
});
