import test from 'ava';
import fc from 'fast-check';
import { UdpView, emitUdp, formatUdp, parseUdp, udpChecksumStatus, udpLen } from '../../../stack/wire/udp';
import { isDrop } from '../../../stack/wire/drop';
import { pseudoHeaderSumV4, pseudoHeaderSumV6, sumBytes, verifies } from '../../../stack/wire/checksum';
import { parseIpv4, parseIpv6 } from '../../../stack/wire/address';

const SRC = parseIpv4('10.0.0.1')!;
const DST = parseIpv4('10.0.0.2')!;
const SRC6 = parseIpv6('fe80::1')!;
const DST6 = parseIpv6('ff02::fb')!;
const ph4 = (len: number): number => pseudoHeaderSumV4(SRC, DST, 17, len);
const ph6 = (len: number): number => pseudoHeaderSumV6(SRC6, DST6, 17, len);
/** Hex bytes, one field per line, each annotated after `//`. */
const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/\/\/.*$/gm, '').replace(/\s+/g, ''), 'hex'));
const reason = (x: unknown): string | undefined => (isDrop(x) ? x.reason : undefined);

// 10.0.0.1:5353 → 10.0.0.2:53, "abc". Checksum computed independently (Python).
const V4 = hex(`
  14e9 0035   // source port 5353, destination port 53
  000b        // length 11
  1255        // checksum
  616263      // "abc"
`);

// fe80::1 → ff02::fb, 5353 → 5353, "q".
const V6 = hex(`
  14e9 14e9   // ports 5353, 5353
  0009        // length 9
  668a        // checksum
  71          // "q"
`);

test('an IPv4 datagram decodes field by field and is rebuilt byte for byte', (t) => {
  const v = UdpView.check(V4);
  if (isDrop(v)) return t.fail(v.reason);
  t.is(v.srcPort, 5353);
  t.is(v.dstPort, 53);
  t.is(v.length, 11);
  t.is(v.checksum, 0x1255);
  t.is(Buffer.from(v.payload).toString(), 'abc');
  t.is(v.toString(), 'UDP 5353 > 53 len 3');
  t.is(udpChecksumStatus(V4, ph4(V4.length)), 'ok');
  const r = parseUdp(V4, ph4(V4.length));
  if (isDrop(r)) return t.fail(r.reason);
  t.is(formatUdp(r), 'UDP 5353 > 53 len 3');
  const out = new Uint8Array(udpLen(r));
  t.is(emitUdp(r, out, ph4(out.length), false), 11);
  t.deepEqual(out, V4);
});

test('an IPv6 datagram decodes and is rebuilt byte for byte', (t) => {
  const r = parseUdp(V6, ph6(V6.length), true);
  if (isDrop(r)) return t.fail(r.reason);
  t.deepEqual([r.srcPort, r.dstPort, Array.from(r.payload)], [5353, 5353, [0x71]]);
  const out = new Uint8Array(udpLen(r));
  emitUdp(r, out, ph6(out.length), true);
  t.deepEqual(out, V6);
});

test('every truncation of a valid header is a drop', (t) => {
  for (let n = 0; n < V4.length; n++) {
    t.true(isDrop(parseUdp(V4.subarray(0, n))), `length ${n}`);
  }
  t.is(reason(parseUdp(V4.subarray(0, 7))), 'udp-truncated');
  t.is(reason(parseUdp(V4.subarray(0, 10))), 'udp-bad-length');
});

test('a length field below 8 is a drop; bytes past the length are ignored', (t) => {
  const b = Uint8Array.from(V4);
  b[5] = 7;
  t.is(reason(parseUdp(b)), 'udp-bad-length');
  // Two bytes of trailer after the datagram: the checksum still verifies over `length` bytes.
  const padded = new Uint8Array(V4.length + 2);
  padded.set(V4);
  padded[11] = 0xaa;
  const r = parseUdp(padded, ph4(padded.length));
  if (isDrop(r)) return t.fail(r.reason);
  t.is(Buffer.from(r.payload).toString(), 'abc');
});

test('a wrong checksum is a drop only when a pseudo-header sum is given', (t) => {
  const b = Uint8Array.from(V4);
  b[8] ^= 0x20;
  t.is(udpChecksumStatus(b, ph4(b.length)), 'bad');
  t.is(reason(parseUdp(b, ph4(b.length))), 'udp-bad-checksum');
  t.false(isDrop(parseUdp(b)));
});

test('a zero checksum means none over IPv4 and is a drop over IPv6 (RFC 8200 §8.1)', (t) => {
  const b4 = Uint8Array.from(V4);
  b4[6] = b4[7] = 0;
  t.is(udpChecksumStatus(b4, ph4(b4.length)), 'none');
  t.false(isDrop(parseUdp(b4, ph4(b4.length), false)));
  const b6 = Uint8Array.from(V6);
  b6[6] = b6[7] = 0;
  t.is(reason(parseUdp(b6, ph6(b6.length), true)), 'udp-zero-checksum');
});

test('a computed checksum of zero is sent as 0xffff, and verifies', (t) => {
  // Choose the payload so that the ones' complement sum is 0xffff: the checksum would be 0.
  const r = { srcPort: 1, dstPort: 2, payload: new Uint8Array(2) };
  const sumWithoutPayload = sumBytes(Uint8Array.of(0, 1, 0, 2, 0, 10, 0, 0), 0, 8, ph4(10));
  let s = sumWithoutPayload;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  const word = 0xffff - s;
  r.payload[0] = word >>> 8;
  r.payload[1] = word & 0xff;
  const out = new Uint8Array(10);
  emitUdp(r, out, ph4(10), false);
  t.deepEqual([out[6], out[7]], [0xff, 0xff]);
  t.is(udpChecksumStatus(out, ph4(10)), 'ok');
  t.false(isDrop(parseUdp(out, ph4(10), false)));
});

test('emitUdp refuses a short buffer and an oversized payload', (t) => {
  t.throws(() => emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(4) }, new Uint8Array(11), 0, false), {
    instanceOf: RangeError,
  });
  const big = { srcPort: 1, dstPort: 2, payload: new Uint8Array(0x10000) };
  t.throws(() => emitUdp(big, new Uint8Array(0x10008), 0, true), { instanceOf: RangeError });
});

const u16 = fc.integer({ min: 0, max: 0xffff });

test('property: arbitrary bytes never throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.boolean(), (b, sum, v6) => {
      const r = parseUdp(b, sum, v6);
      if (!isDrop(r)) formatUdp(r);
      const v = UdpView.check(b);
      if (!isDrop(v)) v.toString();
      return r !== undefined;
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr and the checksum verifies', (t) => {
  fc.assert(
    fc.property(u16, u16, fc.uint8Array({ maxLength: 100 }), fc.boolean(), (srcPort, dstPort, payload, v6) => {
      const r = { srcPort, dstPort, payload };
      const len = udpLen(r);
      const sum = v6 ? ph6(len) : ph4(len);
      const out = new Uint8Array(len);
      if (emitUdp(r, out, sum, v6) !== len || !verifies(sumBytes(out, 0, len, sum))) return false;
      const back = parseUdp(out, sum, v6);
      return (
        !isDrop(back) &&
        back.srcPort === srcPort &&
        back.dstPort === dstPort &&
        Buffer.compare(back.payload, payload) === 0
      );
    }),
  );
  t.pass();
});
