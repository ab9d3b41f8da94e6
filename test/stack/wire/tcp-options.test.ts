import test from 'ava';
import fc from 'fast-check';
import {
  emitTcpOptions,
  formatTcpOptionBytes,
  formatTcpOptions,
  parseTcpOptions,
  tcpOptionsLen,
  tcpSackBlocksEmitted,
} from '../../../stack/wire/tcp-options';
import { isDrop } from '../../../stack/wire/drop';
import type { TcpOptions } from '../../../stack/wire/tcp';

const parse = (...bytes: number[]): ReturnType<typeof parseTcpOptions> => {
  const b = Uint8Array.from(bytes);
  return parseTcpOptions(b, 0, b.length);
};
const reason = (x: unknown): string | undefined => (isDrop(x) ? x.reason : undefined);

test('MSS: kind 2, length 4', (t) => {
  t.deepEqual(parse(2, 4, 0x05, 0xb4), { mss: 1460 });
});

test('window scale: kind 3, length 3, raw shift kept even above 14', (t) => {
  t.deepEqual(parse(3, 3, 7, 1), { windowScale: 7 });
  t.deepEqual(parse(3, 3, 200, 0), { windowScale: 200 });
});

test('SACK-permitted: kind 4, length 2', (t) => {
  t.deepEqual(parse(1, 1, 4, 2), { sackPermitted: true });
});

test('timestamps: kind 8, length 10, unsigned 32-bit values', (t) => {
  t.deepEqual(parse(1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1), { timestamp: { tsVal: 0xffffffff, tsEcr: 1 } });
});

test('SACK: kind 5, length 2 + 8n for 1 ≤ n ≤ 4', (t) => {
  for (let n = 1; n <= 4; n++) {
    const bytes = [5, 2 + 8 * n];
    const blocks = [];
    for (let k = 0; k < n; k++) {
      bytes.push(0, 0, 0, 10 * k, 0x80, 0, 0, 10 * k + 5);
      blocks.push({ left: 10 * k, right: 0x80000000 + 10 * k + 5 });
    }
    t.deepEqual(parse(...bytes), { sack: blocks }, `n=${n}`);
  }
});

test('EOL ends the list; what follows is not read', (t) => {
  t.deepEqual(parse(2, 4, 0x05, 0xb4, 0, 3, 3, 7), { mss: 1460 });
  t.deepEqual(parse(0, 0xff), {});
});

test('unknown kinds are skipped by their length (RFC 9293 MUST-6)', (t) => {
  t.deepEqual(parse(30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xb4), { mss: 1460 });
  t.deepEqual(parse(254, 2, 3, 3, 9), { windowScale: 9 });
});

test('a known kind with the wrong length is skipped like an unknown one (as Linux)', (t) => {
  t.deepEqual(parse(2, 3, 0x05, 3, 3, 7), { windowScale: 7 }); // MSS length 3
  t.deepEqual(parse(2, 6, 0x05, 0xb4, 0, 0), {}); // MSS length 6
  t.deepEqual(parse(3, 4, 7, 0), {}); // window scale length 4
  t.deepEqual(parse(4, 3, 0, 1), {}); // SACK-permitted length 3
  t.deepEqual(parse(8, 8, 0, 0, 0, 1, 0, 0, 0, 2), {}); // timestamps length 8
  t.deepEqual(parse(5, 2), {}); // SACK without blocks
  t.deepEqual(parse(5, 6, 0, 0, 0, 1), {}); // SACK with half a block
  t.deepEqual(parse(5, 12, ...new Array<number>(10).fill(0)), {}); // 2 + 10
  t.deepEqual(parse(5, 42, ...new Array<number>(40).fill(0)), {}); // five blocks
});

test('a length below 2, a missing length or a length past the end is a drop', (t) => {
  t.is(reason(parse(2, 0, 0x05, 0xb4)), 'tcp-bad-option');
  t.is(reason(parse(30, 1, 1, 1)), 'tcp-bad-option');
  t.is(reason(parse(1, 1, 1, 2)), 'tcp-bad-option'); // kind in the last byte, no length
  t.is(reason(parse(2, 4, 0x05)), 'tcp-bad-option');
  t.is(reason(parse(8, 10, 0, 0, 0, 1, 0, 0, 0)), 'tcp-bad-option');
  t.is(reason(parse(30, 200)), 'tcp-bad-option');
});

test('the parse stops at `end`, not at the end of the buffer', (t) => {
  const b = Uint8Array.of(3, 3, 7, 2, 4, 0x05, 0xb4);
  t.deepEqual(parseTcpOptions(b, 0, 3), { windowScale: 7 });
  t.is(reason(parseTcpOptions(b, 0, 5)), 'tcp-bad-option');
});

