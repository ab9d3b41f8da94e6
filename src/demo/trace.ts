/**
 * A short segment trace for the demo: a link wrapper that decodes the frames crossing it
 * (`src/decode`, tcpdump-like lines) and keeps those of one TCP port, bounded.
 */

import type { LinkDriver } from '../../stack/link';
import { decodeFrame } from '../decode/frame';
import { formatFrameLine } from '../decode/format';

/** Lines kept; the rest are counted. */
export const TRACE_LINES = 14;

export class TraceLink implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkDriver['linkType'];
  readonly lines: string[] = [];
  omitted = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly inner: LinkDriver,
    /** Frames whose text contains `.PORT ` or `.PORT:` (either direction) are kept. */
    private readonly port: number,
  ) {
    this.mtu = inner.mtu;
    this.linkType = inner.linkType;
  }

  private note(dir: string, frame: Uint8Array): void {
    const text = formatFrameLine(decodeFrame(frame, this.linkType));
    if (!text.includes(`.${this.port} `) && !text.includes(`.${this.port}:`)) return;
    if (this.lines.length >= TRACE_LINES) return void this.omitted++;
    const ms = (performance.now() - this.t0).toFixed(1).padStart(7);
    this.lines.push(`${ms} ms ${dir} ${text}`);
  }

  start(receive: (frames: Uint8Array[]) => void): void {
    this.inner.start((frames) => {
      for (const f of frames) this.note('in ', f);
      receive(frames);
    });
  }

  send(frames: Uint8Array[]): void {
    for (const f of frames) this.note('out', f);
    this.inner.send(frames);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
