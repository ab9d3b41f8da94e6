import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { NdpView, NdpRepr, parseNdp, emitNdp, ndpLen, describeNdp, NdpType } from '../../../stack/wire/ndp';
import { NdpOptions, NdpPrefixInformation } from '../../../stack/wire/ndp-options';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { formatIpv6, formatMac, parseIpv6 as ip6 } from '../../../stack/wire/address';
import { pseudoHeaderSumV6, sumBytes, verifies } from '../../../stack/wire/checksum';
import {
  ndpRouterSolicitation, ndpRouterAdvertisement, ndpNeighborSolicitation, ndpNeighborAdvertisement, ndpRedirect,
  bytes, plain, emitTwice,
} from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}
function reason(x: unknown): string {
  return isDrop(x) ? x.reason : 'not a drop';
}

const A = ip6('fe80::1')!;
const B = ip6('fe80::2')!;
const sumFor = (src: Uint8Array, dst: Uint8Array, len: number): number => pseudoHeaderSumV6(src, dst, 58, len);

/** Each fixture with the addresses its checksum was computed over. */
const fixtures: [string, Uint8Array, Uint8Array, Uint8Array][] = [
  ['RS', ndpRouterSolicitation, A, ip6('ff02::2')!],
  ['RA', ndpRouterAdvertisement, B, ip6('ff02::1')!],
  ['NS', ndpNeighborSolicitation, A, ip6('ff02::1:ff00:2')!],
  ['NA', ndpNeighborAdvertisement, B, A],
  ['Redirect', ndpRedirect, B, A],
];

function rebuilt(r: NdpRepr, src: Uint8Array, dst: Uint8Array): Uint8Array {
  return emitTwice(ndpLen(r), (b) => {
    if (emitNdp(r, b, sumFor(src, dst, b.length)) !== b.length) throw new Error('length mismatch');
  });
}

test('router solicitation: fields, rebuilt byte for byte', (t) => {
  const r = ok(parseNdp(ndpRouterSolicitation, sumFor(A, ip6('ff02::2')!, 16)));
  t.is(r.kind, 'router-solicitation');
  t.is(formatMac(r.options.sourceLinkLayerAddress!), '02:00:00:00:00:01');
  t.deepEqual(rebuilt(r, A, ip6('ff02::2')!), ndpRouterSolicitation);
  t.is(describeNdp(r), 'ICMP6 router solicitation, src-lladdr 02:00:00:00:00:01');
});

test('router advertisement: every field and option; the unknown RDNSS option is kept raw and re-emitted', (t) => {
  const all = ip6('ff02::1')!;
  const v = ok(NdpView.check(ndpRouterAdvertisement));
  t.is(v.type, NdpType.RouterAdvertisement);
  t.is(v.curHopLimit, 64);
  t.true(v.managed);
  t.true(v.other);
  t.is(v.routerLifetime, 1800);
  t.is(v.reachableTime, 30000);
  t.is(v.retransTimer, 1000);
  t.true(v.checksumValid(sumFor(B, all, ndpRouterAdvertisement.length)));
  const r = ok(parseNdp(ndpRouterAdvertisement, sumFor(B, all, ndpRouterAdvertisement.length)));
  if (r.kind !== 'router-advertisement') return t.fail(r.kind);
  t.is(r.options.mtu, 1500);
  t.is(formatMac(r.options.sourceLinkLayerAddress!), '02:00:00:00:00:02');
  t.is(r.options.prefixInformation?.length, 1);
  const p = r.options.prefixInformation![0]!;
  t.deepEqual(
    { ...p, prefix: formatIpv6(p.prefix) },
    { prefixLength: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400, prefix: '2001:db8:1::' },
  );
  t.is(r.options.unrecognized?.length, 1);
  t.is(r.options.unrecognized![0]!.type, 25);
  t.deepEqual(r.options.unrecognized![0]!.data, ndpRouterAdvertisement.subarray(66, 88));
  t.deepEqual(rebuilt(r, B, all), ndpRouterAdvertisement);
  t.is(
    describeNdp(r),
    'ICMP6 router advertisement, hop limit 64, flags [MO], router lifetime 1800s, reachable time 30000ms, retrans timer 1000ms, ' +
      'src-lladdr 02:00:00:00:00:02, mtu 1500, prefix 2001:db8:1::/64 (LA valid 86400 pref 14400), option 25 (24 bytes)',
  );
});

