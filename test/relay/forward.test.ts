import test from 'ava';
import * as net from 'net';
import { parseForward, PortForwarder } from '../../src/relay/forward';
import { hostTarget } from '../../src/relay/host-map';
import { closed, connect, listenOn, readAll } from './harness';

const parses: Array<[string, ReturnType<typeof parseForward>]> = [
  ['8080:80', { hostAddress: '0.0.0.0', hostPort: 8080, nsPort: 80, protocol: 'tcp' }],
  ['8080:80/tcp', { hostAddress: '0.0.0.0', hostPort: 8080, nsPort: 80, protocol: 'tcp' }],
  ['127.0.0.1:8080:80', { hostAddress: '127.0.0.1', hostPort: 8080, nsPort: 80, protocol: 'tcp' }],
  ['[::1]:8080:80/TCP', { hostAddress: '::1', hostPort: 8080, nsPort: 80, protocol: 'tcp' }],
  ['2222', { hostAddress: '0.0.0.0', hostPort: 2222, nsPort: 2222, protocol: 'tcp' }],
];
for (const [text, want] of parses) {
  test(`parseForward ${text}`, (t) => t.deepEqual(parseForward(text), want));
}

const rejects: Array<[string, RegExp]> = [
  ['8080:80/udp', /only TCP/],
  ['8080:80/sctp', /unknown protocol/],
  ['0:80', /outside 1–65535/],
  ['8080:70000', /outside 1–65535/],
  ['x:80', /not a port/],
  ['1.2.3:8080:80', /not an IP address/],
  ['[1.2.3.4]:1:2', /not an IPv6/],
  ['1:2:3:4', /expected/],
  ['', /not a port/],
];
for (const [text, why] of rejects) {
  test(`parseForward rejects '${text}'`, (t) => {
    const r = parseForward(text);
    t.is(typeof r, 'string');
    t.regex(r as string, why);
  });
}

test('hostTarget: the gateway is the host loopback, others are themselves', (t) => {
  const map = { gateway4: '10.0.2.2', gateway6: 'fd00:2::2' };
  t.is(hostTarget('10.0.2.2', map), '127.0.0.1');
  t.is(hostTarget('fd00:2:0::2', map), '::1');
  t.is(hostTarget('::ffff:10.0.2.2', map), '10.0.2.2');
  t.is(hostTarget('93.184.216.34', map), '93.184.216.34');
  t.is(hostTarget('2001:db8::1', map), '2001:db8::1');
});

test('PortForwarder carries a conversation, both FINs, into the inner side; EADDRINUSE when taken', async (t) => {
  // Both sides are Node's net here: the "namespace" is a server on 127.0.0.1.
  const inner = net.createServer({ allowHalfOpen: true }, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => s.end(`got ${Buffer.concat(chunks).toString()} from ${s.remoteAddress}`));
  });
  const nsPort = await listenOn(inner);
  const probe = net.createServer();
  const hostPort = await listenOn(probe);
  await closed(probe);
  const spec = { hostAddress: '127.0.0.1', hostPort, nsPort, protocol: 'tcp' as const };
  const f = new PortForwarder({ spec, hostNet: net, innerNet: net, target4: '127.0.0.1' });
  await f.start();
  const c = await connect(hostPort);
  c.end('ping');
  const r = await readAll(c);
  t.is(r.data.toString(), 'got ping from 127.0.0.1');
  t.is(f.accepted, 1);
  const again = new PortForwarder({ spec, hostNet: net, innerNet: net, target4: '127.0.0.1' });
  const err = await t.throwsAsync(() => again.start());
  t.is((err as NodeJS.ErrnoException).code, 'EADDRINUSE');
  await f.close();
  await closed(inner);
});
