/**
 * The TAP driver: a Linux TAP interface (kernel's Documentation/networking/tuntap.rst) as a
 * `LinkDriver`. The kernel side is an ordinary Ethernet interface (`ip link` shows it, it can be
 * moved into a network namespace, addressed, captured); usernet's side is the descriptor, read
 * and written through the native addon in batches.
 *
 * Opening is synchronous: creating the device is a few ioctls that never block.
 *
 * Offloads (`LinkOffloads`, stack/link.ts): unless opened with `offloads: false`, the device
 * carries a virtio-net header per frame (IFF_VNET_HDR, as qemu's virtio-net does), which lets
 * the kernel hand over TCP segments it did not cut, with checksums it vouches for, and lets us
 * write TCP segments larger than the MTU with partial checksums for the kernel to finish and
 * cut. The headers are read and written by the addon (drivers/tap/vnet.cc); until `useOffloads`
 * agrees to something, frames are plain both ways.
 */

import createDebug from 'debug';
import type { FramePoolReturn, LinkDriver, LinkOffloads } from '../../stack/link';
import type { MacAddress } from '../../stack/wire/address';
import {
  loadTapAddon, RX_FLAG_COALESCED, RX_FLAG_VOUCHED, TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN,
  type NativeTapAddon, type NativeTapHandle,
} from './native';
import { TxQueue } from './tx-queue';

const log = createDebug('usernet:tap');

/** Frames read per wake-up: large enough to amortise the JS call, small enough to stay fair. */
export const TAP_DEFAULT_BATCH = 64;
/** Frames kept while the kernel refuses writes (EAGAIN); beyond this, new frames are dropped. */
export const TAP_DEFAULT_TX_QUEUE_LIMIT = 1024;
/** Ethernet header plus one 802.1Q tag: the most a frame carries beyond the MTU. */
const ETHERNET_OVERHEAD = 18;
/**
 * The largest IP packet the kernel hands over or takes unsegmented: IPv4's total length field
 * (the tun device's gso_max_size is 64 KiB unless BIG TCP is configured on it).
 */
