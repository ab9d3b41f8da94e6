import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { ArpView, ArpRepr, ArpOp, parseArp, emitArp, arpHeaderLen, describeArp, ARP_LEN } from '../../../stack/wire/arp';
import { isDrop, Drop } from '../../../stack/wire/drop';
import { formatIpv4, formatMac, parseIpv4 } from '../../../stack/wire/address';
import { arpRequestFrame, arpReplyFrame, plain, emitTwice } from './wire-fixtures';

function ok<T>(x: T | Drop): T {
  if (isDrop(x)) throw new Error(`unexpected ${x}`);
  return x;
}

const request = arpRequestFrame.subarray(14);
const reply = arpReplyFrame.subarray(14);

test('a request (with Ethernet padding after it) decodes field by field and rebuilds', (t) => {
  const v = ok(ArpView.check(request));
  t.is(v.htype, 1);
  t.is(v.ptype, 0x0800);
  t.is(v.hlen, 6);
  t.is(v.plen, 4);
  t.is(v.oper, ArpOp.Request);
  t.is(formatMac(v.sha), '02:00:00:00:00:01');
  t.is(formatIpv4(v.spa), '10.0.0.1');
  t.is(formatMac(v.tha), '00:00:00:00:00:00');
  t.is(formatIpv4(v.tpa), '10.0.0.2');
  const r = ok(parseArp(request));
  t.deepEqual(r, { op: 1, sha: v.sha, spa: parseIpv4('10.0.0.1')!, tha: v.tha, tpa: parseIpv4('10.0.0.2')! });
  const out = new Uint8Array(arpHeaderLen(r));
  t.is(emitArp(r, out), ARP_LEN);
  t.deepEqual(out, request.subarray(0, ARP_LEN));
  t.is(v.toString(), 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1');
});

test('a reply decodes and rebuilds; emit honours the offset', (t) => {
  const r = ok(parseArp(reply));
  t.is(r.op, ArpOp.Reply);
  t.is(describeArp(r), 'ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02');
  const out = new Uint8Array(14 + ARP_LEN);
  out.set(arpReplyFrame.subarray(0, 14));
  emitArp(r, out, 14);
  t.deepEqual(out, arpReplyFrame);
});

test('every truncation yields a Drop', (t) => {
  for (let n = 0; n < ARP_LEN; n++) {
    const d = parseArp(request.subarray(0, n));
    t.true(isDrop(d), `length ${n}`);
    t.is((d as Drop).reason, 'arp-truncated');
  }
});

test('anything but Ethernet/IPv4 is unsupported', (t) => {
  for (const [at, value] of [[1, 6], [2, 0x86], [4, 8], [5, 16]] as const) {
    const b = Uint8Array.from(request);
    b[at] = value;
    t.is((ArpView.check(b) as Drop).reason, 'arp-unsupported', `byte ${at}`);
  }
});

test('operations other than request and reply are dropped', (t) => {
  const b = Uint8Array.from(request);
  b[7] = 3; // RARP request
  t.false(isDrop(ArpView.check(b)));
  t.is((parseArp(b) as Drop).reason, 'arp-bad-op');
});

const repr: fc.Arbitrary<ArpRepr> = fc.record({
  op: fc.constantFrom(ArpOp.Request, ArpOp.Reply),
  sha: fc.uint8Array({ minLength: 6, maxLength: 6 }),
  spa: fc.nat({ max: 0xffffffff }),
  tha: fc.uint8Array({ minLength: 6, maxLength: 6 }),
  tpa: fc.nat({ max: 0xffffffff }),
});

test('property: arbitrary bytes never make check, parse or toString throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const v = ArpView.check(b);
      if (!isDrop(v)) v.toString();
      const r = parseArp(b);
      if (!isDrop(r)) describeArp(r);
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr', (t) => {
  fc.assert(
    fc.property(repr, (r) => {
      const out = emitTwice(ARP_LEN, (b) => emitArp(r, b));
      deepStrictEqual(plain(parseArp(out)), plain(r));
    }),
  );
  t.pass();
});
