/**
 * Frame recycling through the runtime (`LinkDriver.useFramePool`): a driver that writes frames
 * the way the TAP driver does (the real `TxQueue`, a descriptor that copies what it takes and
 * says EAGAIN after a few frames) gets a pool, TCP builds its large segments in recycled
 * buffers, and no frame's bytes change between `send` and the moment they are written.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import { Stack } from '../../src/stack';
import { MemoryLink, type MemoryEndpoint } from '../../drivers/memory-link';
import { TxQueue, type FrameWriter } from '../../drivers/tap/tx-queue';
import { capture } from '../../drivers/capture';
import { impair } from '../../drivers/impair';
import type { FramePoolReturn, LinkDriver, LinkType } from '../../stack/link';
import { FramePool } from '../../stack/iface/frame-pool';
import { tmpdir } from 'os';
import { join } from 'path';
import { rmSync } from 'fs';

/** Frames the fake descriptor takes per writable event before it says EAGAIN. */
const WRITES_PER_TURN = 3;

/**
 * A link that transmits like the TAP driver: through a `TxQueue` whose descriptor copies each
 * frame it takes (as the kernel does in write) onto a memory link, a few per event-loop turn.
 * Every frame is snapshotted at `send`; a write that finds different bytes is counted.
 */
class KernelLikeLink implements LinkDriver {
  readonly linkType: LinkType = 'ethernet';
  readonly mtu: number;
  readonly tx: TxQueue;
  /** Frames whose bytes changed between `send` and their write. */
  changed = 0;
  written = 0;
  private readonly snapshots = new Map<Uint8Array, Uint8Array>();
  private room = WRITES_PER_TURN;
  private wantsWritable = false;

  constructor(private readonly inner: MemoryEndpoint) {
    this.mtu = inner.mtu;
    const writer: FrameWriter = {
      writeFrames: (frames, from) => {
        let i = from;
        for (; i < frames.length && this.room > 0; i++, this.room--) {
          const f = frames[i]!;
          const snap = this.snapshots.get(f);
          this.snapshots.delete(f);
          if (snap === undefined || Buffer.compare(snap, f) !== 0) this.changed++;
          this.written++;
          inner.send([f.slice()]); // the kernel's copy
        }
        return i;
      },
      wantWritable: (on) => {
        // Level-triggered, as the addon's poll: writable events keep coming while asked for.
        if (on && !this.wantsWritable) setImmediate(() => this.writable());
        this.wantsWritable = on;
      },
    };
    this.tx = new TxQueue(writer, 4096, (e) => {
      throw e;
    });
  }

  useFramePool(pool: FramePoolReturn): boolean {
    this.tx.pool = pool;
    return true;
  }

  start(receive: (frames: Uint8Array[]) => void): void {
    this.inner.start(receive);
  }

  send(frames: Uint8Array[]): void {
    for (const f of frames) this.snapshots.set(f, f.slice());
    this.room = WRITES_PER_TURN;
    this.tx.send(frames);
  }

  close(): Promise<void> {
    this.tx.clear();
    return this.inner.close();
  }

  private writable(): void {
    if (!this.wantsWritable) return;
    this.room = WRITES_PER_TURN;
    this.tx.flush();
    if (this.wantsWritable) setImmediate(() => this.writable());
  }
}

async function transfer(wrap: (l: KernelLikeLink) => LinkDriver, bytes: number) {
  const [a, b] = MemoryLink.pair({ mtu: 9000 });
  const link = new KernelLikeLink(a);
  const server = new Stack({ seed: 1 });
  const client = new Stack({ seed: 2 });
  const ia = server.addInterface(wrap(link), { ipv4: '10.0.0.1/24', dad: false });
  const ib = client.addInterface(b, { ipv4: '10.0.0.2/24', dad: false });
  const data = randomBytes(bytes);
  // The server sends (its frames cross the kernel-like link); the client hashes what arrives.
  const received = new Promise<string>((resolve) => {
    client.net
      .createServer((s) => {
        const h = createHash('sha256');
        s.on('data', (d: Buffer) => h.update(d));
        s.on('end', () => resolve(h.digest('hex')));
      })
      .listen(80);
  });
  server.net.connect(80, '10.0.0.2').end(data);
  const digest = await received;
  await client.close();
  await server.close();
  return { link, pool: ia.framePool, clientPool: ib.framePool, ok: digest === createHash('sha256').update(data).digest('hex') };
}

test('a driver that gives frames back gets a pool; TCP reuses its buffers and no sent frame changes before it is written', async (t) => {
  const { link, pool, clientPool, ok } = await transfer((l) => l, 3_000_000);
  t.true(ok, 'data intact');
  t.true(pool instanceof FramePool);
  t.is(pool!.frameBytes, 14 + 9000, 'one size class: MTU plus the link header');
  t.is(clientPool, null, 'a memory link hands its frames to the receiver: no pool');
  t.true(pool!.counts.reused > 100, `${pool!.counts.reused} segments built in recycled buffers`);
  const fresh = pool!.counts.lent - pool!.counts.reused;
  t.true(fresh < pool!.counts.lent / 2, `${fresh} buffers allocated for ${pool!.counts.lent} loans`);
  t.is(link.tx.written, link.written);
  t.true(link.written > 300);
  t.is(link.changed, 0, 'no frame changed between send and write (EAGAIN queue included)');
});

test('capture passes the pool to a link that takes it; the file still holds what was sent', async (t) => {
  const file = join(tmpdir(), `usernet-frame-pool-${process.pid}.pcap`);
  t.teardown(() => rmSync(file, { force: true }));
  let captured: ReturnType<typeof capture> | undefined;
  const { link, pool, ok } = await transfer((l) => (captured = capture(l, file)), 500_000);
  t.true(ok);
  t.not(pool, null, 'capture writes each frame synchronously before forwarding it and keeps none');
  t.true(pool!.counts.reused > 10);
  t.is(link.changed, 0);
  t.true(captured!.writer.records >= link.written, 'every sent frame recorded');
});

test('impair keeps and duplicates frames: it does not pass the pool on', async (t) => {
  const { link, pool, ok } = await transfer((l) => impair(l, { delay: 1, duplicate: 0.01, seed: 3 }), 300_000);
  t.true(ok);
  t.is(pool, null);
  t.is(link.changed, 0);
  t.is(link.tx.pool, null, 'the inner link was never given a pool');
});

test('capture over a link without recycling declines, so the stack allocates', (t) => {
  const [a] = MemoryLink.pair();
  const file = join(tmpdir(), `usernet-frame-pool-decline-${process.pid}.pcap`);
  t.teardown(() => rmSync(file, { force: true }));
  const c = capture(a, file);
  t.false(c.useFramePool(new FramePool(1514)));
  c.writer.close();
});
