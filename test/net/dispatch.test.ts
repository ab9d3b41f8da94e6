/**
 * The event router: events reach the handle that owns the connection or listener; accepts for
 * a listener the net layer closed are reset; listeners and connections of others are left alone.
 */

import test from 'ava';
import { once } from 'events';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpEvent } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError } from '../../stack/tcp/events';
import { TcpEventRouter } from '../../src/net/dispatch';
import { Stack } from '../../src/stack';
import { delay } from './helpers';

function fakeConn(log: string[]): TcpConnection {
  return { abort: () => log.push('abort'), toString: () => 'fake' } as unknown as TcpConnection;
}

test('accept for a closed listener of ours: reset and a flush requested; for a foreign one: ignored', (t) => {
  const log: string[] = [];
  const router = new TcpEventRouter(() => log.push('kick'));
  const ours = {} as TcpListener;
  const foreign = {} as TcpListener;
  router.addListener(ours, { accept: () => log.push('accepted') });
  router.dispatch([{ kind: 'accept', listener: ours, conn: fakeConn(log) }]);
  router.removeListener(ours);
  router.dispatch([
    { kind: 'accept', listener: ours, conn: fakeConn(log) },
    { kind: 'accept', listener: foreign, conn: fakeConn(log) },
  ]);
  t.deepEqual(log, ['accepted', 'abort', 'kick']);
});

test('connection events go to their sink in order; closed unregisters', (t) => {
  const router = new TcpEventRouter();
  const conn = fakeConn([]);
  const seen: string[] = [];
  router.addConnection(conn, { deliver: (ev) => seen.push(ev.kind) });
  const events: TcpEvent[] = [
    { kind: 'established', conn },
    { kind: 'data', conn, chunk: new Uint8Array(1) },
    { kind: 'peer-fin', conn },
    { kind: 'closed', conn },
    { kind: 'data', conn, chunk: new Uint8Array(1) },
  ];
  router.dispatch(events);
  t.deepEqual(seen, ['established', 'data', 'peer-fin', 'closed']);
  t.is(router.connectionCount, 0);
});

test('a listener driven directly on the engine keeps its connections while stack.net is in use', async (t) => {
  const stack = new Stack();
  try {
    const l = stack.tcp.listen(IpAddress.parse('127.0.0.1')!, 7070);
    t.false(isTcpError(l));
    const net = stack.net;
    const c = net.connect(7070, '127.0.0.1');
    c.on('error', (e) => t.fail(`the connection must not be reset: ${e.message}`));
    await once(c, 'connect');
    await delay(50);
    t.false(c.destroyed);
    c.destroy();
  } finally {
    await stack.close();
  }
});
