/**
 * TAP throughput: frames per second written and read through `TapDriver` (batched, poll-driven)
 * next to a plain `fs.read` / `fs.write` / `fs.writeSync` loop on a TAP descriptor of the same
 * kind, for 64-byte and 1500-byte frames. Not a test: run it as root with
 *   npx ts-node test/bench/tap-bench.ts [seconds-per-row]
 * Writes go to a unicast MAC the kernel drops (not its own); reads are a UDP flood from a small
 * python3 loop inside the namespace, sent to usernet's address with a static neighbour entry.
 */

import * as fs from 'fs';
import { TapDriver } from '../../drivers/tap';
import { loadTapAddon } from '../../drivers/tap/native';
import { Netns, canUseNetns, hasCommand, runAllCleanups, uniqueLinkName } from '../../src/netns';

const SECONDS = Number(process.argv[2] ?? 1.5);
const SIZES = [64, 1500];
const US_MAC = Uint8Array.of(0x02, 0x75, 0x6e, 0, 0, 1);
/** Nobody's MAC: the kernel drops frames addressed to it (PACKET_OTHERHOST) right after the TAP. */
const BLACKHOLE_MAC = Uint8Array.of(0x02, 0x75, 0x6e, 0, 0, 0x99);
const BATCH = 64;

const GENERATOR = `
import socket, sys, time
dst, size, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((dst, 9))
p = b'x' * size
send = s.send
n = 0
end = time.monotonic() + dur
while time.monotonic() < end:
    for _ in range(256):
        try:
            send(p)
        except OSError:
            pass
    n += 256
print(n)
`;

interface Row {
  path: string;
  size: number;
  frames: number;
  seconds: number;
  note: string;
}

function blackholeFrame(size: number): Uint8Array {
  const f = new Uint8Array(size);
  f.set(BLACKHOLE_MAC, 0);
  f.set(US_MAC, 6);
  f[12] = 0x08; // IPv4; never parsed, the destination MAC already disqualifies it
  return f;
}

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

async function driverWrite(d: TapDriver, size: number): Promise<Row> {
  const frame = blackholeFrame(size);
  const batch = new Array<Uint8Array>(BATCH).fill(frame);
  const before = d.txFrames;
  const errorsBefore = d.txErrors;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 16; i++) d.send(batch);
    await tick();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { path: 'TapDriver.send (batch 64)', size, frames: d.txFrames - before, seconds, note: `errors ${d.txErrors - errorsBefore}, dropped ${d.txDropped}` };
}

async function plainWriteSync(fd: number, size: number): Promise<Row> {
  const frame = blackholeFrame(size);
  let frames = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1024; i++) fs.writeSync(fd, frame);
    frames += 1024;
    await tick();
  }
  return { path: 'fs.writeSync loop', size, frames, seconds: Number(process.hrtime.bigint() - start) / 1e9, note: '' };
}

async function plainWrite(fd: number, size: number): Promise<Row> {
  const frame = blackholeFrame(size);
  let frames = 0;
  const start = Date.now();
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (Date.now() - start >= SECONDS * 1000) return resolve();
      fs.write(fd, frame, (err) => {
        if (err) return reject(err);
        frames++;
        next();
      });
    };
    next();
  });
  return { path: 'fs.write loop (async)', size, frames, seconds: (Date.now() - start) / 1000, note: '' };
}

/** Floods `dst` from inside `ns` with UDP datagrams making `size`-byte frames. */
function flood(ns: Netns, dst: string, size: number) {
  const payload = size - 14 - 20 - 8;
  const gen = ns.spawn(['python3', '-c', GENERATOR, dst, String(payload), String(SECONDS + 0.6)]);
  return {
    sent: async (): Promise<number> => Number((await gen.wait()).stdout.trim()),
  };
}

