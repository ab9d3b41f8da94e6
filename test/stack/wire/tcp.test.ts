import test from 'ava';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  TcpFlag,
  TcpView,
  TcpRepr,
  emitTcp,
  formatTcp,
  parseTcp,
  tcpChecksumOk,
  tcpFlagsString,
  tcpHeaderLen,
} from '../../../stack/wire/tcp';
import { isDrop } from '../../../stack/wire/drop';
import { pseudoHeaderSumV4, pseudoHeaderSumV6, sumBytes, verifies } from '../../../stack/wire/checksum';
import { parseIpv4, parseIpv6 } from '../../../stack/wire/address';

const SRC = parseIpv4('10.0.0.1')!;
const DST = parseIpv4('10.0.0.2')!;
const ph = (len: number): number => pseudoHeaderSumV4(SRC, DST, 6, len);
/** Hex bytes, one field per line, each annotated after `//`. */
const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/\/\/.*$/gm, '').replace(/\s+/g, ''), 'hex'));

// A Linux SYN, 10.0.0.1:49500 → 10.0.0.2:80. Checksum computed independently (Python).
const SYN = hex(`
  c15c 0050                     // source port 49500, destination port 80
  e1a2b3c4                      // sequence number
  00000000                      // acknowledgment number
  a0 02                         // data offset 10 words (40 bytes); flags SYN
  faf0                          // window 64240
  ffb6                          // checksum
  0000                          // urgent pointer
  020405b4                      // MSS 1460
  0402 080a 0001e240 00000000   // SACK-permitted; timestamps val 123456 ecr 0
  01 030307                     // NOP; window scale 7
`);

// A data segment with PSH|ACK, nop nop TS, nop nop SACK with one block, then "hello".
const DATA = hex(`
  c15c 0050 e1a2b3c5 5f6e7d8c   // ports, seq, ack
  b0 18                         // data offset 11 words (44 bytes); flags PSH ACK
  01f6                          // window 502
  7afd 0000                     // checksum; urgent pointer
  0101 080a 0001e241 0001869f   // nop nop TS val 123457 ecr 99999
  0101 050a 5f6e8000 5f6e9000   // nop nop SACK {0x5f6e8000:0x5f6e9000}
  68656c6c6f                    // "hello"
`);

test('a Linux SYN decodes field by field', (t) => {
  const v = TcpView.check(SYN);
  if (isDrop(v)) return t.fail(v.reason);
  t.is(v.srcPort, 49500);
  t.is(v.dstPort, 80);
  t.is(v.seq, 0xe1a2b3c4);
  t.is(v.ack, 0);
  t.is(v.headerLen, 40);
  t.is(v.flags, TcpFlag.SYN);
  t.is(v.window, 64240);
  t.is(v.checksum, 0xffb6);
  t.is(v.urgent, 0);
  t.is(v.payload.length, 0);
  t.true(tcpChecksumOk(SYN, ph(SYN.length)));
  const r = parseTcp(SYN, ph(SYN.length));
  if (isDrop(r)) return t.fail(r.reason);
  t.deepEqual(r.options, { mss: 1460, sackPermitted: true, timestamp: { tsVal: 123456, tsEcr: 0 }, windowScale: 7 });
  t.is(formatTcp(r), 'TCP 49500 > 80 [S] seq 3785536452 win 64240 <mss 1460,sackOK,TS val 123456 ecr 0,nop,wscale 7> len 0');
});

test('the SYN is rebuilt byte for byte', (t) => {
  const r = parseTcp(SYN, ph(SYN.length));
  if (isDrop(r)) return t.fail(r.reason);
  t.is(tcpHeaderLen(r), 40);
  const out = new Uint8Array(40);
  t.is(emitTcp(r, out, ph(40)), 40);
  t.deepEqual(out, SYN);
});

test('a data segment with timestamps and SACK decodes and is rebuilt byte for byte', (t) => {
  const r = parseTcp(DATA, ph(DATA.length));
  if (isDrop(r)) return t.fail(r.reason);
  t.is(r.seq, 0xe1a2b3c5);
  t.is(r.ack, 0x5f6e7d8c);
  t.is(r.flags, TcpFlag.PSH | TcpFlag.ACK);
  t.is(r.window, 502);
  t.deepEqual(r.options, { timestamp: { tsVal: 123457, tsEcr: 99999 }, sack: [{ left: 0x5f6e8000, right: 0x5f6e9000 }] });
  t.is(Buffer.from(r.payload).toString(), 'hello');
  t.is(r.payload.buffer, DATA.buffer, 'the payload is a view, not a copy');
  t.is(
    formatTcp(r),
    'TCP 49500 > 80 [P.] seq 3785536453 ack 1601076620 win 502 <nop,nop,TS val 123457 ecr 99999,nop,nop,sack 1 {1601077248:1601081344}> len 5',
  );
  const out = new Uint8Array(64).fill(0xee);
  t.is(emitTcp(r, out, ph(DATA.length)), DATA.length);
  t.deepEqual(out.subarray(0, DATA.length), DATA);
  t.is(out[DATA.length], 0xee, 'nothing written past the segment');
});

