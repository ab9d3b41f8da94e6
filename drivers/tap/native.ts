/**
 * The TAP addon's surface (drivers/tap/addon.cc), typed, and its loader. Only tap-driver.ts and
 * the benchmark use this directly; everything else goes through `TapDriver`.
 */

import * as fs from 'fs';
import * as path from 'path';

/** The batched I/O handle on a TAP descriptor (drivers/tap/handle.cc). */
export interface NativeTapHandle {
  /** Begins polling. `onFrames(count)`: slots 0..count-1 of the rx buffer hold frames. */
  start(onFrames: (count: number) => void, onWritable: () => void, onError: (err: Error) => void): void;
  /** Writes frames[from..] until the kernel says EAGAIN; returns the index of the first unwritten one. */
  writeFrames(frames: readonly Uint8Array[], from: number): number;
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
}

export interface NativeTapAddon {
  /** Opens `devicePath` and attaches it to TAP interface `name` ('' lets the kernel choose). */
  openTap(devicePath: string, name: string, nonBlocking: boolean): { fd: number; name: string };
  /** Closes a descriptor that was never handed to a TapHandle. */
  closeFd(fd: number): void;
  setPersist(fd: number, persist: boolean): void;
  interfaceName(fd: number): string;
  getMac(fd: number): Uint8Array;
  setMac(fd: number, mac: Uint8Array): void;
  setMtu(name: string, mtu: number): void;
  getMtu(name: string): number;
  setUp(name: string, up: boolean): void;
  TapHandle: new (fd: number, rxBuffer: Uint8Array, rxLengths: Uint32Array, slotSize: number) => NativeTapHandle;
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
