/**
 * The TAP driver: a Linux TAP interface (kernel's Documentation/networking/tuntap.rst) as a
 * `LinkDriver`. The kernel side is an ordinary Ethernet interface (`ip link` shows it, it can be
 * moved into a network namespace, addressed, captured); usernet's side is the descriptor, read
 * and written through the native addon in batches.
 *
 * Opening is synchronous: creating the device is a few ioctls that never block.
 */

import createDebug from 'debug';
import type { LinkDriver } from '../../stack/link';
import type { MacAddress } from '../../stack/wire/address';
import { loadTapAddon, type NativeTapAddon, type NativeTapHandle } from './native';
import { TxQueue } from './tx-queue';

const log = createDebug('usernet:tap');

/** Frames read per wake-up: large enough to amortise the JS call, small enough to stay fair. */
export const TAP_DEFAULT_BATCH = 64;
/** Frames kept while the kernel refuses writes (EAGAIN); beyond this, new frames are dropped. */
export const TAP_DEFAULT_TX_QUEUE_LIMIT = 1024;
/** Ethernet header plus one 802.1Q tag: the most a frame carries beyond the MTU. */
const ETHERNET_OVERHEAD = 18;

export interface TapOpenOptions {
  /** Interface name (at most 15 characters); omitted or '' lets the kernel choose (`tapN`). */
  name?: string;
  /** MTU of the kernel side, set with SIOCSIFMTU at open; default: the kernel's (1500). */
  mtu?: number;
  /** MAC of the kernel side (not usernet's own), as bytes or `aa:bb:cc:dd:ee:ff`. */
  mac?: MacAddress | string;
  /** Bring the kernel side up in the current namespace (SIOCSIFFLAGS); default false. */
  up?: boolean;
  /** TUNSETPERSIST: true keeps the device after close; false clears a flag set by others. */
  persist?: boolean;
  /** Frames drained per readable event (default TAP_DEFAULT_BATCH). */
  batchSize?: number;
  /** Bound of the transmit queue used while the kernel says EAGAIN (default 1024). */
  txQueueLimit?: number;
  /** Character device to open; default `/dev/net/tun`. */
  devicePath?: string;
  /** Called when the descriptor fails (e.g. EBADFD after the device was deleted). Default: log. */
  onError?: (err: Error) => void;
}

/**
 * A TAP interface driven from user space.
 *
 * Buffer reuse: the frames passed to `receive` are views into one receive buffer that the
 * driver reuses for the next batch; they are valid only until `receive` returns (the
 * `LinkDriver` contract: receivers copy what they keep).
 *
 * Liveness: once started, a referenced driver keeps the process alive (like a listening
 * `net.Server`); `unref()` lets the process exit while it is open. Before `start` it holds
 * nothing open in the event loop.
 */
export class TapDriver implements LinkDriver {
  readonly linkType = 'ethernet' as const;
  readonly mtu: number;

  private readonly addon: NativeTapAddon;
  private readonly handle: NativeTapHandle;
  private readonly rxBuffer: Uint8Array;
  private readonly rxLengths: Uint32Array;
  private readonly slotSize: number;
  private readonly tx: TxQueue;
  private readonly onError: (err: Error) => void;
  private lastName: string;
  private receive: ((frames: Uint8Array[]) => void) | undefined;
  private closed = false;
  /** Frames sent after close (the queue counts its own drops). */
  private droppedAfterClose = 0;
  private counts = { rxFrames: 0, rxBytes: 0, rxBatches: 0 };

  private constructor(addon: NativeTapAddon, private readonly fd: number, name: string, mtu: number, o: TapOpenOptions) {
    this.addon = addon;
    this.lastName = name;
    this.mtu = mtu;
    const batch = positiveInt(o.batchSize ?? TAP_DEFAULT_BATCH, 'batchSize');
    const txQueueLimit = positiveInt(o.txQueueLimit ?? TAP_DEFAULT_TX_QUEUE_LIMIT, 'txQueueLimit');
    // One spare byte per slot: a read that fills the slot was truncated and is dropped.
    this.slotSize = Math.ceil((mtu + ETHERNET_OVERHEAD + 1) / 64) * 64;
    this.rxBuffer = new Uint8Array(batch * this.slotSize);
    this.rxLengths = new Uint32Array(batch);
    this.handle = new addon.TapHandle(fd, this.rxBuffer, this.rxLengths, this.slotSize);
    this.onError = o.onError ?? ((err) => log('%s: %s', this.lastName, err.message));
    this.tx = new TxQueue(this.handle, txQueueLimit, (err) => this.onError(err));
  }

