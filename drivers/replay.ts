/**
 * `ReplayDriver`: a `LinkDriver` that plays a capture's frames into the stack at their recorded
 * times (relative to the first record, optionally sped up) through a `Scheduler`, and collects
 * what the stack sends so a test can compare it with what a correct stack must say
 * (DESIGN.md, "Testing with pcap fixtures").
 */

import type { LinkDriver, LinkType } from '../stack/link';
import { IpAddress, bytesEqual, parseMac } from '../stack/wire/address';
import type { PcapFile, PcapRecord } from './pcap/format';
import { readCaptureFile } from './pcap/read';
import { copyFrame, DEFAULT_MTU } from './memory-link';
import { realScheduler, type ScheduledTask, type Scheduler } from './scheduler';

/** Chooses the records to feed; `linkType` says how to read `record.data`. */
export type ReplayFilter = (record: PcapRecord, index: number, linkType: LinkType) => boolean;

export interface ReplayOptions {
  /** Default `realScheduler`; pass a `SimulatedClock` for deterministic runs. */
  readonly scheduler?: Scheduler;
  /** Time compression: 10 plays a 10 s capture in 1 s. Default 1. */
  readonly speed?: number;
  /** Only records for which this returns true are fed (e.g. `fromSource('10.0.0.1')`). */
  readonly filter?: ReplayFilter;
  /** Feed records whose bytes were cut (snaplen, or a short file). Default false: skipped. */
  readonly includeTruncated?: boolean;
  /** Default 1500. */
  readonly mtu?: number;
}

/** A frame the stack sent: `timeMs` is scheduler time since `start`, the same base as feeding. */
export interface SentFrame {
  readonly timeMs: number;
  readonly frame: Uint8Array;
}

interface Feed {
  readonly offsetMs: number;
  readonly frames: Uint8Array[];
}

export class ReplayDriver implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkType;
  /** Everything passed to `send`, copied, in order. */
  readonly sent: SentFrame[] = [];
  /** Frames handed to the stack so far. */
  fed = 0;
  /** Records left out by the filter or for being truncated. */
  readonly skipped: number;
  private readonly scheduler: Scheduler;
  private readonly feeds: Feed[] = [];
  private next = 0;
  private startedAtMs: number | null = null;
  private receive: ((frames: Uint8Array[]) => void) | null = null;
  private task: ScheduledTask | null = null;
  private closed = false;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  /** `capture` is a parsed file or a path to a pcap/pcapng file. */
  constructor(capture: PcapFile | string, options: ReplayOptions = {}) {
    const file = typeof capture === 'string' ? readCaptureFile(capture) : capture;
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`replay speed must be a positive factor, got ${speed}`);
    this.mtu = options.mtu ?? DEFAULT_MTU;
    this.linkType = file.linkType;
    this.scheduler = options.scheduler ?? realScheduler;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));

    const firstMs = file.records[0]?.timeMs ?? 0;
    let skipped = 0;
    let lastOffset = 0;
    file.records.forEach((record, index) => {
      const cut = record.truncated || record.data.byteLength < record.origLen;
      if ((cut && options.includeTruncated !== true) || (options.filter !== undefined && !options.filter(record, index, file.linkType))) {
        skipped++;
        return;
      }
      // A timestamp that goes backwards is fed right after its predecessor: file order wins.
      const offsetMs = Math.max(lastOffset, (record.timeMs - firstMs) / speed);
      lastOffset = offsetMs;
      const last = this.feeds[this.feeds.length - 1];
      if (last !== undefined && last.offsetMs === offsetMs) last.frames.push(record.data);
      else this.feeds.push({ offsetMs, frames: [record.data] });
    });
    this.skipped = skipped;
  }

  /** Frames still to feed. */
  get remaining(): number {
    let n = 0;
    for (let i = this.next; i < this.feeds.length; i++) n += this.feeds[i]!.frames.length;
    return n;
  }

  /** When each batch is fed, in ms after `start` (what the stack will see, for assertions). */
  get schedule(): number[] {
    return this.feeds.map((f) => f.offsetMs);
  }

  /** Resolves once every frame has been fed, or the driver was closed. */
  done(): Promise<void> {
    return this.finished;
  }

  /** Feeding begins now: the first record is fed at the current scheduler time. */
  start(receive: (frames: Uint8Array[]) => void): void {
    if (this.receive !== null) throw new Error('ReplayDriver.start called twice');
    if (this.closed) throw new Error('ReplayDriver.start after close');
    this.receive = receive;
    this.startedAtMs = this.scheduler.now();
    this.scheduleNext();
  }

  /** Collects the frames (copied) with the time since `start`. */
  send(frames: Uint8Array[]): void {
    if (this.closed) return;
    const t = this.startedAtMs === null ? 0 : this.scheduler.now() - this.startedAtMs;
    for (const f of frames) this.sent.push({ timeMs: t, frame: copyFrame(f) });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.task?.cancel();
      this.task = null;
      this.resolveFinished();
    }
    return Promise.resolve();
  }

  private scheduleNext(): void {
    const feed = this.feeds[this.next];
    if (feed === undefined) {
      this.resolveFinished();
      return;
    }
    this.task = this.scheduler.at(this.startedAtMs! + feed.offsetMs, () => {
      this.task = null;
      if (this.closed) return;
      this.next++;
      // Copies: the stack may keep or change what it receives; the capture stays intact.
      const frames = feed.frames.map(copyFrame);
      this.fed += frames.length;
      this.scheduleNext();
      this.receive!(frames);
    });
  }
}

/** Where the IP header starts in `frame`, or -1 (skips one 802.1Q tag). */
function ipOffset(frame: Uint8Array, linkType: LinkType): number {
  if (linkType === 'ip') return 0;
  let off = 12;
  if (frame.byteLength < off + 2) return -1;
  let etherType = (frame[off]! << 8) | frame[off + 1]!;
  if (etherType === 0x8100) {
    off += 4;
    if (frame.byteLength < off + 2) return -1;
    etherType = (frame[off]! << 8) | frame[off + 1]!;
  }
  return etherType === 0x0800 || etherType === 0x86dd ? off + 2 : -1;
}

/** The IP source address of `frame`, or null when it is not IPv4/IPv6 or too short. */
export function ipSourceOf(frame: Uint8Array, linkType: LinkType): IpAddress | null {
  const off = ipOffset(frame, linkType);
  if (off < 0 || frame.byteLength <= off) return null;
  const version = frame[off]! >> 4;
  if (version === 4 && frame.byteLength >= off + 20) {
    const b = frame.subarray(off + 12, off + 16);
    return IpAddress.v4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
  }
  if (version === 6 && frame.byteLength >= off + 40) return IpAddress.v6(frame.subarray(off + 8, off + 24));
  return null;
}

/**
 * A filter keeping frames sent by one endpoint: `address` is a MAC ("02:00:00:00:00:01", matched
 * against the Ethernet source) or an IPv4/IPv6 address (matched against the IP source).
 */
export function fromSource(address: string): ReplayFilter {
  const mac = parseMac(address);
  if (mac !== null) {
    return (record, _index, linkType) => linkType === 'ethernet' && record.data.byteLength >= 12 && bytesEqual(record.data.subarray(6, 12), mac);
  }
  const ip = IpAddress.parse(address);
  if (ip === null) throw new Error(`fromSource: ${JSON.stringify(address)} is neither a MAC nor an IP address`);
  return (record, _index, linkType) => ipSourceOf(record.data, linkType)?.equals(ip) === true;
}