test('neighbor solicitation and advertisement: target, flags, link-layer addresses, rebuilt byte for byte', (t) => {
  const sn = ip6('ff02::1:ff00:2')!;
  const ns = ok(parseNdp(ndpNeighborSolicitation, sumFor(A, sn, 32)));
  t.deepEqual(plain(ns), plain({ kind: 'neighbor-solicitation', target: B, options: { sourceLinkLayerAddress: bytes('020000000001') } }));
  t.deepEqual(rebuilt(ns, A, sn), ndpNeighborSolicitation);
  const na = ok(parseNdp(ndpNeighborAdvertisement, sumFor(B, A, 32)));
  t.deepEqual(plain(na), plain({
    kind: 'neighbor-advertisement', router: false, solicited: true, override: true, target: B,
    options: { targetLinkLayerAddress: bytes('020000000002') },
  }));
  const v = ok(NdpView.check(ndpNeighborAdvertisement));
  t.deepEqual([v.router, v.solicited, v.override], [false, true, true]);
  t.deepEqual(rebuilt(na, B, A), ndpNeighborAdvertisement);
  t.is(describeNdp(na), 'ICMP6 neighbor advertisement, tgt is fe80::2, Flags [solicited, override], tgt-lladdr 02:00:00:00:00:02');
  t.is(v.toString(), describeNdp(na));
});

test('redirect: target, destination, redirected header, rebuilt byte for byte', (t) => {
  const r = ok(parseNdp(ndpRedirect, sumFor(B, A, ndpRedirect.length)));
  if (r.kind !== 'redirect') return t.fail(r.kind);
  t.is(formatIpv6(r.target), 'fe80::99');
  t.is(formatIpv6(r.destination), '2001:db8:5::9');
  t.is(r.options.redirectedHeader?.length, 48);
  t.is(r.options.redirectedHeader![0], 0x60, 'the quoted packet starts with its IPv6 header');
  t.deepEqual(rebuilt(r, B, A), ndpRedirect);
  t.is(describeNdp(r), 'ICMP6 redirect, 2001:db8:5::9 to fe80::99, tgt-lladdr 02:00:00:00:00:02, redirected header 48 bytes');
});

test('every truncation is a Drop', (t) => {
  const fixedLen: Record<string, number> = { RS: 8, RA: 16, NS: 24, NA: 24, Redirect: 40 };
  for (const [name, msg, src, dst] of fixtures) {
    for (let n = 0; n < msg.length; n++) {
      const cut = msg.subarray(0, n);
      t.true(isDrop(parseNdp(cut, sumFor(src, dst, n))), `${name} length ${n}`);
      if (n < fixedLen[name]!) t.is(reason(NdpView.check(cut)), 'ndp-truncated', `${name} length ${n}`);
    }
  }
  t.is(reason(NdpView.check(ndpRouterAdvertisement.subarray(0, 20))), 'ndp-option-truncated', 'inside the first option');
  t.is(reason(NdpView.check(ndpRouterAdvertisement.subarray(0, 17))), 'ndp-option-truncated', 'one byte of an option');
});

function patched(msg: Uint8Array, at: number, value: number): Uint8Array {
  const b = Uint8Array.from(msg);
  b[at] = value;
  return b;
}

test('option length 0 is a drop (RFC 4861 §4.6)', (t) => {
  t.is(reason(parseNdp(patched(ndpNeighborSolicitation, 25, 0))), 'ndp-option-zero-length');
  t.is(reason(parseNdp(patched(ndpRouterAdvertisement, 65, 0))), 'ndp-option-zero-length', 'even an unknown option');
});

test('code, multicast target and destination, malformed option sizes', (t) => {
  t.is(reason(parseNdp(patched(ndpNeighborSolicitation, 1, 1))), 'ndp-bad-code');
  t.is(reason(parseNdp(patched(ndpNeighborSolicitation, 8, 0xff))), 'ndp-multicast-target');
  t.is(reason(parseNdp(patched(ndpNeighborAdvertisement, 8, 0xff))), 'ndp-multicast-target');
  t.is(reason(parseNdp(patched(ndpRedirect, 24, 0xff))), 'ndp-multicast-destination');
  t.is(reason(NdpView.check(patched(ndpRouterAdvertisement, 0, 140))), 'ndp-bad-type');
  // A link-layer address option of two units, a prefix option of three, an MTU option of two.
  const ns = new Uint8Array(40);
  ns.set(ndpNeighborSolicitation.subarray(0, 24));
  ns.set(bytes('0102 020000000001 0000000000000000'), 24);
  t.is(reason(parseNdp(ns)), 'ndp-bad-lladdr-option');
  const ra = Uint8Array.from(ndpRouterAdvertisement.subarray(0, 64));
  ra[33] = 3; // prefix option of three units (bytes 32–56) …
  ra[56] = 1; // … so the last unit must be an option of its own to keep the list well-formed
  ra[57] = 1;
  t.is(reason(parseNdp(ra)), 'ndp-bad-prefix-option');
  t.is(reason(parseNdp(patched(ndpRouterAdvertisement.subarray(0, 64), 34, 129))), 'ndp-bad-prefix-option', 'prefix length 129');
  const mtu = Uint8Array.from(ndpRouterAdvertisement.subarray(0, 40));
  mtu[25] = 2;
  t.is(reason(parseNdp(mtu)), 'ndp-bad-mtu-option');
});

