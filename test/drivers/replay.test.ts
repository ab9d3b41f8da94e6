import test from 'ava';
import { existsSync } from 'fs';
import { join } from 'path';
import { ReplayDriver, fromSource, ipSourceOf } from '../../drivers/replay';
import { readPcap, readPcapFile } from '../../drivers/pcap/read';
import { PcapWriter, writePcap } from '../../drivers/pcap/write';
import { SimulatedClock } from '../../drivers/scheduler';
import { ethFrame, numbered, numberOf, tempDir } from './frames';

const times = [1000, 1000, 1050, 1200];
const file = readPcap(writePcap(times.map((timeMs, i) => ({ data: numbered(i), timeMs })), 'ethernet'));

function feedLog(driver: ReplayDriver, clock: SimulatedClock): Array<[number, number[]]> {
  const log: Array<[number, number[]]> = [];
  driver.start((frames) => log.push([clock.now(), frames.map(numberOf)]));
  return log;
}

test('frames are fed at their recorded offsets from start, same-time frames in one batch', async (t) => {
  const clock = new SimulatedClock(500);
  const replay = new ReplayDriver(file, { scheduler: clock });
  t.is(replay.linkType, 'ethernet');
  t.deepEqual(replay.schedule, [0, 50, 200]);
  const log = feedLog(replay, clock);
  t.deepEqual(log, [], 'nothing is fed inside start');
  clock.advance(0);
  t.deepEqual(log, [[500, [0, 1]]]);
  clock.runUntilIdle();
  t.deepEqual(log, [[500, [0, 1]], [550, [2]], [700, [3]]]);
  t.is(replay.fed, 4);
  t.is(replay.remaining, 0);
  await replay.done();
});

test('speed compresses time', (t) => {
  const clock = new SimulatedClock();
  const replay = new ReplayDriver(file, { scheduler: clock, speed: 10 });
  const log = feedLog(replay, clock);
  clock.runUntilIdle();
  t.deepEqual(log.map(([time]) => time), [0, 5, 20]);
  t.throws(() => new ReplayDriver(file, { speed: 0 }), { instanceOf: RangeError });
});

test('what the stack sends is collected with the time since start, as a copy', (t) => {
  const clock = new SimulatedClock(100);
  const replay = new ReplayDriver(file, { scheduler: clock });
  replay.start((frames) => {
    const reply = numbered(numberOf(frames.at(-1)!) + 10);
    replay.send([reply]);
    reply.fill(0);
  });
  clock.runUntilIdle();
  t.deepEqual(replay.sent.map((s) => [s.timeMs, numberOf(s.frame)]), [[0, 11], [50, 12], [200, 13]]);
});

test('fed frames are copies; the capture is left intact', (t) => {
  const clock = new SimulatedClock();
  const replay = new ReplayDriver(file, { scheduler: clock });
  replay.start((frames) => frames.forEach((f) => f.fill(0xff)));
  clock.runUntilIdle();
  t.deepEqual(file.records.map((r) => numberOf(r.data)), [0, 1, 2, 3]);
});

function ipv4Frame(src: string, srcIp: number[]): Uint8Array {
  const f = ethFrame('02:00:00:00:00:99', src, 20);
  f.set([0x45], 14);
  f.set(srcIp, 14 + 12);
  return f;
}

function ipv6Frame(src: string, lastByte: number): Uint8Array {
  const f = ethFrame('02:00:00:00:00:99', src, 40, 0, 0x86dd);
  f.fill(0, 14);
  f[14] = 0x60;
  f[14 + 8] = 0xfd;
  f[14 + 23] = lastByte;
  return f;
}

test('a filter chooses which frames to feed: by MAC or by IP source', (t) => {
  const frames = [ipv4Frame('02:00:00:00:00:01', [10, 0, 0, 1]), ipv4Frame('02:00:00:00:00:02', [10, 0, 0, 2]), ipv6Frame('02:00:00:00:00:01', 1), ipv6Frame('02:00:00:00:00:02', 2)];
  const capture = readPcap(writePcap(frames.map((data, i) => ({ data, timeMs: i })), 'ethernet'));
  const fed = (filter: ReturnType<typeof fromSource>) => {
    const clock = new SimulatedClock();
    const replay = new ReplayDriver(capture, { scheduler: clock, filter });
    const got: Uint8Array[] = [];
    replay.start((fs) => got.push(...fs));
    clock.runUntilIdle();
    return { got: got.map((g) => frames.findIndex((f) => Buffer.compare(f, g) === 0)), skipped: replay.skipped };
  };
  t.deepEqual(fed(fromSource('02:00:00:00:00:01')), { got: [0, 2], skipped: 2 });
  t.deepEqual(fed(fromSource('10.0.0.2')), { got: [1], skipped: 3 });
  t.deepEqual(fed(fromSource('fd00::2')), { got: [3], skipped: 3 });
  t.is(ipSourceOf(frames[0]!, 'ethernet')?.toString(), '10.0.0.1');
  t.is(ipSourceOf(frames[0]!.subarray(14), 'ip')?.toString(), '10.0.0.1');
  t.is(ipSourceOf(frames[0]!.subarray(0, 20), 'ethernet'), null);
  t.throws(() => fromSource('not an address'), { message: /neither a MAC nor an IP/ });
});

test('truncated records are skipped unless asked for', (t) => {
  const capture = readPcap(writePcap([{ data: numbered(1, 100), timeMs: 0 }, { data: numbered(2), timeMs: 1 }], 'ethernet', { snaplen: 80 }));
  const clock = new SimulatedClock();
  const strict = new ReplayDriver(capture, { scheduler: clock });
  t.is(strict.skipped, 1);
  t.is(strict.remaining, 1);
  t.is(new ReplayDriver(capture, { scheduler: clock, includeTruncated: true }).remaining, 2);
});

test('replays a capture file by path; close stops feeding', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'r.pcap');
  const w = new PcapWriter(path, { linkType: 'ethernet' });
  times.forEach((timeMs, i) => w.write(numbered(i), timeMs));
  w.close();
  const clock = new SimulatedClock();
  const replay = new ReplayDriver(path, { scheduler: clock });
  const log = feedLog(replay, clock);
  clock.advance(60);
  await replay.close();
  clock.runUntilIdle();
  await replay.done();
  t.deepEqual(log.map(([, ns]) => ns), [[0, 1], [2]]);
  replay.send([numbered(9)]);
  t.deepEqual(replay.sent, []);
});

test('a real fixture replays every frame in simulated time', (t) => {
  const fixture = join(__dirname, '../../pcap-fixtures/tcp4-handshake-bulk.pcap');
  if (!existsSync(fixture)) {
    t.log(`skipped: ${fixture} is missing`);
    t.pass();
    return;
  }
  const capture = readPcapFile(fixture);
  const clock = new SimulatedClock();
  const replay = new ReplayDriver(capture, { scheduler: clock });
  let frames = 0;
  replay.start((fs) => (frames += fs.length));
  clock.runUntilIdle();
  t.is(frames, capture.records.length - replay.skipped);
  t.true(Math.abs(clock.now() - (capture.records.at(-1)!.timeMs - capture.records[0]!.timeMs)) < 1e-6);
});
