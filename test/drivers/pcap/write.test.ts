import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { readPcap, readPcapFile } from '../../../drivers/pcap/read';
import { PcapWriter, writePcap } from '../../../drivers/pcap/write';
import { ethFrame, tempDir } from '../frames';
import { hasTshark } from './tshark';

const frames = [
  ethFrame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01', 28, 1, 0x0806),
  ethFrame('02:00:00:00:00:01', '02:00:00:00:00:02', 1500, 5),
  ethFrame('02:00:00:00:00:02', '02:00:00:00:00:01', 46, 77),
];

test('writePcap then readPcap gives byte-identical frames and the same times', (t) => {
  const records = frames.map((data, i) => ({ data, timeMs: 1_700_000_000_000 + i * 12.345 }));
  const f = readPcap(writePcap(records, 'ethernet'));
  t.is(f.linkTypeNumber, 1);
  t.is(f.snaplen, 262144);
  t.is(f.records.length, 3);
  f.records.forEach((r, i) => {
    t.deepEqual(r.data, frames[i]!);
    t.is(r.origLen, frames[i]!.length);
    t.true(Math.abs(r.timeMs - records[i]!.timeMs) < 0.0006, `µs rounding at ${i}`);
  });
});

test('a file read and written again is identical, byte for byte, in both resolutions', (t) => {
  for (const nanosecond of [false, true]) {
    const first = writePcap(frames.map((data, i) => ({ data, timeMs: 5_000 + i * 0.001, origLen: data.length + i })), 'ethernet', { nanosecond });
    const again = writePcap(readPcap(first).records, 'ethernet', { nanosecond });
    t.deepEqual(again, first);
  }
});

test('raw IP link type, snaplen cutting and the header fields', (t) => {
  const packet = new Uint8Array(100).fill(0x45);
  const bytes = writePcap([{ data: packet, timeMs: 1500.25 }], 'ip', { snaplen: 64 });
  const dv = new DataView(bytes.buffer);
  t.is(dv.getUint32(0, true), 0xa1b2c3d4);
  t.is(dv.getUint16(4, true), 2);
  t.is(dv.getUint16(6, true), 4);
  t.is(dv.getUint32(16, true), 64);
  t.is(dv.getUint32(20, true), 101);
  t.is(dv.getUint32(24, true), 1, 'seconds');
  t.is(dv.getUint32(28, true), 500_250, 'microseconds');
  t.is(dv.getUint32(32, true), 64, 'incl_len cut to snaplen');
  t.is(dv.getUint32(36, true), 100, 'orig_len keeps the wire length');
  t.is(bytes.length, 24 + 16 + 64);
  const f = readPcap(bytes);
  t.is(f.linkType, 'ip');
  t.false(f.records[0]!.truncated, 'cut by the writer within snaplen: a normal snapped record');
});

test('timestamps round to the file resolution, carrying into seconds', (t) => {
  const [r] = readPcap(writePcap([{ data: frames[0]!, timeMs: 1999.9999 }], 'ethernet')).records;
  t.is(r!.timestampNs, 2_000_000_000n);
  const [n] = readPcap(writePcap([{ data: frames[0]!, timeMs: 0, timestampNs: 1_234_567_891n }], 'ethernet', { nanosecond: true })).records;
  t.is(n!.timestampNs, 1_234_567_891n, 'an exact timestampNs wins over timeMs');
  t.throws(() => writePcap([{ data: frames[0]!, timeMs: -1 }], 'ethernet'), { instanceOf: RangeError });
  t.throws(() => writePcap([{ data: frames[0]!, timeMs: NaN }], 'ethernet'), { instanceOf: RangeError });
  t.throws(() => writePcap([], 'ethernet', { snaplen: 0 }), { instanceOf: RangeError });
});

test('any frames and times round-trip through the writer and reader', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 1600 }), fc.integer({ min: 0, max: 4_000_000_000_000 })), { maxLength: 20 }), fc.boolean(), (recs, nanosecond) => {
      const f = readPcap(writePcap(recs.map(([data, us]) => ({ data, timeMs: us / 1000 })), 'ethernet', { nanosecond }));
      return f.records.length === recs.length && f.records.every((r, i) => Buffer.compare(r.data, recs[i]![0]) === 0 && r.timestampNs === BigInt(recs[i]![1]) * 1000n);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('PcapWriter streams records that are complete in the file as soon as written and after close', (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'stream.pcap');
  const w = new PcapWriter(path, { linkType: 'ethernet', snaplen: 2000 });
  w.write(frames[0]!, 10);
  t.is(readPcapFile(path).records.length, 1, 'visible before close');
  w.write(frames[1]!, 20.5);
  w.write(frames[2]!, 31);
  w.close();
  w.close();
  t.true(w.closed);
  t.throws(() => w.write(frames[0]!, 40), { message: /write after close/ });
  const f = readPcapFile(path);
  t.false(f.incomplete);
  t.deepEqual(f.records.map((r) => r.timeMs), [10, 20.5, 31]);
  f.records.forEach((r, i) => t.deepEqual(r.data, frames[i]!));
  t.is(w.records, 3);
  t.is(w.bytesWritten, readFileSync(path).length);
  t.deepEqual(new Uint8Array(readFileSync(path)), writePcap(frames.map((data, i) => ({ data, timeMs: [10, 20.5, 31][i]! })), 'ethernet', { snaplen: 2000 }));
});

test('tshark opens written files (microsecond and nanosecond) and sees every frame', (t) => {
  if (!hasTshark()) {
    t.log('skipped: tshark is not installed (make debs, or apt-get install -y tshark)');
    t.pass();
    return;
  }
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  for (const nanosecond of [false, true]) {
    const path = join(dir, `out-${nanosecond ? 'ns' : 'us'}.pcap`);
    const w = new PcapWriter(path, { linkType: 'ethernet', nanosecond });
    frames.forEach((f, i) => w.write(f, 1_700_000_000_000 + i * 1.5));
    w.close();
    const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'eth.src', '-e', 'frame.time_epoch'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    t.deepEqual(rows.map((r) => Number(r[0])), frames.map((f) => f.length));
    t.deepEqual(rows.map((r) => r[1]), ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:01']);
    t.is(Number(rows[2]![2]), 1_700_000_000.003);
  }
});
