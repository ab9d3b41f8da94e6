/**
 * `capture` passes a link's offloads through (stack/link.ts `LinkOffloads`): the offer, the
 * agreement and each batch's `checksumVouched` reach the other side unchanged, and the file holds
 * the frames as they crossed, larger than the MTU or not.
 */

import test from 'ava';
import { join } from 'path';
import { capture } from '../../drivers/capture';
import { readPcapFile } from '../../drivers/pcap/read';
import type { LinkDriver, LinkOffloads } from '../../stack/link';
import { tempDir } from './frames';

/** A link that offers offloads, records the agreement and delivers batches on demand. */
class OffloadingLink implements LinkDriver {
  readonly mtu = 1500;
  readonly linkType = 'ethernet' as const;
  readonly offloads: LinkOffloads = { txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true };
  agreed: LinkOffloads | undefined;
  sent: Uint8Array[] = [];
  private receive: ((frames: Uint8Array[], checksumVouched?: Uint8Array) => void) | undefined;
  useOffloads(agreed: LinkOffloads): void { this.agreed = agreed; }
  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void { this.receive = receive; }
  deliver(frames: Uint8Array[], checksumVouched?: Uint8Array): void { this.receive!(frames, checksumVouched); }
  send(frames: Uint8Array[]): void { this.sent.push(...frames); }
  close(): Promise<void> { return Promise.resolve(); }
}

test('offer, agreement and checksumVouched pass through; big frames are written whole', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const inner = new OffloadingLink();
  const tapped = capture(inner, join(dir, 'offloads.pcap'));
  t.deepEqual(tapped.offloads, inner.offloads);
  tapped.useOffloads({ rxChecksumAndCoalescing: true });
  t.deepEqual(inner.agreed, { rxChecksumAndCoalescing: true });
  const got: Array<{ lengths: number[]; vouched: number[] | undefined }> = [];
  tapped.start((frames, vouched) => got.push({ lengths: frames.map((f) => f.length), vouched: vouched === undefined ? undefined : [...vouched] }));
  const big = new Uint8Array(14 + 60_000).fill(7);
  inner.deliver([big, new Uint8Array(60)], Uint8Array.of(1, 0));
  inner.deliver([new Uint8Array(60)]);
  tapped.send([new Uint8Array(14 + 30_000)]);
  await tapped.close();
  t.deepEqual(got, [
    { lengths: [60_014, 60], vouched: [1, 0] },
    { lengths: [60], vouched: undefined },
  ]);
  t.deepEqual(readPcapFile(join(dir, 'offloads.pcap')).records.map((r) => r.data.length), [60_014, 60, 60, 30_014]);
});

test('a link that offers nothing: capture offers nothing, and agreeing to nothing is harmless', (t) => {
  const inner: LinkDriver = { mtu: 1500, linkType: 'ethernet', start: () => undefined, send: () => undefined, close: () => Promise.resolve() };
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const tapped = capture(inner, join(dir, 'plain.pcap'));
  t.is(tapped.offloads, undefined);
  t.notThrows(() => tapped.useOffloads({}));
  tapped.writer.close();
});