test('every truncation of a valid header is a drop', (t) => {
  for (const seg of [SYN, DATA]) {
    const hl = (seg[12]! >> 4) * 4;
    for (let n = 0; n < hl; n++) {
      const r = parseTcp(seg.subarray(0, n));
      t.true(isDrop(r), `length ${n}`);
      t.true(isDrop(TcpView.check(seg.subarray(0, n))), `view, length ${n}`);
    }
  }
  t.is((parseTcp(SYN.subarray(0, 19)) as { reason: string }).reason, 'tcp-truncated');
  t.is((parseTcp(SYN.subarray(0, 39)) as { reason: string }).reason, 'tcp-bad-offset');
});

test('a data offset below 5 words is a drop', (t) => {
  for (const off of [0, 1, 4]) {
    const b = Uint8Array.from(SYN);
    b[12] = off << 4;
    const r = TcpView.check(b);
    t.true(isDrop(r) && r.reason === 'tcp-bad-offset', `offset ${off}`);
  }
});

test('a wrong checksum is a drop only when a pseudo-header sum is given', (t) => {
  const b = Uint8Array.from(DATA);
  b[b.length - 1] ^= 0x01;
  const r = parseTcp(b, ph(b.length));
  t.true(isDrop(r) && r.reason === 'tcp-bad-checksum');
  t.false(isDrop(parseTcp(b)));
  // A different pseudo-header (wrong destination) also fails.
  t.true(isDrop(parseTcp(DATA, pseudoHeaderSumV4(SRC, DST + 1, 6, DATA.length))));
});

test('SYN with FIN or RST is a drop', (t) => {
  for (const extra of [TcpFlag.FIN, TcpFlag.RST, TcpFlag.FIN | TcpFlag.RST]) {
    const b = Uint8Array.from(SYN);
    b[13] = TcpFlag.SYN | extra;
    const r = parseTcp(b);
    t.true(isDrop(r) && r.reason === 'tcp-bad-flags', tcpFlagsString(b[13]!));
  }
  const b = Uint8Array.from(SYN);
  b[13] = TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE | TcpFlag.CWR;
  t.false(isDrop(parseTcp(b)));
});

test('a malformed option drops the segment', (t) => {
  const b = Uint8Array.from(SYN);
  b[21] = 1; // MSS length 1
  const r = parseTcp(b);
  t.true(isDrop(r) && r.reason === 'tcp-bad-option');
});

test('tcpFlagsString spells flags as tcpdump does', (t) => {
  const { FIN, SYN: S, RST, PSH, ACK, URG, ECE, CWR } = TcpFlag;
  t.is(tcpFlagsString(S), 'S');
  t.is(tcpFlagsString(S | ACK), 'S.');
  t.is(tcpFlagsString(PSH | ACK), 'P.');
  t.is(tcpFlagsString(FIN | ACK), 'F.');
  t.is(tcpFlagsString(FIN | PSH | ACK), 'FP.');
  t.is(tcpFlagsString(RST), 'R');
  t.is(tcpFlagsString(RST | ACK), 'R.');
  t.is(tcpFlagsString(ACK), '.');
  t.is(tcpFlagsString(S | ECE | CWR), 'SEW');
  t.is(tcpFlagsString(URG | ACK), '.U');
  t.is(tcpFlagsString(0), 'none');
});

const synAck: TcpRepr = {
  srcPort: 49500,
  dstPort: 80,
  seq: 1,
  ack: 2,
  flags: TcpFlag.SYN | TcpFlag.ACK,
  window: 65535,
  urgent: 0,
  options: { mss: 1460, sackPermitted: true, timestamp: { tsVal: 1, tsEcr: 0 }, windowScale: 7 },
  payload: new Uint8Array(0),
};

