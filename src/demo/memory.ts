/**
 * `usernet demo` without root or /dev/net/tun: the same story between two usernet stacks in one
 * process. One plays the namespace (10.0.2.100, default route via 10.0.2.2), the other is
 * usernet as its router (`UsernetRouter`: intercept, services, host relay), joined by a memory
 * link. The "host server" is a real Node http server on 127.0.0.1 / ::1.
 */

import * as http from 'http';
import type { Duplex } from 'stream';
import { MemoryLink } from '../../drivers/memory-link';
import { Stack } from '../stack';
import { UsernetRouter } from '../netns/router';
import { NETNS_DEFAULTS } from '../netns/serve';
import { ALL_SERVICES } from '../services';
import type { CommandIo } from '../cli/decode';
import { startHostServer } from './host-server';
import { TraceLink } from './trace';
import { printTable, printTrace, tellStory, type Step } from './story';

type NetOf = Stack['net'];

function httpGet(net: NetOf, host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, createConnection: () => net.connect({ host, port }) as unknown as Duplex as never }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(`HTTP ${res.statusCode}, ${Buffer.concat(chunks).length} bytes\n${Buffer.concat(chunks).toString()}`));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function exchange(net: NetOf, host: string, port: number, send: string, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      n += c.length;
      if (n >= limit) {
        s.destroy();
        resolve(Buffer.concat(chunks).subarray(0, limit));
      }
    });
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`${host}:${port} timed out`)));
    s.end(send);
  });
}

export async function memoryStory(io: CommandIo): Promise<number> {
  const a = NETNS_DEFAULTS;
  const [nsLink, routerLink] = MemoryLink.pair({ mtu: a.mtu });
  const trace = new TraceLink(routerLink, 7);
  const router = UsernetRouter.create(trace, a, ALL_SERVICES, 2);
  const ns = new Stack({ seed: 1 });
  ns.addInterface(nsLink, { ipv4: a.ipv4, ipv6: a.ipv6, gateway4: a.gateway4, gateway6: a.gateway6, mtu: a.mtu, dad: false });
  const host = await startHostServer();
  const net = ns.net;
  io.out(`usernet demo, in-process: a "namespace" stack (${a.ipv4}) and usernet as its router (${a.gateway4}, services on ${a.services4}) over a memory link\n\n`);
  const steps: Step[] = [
    { title: `ping ${a.gateway4} (ICMP echo answered by usernet)`, run: async () => `reply from ${(await ns.ping(a.gateway4)).from}` },
    { title: `echo: hello → ${a.services4}:7, then FIN`, run: async () => (await exchange(net, a.services4, 7, 'hello, usernet\n')).toString() },
    { title: `chargen ${a.services4}:19, first 148 bytes`, run: async () => (await exchange(net, a.services4, 19, '', 148)).toString() },
    { title: `http://${a.services4}/ (the stack's own status page)`, run: () => httpGet(net, a.services4, 80, '/') },
    { title: `http://${a.gateway4}:${host.port4}/ → relayed to the host's 127.0.0.1`, run: () => httpGet(net, a.gateway4, host.port4, '/') },
  ];
  if (host.port6 !== null) {
    steps.push({ title: `http://[${a.gateway6}]:${host.port6}/ → relayed to the host's ::1`, run: () => httpGet(net, a.gateway6, host.port6!, '/') });
  }
  try {
    const failed = await tellStory(io, steps);
    printTrace(io, trace, `the echo connection (port 7)`);
    printTable(io, router.status);
    return failed === 0 ? 0 : 1;
  } finally {
    await host.close();
    await ns.close();
    await router.close();
  }
}
