/**
 * `capture(link, file)`: a tee around a `LinkDriver` that writes every frame sent and every frame
 * received to a pcap file, in the order they cross, so a run can be opened in Wireshark or tshark.
 *
 * Offloads pass through (`LinkOffloads`): the capture then holds what crosses the link, TCP
 * segments larger than the MTU and partial checksums included, as tcpdump shows them on a host
 * whose network card offloads ("incorrect" checksums that the card completes).
 */

import type { FramePoolReturn, LinkDriver, LinkOffloads, LinkType } from '../stack/link';
import { linkTypeNumberOf } from './pcap/format';
import { PcapWriter } from './pcap/write';
import { realScheduler, type Scheduler } from './scheduler';

export interface CaptureOptions {
  /**
   * Where timestamps come from. A simulated clock's time is written as is (its 0 shows as
   * 1970-01-01 00:00:00); without a scheduler, or with `realScheduler`, the wall clock is used.
   */
  readonly scheduler?: Scheduler;
  /** Used when this wrapper creates the file from a path. Default 262144. */
  readonly snaplen?: number;
  readonly nanosecond?: boolean;
  /** Which frames to record; default 'both'. */
  readonly direction?: 'both' | 'send' | 'receive';
}

/** Wall-clock milliseconds since the epoch, with performance.now()'s sub-millisecond resolution. */
function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export class CapturedLink implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkType;
  /** The file being written. */
  readonly writer: PcapWriter;
  private readonly ownsWriter: boolean;
  private readonly clock: () => number;
  private readonly recordSent: boolean;
  private readonly recordReceived: boolean;
  private started = false;

  /**
   * With a path, the wrapper creates the file and closes it in `close()`. With a `PcapWriter`,
   * the caller keeps it (several links may share one) and closes it; its link type must match.
   */
  constructor(readonly inner: LinkDriver, target: string | PcapWriter, options: CaptureOptions = {}) {
    this.mtu = inner.mtu;
    this.linkType = inner.linkType;
    if (typeof target === 'string') {
      this.writer = new PcapWriter(target, {
        linkType: inner.linkType,
        ...(options.snaplen === undefined ? {} : { snaplen: options.snaplen }),
        ...(options.nanosecond === undefined ? {} : { nanosecond: options.nanosecond }),
      });
      this.ownsWriter = true;
    } else {
      if (target.linkTypeNumber !== linkTypeNumberOf(inner.linkType)) {
        throw new Error(`capture: ${target.path} has link type ${target.linkTypeNumber}, but the link carries ${inner.linkType} frames`);
      }
      this.writer = target;
      this.ownsWriter = false;
    }
    const scheduler = options.scheduler;
    this.clock = scheduler === undefined || scheduler === realScheduler ? wallClockMs : () => scheduler.now();
    const direction = options.direction ?? 'both';
    this.recordSent = direction !== 'receive';
    this.recordReceived = direction !== 'send';
  }

  /** The inner link's offer: capturing takes nothing off and adds nothing. */
  get offloads(): LinkOffloads | undefined {
    return this.inner.offloads;
  }

  useOffloads(agreed: LinkOffloads): void {
    this.inner.useOffloads?.(agreed);
  }

  /**
   * Frame recycling passes through to the inner link: a sent frame is written to the file (a
   * synchronous copy, `PcapWriter.write`) before the inner link gets it, and not kept, so when
   * the inner link gives it back nothing here still reads it. False when the inner link declines.
   */
  useFramePool(pool: FramePoolReturn): boolean {
    return this.inner.useFramePool?.(pool) ?? false;
  }

  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void {
    if (this.started) throw new Error('CapturedLink.start called twice');
    this.started = true;
    this.inner.start((frames, checksumVouched) => {
      if (this.recordReceived) this.record(frames);
      receive(frames, checksumVouched);
    });
  }

  send(frames: Uint8Array[]): void {
    // Recorded before the inner driver gets them: it may keep or change the bytes afterwards.
    if (this.recordSent) this.record(frames);
    this.inner.send(frames);
  }

  async close(): Promise<void> {
    await this.inner.close();
    if (this.ownsWriter) this.writer.close();
  }

  private record(frames: Uint8Array[]): void {
    if (this.writer.closed) return;
    const t = Math.max(0, this.clock()); // pcap cannot hold times before the epoch
    for (const f of frames) this.writer.write(f, t);
  }
}

/** Tees `link` into a pcap file (a path, or a `PcapWriter` the caller closes). */
export function capture(link: LinkDriver, target: string | PcapWriter, options: CaptureOptions = {}): CapturedLink {
  return new CapturedLink(link, target, options);
}