test('formatTcp reads like tcpdump', (t) => {
  t.is(formatTcp(synAck), 'TCP 49500 > 80 [S.] seq 1 ack 2 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7> len 0');
  t.is(
    formatTcp({ ...synAck, flags: TcpFlag.URG | TcpFlag.ACK, urgent: 3, options: {}, payload: new Uint8Array(4) }),
    'TCP 49500 > 80 [.U] seq 1 ack 2 win 65535 urg 3 len 4',
  );
  t.is(formatTcp({ ...synAck, flags: TcpFlag.RST, options: {} }), 'TCP 49500 > 80 [R] seq 1 win 65535 len 0');
});

test('emitTcp refuses a buffer too small for header and payload', (t) => {
  const r = { ...synAck, payload: new Uint8Array(10) };
  t.throws(() => emitTcp(r, new Uint8Array(tcpHeaderLen(r) + 9), 0), { instanceOf: RangeError });
});

test('emitTcp over IPv6 verifies with the IPv6 pseudo-header', (t) => {
  const s = parseIpv6('2001:db8::1')!;
  const d = parseIpv6('2001:db8::2')!;
  const r = { ...synAck, payload: Uint8Array.of(1, 2, 3) };
  const len = tcpHeaderLen(r) + 3;
  const out = new Uint8Array(len);
  emitTcp(r, out, pseudoHeaderSumV6(s, d, 6, len));
  t.false(isDrop(parseTcp(out, pseudoHeaderSumV6(s, d, 6, len))));
  t.true(isDrop(parseTcp(out, pseudoHeaderSumV4(SRC, DST, 6, len))));
});

// ---- properties ----

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const validFlags = fc.integer({ min: 0, max: 0xff }).filter((f) => !(f & TcpFlag.SYN && f & (TcpFlag.FIN | TcpFlag.RST)));
const optionsArb = fc
  .record(
    {
      mss: u16,
      windowScale: fc.integer({ min: 0, max: 255 }),
      sackPermitted: fc.constant(true),
      sack: fc.array(fc.record({ left: u32, right: u32 }, { noNullPrototype: true }), { minLength: 1, maxLength: 4 }),
      timestamp: fc.record({ tsVal: u32, tsEcr: u32 }, { noNullPrototype: true }),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  // Keep only what fits in 40 bytes, so the repr survives the trip unchanged.
  .filter((o) => {
    const fixed =
      (o.mss !== undefined ? 4 : 0) +
      (o.timestamp !== undefined ? 12 : o.sackPermitted ? 4 : 0) +
      (o.windowScale !== undefined ? 4 : 0);
    return o.sack === undefined || fixed + 4 + 8 * o.sack.length <= 40;
  });
const reprArb: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: validFlags,
  window: u16,
  urgent: u16,
  options: optionsArb,
  payload: fc.uint8Array({ maxLength: 64 }),
});
const plain = (r: TcpRepr): object => ({ ...r, payload: Array.from(r.payload) });

test('property: arbitrary bytes never throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), u32, (b, sum) => {
      const r1 = parseTcp(b);
      const r2 = parseTcp(b, sum);
      const v = TcpView.check(b);
      if (!isDrop(v)) v.toString();
      if (!isDrop(r1)) formatTcp(r1);
      return r1 !== undefined && r2 !== undefined;
    }),
  );
  t.pass();
});

test('property: parse(emit(repr)) equals repr and the checksum verifies', (t) => {
  fc.assert(
    fc.property(reprArb, u32, u32, (r, src, dst) => {
      const len = tcpHeaderLen(r) + r.payload.length;
      const out = new Uint8Array(len);
      const sum = pseudoHeaderSumV4(src, dst, 6, len);
      if (emitTcp(r, out, sum) !== len) return false;
      if (!verifies(sumBytes(out, 0, len, sum))) return false;
      const back = parseTcp(out, sum);
      return !isDrop(back) && isDeepStrictEqual(plain(back), plain(r));
    }),
  );
  t.pass();
});

test('property: the header length is a multiple of 4 between 20 and 60 even with too many options', (t) => {
  fc.assert(
    fc.property(
      fc.record({ mss: u16, windowScale: u16, sackPermitted: fc.boolean(), timestamp: fc.record({ tsVal: u32, tsEcr: u32 }, { noNullPrototype: true }), sack: fc.array(fc.record({ left: u32, right: u32 }, { noNullPrototype: true }), { maxLength: 8 }) }, { requiredKeys: [], noNullPrototype: true }),
      (options) => {
        const r = { ...synAck, options };
        const hl = tcpHeaderLen(r);
        const out = new Uint8Array(hl);
        emitTcp(r, out, 0);
        const back = parseTcp(out, 0);
        return hl % 4 === 0 && hl >= 20 && hl <= 60 && !isDrop(back) && (out[12]! >> 4) * 4 === hl;
      },
    ),
  );
  t.pass();
});
