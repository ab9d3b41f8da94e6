/**
 * Local IPC through `stack.net`: `listen(path)` and `connect(path)` use the host's Unix-domain
 * sockets and show the same events as Node's own `net` on the same paths.
 */

import test from 'ava';
import * as hostNet from 'net';
import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Stack } from '../../src/stack';
import { asNodeNet, recordEvents } from './helpers';

const dir = mkdtempSync(join(tmpdir(), `usernet-ipc-${process.pid}-`));
let counter = 0;
const nextPath = (): string => join(dir, `s${++counter}.sock`);
const stack = new Stack();
const ours = asNodeNet(stack.net);

test.after.always(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stack.close();
});

const EVENTS = ['connect', 'ready', 'end', 'finish', 'error', 'close'];

function echoOver(serverNet: typeof hostNet, clientNet: typeof hostNet, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const log: string[] = [];
    const server = serverNet.createServer((s) => {
      recordEvents(s, EVENTS, log, 'server ');
      s.pipe(s);
    });
    server.on('error', reject);
    server.listen(path, () => {
      log.push(`address ${server.address() === path}`);
      const c = clientNet.connect(path);
      recordEvents(c, EVENTS, log, 'client ');
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('close', () => {
        log.push(`client got ${got}`);
        server.close(() => resolve(log.filter((l) => l.startsWith('client') || l.startsWith('address'))));
      });
      c.end('over a unix socket');
    });
  });
}

test('echo over a Unix-domain socket: same client events as Node, every mix of ours and Node\'s', async (t) => {
  const expected = await echoOver(hostNet, hostNet, nextPath());
  t.deepEqual(await echoOver(ours, ours, nextPath()), expected);
  t.deepEqual(await echoOver(ours, hostNet, nextPath()), expected);
  t.deepEqual(await echoOver(hostNet, ours, nextPath()), expected);
});

test('connect to a missing path: connect ENOENT <path>, as Node', async (t) => {
  const run = (n: typeof hostNet, path: string): Promise<string> =>
    new Promise((resolve) => {
      n.connect(path).on('error', (e: Error & { code: string; syscall: string; address: string }) => resolve(`${e.code} ${e.syscall} ${e.message.replace(path, '<path>')} ${e.address === path}`));
    });
  t.is(await run(ours, nextPath()), await run(hostNet, nextPath()));
});

test('listen on a path in use: the host\'s EADDRINUSE error event', async (t) => {
  const path = nextPath();
  const first = hostNet.createServer().listen(path);
  await new Promise((r) => first.once('listening', r));
  const second = stack.net.createServer();
  second.listen(path);
  const err = await new Promise<Error & { code: string }>((r) => second.once('error', r));
  t.is(err.code, 'EADDRINUSE');
  t.is(err.message, `listen EADDRINUSE: address already in use ${path}`);
  t.false(second.listening);
  await new Promise((r) => first.close(r));
});

test('readableAll / writableAll make the socket file accessible to everyone, as Node', async (t) => {
  const path = nextPath();
  const server = stack.net.createServer();
  await new Promise<void>((r) => server.listen({ path, readableAll: true, writableAll: true }, r));
  t.is(statSync(path).mode & 0o777, 0o777);
  await new Promise((r) => server.close(r));
});
