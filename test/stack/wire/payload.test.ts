/** The headroom convention (stack/wire/payload.ts): headers go into room the caller granted. */

import test from 'ava';
import { claimHeadroom, copyPayloadUnlessInPlace, LINK_HEADROOM, transportHeadroom } from '../../../stack/wire/payload';

test('claimHeadroom grows the view at its front over the same memory', (t) => {
  const buf = new Uint8Array(100);
  const packet = buf.subarray(34, 90);
  packet[0] = 7;
  const withIp = claimHeadroom(packet, 34, 20);
  t.is(withIp.buffer, buf.buffer);
  t.is(withIp.byteOffset, 14);
  t.is(withIp.length, 76);
  t.is(withIp[20], 7);
  const frame = claimHeadroom(withIp, 14, 14);
  t.is(frame.byteOffset, 0);
  t.is(frame.length, 90, 'the end stays where the packet ended');
});

test('claimHeadroom refuses more than was granted, even when the buffer has bytes in front', (t) => {
  const buf = new Uint8Array(100);
  const packet = buf.subarray(40);
  t.throws(() => claimHeadroom(packet, 10, 20), { instanceOf: RangeError });
  t.throws(() => claimHeadroom(buf.subarray(5), 20, 14), { instanceOf: RangeError }, 'nor more than exists');
});

test('transport headroom: Ethernet plus the fixed IP header', (t) => {
  t.is(LINK_HEADROOM, 14);
  t.is(transportHeadroom(4), 34);
  t.is(transportHeadroom(6), 54);
});

test('copyPayloadUnlessInPlace leaves a payload already in place alone and copies any other', (t) => {
  const frame = new Uint8Array(10);
  const inPlace = frame.subarray(4);
  inPlace.fill(9);
  copyPayloadUnlessInPlace(inPlace, frame, 4);
  t.deepEqual([...frame], [0, 0, 0, 0, 9, 9, 9, 9, 9, 9]);
  copyPayloadUnlessInPlace(Uint8Array.of(1, 2), frame, 0);
  t.deepEqual([...frame.subarray(0, 4)], [1, 2, 0, 0]);
});
