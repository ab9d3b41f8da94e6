import test from 'ava';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { readPcapng } from '../../../drivers/pcap/pcapng';
import { readCapture, readCaptureFile, readPcapFile } from '../../../drivers/pcap/read';
import { CaptureFormatError } from '../../../drivers/pcap/format';
import { block, concat, ethFrame, fields, tempDir } from '../frames';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;

function option(le: boolean, code: number, value: Uint8Array): Uint8Array {
  const padded = new Uint8Array((value.length + 3) & ~3);
  padded.set(value);
  return fields(le, [code, 2], [value.length, 2], padded);
}
const endOfOptions = (le: boolean) => fields(le, [0, 2], [0, 2]);
const shb = (le: boolean) => block(le, SHB, fields(le, [0x1a2b3c4d, 4], [1, 2], [0, 2], [0xffff_ffff_ffff_ffffn, 8]));
const idb = (le: boolean, linkType: number, snaplen: number, ...opts: Uint8Array[]) =>
  block(le, IDB, fields(le, [linkType, 2], [0, 2], [snaplen, 4], ...(opts.length ? [...opts, endOfOptions(le)] : [])));
function epb(le: boolean, ifId: number, ticks: bigint, data: Uint8Array, origLen = data.length, capLen = data.length): Uint8Array {
  return block(le, EPB, fields(le, [ifId, 4], [Number(ticks >> 32n), 4], [Number(ticks & 0xffffffffn), 4], [capLen, 4], [origLen, 4], data));
}
const spb = (le: boolean, data: Uint8Array, origLen = data.length) => block(le, SPB, fields(le, [origLen, 4], data));

const f1 = ethFrame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01', 28, 3, 0x0806); // 42 bytes: padding needed
const f2 = ethFrame('02:00:00:00:00:01', '02:00:00:00:00:02', 47, 7); // 61 bytes

for (const le of [true, false]) {
  test(`${le ? 'little' : 'big'}-endian section: IDB, EPB, SPB, unknown blocks skipped`, (t) => {
    const file = concat(
      shb(le),
      idb(le, 1, 0),
      block(le, 0x0bad, Uint8Array.of(1, 2, 3, 4, 5)), // unknown: skipped by its length
      epb(le, 0, 1_700_000_000_250_000n, f1, 60),
      block(le, 4, fields(le, [0, 2], [0, 2])), // a name resolution block, also skipped
      spb(le, f2),
    );
    const f = readPcapng(file);
    t.is(f.format, 'pcapng');
    t.is(f.linkType, 'ethernet');
    t.is(f.snaplen, 0);
    t.false(f.incomplete);
    t.is(f.records.length, 2);
    t.deepEqual([...f.records[0]!.data], [...f1], 'padding is not part of the packet');
    t.is(f.records[0]!.origLen, 60);
    t.is(f.records[0]!.timestampNs, 1_700_000_000_250_000_000n, 'default resolution is microseconds');
    t.is(f.records[0]!.timeMs, 1_700_000_000_250);
    t.deepEqual([...f.records[1]!.data], [...f2]);
    t.is(f.records[1]!.timeMs, 1_700_000_000_250, 'a simple packet block takes the previous time');
    t.is(f.records[1]!.interfaceId, 0);
    t.deepEqual(readCapture(file).records.length, 2, 'readCapture recognises pcapng');
  });
}

test('if_tsresol in powers of ten and two, and if_tsoffset', (t) => {
  const le = true;
  const file = concat(
    shb(le),
    idb(le, 101, 65535, option(le, 9, Uint8Array.of(9))), // nanoseconds
    idb(le, 101, 65535, option(le, 9, Uint8Array.of(0x80 | 10)), option(le, 14, fields(le, [100n, 8]))), // 1/1024 s, +100 s
    epb(le, 0, 1_500_000_000_123_456_789n, f1),
    epb(le, 1, 3n * 1024n + 512n, f2),
  );
  const f = readPcapng(file);
  t.is(f.linkType, 'ip');
  t.is(f.linkTypeNumber, 101);
  t.is(f.interfaces[0]!.unitsPerSecond, 1_000_000_000n);
  t.is(f.interfaces[1]!.unitsPerSecond, 1024n);
  t.is(f.interfaces[1]!.offsetSeconds, 100n);
  t.is(f.records[0]!.timestampNs, 1_500_000_000_123_456_789n);
  t.is(f.records[1]!.timestampNs, 103_500_000_000n);
  t.is(f.records[1]!.timeMs, 103_500);
  t.is(f.records[1]!.interfaceId, 1);
});

test('several sections, in different byte orders, number their interfaces afresh', (t) => {
  const file = concat(
    shb(true),
    idb(true, 1, 0),
    epb(true, 0, 1_000_000n, f1),
    shb(false),
    idb(false, 1, 0, option(false, 9, Uint8Array.of(3))), // milliseconds
    epb(false, 0, 2_000n, f2),
  );
  const f = readPcapng(file);
  t.is(f.interfaces.length, 2);
  t.deepEqual(f.interfaces.map((i) => i.section), [0, 1]);
  t.deepEqual(f.records.map((r) => r.interfaceId), [0, 1]);
  t.deepEqual(f.records.map((r) => r.timeMs), [1000, 2000]);
  t.deepEqual([...f.records[1]!.data], [...f2]);
});

