/**
 * The two paths rows 1–4 compare, both inside one process: usernet (two `Stack`s joined by a
 * `MemoryLink.pair`, one serving and one connecting through `stack.net`) and the reference, Node's
 * own `net` over the kernel's loopback (127.0.0.1). `usernet-offloads` is usernet over a memory
 * link that offers checksum offload, as the kernel's lo does (partial checksums pass through
 * vouched for, so neither stack sums the data).
 */

import * as hostNet from 'net';
import { MemoryLink } from '../../../drivers/memory-link';
import { Stack } from '../../stack';

/** The part of Node's `net` surface the workloads use; `stack.net` and Node's `net` both have it. */
export interface BenchNet {
  createServer(listener: (socket: hostNet.Socket) => void): hostNet.Server;
  connect(port: number, host: string): hostNet.Socket;
}

export type InProcessPathName = 'usernet' | 'usernet-offloads' | 'node-loopback';

export interface InProcessPath {
  readonly name: InProcessPathName;
  readonly serverNet: BenchNet;
  readonly clientNet: BenchNet;
  /** The address clients connect to. */
  readonly serverHost: string;
  close(): Promise<void>;
}

/** usernet's memory link: 10.0.0.1 serves, 10.0.0.2 connects. */
export const USERNET_SERVER = '10.0.0.1';
const USERNET_CLIENT = '10.0.0.2';

export interface PathOptions {
  /** MTU of usernet's memory link (default 1500); the loopback reference keeps its own (65536). */
  mtu?: number;
  /** Frames a memory-link endpoint queues (default the driver's, 1000). */
  queueFrames?: number;
}

function usernetPath(o: PathOptions, offloads: boolean): InProcessPath {
  const [a, b] = MemoryLink.pair({ mtu: o.mtu ?? 1500, offloads, ...(o.queueFrames !== undefined ? { queueFrames: o.queueFrames } : {}) });
  const server = new Stack({ seed: 1 });
  const client = new Stack({ seed: 2 });
  server.addInterface(a, { ipv4: `${USERNET_SERVER}/24`, dad: false });
  client.addInterface(b, { ipv4: `${USERNET_CLIENT}/24`, dad: false });
  return {
    name: offloads ? 'usernet-offloads' : 'usernet',
    // `stack.net` mirrors Node's module; its classes are its own but shaped like Node's.
    serverNet: server.net as unknown as BenchNet,
    clientNet: client.net as unknown as BenchNet,
    serverHost: USERNET_SERVER,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

function nodeLoopbackPath(): InProcessPath {
  return { name: 'node-loopback', serverNet: hostNet, clientNet: hostNet, serverHost: '127.0.0.1', close: async () => undefined };
}

export function openPath(name: InProcessPathName, o: PathOptions = {}): InProcessPath {
  return name === 'node-loopback' ? nodeLoopbackPath() : usernetPath(o, name === 'usernet-offloads');
}

/** Listens on an ephemeral port (or `port`) and resolves with it. */
export function listen(server: hostNet.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve((server.address() as hostNet.AddressInfo).port);
    });
  });
}

/** Closes `server` (after its connections are gone) without waiting longer than `ms`. */
export function closeServer(server: hostNet.Server, ms = 2000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    server.close(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Resolves once `socket` is connected; rejects on its error. */
export function connected(socket: hostNet.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
