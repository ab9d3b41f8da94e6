/**
 * Event order against the oracle: each scenario runs on Node's own `net` over the host loopback
 * and on usernet (one stack over its loopback, and two stacks over a memory link); the logs of
 * events both sides saw must be identical.
 */

import test from 'ava';
import * as hostNet from 'net';
import type { Socket as HostSocket } from 'net';
import { type Topology, asNodeNet, loopback, recordEvents, twoStacks } from './helpers';

type AnyNet = Pick<typeof hostNet, 'createServer' | 'connect'>;
type Scenario = (serverNet: AnyNet, clientNet: AnyNet, host: string) => Promise<string[]>;

const SOCKET_EVENTS = ['connect', 'ready', 'end', 'finish', 'timeout', 'error', 'close'];

/** Runs a server with `onServerSocket` and a client with `onClient`; logs both until both closed. */
function exchange(
  serverNet: AnyNet,
  clientNet: AnyNet,
  host: string,
  serverOptions: hostNet.ServerOpts,
  onServerSocket: (s: HostSocket, log: string[]) => void,
  onClient: (c: HostSocket, log: string[]) => void,
  clientOptions: Partial<hostNet.NetConnectOpts> = {},
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const log: string[] = [];
    let closed = 0;
    const done = (): void => {
      if (++closed === 2) server.close(() => resolve(log));
    };
    const server = serverNet.createServer(serverOptions, (s) => {
      recordEvents(s, SOCKET_EVENTS, log, 'server ');
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => log.push(`server got "${got}"`));
      s.on('close', done);
      onServerSocket(s as HostSocket, log);
    });
    server.on('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as hostNet.AddressInfo).port;
      const c = clientNet.connect({ port, host, ...clientOptions } as hostNet.NetConnectOpts);
      recordEvents(c, SOCKET_EVENTS, log, 'client ');
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => log.push(`client got "${got}"`));
      c.on('close', done);
      onClient(c as HostSocket, log);
    });
    setTimeout(() => reject(new Error(`scenario timed out: ${log.join(', ')}`)), 8000).unref();
  });
}

/** Server and client logs interleave differently between runs; compare each side's order. */
function sides(log: string[]): { server: string[]; client: string[] } {
  return { server: log.filter((l) => l.startsWith('server')), client: log.filter((l) => l.startsWith('client')) };
}

const scenarios: Record<string, Scenario> = {
  'echo then end from the client (allowHalfOpen false both ends)': (sn, cn, host) =>
    exchange(sn, cn, host, {}, (s) => s.pipe(s), (c) => c.end('hello')),

  'server ends first; client (allowHalfOpen false) ends on EOF': (sn, cn, host) =>
    exchange(sn, cn, host, {}, (s) => s.end('bye'), () => undefined),

  'half-open server keeps writing after the client FIN': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      { allowHalfOpen: true },
      (s) => {
        s.resume();
        s.on('end', () => {
          s.write('late ');
          setTimeout(() => s.end('data'), 20);
        });
      },
      (c) => c.end('x'),
    ),

  'server resets: client sees read ECONNRESET then close(true)': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      {},
      (s) => s.once('data', () => s.resetAndDestroy()),
      (c, log) => {
        c.write('trigger');
        c.on('error', (e) => log.push(`client message ${e.message}`));
      },
    ),

  'client writes after the peer ended it: EPIPE "ended by the other party"': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      { allowHalfOpen: true },
      (s) => {
        s.resume();
        s.end();
      },
      (c, log) => {
        c.on('error', (e) => log.push(`client message ${e.message}`));
        c.on('end', () => setImmediate(() => c.write('too late', (err) => log.push(`client write cb ${err?.message}`))));
      },
      { allowHalfOpen: false },
    ),

  'destroy(err) on the client: error then close(true); server sees a clean end': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      {},
      (s) => s.resume(),
      (c) => c.on('connect', () => c.destroy(new Error('boom'))),
    ),

  'end() with data while still connecting: sent once connected, then FIN': (sn, cn, host) =>
    exchange(sn, cn, host, {}, (s) => s.pipe(s), (c) => c.end('queued before connect')),

  'pauseOnConnect server resumes later; client half-closes and waits': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      { pauseOnConnect: true, allowHalfOpen: true },
      (s) => setTimeout(() => {
        s.resume();
        s.on('end', () => s.end('done'));
      }, 30),
      (c) => c.end('paused at first'),
    ),

    'idle timeout fires on the client, then it ends': (sn, cn, host) =>
    exchange(
      sn,
      cn,
      host,
      {},
      (s) => s.resume(),
      (c) => {
        // Armed once connected and disarmed when it fires, so that a loaded machine cannot
        // change the order of events.
        c.on('connect', () => c.setTimeout(50));
        c.on('timeout', () => {
          c.setTimeout(0);
          c.end();
        });
      },
    ),
};

async function refused(clientNet: AnyNet, host: string): Promise<string[]> {
  const log: string[] = [];
  const c = clientNet.connect({ port: 1, host });
  recordEvents(c, SOCKET_EVENTS, log);
  c.on('error', (e: Error & { syscall?: string; address?: string; port?: number }) => log.push(`message ${e.message} ${e.syscall} ${e.address} ${e.port}`));
  await new Promise((r) => c.on('close', r));
  return log;
}

function usernet(make: () => Topology): [string, Topology] {
  const t = make();
  return [t.name, t];
}

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`same events as Node: ${name}`, async (t) => {
    const expected = sides(await scenario(hostNet, hostNet, '127.0.0.1'));
    for (const make of [loopback, twoStacks]) {
      const [topo, net] = usernet(make);
      try {
        const actual = sides(await scenario(asNodeNet(net.serverNet), asNodeNet(net.clientNet), net.serverHost));
        t.deepEqual(actual, expected, topo);
      } finally {
        await net.close();
      }
    }
  });
}

test('same events as Node: connection refused', async (t) => {
  const expected = await refused(hostNet, '127.0.0.1');
  const topo = loopback();
  try {
    t.deepEqual(await refused(asNodeNet(topo.clientNet), '127.0.0.1'), expected);
  } finally {
    await topo.close();
  }
  const two = twoStacks();
  try {
    const actual = await refused(asNodeNet(two.clientNet), '10.0.0.1');
    t.deepEqual(actual, expected.map((l) => l.replaceAll('127.0.0.1', '10.0.0.1')));
  } finally {
    await two.close();
  }
});

test('same events as Node: lookup of localhost', async (t) => {
  const run = async (n: AnyNet): Promise<unknown[]> => {
    const server = n.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as hostNet.AddressInfo).port;
    const c = n.connect({ port, host: 'localhost', autoSelectFamily: false });
    const lookup = await new Promise<unknown[]>((r) => c.once('lookup', (...a: unknown[]) => r(a)));
    c.resume();
    await new Promise((r) => c.on('close', r));
    await new Promise((r) => server.close(r));
    return lookup;
  };
  const topo = loopback();
  try {
    t.deepEqual(await run(asNodeNet(topo.clientNet)), await run(hostNet));
  } finally {
    await topo.close();
  }
});
