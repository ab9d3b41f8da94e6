import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { readCapture, readPcap, readPcapFile, PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from '../../../drivers/pcap/read';
import { CaptureFormatError } from '../../../drivers/pcap/format';
import { ethFrame, handPcap, type HandRecord } from '../frames';
import { hasTshark } from './tshark';

test('an annotated little-endian microsecond file decodes field by field', (t) => {
  // prettier-ignore
  const bytes = Uint8Array.from([
    0xd4, 0xc3, 0xb2, 0xa1, // magic 0xa1b2c3d4, little-endian
    0x02, 0x00, 0x04, 0x00, // version 2.4
    0x00, 0x00, 0x00, 0x00, // thiszone
    0x00, 0x00, 0x00, 0x00, // sigfigs
    0xff, 0xff, 0x00, 0x00, // snaplen 65535
    0x01, 0x00, 0x00, 0x00, // link type 1, Ethernet
    0x10, 0x00, 0x00, 0x00, // ts_sec 16
    0x40, 0x42, 0x07, 0x00, // ts_usec 0x074240 = 475712
    0x03, 0x00, 0x00, 0x00, // incl_len 3
    0x3c, 0x00, 0x00, 0x00, // orig_len 60
    0xaa, 0xbb, 0xcc,       // the captured bytes
  ]);
  const f = readPcap(bytes);
  t.is(f.format, 'pcap');
  t.is(f.linkType, 'ethernet');
  t.is(f.linkTypeNumber, 1);
  t.is(f.snaplen, 65535);
  t.false(f.incomplete);
  t.is(f.records.length, 1);
  const r = f.records[0]!;
  t.is(r.timestampNs, 16_475_712_000n);
  t.is(r.timeMs, 16_475.712);
  t.deepEqual([...r.data], [0xaa, 0xbb, 0xcc]);
  t.is(r.origLen, 60);
  t.false(r.truncated);
  t.is(r.data.buffer, bytes.buffer, 'data is a view into the file, not a copy');
});

const frames = [ethFrame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01', 28, 1, 0x0806), ethFrame('02:00:00:00:00:01', '02:00:00:00:00:02', 46, 9)];

for (const le of [true, false]) {
  for (const ns of [false, true]) {
    test(`${le ? 'little' : 'big'}-endian, ${ns ? 'nanosecond' : 'microsecond'} timestamps`, (t) => {
      const recs: HandRecord[] = [
        { sec: 1_700_000_000, frac: ns ? 123_456_789 : 123_456, inclLen: frames[0]!.length, origLen: frames[0]!.length, data: frames[0]! },
        { sec: 1_700_000_001, frac: ns ? 999_999_999 : 999_999, inclLen: frames[1]!.length, origLen: 1514, data: frames[1]! },
      ];
      const f = readPcap(handPcap({ le, magic: ns ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, snaplen: 262144, linkType: 1, records: recs }));
      t.is(f.records.length, 2);
      t.deepEqual([...f.records[0]!.data], [...frames[0]!]);
      t.deepEqual([...f.records[1]!.data], [...frames[1]!]);
      t.is(f.records[0]!.timestampNs, ns ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n);
      t.is(f.records[1]!.timestampNs, ns ? 1_700_000_001_999_999_999n : 1_700_000_001_999_999_000n);
      t.true(Math.abs(f.records[0]!.timeMs - (ns ? 1_700_000_000_123.456789 : 1_700_000_000_123.456)) < 0.001);
      t.is(f.records[1]!.origLen, 1514, 'origLen > inclLen is exposed');
      t.is(f.records[1]!.data.length, frames[1]!.length);
      t.false(f.records[1]!.truncated, 'a snapped packet is not a truncated record');
    });
  }
}

test('link types: Ethernet 1, raw IP 101, 228 and 229; others are a clear error', (t) => {
  const of = (linkType: number) => readPcap(handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 100, linkType, records: [] }));
  t.is(of(1).linkType, 'ethernet');
  for (const n of [101, 228, 229]) {
    t.is(of(n).linkType, 'ip');
    t.is(of(n).linkTypeNumber, n);
  }
  t.is(of(0x1000_0001).linkTypeNumber, 1, 'FCS bits above the link type are ignored');
  const e = t.throws(() => of(113), { instanceOf: CaptureFormatError });
  t.regex(e!.message, /unsupported link type 113/);
});

test('a record running past the end of the file is flagged truncated and the file incomplete', (t) => {
  const data = frames[1]!;
  const full = handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 65535, linkType: 1, records: [
    { sec: 1, frac: 0, inclLen: 42, origLen: 42, data: frames[0]! },
    { sec: 2, frac: 0, inclLen: data.length, origLen: data.length, data },
  ] });
  const cut = full.subarray(0, full.length - 10);
  const f = readPcap(cut);
  t.true(f.incomplete);
  t.is(f.records.length, 2);
  t.false(f.records[0]!.truncated);
  t.true(f.records[1]!.truncated);
  t.deepEqual([...f.records[1]!.data], [...data.subarray(0, data.length - 10)]);
});

