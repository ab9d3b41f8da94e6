/**
 * Fixtures for the net tests: a stack alone (its loopback interface), two stacks joined by a
 * memory link, Node's own `net` as the oracle, and small helpers to wait for events.
 */

import * as hostNet from 'net';
import { once } from 'events';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../../src/stack';
import type { NetModule } from '../../src/net';

/** Anything with Node's `net` surface the tests use: ours or the host's. */
export type NetLike = Pick<NetModule, 'createServer' | 'connect' | 'createConnection' | 'Socket' | 'Server'> | typeof hostNet;

export interface Topology {
  name: string;
  /** The `net` the server side uses and the address clients reach it at. */
  serverNet: NetModule;
  clientNet: NetModule;
  serverHost: string;
  serverHost6: string;
  close(): Promise<void>;
}

/** One stack: client and server share it and talk over its loopback interface. */
export function loopback(): Topology {
  const stack = new Stack();
  return {
    name: 'loopback',
    serverNet: stack.net,
    clientNet: stack.net,
    serverHost: '127.0.0.1',
    serverHost6: '::1',
    close: () => stack.close(),
  };
}

/** Two stacks on a memory link: 10.0.0.1 / fd00::1 serves, 10.0.0.2 / fd00::2 connects. */
export function twoStacks(): Topology {
  const [a, b] = MemoryLink.pair();
  const server = new Stack({ seed: 11 });
  const client = new Stack({ seed: 22 });
  server.addInterface(a, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', dad: false });
  client.addInterface(b, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64', dad: false });
  return {
    name: 'memory link',
    serverNet: server.net,
    clientNet: client.net,
    serverHost: '10.0.0.1',
    serverHost6: 'fd00::1',
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export const topologies = [loopback, twoStacks];

/** Our module typed as Node's: the tests run one scenario body against both. */
export function asNodeNet(n: NetModule): typeof hostNet {
  return n as unknown as typeof hostNet;
}

/** Resolves with the port once `server` listens. */
export async function listening(server: { listen(...a: unknown[]): unknown; once(ev: string, fn: () => void): unknown; address(): unknown }, ...args: unknown[]): Promise<number> {
  server.listen(...(args.length > 0 ? args : [0]));
  await once(server as unknown as NodeJS.EventEmitter, 'listening');
  return (server.address() as { port: number }).port;
}

/** Records every event of interest on an emitter, in order, as short strings. */
export function recordEvents(emitter: NodeJS.EventEmitter, names: string[], log: string[], prefix = ''): void {
  for (const n of names) {
    emitter.on(n, (arg: unknown) => {
      let detail = '';
      if (n === 'error') detail = ` ${(arg as Error & { code?: string }).code ?? (arg as Error).message}`;
      if (n === 'close' && typeof arg === 'boolean') detail = ` ${arg}`;
      if (n === 'data') detail = ` ${String(arg)}`;
      log.push(`${prefix}${n}${detail}`);
    });
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `predicate` holds, polling every few ms; rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}
