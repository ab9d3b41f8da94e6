/**
 * The module object `stack.net`: Node's names, the helpers it shares with Node, per-stack
 * classes, and options Node has that behave the same here (signal, autoSelectFamily defaults).
 */

import test from 'ava';
import * as hostNet from 'net';
import { once } from 'events';
import { Stack } from '../../src/stack';

const stack = new Stack();
test.after.always(() => stack.close());

test('exports every name code written for net uses, with Node\'s helpers where they are not TCP-specific', async (t) => {
  const net = stack.net;
  for (const name of ['Socket', 'Stream', 'Server', 'createServer', 'createConnection', 'connect', 'isIP', 'isIPv4', 'isIPv6', 'BlockList', 'SocketAddress', 'getDefaultAutoSelectFamily', 'setDefaultAutoSelectFamily', 'getDefaultAutoSelectFamilyAttemptTimeout', 'setDefaultAutoSelectFamilyAttemptTimeout']) {
    t.true(name in net, name);
    t.true(name in hostNet, `${name} is also Node's`);
  }
  t.is(net.isIP('::1'), 6);
  t.is(net.isIPv4('10.0.0.1'), true);
  t.is(net.isIPv6('10.0.0.1'), false);
  t.is(net.BlockList, hostNet.BlockList);
  t.is(net.SocketAddress, hostNet.SocketAddress);
  t.is(net.Stream, net.Socket);
  t.is(net.Socket.name, 'Socket');
  t.is(net.Server.name, 'Server');
  t.true(net.createServer() instanceof net.Server);
  t.is(stack.net, net, 'one module per stack');
  const other = new Stack();
  t.not(other.net.Socket, net.Socket, 'classes are per stack');
  await other.close();
});

test('autoSelectFamily defaults as in Node 20, settable with Node\'s checks', (t) => {
  const net = stack.net;
  t.is(net.getDefaultAutoSelectFamily(), hostNet.getDefaultAutoSelectFamily());
  t.is(net.getDefaultAutoSelectFamilyAttemptTimeout(), hostNet.getDefaultAutoSelectFamilyAttemptTimeout());
  net.setDefaultAutoSelectFamilyAttemptTimeout(5);
  t.is(net.getDefaultAutoSelectFamilyAttemptTimeout(), 10);
  net.setDefaultAutoSelectFamilyAttemptTimeout(250);
  t.throws(() => net.setDefaultAutoSelectFamily('yes' as unknown as boolean), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a socket with an abort signal is destroyed with an AbortError like Node\'s', async (t) => {
  const run = async (n: typeof hostNet): Promise<string> => {
    const ac = new AbortController();
    const s = new n.Socket({ signal: ac.signal });
    ac.abort();
    const [err] = (await once(s, 'error')) as [Error & { code: string }];
    return `${err.name} ${err.code} ${err.message}`;
  };
  t.is(await run(stack.net as unknown as typeof hostNet), await run(hostNet));
});

test('a file descriptor cannot back a usernet socket: a clear error', (t) => {
  t.throws(() => new stack.net.Socket({ fd: 3 }), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
});

test('the @example of src/net/index.ts', async (t) => {
  const example = new Stack();
  t.teardown(() => example.close());
  const net = example.net;
  let client: ReturnType<typeof net.connect> | undefined;
  const server = net.createServer((s) => s.pipe(s)).listen(7, () => (client = net.connect(7, '127.0.0.1').end('hi')));
  await once(server, 'listening');
  let echoed = '';
  client!.on('data', (d) => (echoed += d));
  await once(client!, 'close');
  t.is(echoed, 'hi');
  server.close();
});