test('a record larger than snaplen is flagged, cut to snaplen, and the next record still reads', (t) => {
  const big = ethFrame('02:00:00:00:00:01', '02:00:00:00:00:02', 100);
  const f = readPcap(handPcap({ le: false, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 64, linkType: 1, records: [
    { sec: 1, frac: 0, inclLen: big.length, origLen: big.length, data: big },
    { sec: 2, frac: 0, inclLen: 42, origLen: 42, data: frames[0]! },
  ] }));
  t.false(f.incomplete);
  t.is(f.records.length, 2);
  t.true(f.records[0]!.truncated);
  t.is(f.records[0]!.data.length, 64);
  t.false(f.records[1]!.truncated);
  t.deepEqual([...f.records[1]!.data], [...frames[0]!]);
});

test('a file ending inside a record header keeps the records before it', (t) => {
  const full = handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 65535, linkType: 1, records: [
    { sec: 1, frac: 0, inclLen: 42, origLen: 42, data: frames[0]! },
    { sec: 2, frac: 0, inclLen: 42, origLen: 42, data: frames[0]! },
  ] });
  const f = readPcap(full.subarray(0, 24 + 16 + 42 + 7));
  t.true(f.incomplete);
  t.is(f.records.length, 1);
});

test('an impossible captured length is a clear error naming the record and offset', (t) => {
  const bad = handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 65535, linkType: 1, records: [
    { sec: 1, frac: 0, inclLen: 42, origLen: 42, data: frames[0]! },
    { sec: 1, frac: 0, inclLen: 0xffffffff, origLen: 60, data: new Uint8Array(60) },
  ] });
  const e = t.throws(() => readPcap(bad), { instanceOf: CaptureFormatError });
  t.regex(e!.message, /record 1 claims 4294967295 captured bytes.*at byte 82/);
});

test('what is not a pcap file is refused with a reason', (t) => {
  t.throws(() => readPcap(new Uint8Array(10)), { instanceOf: CaptureFormatError, message: /shorter than the 24-byte file header/ });
  t.throws(() => readPcap(new Uint8Array(24).fill(0x41)), { instanceOf: CaptureFormatError, message: /magic 0x41414141/ });
  const ng = Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(24).fill(0)]);
  t.throws(() => readPcap(ng), { message: /pcapng file; use readCapture/ });
  const v3 = handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 100, linkType: 1, records: [], major: 3 });
  t.throws(() => readPcap(v3), { instanceOf: CaptureFormatError, message: /unsupported pcap version 3\.4/ });
  t.throws(() => readCapture(new Uint8Array(0)), { instanceOf: CaptureFormatError });
});

test('every cut of a valid file reads a prefix of its records, never throws past the header', (t) => {
  const full = handPcap({ le: false, magic: PCAP_MAGIC_NANOSECONDS, snaplen: 65535, linkType: 1, records: frames.map((d, i) => ({ sec: i, frac: 5, inclLen: d.length, origLen: d.length, data: d })) });
  for (let n = 0; n <= full.length; n++) {
    const cut = full.subarray(0, n);
    if (n < 24) {
      t.throws(() => readPcap(cut), { instanceOf: CaptureFormatError });
      continue;
    }
    const f = readPcap(cut);
    t.is(f.incomplete, n !== full.length && n !== 24 + 16 + frames[0]!.length && n !== 24, `cut at ${n}`);
    f.records.forEach((r, i) => t.deepEqual([...r.data], [...frames[i]!.subarray(0, r.data.length)]));
  }
});

test('arbitrary bytes after a valid header give records or a CaptureFormatError, nothing else', (t) => {
  const header = handPcap({ le: true, magic: PCAP_MAGIC_MICROSECONDS, snaplen: 1500, linkType: 1, records: [] });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
      const bytes = new Uint8Array(24 + tail.length);
      bytes.set(header);
      bytes.set(tail, 24);
      try {
        const f = readPcap(bytes);
        return f.records.every((r) => r.data.byteOffset + r.data.byteLength <= bytes.byteLength && r.data.length <= 1500);
      } catch (e) {
        return e instanceof CaptureFormatError;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

const fixture = join(__dirname, '../../../pcap-fixtures/tcp4-handshake-bulk.pcap');

test('a real capture from the fixtures reads as many frames as tshark counts', (t) => {
  if (!existsSync(fixture)) {
    t.log(`skipped: ${fixture} is missing`);
    t.pass();
    return;
  }
  const f = readPcapFile(fixture);
  t.is(f.linkType, 'ethernet');
  t.false(f.incomplete);
  t.true(f.records.length > 10);
  t.true(f.records.every((r, i) => i === 0 || r.timeMs >= f.records[i - 1]!.timeMs));
  if (!hasTshark()) {
    t.log('tshark comparison skipped: tshark is not installed (make debs installs it)');
    return;
  }
  const out = execFileSync('tshark', ['-r', fixture, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.trim().split('\n').map((l) => l.split('\t').map(Number));
  t.is(lines.length, f.records.length);
  lines.forEach(([len, capLen], i) => {
    t.is(f.records[i]!.origLen, len);
    t.is(f.records[i]!.data.length, capLen);
  });
});