test('a DAD solicitation with a Nonce (RFC 7527) re-encodes byte for byte', (t) => {
  // Linux: from ::, to the solicited-node group, target = the tentative address, nonce option.
  const ns = new Uint8Array(32);
  ns.set(ndpNeighborSolicitation.subarray(0, 24));
  ns.set(bytes('0e01 a1b2c3d4e5f6'), 24);
  const src = new Uint8Array(16);
  const dst = ip6('ff02::1:ff00:2')!;
  const r = ok(parseNdp(ns));
  t.deepEqual(r.options.nonce, bytes('a1b2c3d4e5f6'));
  t.false('sourceLinkLayerAddress' in r.options);
  const again = rebuilt(r, src, dst);
  t.deepEqual(again.subarray(4), ns.subarray(4), 'all but the checksum, which this hand-made copy lacks');
  t.true(ok(NdpView.check(again)).checksumValid(sumFor(src, dst, 32)));
  t.is(describeNdp(r), 'ICMP6 neighbor solicitation, who has fe80::2, nonce a1b2c3d4e5f6');
});

test('unknown options are stepped over by their length and kept; repeated link-layer options keep the first', (t) => {
  const ns = new Uint8Array(24 + 16 + 8);
  ns.set(ndpNeighborSolicitation.subarray(0, 24));
  ns.set(bytes('2602 112233445566 0000000000000000'), 24); // type 38, two units, unknown here
  ns.set(bytes('0101 0a0b0c0d0e0f'), 40);
  const r = ok(parseNdp(ns));
  t.is(formatMac(r.options.sourceLinkLayerAddress!), '0a:0b:0c:0d:0e:0f');
  t.deepEqual(plain(r.options.unrecognized), [{ type: 38, data: bytes('112233445566 0000000000000000') }]);
  const twice = new Uint8Array(40);
  twice.set(ndpNeighborSolicitation);
  twice.set(bytes('0101 aaaaaaaaaaaa'), 32);
  t.is(formatMac(ok(parseNdp(twice)).options.sourceLinkLayerAddress!), '02:00:00:00:00:01');
});

const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
const unicast = addr.map((a) => {
  a[0] = a[0] === 0xff ? 0xfe : a[0]!;
  return a;
});
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const u32 = fc.nat({ max: 0xffffffff });
const prefix: fc.Arbitrary<NdpPrefixInformation> = fc
  .record({ prefixLength: fc.integer({ min: 0, max: 128 }), onLink: fc.boolean(), autonomous: fc.boolean(), validLifetime: u32, preferredLifetime: u32, prefix: addr })
  .map((p) => ({ ...p }));
const options: fc.Arbitrary<NdpOptions> = fc
  .record(
    {
      sourceLinkLayerAddress: mac,
      targetLinkLayerAddress: mac,
      mtu: u32,
      prefixInformation: fc.array(prefix, { minLength: 1, maxLength: 3 }),
      redirectedHeader: fc.integer({ min: 0, max: 6 }).chain((u) => fc.uint8Array({ minLength: 8 * u, maxLength: 8 * u })),
      // Parsed option data is 8n − 2 bytes long (padding included), so generate that.
      nonce: fc.integer({ min: 1, max: 3 }).chain((u) => fc.uint8Array({ minLength: 8 * u - 2, maxLength: 8 * u - 2 })),
      unrecognized: fc.array(
        fc.record({
          type: fc.integer({ min: 6, max: 255 }).filter((x) => x !== 14),
          data: fc.integer({ min: 1, max: 3 }).chain((u) => fc.uint8Array({ minLength: 8 * u - 2, maxLength: 8 * u - 2 })),
        }).map((o) => ({ ...o })),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  )
  .map((o) => ({ ...o }));
const repr: fc.Arbitrary<NdpRepr> = fc.oneof(
  fc.record({ kind: fc.constant('router-solicitation' as const), options }),
  fc.record({
    kind: fc.constant('router-advertisement' as const),
    curHopLimit: fc.integer({ min: 0, max: 255 }), managed: fc.boolean(), other: fc.boolean(),
    routerLifetime: fc.integer({ min: 0, max: 0xffff }), reachableTime: u32, retransTimer: u32, options,
  }),
  fc.record({ kind: fc.constant('neighbor-solicitation' as const), target: unicast, options }),
  fc.record({ kind: fc.constant('neighbor-advertisement' as const), router: fc.boolean(), solicited: fc.boolean(), override: fc.boolean(), target: unicast, options }),
  fc.record({ kind: fc.constant('redirect' as const), target: addr, destination: unicast, options }),
);

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      if (b.length > 1) {
        b[0] = 133 + (b[0]! % 5);
        b[1] = 0;
      }
      const v = NdpView.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseNdp(b);
      if (!isDrop(r)) describeNdp(r);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr and the checksum verifies', (t) => {
  fc.assert(
    fc.property(repr, addr, addr, (r, src, dst) => {
      const out = rebuilt(r, src, dst);
      const sum = sumFor(src, dst, out.length);
      if (!verifies(sumBytes(out, 0, out.length, sum))) throw new Error('checksum does not verify');
      deepStrictEqual(plain(parseNdp(out, sum)), plain(r));
    }),
  );
  t.pass();
});
