import test from 'ava';
import fc from 'fast-check';
import {
  walkIpv6Extensions, nextHeaderFieldOffset, Ipv6FragmentView, emitIpv6Fragment, firstUnrecognizedOption,
  Ipv6GenericExt, Ipv6FragmentRepr, MAX_IPV6_EXT_HEADERS, IPV6_FRAGMENT_HEADER_LEN, NO_EXTENSIONS,
} from '../../../stack/wire/ipv6-ext';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { IpProtocol } from '../../../stack/wire/ip-protocol';
import { ipv6ExtensionChain, bytes, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}

/** A packet of 40 zero bytes (standing in for the fixed header) followed by `chain`. */
function packet(...chain: string[]): Uint8Array {
  const c = bytes(...chain);
  const p = new Uint8Array(40 + c.length);
  p.set(c, 40);
  return p;
}
const walk = (p: Uint8Array, first: number) => walkIpv6Extensions(p, first, 40, p.length);

const PAD8 = '00 00 00 00 00 00'; // the rest of an 8-byte options header (Pad1 × 6)

test('no extension headers: the shared empty list, upper layer right after the fixed header', (t) => {
  const c = ok(walk(packet('0000'), IpProtocol.TCP));
  t.is(c.extensions, NO_EXTENSIONS);
  t.is(c.upperLayerProtocol, IpProtocol.TCP);
  t.is(c.upperLayerOffset, 40);
  t.is(c.unfragmentableEnd, 40);
});

test('Hop-by-Hop anywhere but first is dropped', (t) => {
  t.is(reason(walk(packet(`00 00 ${PAD8}`, `3b 00 ${PAD8}`), IpProtocol.IPv6Opts)), 'ipv6-ext-hbh-not-first');
  t.false(isDrop(walk(packet(`3c 00 ${PAD8}`, `3b 00 ${PAD8}`), IpProtocol.HopByHop)));
});

test('a chain of Destination Options headers pointing at each other stops at the bound', (t) => {
  const loop = Array.from({ length: 20 }, () => `3c 00 ${PAD8}`);
  t.is(reason(walk(packet(...loop), IpProtocol.IPv6Opts)), 'ipv6-ext-too-many');
  const justEnough = Array.from({ length: MAX_IPV6_EXT_HEADERS - 1 }, () => `3c 00 ${PAD8}`);
  const c = ok(walk(packet(...justEnough, `06 00 ${PAD8}`), IpProtocol.IPv6Opts));
  t.is(c.extensions.length, MAX_IPV6_EXT_HEADERS);
  t.is(c.upperLayerProtocol, IpProtocol.TCP);
});

test('an overlong Hdr Ext Len and a header cut short are truncations', (t) => {
  t.is(reason(walk(packet(`06 01 ${PAD8}`), IpProtocol.IPv6Opts)), 'ipv6-ext-truncated', 'says 16 bytes, has 8');
  t.is(reason(walk(packet('06 00 00 00'), IpProtocol.IPv6Opts)), 'ipv6-ext-truncated', 'fewer than 8 bytes');
  t.is(reason(walk(packet('11 00 00 00 00 00'), IpProtocol.IPv6Frag)), 'ipv6-ext-truncated', 'fragment header cut');
  t.is(reason(walk(packet(), IpProtocol.IPv6Route)), 'ipv6-ext-truncated', 'nothing at all');
});

test('every truncation of the fixture chain is a Drop', (t) => {
  for (let end = 40; end < 96; end++) {
    t.is(reason(walkIpv6Extensions(ipv6ExtensionChain, 0, 40, end)), 'ipv6-ext-truncated', `end ${end}`);
  }
});

test('a second Fragment header is dropped', (t) => {
  t.is(reason(walk(packet('2c 00 00 00 00 00 00 01', '11 00 00 00 00 00 00 01'), IpProtocol.IPv6Frag)), 'ipv6-ext-duplicate-fragment');
});

test('AH counts 4-byte words minus 2; ESP and No Next Header end the walk', (t) => {
  // AH with Payload Len 4 = (4 + 2) × 4 = 24 bytes, then TCP.
  const ah = ok(walk(packet('06 04 0000', '00000001', '00000002', '00'.repeat(12), 'ffff'), IpProtocol.AH));
  t.is(ah.extensions[0]!.length, 24);
  t.is(ah.upperLayerProtocol, IpProtocol.TCP);
  t.is(ah.upperLayerOffset, 64);
  const esp2 = ok(walk(packet(`32 00 ${PAD8}`, 'deadbeef'), IpProtocol.IPv6Opts));
  t.is(esp2.upperLayerProtocol, IpProtocol.ESP);
  t.is(esp2.upperLayerOffset, 48);
  const none = ok(walk(packet(`3b 00 ${PAD8}`, 'ffff'), IpProtocol.HopByHop));
  t.is(none.upperLayerProtocol, IpProtocol.IPv6NoNxt);
});

