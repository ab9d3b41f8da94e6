/**
 * `stack.net` against the Linux kernel over a TAP device in a namespace: Node's `http.Server` on
 * usernet sockets answers `curl` (IPv4 and IPv6, a small reply and a 4 MiB body checked by hash),
 * and usernet clients fetch from a kernel HTTP server (python3 -m http.server). Needs root and
 * /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Stack } from '../../src/stack';
import type { BaseSocket } from '../../src/net';
import { TAP_TEST_PLAN as P, skipUnlessTap, tapInNamespace } from '../helpers/netns';

type Socket = InstanceType<typeof BaseSocket>;

const BIG = randomBytes(4 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');

async function setup(t: Parameters<typeof tapInNamespace>[0]) {
  const env = await tapInNamespace(t);
  const stack = new Stack({ seed: process.pid });
  t.teardown(() => stack.close());
  stack.addInterface(env.driver, { ipv4: `${P.usernet4}/24`, ipv6: `${P.usernet6}/64`, mac: P.usernetMac });
  // Let DAD finish for usernet's IPv6 address (one RetransTimer plus slack).
  await new Promise((r) => setTimeout(r, 1300));
  return { ...env, stack };
}

test.serial('curl in the namespace fetches from Node\'s http.Server on usernet sockets (IPv4 and IPv6)', async (t) => {
  if (skipUnlessTap(t, ['curl', 'sha256sum', 'sh'])) return;
  const { ns, stack } = await setup(t);
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/big') res.end(BIG);
    else res.end(`hello ${req.socket.remoteFamily} ${req.socket.remoteAddress}\n`);
  });
  const sockets = new Set<Socket>();
  const server = stack.net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    httpServer.emit('connection', s);
  });
  await new Promise<void>((r) => server.listen(8080, r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  for (const [host, family, peer] of [
    [P.usernet4, 'IPv4', P.kernel4],
    [`[${P.usernet6}]`, 'IPv6', P.kernel6],
  ] as const) {
    const small = await ns.exec(['curl', '-sS', '--max-time', '10', `http://${host}:8080/hello`]);
    t.is(small.code, 0, small.stderr);
    t.is(small.stdout, `hello ${family} ${peer}\n`);
    const big = await ns.exec(['sh', '-c', `curl -sS --max-time 30 http://${host}:8080/big | sha256sum`]);
    t.is(big.code, 0, big.stderr);
    t.is(big.stdout.split(' ')[0], BIG_SHA, `4 MiB over ${family}`);
  }
});

test.serial('usernet clients fetch from a kernel HTTP server in the namespace (IPv4 and IPv6)', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, stack } = await setup(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `usernet-interop-net-${process.pid}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'big.bin'), BIG);
  ns.spawn(['python3', '-m', 'http.server', '8000', '--bind', '::', '--directory', dir]);
  const fetch = (host: string, file: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host, port: 8000, path: `/${file}`, createConnection: () => stack.net.createConnection(8000, host) } as http.RequestOptions, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts)));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  // The server needs a moment to start: retry while the kernel refuses.
  let body: Buffer | undefined;
  for (let i = 0; i < 50 && body === undefined; i++) {
    body = await fetch(P.kernel4, 'big.bin').catch((e: Error & { code?: string }) => {
      if (e.code !== 'ECONNREFUSED') throw e;
      return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
    });
  }
  t.truthy(body, 'the kernel server answered');
  t.is(createHash('sha256').update(body!).digest('hex'), BIG_SHA);
  const body6 = await fetch(P.kernel6, 'big.bin');
  t.is(createHash('sha256').update(body6).digest('hex'), BIG_SHA);
});