async function driverRead(d: TapDriver, ns: Netns, dst: string, size: number): Promise<Row> {
  let counting = false;
  let frames = 0;
  let total = 0;
  d.start((batch) => {
    total += batch.length;
    if (counting) frames += batch.length;
  });
  const gen = flood(ns, dst, size);
  await new Promise((r) => setTimeout(r, 300));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sent = await gen.sent();
  await new Promise((r) => setTimeout(r, 100));
  return { path: 'TapDriver receive', size, frames, seconds, note: `generator sent ${sent}, read ${total} (${d.rxBatches} batches)` };
}

async function plainRead(fd: number, ns: Netns, dst: string, size: number): Promise<Row> {
  let counting = false;
  let frames = 0;
  let total = 0;
  let stop = false;
  const buf = Buffer.alloc(2048);
  const reading = new Promise<void>((resolve) => {
    const next = (): void => {
      if (stop) return resolve();
      fs.read(fd, buf, 0, buf.length, null, (err, n) => {
        if (err || n === 0) return resolve();
        total++;
        if (counting) frames++;
        next();
      });
    };
    next();
  });
  const gen = flood(ns, dst, size);
  await new Promise((r) => setTimeout(r, 300));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sent = await gen.sent();
  stop = true;
  // The pending blocking read returns with the flood's tail; if the flood is over, one more
  // frame unblocks it.
  await Promise.race([reading, new Promise((r) => setTimeout(r, 200))]);
  return { path: 'fs.read loop (async)', size, frames, seconds, note: `generator sent ${sent}, read ${total}` };
}

function table(rows: Row[]): string {
  const head = ['path', 'frame', 'frames/s', 'Mbit/s', 'notes'];
  const body = rows.map((r) => {
    const fps = r.frames / r.seconds;
    return [r.path, `${r.size} B`, Math.round(fps).toLocaleString('en'), ((fps * r.size * 8) / 1e6).toFixed(0), r.note];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const can = canUseNetns();
  if (!can.ok) {
    console.log(`tap-bench skipped: ${can.reason}`);
    return;
  }
  if (!hasCommand('python3')) {
    console.log('tap-bench skipped: no python3 for the traffic generator');
    return;
  }
  const addon = loadTapAddon();
  const ns = await Netns.create();
  let plainFd = -1;
  const drivers: TapDriver[] = [];
  try {
    const rows: Row[] = [];
    for (const size of SIZES) {
      // A fresh pair per size: one TAP for the driver, one opened blocking for the fs loops.
      const d = TapDriver.open({ name: uniqueLinkName('unb') });
      drivers.push(d);
      const plain = addon.openTap('/dev/net/tun', uniqueLinkName('unb'), false);
      plainFd = plain.fd;
      const subnet = `10.213.${size === 64 ? 0 : 2}`;
      for (const [dev, net] of [[d.name, subnet], [plain.name, `10.213.${size === 64 ? 1 : 3}`]] as const) {
        await ns.moveLink(dev);
        await ns.configureLink(dev, { ipv4: `${net}.2/24` });
        await ns.ip('neigh', 'add', `${net}.1`, 'lladdr', '02:75:6e:00:00:01', 'dev', dev, 'nud', 'permanent');
      }
      rows.push(await driverWrite(d, size));
      rows.push(await plainWriteSync(plainFd, size));
      rows.push(await plainWrite(plainFd, size));
      rows.push(await driverRead(d, ns, `${subnet}.1`, size));
      rows.push(await plainRead(plainFd, ns, `10.213.${size === 64 ? 1 : 3}.1`, size));
      await d.close();
      fs.closeSync(plainFd);
      plainFd = -1;
    }
    console.log(`TAP throughput, ${SECONDS} s per row, node ${process.version}, ${process.arch}\n`);
    console.log(table(rows));
  } finally {
    for (const d of drivers) await d.close();
    if (plainFd >= 0) fs.closeSync(plainFd);
    await ns.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    runAllCleanups();
    process.exit(1);
  },
);
