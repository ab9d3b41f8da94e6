import test from 'ava';
import { internetChecksum, sumBytes, verifies, pseudoHeaderSumV4, finishChecksum } from '../../../stack/wire/checksum';
import { parseIpv4 } from '../../../stack/wire/address';

test('RFC 1071 §3 worked example sums to ddf2', (t) => {
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  t.is(internetChecksum(b), ~0xddf2 & 0xffff);
});

test('an IPv4 header with its checksum field filled in verifies', (t) => {
  // 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (a classic example, checksum b861)
  const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
  t.is(internetChecksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  t.true(verifies(sumBytes(h)));
  h[15] ^= 1;
  t.false(verifies(sumBytes(h)));
});

test('odd length pads the last byte on the right', (t) => {
  t.is(sumBytes(Uint8Array.of(0x12)), 0x1200);
});

test('pseudo-header sum folds with the payload', (t) => {
  const src = parseIpv4('10.0.0.1')!;
  const dst = parseIpv4('10.0.0.2')!;
  const seg = new Uint8Array(20);
  const ck = finishChecksum(sumBytes(seg, 0, 20, pseudoHeaderSumV4(src, dst, 6, 20)));
  seg[16] = ck >> 8;
  seg[17] = ck & 0xff;
  t.true(verifies(sumBytes(seg, 0, 20, pseudoHeaderSumV4(src, dst, 6, 20))));
});