export const TAP_MAX_SEGMENTED_PACKET = 65535;

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
  /**
   * Offer checksum and segmentation offloads (`LinkOffloads`) through a virtio-net header per
   * frame (IFF_VNET_HDR). Default true; false opens a plain device that offers nothing.
   */
  offloads?: boolean;
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
  /** What this device can take off the stack: all of it with a virtio-net header, else nothing. */
  readonly offloads: LinkOffloads | undefined;

  private readonly addon: NativeTapAddon;
  private readonly handle: NativeTapHandle;
  private rxBuffer: Uint8Array;
  private rxLengths: Uint32Array;
  private slotSize: number;
  /** Per slot, the addon's `RX_FLAG_*` (with a virtio-net header). */
  private rxFlags: Uint8Array | undefined;
  /** Per frame of the batch being delivered: nonzero when its checksum is vouched for. */
  private readonly rxVouched: Uint8Array;
  /** Bytes of virtio-net header before each frame in a slot (0 or 10). */
  private readonly vnetHeaderLen: number;
  private readonly tx: TxQueue;
  private readonly onError: (err: Error) => void;
  private lastName: string;
  private receive: ((frames: Uint8Array[], checksumVouched?: Uint8Array) => void) | undefined;
  private agreed: LinkOffloads = {};
  private closed = false;
  /** Frames sent after close (the queue counts its own drops). */
  private droppedAfterClose = 0;
  private counts = { rxFrames: 0, rxBytes: 0, rxBatches: 0, rxVouched: 0, rxCoalesced: 0 };

  private constructor(
    addon: NativeTapAddon,
    private readonly fd: number,
    name: string,
    mtu: number,
    vnet: { headerLen: number; littleEndian: boolean },
    o: TapOpenOptions,
  ) {
    this.addon = addon;
    this.lastName = name;
    this.mtu = mtu;
    this.vnetHeaderLen = vnet.headerLen;
    this.offloads = vnet.headerLen > 0
      ? { txTcpChecksum: true, txTcpSegmentation: TAP_MAX_SEGMENTED_PACKET, rxChecksumAndCoalescing: true }
      : undefined;
    const batch = positiveInt(o.batchSize ?? TAP_DEFAULT_BATCH, 'batchSize');
    const txQueueLimit = positiveInt(o.txQueueLimit ?? TAP_DEFAULT_TX_QUEUE_LIMIT, 'txQueueLimit');
    this.slotSize = slotSizeFor(mtu, this.vnetHeaderLen);
    this.rxBuffer = new Uint8Array(batch * this.slotSize);
    this.rxLengths = new Uint32Array(batch);
    this.rxFlags = this.vnetHeaderLen > 0 ? new Uint8Array(batch) : undefined;
    this.rxVouched = new Uint8Array(batch);
    this.handle = new addon.TapHandle(fd, this.rxBuffer, this.rxLengths, this.slotSize, this.vnetHeaderLen, vnet.littleEndian, this.rxFlags);
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
    if (options.offloads !== undefined && typeof options.offloads !== 'boolean') throw new TypeError('offloads must be a boolean');
    const opened = addon.openTap(options.devicePath ?? '/dev/net/tun', options.name ?? '', true, options.offloads !== false);
    const { fd, name } = opened;
    try {
      if (options.persist !== undefined) addon.setPersist(fd, options.persist);
      if (options.mtu !== undefined) addon.setMtu(name, options.mtu);
      if (mac !== undefined) addon.setMac(fd, mac);
      if (options.up === true) addon.setUp(name, true);
      const mtu = addon.getMtu(name);
      const vnet = { headerLen: opened.vnetHeaderLen, littleEndian: opened.vnetLittleEndian };
      const driver = new TapDriver(addon, fd, name, mtu, vnet, options);
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
  /**
   * Frames dropped on receive because they exceeded the MTU the driver was opened with (or,
   * with receive offload agreed, the largest segment the kernel may leave uncut).
   */
  get rxOversize(): number { return this.handle.rxOversize; }
  /** Frames delivered with `checksumVouched` set (receive offload agreed). */
  get rxVouchedFrames(): number { return this.counts.rxVouched; }
  /** Frames delivered that the kernel left unsegmented (a TCP segment larger than the MTU). */
  get rxCoalescedFrames(): number { return this.counts.rxCoalesced; }
  /** Frames written for the kernel to cut into MTU-sized segments (TSO). */
  get txSegmentedFrames(): number { return this.handle.txSegmented; }
  /** The offloads in use, as `useOffloads` agreed them; `{}` until then. */
  get agreedOffloads(): LinkOffloads { return { ...this.agreed }; }
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

  /**
   * The stack's choice among `offloads` (stack/link.ts), before `start`: receive offload has the
   * kernel hand over partial checksums and unsegmented TCP (TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN,
   * with receive slots of 64 KiB); transmit offloads make the header of each TCP frame ask the
   * kernel to finish its checksum and, above the MTU, to cut it. Throws on anything not offered.
   */
  useOffloads(agreed: LinkOffloads): void {
    if (this.closed) throw new Error(`TAP device ${this.lastName} is closed`);
    if (this.receive !== undefined) throw new Error(`TAP device ${this.lastName}: offloads are chosen before start`);
    const offered = this.offloads ?? {};
    const rx = agreed.rxChecksumAndCoalescing === true;
    const csum = agreed.txTcpChecksum === true;
    const tso = agreed.txTcpSegmentation;
    if ((rx && offered.rxChecksumAndCoalescing !== true) || (csum && offered.txTcpChecksum !== true)) {
      throw new Error(`TAP device ${this.lastName}: offloads not offered (opened with offloads: false)`);
    }
    if (tso !== undefined && (!csum || !Number.isInteger(tso) || tso > (offered.txTcpSegmentation ?? 0))) {
      throw new RangeError(`TAP device ${this.lastName}: txTcpSegmentation ${tso} needs txTcpChecksum and at most ${offered.txTcpSegmentation ?? 0}`);
    }
    if (this.vnetHeaderLen > 0) {
      this.addon.setOffload(this.fd, rx ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN : 0);
      this.handle.setTransmitOffloads(csum, tso !== undefined, this.mtu);
      const slotSize = slotSizeFor(rx ? TAP_MAX_SEGMENTED_PACKET : this.mtu, this.vnetHeaderLen);
      if (slotSize !== this.slotSize) {
        const batch = this.rxLengths.length;
        this.slotSize = slotSize;
        this.rxBuffer = new Uint8Array(batch * slotSize);
        this.rxLengths = new Uint32Array(batch);
        this.rxFlags = new Uint8Array(batch);
        this.handle.setReceiveSlots(this.rxBuffer, this.rxLengths, slotSize, this.rxFlags);
      }
    }
    this.agreed = {};
    if (csum) this.agreed.txTcpChecksum = true;
    if (tso !== undefined) this.agreed.txTcpSegmentation = tso;
    if (rx) this.agreed.rxChecksumAndCoalescing = true;
    log('%s: offloads %o', this.lastName, this.agreed);
  }

  /**
   * Frame recycling (`LinkDriver.useFramePool`): the kernel copies a frame during the write, so
   * every sent frame goes back to `pool` once written — straight away, or when it leaves the
   * EAGAIN queue — or once dropped (queue full, closed). Before `start`; accepts (true).
   */
  useFramePool(pool: FramePoolReturn): boolean {
    if (this.closed) throw new Error(`TAP device ${this.lastName} is closed`);
    if (this.receive !== undefined) throw new Error(`TAP device ${this.lastName}: the frame pool is given before start`);
    this.tx.pool = pool;
    return true;
  }

  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void {
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
      const pool = this.tx.pool;
      if (pool !== null) for (const f of frames) pool.release(f);
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
      const start = i * this.slotSize + this.vnetHeaderLen;
      frames[i] = this.rxBuffer.subarray(start, start + len);
      bytes += len;
    }
    this.counts.rxFrames += count;
    this.counts.rxBytes += bytes;
    this.counts.rxBatches++;
    if (this.agreed.rxChecksumAndCoalescing !== true || this.rxFlags === undefined) {
      this.receive?.(frames);
      return;
    }
    const flags = this.rxFlags;
    const vouched = this.rxVouched;
    for (let i = 0; i < count; i++) {
      const f = flags[i]!;
      vouched[i] = f & RX_FLAG_VOUCHED;
      if ((f & RX_FLAG_VOUCHED) !== 0) this.counts.rxVouched++;
      if ((f & RX_FLAG_COALESCED) !== 0) this.counts.rxCoalesced++;
    }
    this.receive?.(frames, vouched);
  }
}

/**
 * Bytes per receive slot for IP packets up to `packet` bytes: the virtio-net header, Ethernet and
 * a VLAN tag, and one spare byte (a read that fills its slot was truncated and is dropped),
 * rounded up to 64.
 */
function slotSizeFor(packet: number, vnetHeaderLen: number): number {
  return Math.ceil((vnetHeaderLen + packet + ETHERNET_OVERHEAD + 1) / 64) * 64;
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