test('a repeated option: the last one wins', (t) => {
  t.deepEqual(parse(2, 4, 0, 1, 2, 4, 0, 2), { mss: 2 });
});

test('emission follows the Linux layout on a SYN', (t) => {
  const o: TcpOptions = { mss: 1460, sackPermitted: true, timestamp: { tsVal: 1, tsEcr: 0 }, windowScale: 7 };
  const out = new Uint8Array(tcpOptionsLen(o));
  t.is(emitTcpOptions(o, out, 0), 20);
  t.deepEqual(Array.from(out), [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  t.is(formatTcpOptions(o), 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7');
  t.is(formatTcpOptionBytes(out, 0, out.length), 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7');
});

test('emission without timestamps pads SACK-permitted with two NOPs', (t) => {
  const o: TcpOptions = { mss: 536, sackPermitted: true, windowScale: 0 };
  const out = new Uint8Array(tcpOptionsLen(o));
  emitTcpOptions(o, out, 0);
  t.deepEqual(Array.from(out), [2, 4, 2, 0x18, 1, 1, 4, 2, 1, 3, 3, 0]);
  t.is(formatTcpOptions(o), 'mss 536,nop,nop,sackOK,nop,wscale 0');
});

test('emission on a data segment: nop nop TS, then nop nop SACK', (t) => {
  const o: TcpOptions = { timestamp: { tsVal: 5, tsEcr: 6 }, sack: [{ left: 100, right: 200 }] };
  const out = new Uint8Array(tcpOptionsLen(o));
  t.is(out.length, 24);
  emitTcpOptions(o, out, 0);
  t.deepEqual(Array.from(out), [1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 1, 5, 10, 0, 0, 0, 100, 0, 0, 0, 200]);
  t.is(formatTcpOptions(o), 'nop,nop,TS val 5 ecr 6,nop,nop,sack 1 {100:200}');
});

test('SACK blocks that do not fit are left out: 3 with timestamps, 4 without', (t) => {
  const four = [1, 2, 3, 4].map((k) => ({ left: k * 10, right: k * 10 + 5 }));
  t.is(tcpSackBlocksEmitted({ sack: four, timestamp: { tsVal: 1, tsEcr: 1 } }), 3);
  t.is(tcpOptionsLen({ sack: four, timestamp: { tsVal: 1, tsEcr: 1 } }), 40);
  t.is(tcpSackBlocksEmitted({ sack: four }), 4);
  t.is(tcpSackBlocksEmitted({ sack: [...four, ...four] }), 4);
  t.is(tcpSackBlocksEmitted({ sack: four, timestamp: { tsVal: 1, tsEcr: 1 }, mss: 1, windowScale: 1 }), 2);
  t.is(tcpSackBlocksEmitted({ sack: [] }), 0);
  t.is(tcpOptionsLen({ sack: [] }), 0);
});

test('formatTcpOptionBytes shows the wire as it is, and never throws', (t) => {
  t.is(formatTcpOptionBytes(Uint8Array.of(1, 2, 3, 0x05, 0, 0), 0, 6), 'nop,mss[bad len 3],eol');
  t.is(formatTcpOptionBytes(Uint8Array.of(0x1e, 4, 1, 2, 1), 0, 5), 'unknown-0x1e len 4,nop');
  t.is(formatTcpOptionBytes(Uint8Array.of(1, 2, 1), 0, 3), 'nop,bad-opt');
  t.is(formatTcpOptionBytes(Uint8Array.of(5, 10, 0, 0, 0, 1, 0, 0, 0, 2), 0, 10), 'sack 1 {1:2}');
  t.is(formatTcpOptionBytes(Uint8Array.of(5, 4, 0, 0), 0, 4), 'sack[bad len 4]');
  t.is(formatTcpOptionBytes(Uint8Array.of(1), 0, 9), 'nop', 'end past the buffer is clamped');
});

test('property: arbitrary option bytes never throw, and emit∘parse∘emit is stable', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      formatTcpOptionBytes(b, 0, b.length);
      const o = parseTcpOptions(b, 0, b.length);
      if (isDrop(o)) return true;
      const out = new Uint8Array(tcpOptionsLen(o));
      if (emitTcpOptions(o, out, 0) !== out.length || out.length > 40 || out.length % 4 !== 0) return false;
      const again = parseTcpOptions(out, 0, out.length);
      const out2 = new Uint8Array(isDrop(again) ? 0 : tcpOptionsLen(again));
      if (!isDrop(again)) emitTcpOptions(again, out2, 0);
      return !isDrop(again) && Buffer.compare(out, out2) === 0;
    }),
  );
  t.pass();
});
