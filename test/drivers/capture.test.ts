import test from 'ava';
import { execFileSync } from 'child_process';
import { join } from 'path';
import { capture } from '../../drivers/capture';
import { impair } from '../../drivers/impair';
import { MemoryLink } from '../../drivers/memory-link';
import { readPcapFile } from '../../drivers/pcap/read';
import { PcapWriter } from '../../drivers/pcap/write';
import { SimulatedClock } from '../../drivers/scheduler';
import { numbered, numberOf, tempDir } from './frames';
import { hasTshark } from './pcap/tshark';

test('every frame sent and received is written, in order, at scheduler time; tshark opens it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'a.pcap');
  const clock = new SimulatedClock(1_000);
  const [a, b] = MemoryLink.pair({ scheduler: clock, latencyMs: 2 });
  const tapped = capture(a, path, { scheduler: clock });
  tapped.start(() => undefined);
  b.start((frames) => b.send(frames.map((f) => numbered(numberOf(f) + 100))));
  tapped.send([numbered(1), numbered(2)]);
  clock.advance(10);
  tapped.send([numbered(3)]);
  clock.runUntilIdle();
  await tapped.close();
  const f = readPcapFile(path);
  t.is(f.linkType, 'ethernet');
  t.deepEqual(f.records.map((r) => [numberOf(r.data), r.timeMs]), [
    [1, 1000],
    [2, 1000],
    [101, 1004],
    [102, 1004],
    [3, 1010],
    [103, 1014],
  ]);
  if (!hasTshark()) {
    t.log('tshark check skipped: tshark is not installed (make debs installs it)');
    return;
  }
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.is(out.trim().split('\n').length, 6);
});

test('capture inside an impairment writes exactly what got past it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'passed.pcap');
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const link = impair(capture(a, path, { scheduler: clock }), { loss: 0.4, duplicate: 0.1, seed: 4, scheduler: clock });
  const atB: number[] = [];
  link.start(() => undefined);
  b.start((frames) => atB.push(...frames.map(numberOf)));
  for (let i = 0; i < 200; i++) link.send([numbered(i)]);
  clock.runUntilIdle();
  await link.close();
  const written = readPcapFile(path).records.map((r) => numberOf(r.data));
  t.deepEqual(written, atB);
  t.true(written.length < 200 - 40, `${written.length} frames passed`);
});

test('a shared writer takes several links; direction chooses what is kept; link types must match', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'shared.pcap');
  const clock = new SimulatedClock();
  const writer = new PcapWriter(path, { linkType: 'ethernet' });
  const [a, b] = MemoryLink.pair({ scheduler: clock });
  const ca = capture(a, writer, { scheduler: clock, direction: 'send' });
  const cb = capture(b, writer, { scheduler: clock, direction: 'send' });
  ca.start(() => undefined);
  cb.start(() => undefined);
  ca.send([numbered(1)]);
  cb.send([numbered(2)]);
  clock.runUntilIdle();
  await Promise.all([ca.close(), cb.close()]);
  t.false(writer.closed, 'a writer passed in stays open');
  writer.close();
  t.deepEqual(readPcapFile(path).records.map((r) => numberOf(r.data)), [1, 2]);
  const [ip] = MemoryLink.pair({ linkType: 'ip' });
  const ethernetFile = new PcapWriter(join(dir, 'eth.pcap'), { linkType: 'ethernet' });
  t.throws(() => capture(ip, ethernetFile), { message: /link type 1/ });
  ethernetFile.close();
});

test('without a simulated clock, timestamps are wall-clock time', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'wall.pcap');
  const [a, b] = MemoryLink.pair();
  const tapped = capture(a, path);
  tapped.start(() => undefined);
  b.start(() => undefined);
  const before = Date.now();
  tapped.send([numbered(1)]);
  await Promise.all([tapped.close(), b.close()]);
  const [r] = readPcapFile(path).records;
  t.true(Math.abs(r!.timeMs - before) < 1000, `${r!.timeMs} vs ${before}`);
});