test('packets on an interface of another link type are skipped and counted', (t) => {
  const le = true;
  const file = concat(shb(le), idb(le, 113, 0), idb(le, 1, 0), epb(le, 0, 1n, f1), epb(le, 1, 2n, f2), epb(le, 0, 3n, f1));
  const f = readPcapng(file);
  t.is(f.linkType, 'ethernet');
  t.is(f.records.length, 1);
  t.is(f.skippedRecords, 2);
  const onlySll = concat(shb(le), idb(le, 113, 0), epb(le, 0, 1n, f1));
  t.throws(() => readPcapng(onlySll), { instanceOf: CaptureFormatError, message: /unsupported link type 113/ });
});

test('captured length above the interface snaplen is flagged and cut', (t) => {
  const le = false;
  const f = readPcapng(concat(shb(le), idb(le, 1, 40), epb(le, 0, 1n, f2)));
  t.true(f.records[0]!.truncated);
  t.is(f.records[0]!.data.length, 40);
});

test('malformed lengths are clear errors', (t) => {
  const le = true;
  const good = concat(shb(le), idb(le, 1, 0), epb(le, 0, 1n, f1));
  const epbAt = shb(le).length + idb(le, 1, 0).length;
  const withU32 = (off: number, v: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(off, v, le);
    return b;
  };
  t.throws(() => readPcapng(withU32(epbAt + 4, 8)), { instanceOf: CaptureFormatError, message: /impossible length 8/ });
  t.throws(() => readPcapng(withU32(epbAt + 4, 70)), { instanceOf: CaptureFormatError, message: /impossible length 70/ });
  t.throws(() => readPcapng(withU32(epbAt + 4, 64)), { instanceOf: CaptureFormatError, message: /trailing length/ });
  t.throws(() => readPcapng(withU32(epbAt + 20, 1000)), { instanceOf: CaptureFormatError, message: /claims 1000 captured bytes/ });
  t.throws(() => readPcapng(withU32(epbAt + 8, 5)), { instanceOf: CaptureFormatError, message: /interface 5/ });
  t.throws(() => readPcapng(withU32(8, 0x12345678)), { instanceOf: CaptureFormatError, message: /byte-order magic/ });
  const overrun = concat(shb(le), block(le, IDB, fields(le, [1, 2], [0, 2], [0, 4], [9, 2], [200, 2], [0, 4])));
  t.throws(() => readPcapng(overrun), { instanceOf: CaptureFormatError, message: /option 9 of 200 bytes overruns/ });
  t.throws(() => readPcapng(concat(idb(le, 1, 0), shb(le))), { instanceOf: CaptureFormatError, message: /must begin with a section header/ });
  t.throws(() => readPcapng(shb(le)), { instanceOf: CaptureFormatError, message: /describes no interface/ });
});

test('a file cut inside a block keeps the whole blocks before it', (t) => {
  const le = true;
  const file = concat(shb(le), idb(le, 1, 0), epb(le, 0, 1n, f1), epb(le, 0, 2n, f2));
  const f = readPcapng(file.subarray(0, file.length - 5));
  t.true(f.incomplete);
  t.is(f.records.length, 1);
});

test('mutated files give records inside the buffer or a CaptureFormatError', (t) => {
  const le = true;
  const file = concat(shb(le), idb(le, 1, 0, option(le, 9, Uint8Array.of(6))), epb(le, 0, 1n, f1), spb(le, f2), epb(le, 0, 9n, f2));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(file.length), (edits, cut) => {
      const b = file.slice(0, Math.max(cut, 12));
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      try {
        const f = readPcapng(b);
        return f.records.every((r) => r.data.byteOffset + r.data.byteLength <= b.byteLength);
      } catch (e) {
        return e instanceof CaptureFormatError;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

const fixture = join(__dirname, '../../../pcap-fixtures/tcp4-handshake-bulk.pcap');

test('editcap’s pcapng of a fixture reads the same frames and times as the pcap', (t) => {
  if (!existsSync(fixture) || spawnSync('editcap', ['-h'], { stdio: 'ignore' }).status !== 0) {
    t.log('skipped: needs editcap (package wireshark-common, installed with tshark) and pcap-fixtures/tcp4-handshake-bulk.pcap');
    t.pass();
    return;
  }
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const ng = join(dir, 'bulk.pcapng');
  execFileSync('editcap', ['-F', 'pcapng', fixture, ng], { stdio: 'ignore' });
  const a = readPcapFile(fixture);
  const b = readCaptureFile(ng);
  t.is(b.format, 'pcapng');
  t.is(b.records.length, a.records.length);
  b.records.forEach((r, i) => {
    t.deepEqual(r.data, a.records[i]!.data);
    t.is(r.timestampNs, a.records[i]!.timestampNs);
  });
});