  /**
   * Creates (or attaches to) a TAP interface. Throws an Error with `code` and `syscall` when it
   * cannot: `ENOENT` (no /dev/net/tun), `EACCES`/`EPERM` (not root / no CAP_NET_ADMIN), `EBUSY`.
   */
  static open(options: TapOpenOptions = {}): TapDriver {
    const addon = loadTapAddon();
    const mac = options.mac === undefined ? undefined : toMac(options.mac);
    if (options.mtu !== undefined) positiveInt(options.mtu, 'mtu');
    const { fd, name } = addon.openTap(options.devicePath ?? '/dev/net/tun', options.name ?? '', true);
    try {
      if (options.persist !== undefined) addon.setPersist(fd, options.persist);
      if (options.mtu !== undefined) addon.setMtu(name, options.mtu);
      if (mac !== undefined) addon.setMac(fd, mac);
      if (options.up === true) addon.setUp(name, true);
      const mtu = addon.getMtu(name);
      const driver = new TapDriver(addon, fd, name, mtu, options);
      log('opened %s fd=%d mtu=%d mac=%s', name, fd, mtu, formatMac(driver.kernelMac));
      return driver;
    } catch (err) {
      addon.closeFd(fd);
      throw err;
    }
  }

  /**
   * The kernel side's interface name, read from the device (TUNGETIFF) while open; the last name
   * known once closed or once the device was deleted under the descriptor.
   */
  get name(): string {
    if (!this.closed) {
      try {
        this.lastName = this.addon.interfaceName(this.fd);
      } catch {
        // The device is gone (EBADFD): keep the last name.
      }
    }
    return this.lastName;
  }

  /** The kernel side's MAC (SIOCGIFHWADDR on the descriptor: right in any namespace). */
  get kernelMac(): MacAddress {
    if (this.closed) throw new Error(`TAP device ${this.lastName} is closed`);
    return this.addon.getMac(this.fd);
  }

  get rxFrames(): number { return this.counts.rxFrames; }
  get rxBytes(): number { return this.counts.rxBytes; }
  /** Readable events that delivered at least one frame. */
  get rxBatches(): number { return this.counts.rxBatches; }
  /** Frames dropped on receive because they exceeded the MTU the driver was opened with. */
  get rxOversize(): number { return this.handle.rxOversize; }
  /** Frames the kernel accepted. */
  get txFrames(): number { return this.tx.written - this.handle.txErrors; }
  /** Bytes handed to the kernel, including those of frames it refused. */
  get txBytes(): number { return this.tx.writtenBytes; }
  /** Frames dropped because the transmit queue was full, still queued at close, or sent after it. */
  get txDropped(): number { return this.tx.dropped + this.droppedAfterClose; }
  /** Frames the kernel refused (EINVAL, EIO while the kernel side is down …). */
  get txErrors(): number { return this.handle.txErrors; }
  /** Frames waiting for the descriptor to become writable. */
  get txQueued(): number { return this.tx.queued; }

  start(receive: (frames: Uint8Array[]) => void): void {
    if (this.closed) throw new Error(`TAP device ${this.lastName} is closed`);
    if (this.receive !== undefined) throw new Error(`TAP device ${this.lastName} already started`);
    this.receive = receive;
    this.handle.start(
      (count) => this.deliver(count),
      () => this.tx.flush(),
      (err) => this.onError(err),
    );
  }

  send(frames: Uint8Array[]): void {
    if (this.closed) {
      this.droppedAfterClose += frames.length;
      return;
    }
    this.tx.send(frames);
  }

  /** Keeps the process alive while started (the default). */
  ref(): this {
    this.handle.ref();
    return this;
  }

  /** Lets the process exit even though this driver is open and started. */
  unref(): this {
    this.handle.unref();
    return this;
  }

  /** Closes the descriptor: a non-persistent device disappears. Queued frames are dropped. */
  close(): Promise<void> {
    if (!this.closed) {
      this.lastName = this.name;
      this.closed = true;
      this.tx.clear();
      this.handle.close();
      log('closed %s', this.lastName);
    }
    return Promise.resolve();
  }

  toString(): string {
    return `TAP ${this.lastName} mtu=${this.mtu} rx=${this.counts.rxFrames} tx=${this.txFrames}`;
  }

  private deliver(count: number): void {
    const frames = new Array<Uint8Array>(count);
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const len = this.rxLengths[i]!;
      const start = i * this.slotSize;
      frames[i] = this.rxBuffer.subarray(start, start + len);
      bytes += len;
    }
    this.counts.rxFrames += count;
    this.counts.rxBytes += bytes;
    this.counts.rxBatches++;
    this.receive?.(frames);
  }
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}

// drivers/ imports only types from stack/, so the two MAC helpers it needs live here.
function toMac(mac: MacAddress | string): MacAddress {
  if (typeof mac !== 'string') {
    if (mac.byteLength !== 6) throw new TypeError('mac must be 6 bytes');
    return mac;
  }
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new TypeError(`invalid MAC address: ${mac}`);
  return Uint8Array.from(mac.split(':').map((p) => parseInt(p, 16)));
}

function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
