import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { Ipv4View, Ipv4Repr, parseIpv4, emitIpv4, ipv4HeaderLen, describeIpv4 } from '../../../stack/wire/ipv4';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { formatIpv4, parseIpv4 as ip } from '../../../stack/wire/address';
import { sumBytes, verifies } from '../../../stack/wire/checksum';
import { IpProtocol } from '../../../stack/wire/ip-protocol';
import { parseIcmpv4, describeIcmpv4 } from '../../../stack/wire/icmpv4';
import { ipv4EchoRequestFrame, ipv4OptionsFragment, bytes, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}

const echo = ipv4EchoRequestFrame.subarray(14);

test('a header decodes field by field and rebuilds byte for byte', (t) => {
  const v = ok(Ipv4View.check(echo));
  t.is(v.version, 4);
  t.is(v.ihl, 5);
  t.is(v.headerLen, 20);
  t.is(v.tos, 0xb9);
  t.is(v.dscp, 46);
  t.is(v.ecn, 1);
  t.is(v.totalLength, 84);
  t.is(v.identification, 0x1234);
  t.true(v.dontFragment);
  t.false(v.moreFragments);
  t.false(v.reservedFlag);
  t.is(v.fragmentOffset, 0);
  t.is(v.ttl, 64);
  t.is(v.protocol, IpProtocol.ICMP);
  t.is(v.checksum, 0x13ba);
  t.true(v.checksumValid);
  t.is(formatIpv4(v.src), '10.0.0.1');
  t.is(formatIpv4(v.dst), '10.0.0.2');
  t.is(v.options.length, 0);
  t.is(v.payload.length, 64);
  const r = ok(parseIpv4(echo));
  const out = new Uint8Array(ipv4HeaderLen(r) + r.payload.length);
  t.is(emitIpv4(r, out), 84);
  t.deepEqual(out, echo);
  t.is(v.toString(), 'IP 10.0.0.1 > 10.0.0.2: ICMP (ttl 64, id 4660, offset 0, flags [DF], length 84)');
  t.is(describeIpv4(r, describeIcmpv4(ok(parseIcmpv4(r.payload)))), 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request id=1 seq=2 len 56');
});

test('options, a fragment and Ethernet padding: payload is exactly total length minus header', (t) => {
  const v = ok(Ipv4View.check(ipv4OptionsFragment));
  t.is(v.ihl, 6);
  t.deepEqual(v.options, bytes('94040000'));
  t.true(v.moreFragments);
  t.false(v.dontFragment);
  t.is(v.fragmentOffset, 1480);
  t.is(v.totalLength, 36);
  t.is(ipv4OptionsFragment.length, 42, 'six bytes of padding follow the datagram');
  const r = ok(parseIpv4(ipv4OptionsFragment));
  t.is(r.payload.length, 12);
  t.is(r.payload.byteOffset, ipv4OptionsFragment.byteOffset + 24, 'payload is a view');
  const out = new Uint8Array(ipv4HeaderLen(r) + r.payload.length);
  emitIpv4(r, out);
  t.deepEqual(out, ipv4OptionsFragment.subarray(0, 36));
  t.is(describeIpv4(r), 'IP 192.168.1.10 > 224.0.0.251: UDP len 12, frag id 48879 offset 1480+ (ttl 1, flags [+])');
});

test('every truncation yields a Drop', (t) => {
  for (const p of [echo, ipv4OptionsFragment]) {
    const total = ok(Ipv4View.check(p)).totalLength;
    for (let n = 0; n < total; n++) t.is(reason(parseIpv4(p.subarray(0, n))), 'ipv4-truncated', `length ${n}`);
  }
});

function patched(at: number, value: number): Uint8Array {
  const b = Uint8Array.from(echo);
  b[at] = value;
  return b;
}

test('bad version, IHL < 5, total length below the header, total length past the frame', (t) => {
  t.is(reason(Ipv4View.check(patched(0, 0x65))), 'ipv4-bad-version');
  t.is(reason(Ipv4View.check(patched(0, 0x44))), 'ipv4-bad-ihl');
  const longHeader = patched(0, 0x4f); // IHL 15: 60 bytes of header
  t.false(isDrop(Ipv4View.check(longHeader)), '60 bytes of header fit in this 84-byte datagram');
  longHeader[3] = 40;
  t.is(reason(Ipv4View.check(longHeader.subarray(0, 40))), 'ipv4-truncated', 'but not in 40 bytes');
  t.is(reason(Ipv4View.check(longHeader)), 'ipv4-bad-total-length', 'nor in a total length of 40');
  const short = patched(3, 19); // total length 19 < 20
  t.is(reason(Ipv4View.check(short)), 'ipv4-bad-total-length');
  t.is(reason(Ipv4View.check(patched(3, 85))), 'ipv4-truncated');
});

test('a bad checksum is dropped unless verification is skipped', (t) => {
  const b = patched(8, 63); // TTL changed, checksum not
  t.is(reason(parseIpv4(b)), 'ipv4-bad-checksum');
  t.is(ok(parseIpv4(b, { verifyChecksum: false })).ttl, 63);
});

test('a fragment that would reassemble past 65535 bytes is dropped', (t) => {
  const r = ok(parseIpv4(echo));
  const out = new Uint8Array(84);
  emitIpv4({ ...r, fragmentOffset: 65528, dontFragment: false }, out);
  t.is(reason(parseIpv4(out)), 'ipv4-fragment-too-long');
});

test('emit pads options to a word, writes the checksum and refuses what cannot be encoded', (t) => {
  const r: Ipv4Repr = {
    dscp: 0, ecn: 0, identification: 1, dontFragment: false, moreFragments: false, fragmentOffset: 0,
    ttl: 64, protocol: 6, src: ip('10.0.0.1')!, dst: ip('10.0.0.2')!, options: bytes('0101 07'), payload: new Uint8Array(0),
  };
  t.is(ipv4HeaderLen(r), 24);
  const out = new Uint8Array(24).fill(0xee);
  t.is(emitIpv4(r, out), 24);
  t.deepEqual(out.subarray(20), bytes('01010700'));
  t.true(verifies(sumBytes(out)));
  t.throws(() => emitIpv4({ ...r, options: new Uint8Array(44) }, new Uint8Array(64)), { instanceOf: RangeError });
  t.throws(() => emitIpv4({ ...r, fragmentOffset: 3 }, new Uint8Array(64)), { instanceOf: RangeError });
  t.throws(() => emitIpv4({ ...r, payload: new Uint8Array(65516) }, new Uint8Array(65600)), { instanceOf: RangeError });
});

const u32 = fc.nat({ max: 0xffffffff });
const repr: fc.Arbitrary<Ipv4Repr> = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  identification: fc.integer({ min: 0, max: 0xffff }),
  dontFragment: fc.boolean(),
  moreFragments: fc.boolean(),
  fragmentOffset: fc.integer({ min: 0, max: 0x1000 }).map((x) => x * 8),
  ttl: fc.integer({ min: 0, max: 255 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  src: u32,
  dst: u32,
  options: fc.integer({ min: 0, max: 10 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
  payload: fc.uint8Array({ maxLength: 64 }),
});

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 90 }), fc.boolean(), (b, verify) => {
      const v = Ipv4View.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseIpv4(b, { verifyChecksum: verify });
      if (!isDrop(r)) describeIpv4(r);
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr, and the emitted header checksum verifies', (t) => {
  fc.assert(
    fc.property(repr, (r) => {
      const out = emitTwice(ipv4HeaderLen(r) + r.payload.length, (b) => emitIpv4(r, b));
      if (!verifies(sumBytes(out, 0, ipv4HeaderLen(r)))) throw new Error('checksum does not verify');
      deepStrictEqual(plain(parseIpv4(out)), plain(r));
    }),
  );
  t.pass();
});
