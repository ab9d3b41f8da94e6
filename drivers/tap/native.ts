/**
 * The TAP addon's surface (drivers/tap/addon.cc), typed, and its loader. Only tap-driver.ts,
 * the busy poller (src/busy-poll.ts) and the benchmark use this directly; everything else goes
 * through `TapDriver`.
 */

import * as fs from 'fs';
import * as path from 'path';

/** The batched I/O handle on a TAP descriptor (drivers/tap/handle.cc). */
export interface NativeTapHandle {
  /**
   * Begins polling. `onFrames(count)`: slots 0..count-1 of the rx buffer hold frames (after the
   * virtio-net header, when there is one), with their lengths and flags (`RX_FLAG_*`).
   */
  start(onFrames: (count: number) => void, onWritable: () => void, onError: (err: Error) => void): void;
  /** Writes frames[from..] until the kernel says EAGAIN; returns the index of the first unwritten one. */
  writeFrames(frames: readonly Uint8Array[], from: number): number;
  /** Replaces the receive slots (larger ones for coalesced frames). Only before `start`. */
  setReceiveSlots(rxBuffer: Uint8Array, rxLengths: Uint32Array, slotSize: number, rxFlags?: Uint8Array): void;
  /**
   * What the virtio-net headers of written frames ask of the kernel: finish partial TCP
   * checksums, and cut TCP segments whose IP packet exceeds `mtu`. Needs a virtio-net header.
   */
  setTransmitOffloads(tcpChecksum: boolean, segmentation: boolean, mtu: number): void;
  /** Adds or removes interest in the descriptor becoming writable (calls `onWritable`). */
  wantWritable(on: boolean): void;
  ref(): void;
  unref(): void;
  /** Stops polling and closes the descriptor; idempotent. */
  close(): void;
  /** Frames the kernel refused (EINVAL, EIO while the link is down …). */
  readonly txErrors: number;
  /** Received frames that did not fit a slot, dropped. */
  readonly rxOversize: number;
  /** Frames written with a segmentation request (gso_type TCPV4/TCPV6). */
  readonly txSegmented: number;
}

/**
 * Keeps the event loop polling without sleeping until a deadline (drivers/tap/loop-poll.cc): a
 * self-stopping, unreferenced libuv idle handle, for busy polling (src/busy-poll.ts).
 */
export interface NativeLoopPoller {
  /** Keep polling until `microseconds` from now (0–1 000 000; replaces the deadline); 0 stops. */
  pollFor(microseconds: number): void;
  /** Stops and releases the handle; idempotent. `pollFor` afterwards throws. */
  close(): void;
  /** Loop turns spent polling so far. */
  readonly turns: number;
  /** Whether it is polling now. */
  readonly polling: boolean;
}

/** `rxFlags` bits (drivers/tap/vnet.h): NEEDS_CSUM or DATA_VALID in the frame's virtio-net header. */
export const RX_FLAG_VOUCHED = 1;
/** `rxFlags` bits: gso_type set, a TCP segment the kernel did not cut (larger than the MTU). */
export const RX_FLAG_COALESCED = 2;

/** TUNSETOFFLOAD bits (linux/if_tun.h). */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_TSO_ECN = 0x08;

/** What `openTap` returns. */
export interface NativeOpenedTap {
  fd: number;
  name: string;
  /** 10 when opened with a virtio-net header (IFF_VNET_HDR), else 0. */
  vnetHeaderLen: number;
  /** The header's byte order: little-endian (TUNSETVNETLE), or the host's on old kernels. */
  vnetLittleEndian: boolean;
}

export interface NativeTapAddon {
  /**
   * Opens `devicePath` and attaches it to TAP interface `name` ('' lets the kernel choose); with
   * `vnetHeader`, every frame carries a virtio-net header and the offloads start at none.
   */
  openTap(devicePath: string, name: string, nonBlocking: boolean, vnetHeader?: boolean): NativeOpenedTap;
  /** TUNSETOFFLOAD (`TUN_F_*`): what the kernel may leave undone in frames it hands over. */
  setOffload(fd: number, flags: number): void;
  /**
   * The virtio-net header `writeFrames` puts in front of Ethernet `frame` under these transmit
   * offloads (drivers/tap/vnet.cc): for tests and tools; touches no device.
   */
  vnetTxHeader(frame: Uint8Array, tcpChecksum: boolean, segmentation: boolean, mtu: number, littleEndian: boolean): Uint8Array;
  /** The `RX_FLAG_*` bits the receive path reports for a received 10-byte header. */
  vnetRxFlags(header: Uint8Array): number;
  /** Closes a descriptor that was never handed to a TapHandle. */
  closeFd(fd: number): void;
  setPersist(fd: number, persist: boolean): void;
  interfaceName(fd: number): string;
  getMac(fd: number): Uint8Array;
  setMac(fd: number, mac: Uint8Array): void;
  setMtu(name: string, mtu: number): void;
  getMtu(name: string): number;
  setUp(name: string, up: boolean): void;
  TapHandle: new (
    fd: number,
    rxBuffer: Uint8Array,
    rxLengths: Uint32Array,
    slotSize: number,
    vnetHeaderLen?: number,
    vnetLittleEndian?: boolean,
    rxFlags?: Uint8Array,
  ) => NativeTapHandle;
  LoopPoller: new () => NativeLoopPoller;
}

let loaded: NativeTapAddon | undefined;

/**
 * Loads build/Release/usernet_tap.node, looking upward from this file so that it works both from
 * the sources (ts-node) and from dist/. Throws an Error naming how to build it when missing.
 */
export function loadTapAddon(): NativeTapAddon {
  if (loaded !== undefined) return loaded;
  const tried: string[] = [];
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'build', 'Release', 'usernet_tap.node');
    tried.push(candidate);
    if (fs.existsSync(candidate)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(candidate) as NativeTapAddon;
      return loaded;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`the TAP addon is not built (run \`npm ci\` or \`npx node-gyp rebuild\`); looked in ${tried.join(', ')}`);
}