test('without a Fragment header the unfragmentable part ends after Routing (and the options before it)', (t) => {
  // HBH → DestOpts → Routing → DestOpts → UDP
  const c = ok(walk(packet(`3c 00 ${PAD8}`, `2b 00 ${PAD8}`, '3c 00 00 00 00 00 00 00', `11 00 ${PAD8}`, 'abcd'), IpProtocol.HopByHop));
  t.deepEqual(c.extensions.map((e) => e.offset), [40, 48, 56, 64]);
  t.is(c.unfragmentableEnd, 64);
  t.is(c.upperLayerOffset, 72);
  // HBH → DestOpts (final destination only) → UDP: the options are fragmentable.
  const d = ok(walk(packet(`3c 00 ${PAD8}`, `11 00 ${PAD8}`), IpProtocol.HopByHop));
  t.is(d.unfragmentableEnd, 48);
});

test('nextHeaderFieldOffset names the byte that points at each header', (t) => {
  const c = ok(walkIpv6Extensions(ipv6ExtensionChain, 0, 40, ipv6ExtensionChain.length));
  t.is(nextHeaderFieldOffset(c.extensions, 0), 6);
  t.is(nextHeaderFieldOffset(c.extensions, 3), 64);
  t.is(ipv6ExtensionChain[nextHeaderFieldOffset(c.extensions, 3)], IpProtocol.IPv6Frag);
});

test('the Fragment header view and emitter agree with the fixture byte for byte', (t) => {
  const raw = ipv6ExtensionChain.subarray(88, 96);
  const v = ok(Ipv6FragmentView.check(raw));
  t.is(v.nextHeader, IpProtocol.UDP);
  t.is(v.fragmentOffset, 1232);
  t.true(v.moreFragments);
  t.is(v.identification, 0xdeadbeef);
  t.is(v.toString(), 'frag (3735928559:1232+) next 17');
  const out = new Uint8Array(IPV6_FRAGMENT_HEADER_LEN);
  t.is(emitIpv6Fragment({ nextHeader: 17, fragmentOffset: 1232, moreFragments: true, identification: 0xdeadbeef }, out), 8);
  t.deepEqual(out, raw);
  for (let n = 0; n < 8; n++) t.is(reason(Ipv6FragmentView.check(raw.subarray(0, n))), 'ipv6-ext-truncated');
  t.throws(() => emitIpv6Fragment({ nextHeader: 17, fragmentOffset: 12, moreFragments: false, identification: 1 }, out), { instanceOf: RangeError });
});

test('option scan: Pad1/PadN and known options pass, the first unrecognised one is reported with its action', (t) => {
  const p = packet('3b 01', '00', '01 01 00', 'c2 04 00 01 00 00', '85 02 00 00', '01 00');
  const ext: Ipv6GenericExt = { type: 0, offset: 40, length: 16, nextHeader: 59 };
  const jumboKnown = (o: number): boolean => o === 0xc2;
  t.deepEqual(firstUnrecognizedOption(p, ext, jumboKnown), { optionType: 0x85, action: 2, pointer: 52 });
  t.deepEqual(firstUnrecognizedOption(p, ext, () => false), { optionType: 0xc2, action: 3, pointer: 46 });
  const skip = packet('3b 00', '1e 00', '01 02 00 00');
  t.is(firstUnrecognizedOption(skip, { type: 60, offset: 40, length: 8, nextHeader: 59 }, () => false), null, 'action 00: skip');
  const overrun = packet('3b 00', '01 05 00 00 00 00');
  t.is(reason(firstUnrecognizedOption(overrun, { type: 60, offset: 40, length: 8, nextHeader: 59 }, () => false)), 'ipv6-ext-bad-option');
});

const fragRepr: fc.Arbitrary<Ipv6FragmentRepr> = fc.record({
  nextHeader: fc.integer({ min: 0, max: 255 }),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
  moreFragments: fc.boolean(),
  identification: fc.nat({ max: 0xffffffff }),
});

test('property: emitted Fragment headers read back', (t) => {
  fc.assert(
    fc.property(fragRepr, (f) => {
      const out = emitTwice(8, (b) => emitIpv6Fragment(f, b));
      const v = ok(Ipv6FragmentView.check(out));
      if (v.nextHeader !== f.nextHeader || v.fragmentOffset !== f.fragmentOffset ||
        v.moreFragments !== f.moreFragments || v.identification !== f.identification) throw new Error('mismatch');
    }),
  );
  t.pass();
});

test('property: the walk never throws and stays within its bounds', (t) => {
  const nh = fc.constantFrom(0, 43, 44, 51, 60, 59, 50, 6, 17);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), nh, (chain, first) => {
      // Steer random next-header bytes towards extension headers so chains are long.
      for (let i = 0; i < chain.length; i += 8) chain[i] = [0, 43, 44, 51, 60, 59, 6][chain[i]! % 7]!;
      const p = new Uint8Array(40 + chain.length);
      p.set(chain, 40);
      const c = walkIpv6Extensions(p, first, 40, p.length);
      if (isDrop(c)) return;
      if (c.extensions.length > MAX_IPV6_EXT_HEADERS || c.upperLayerOffset > p.length) throw new Error('out of bounds');
      for (const e of c.extensions) {
        if (e.offset + e.length > p.length) throw new Error('header past the end');
        if (e.type === 0 || e.type === 60) firstUnrecognizedOption(p, e, () => false);
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
