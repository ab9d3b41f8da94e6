/**
 * Row 5: the kernel as client over TAP. curl inside a namespace downloads from (GET) and uploads
 * to (PUT) an HTTP service on usernet, whose TAP device was moved into that namespace; the
 * reference is the same service on Node's own `net` in the host namespace, reached by the same
 * curl across a veth pair. Needs root, /dev/net/tun, `ip`, curl and bash.
 *
 * Time and sizes come from curl itself (`-w`); CPU is this process's (the server: usernet, or
 * Node over the kernel's TCP) and curl's (bash `times`).
 */

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as hostNet from 'net';
import { TapDriver } from '../../../drivers/tap';
import { Netns, runAllCleanups, runOk, uniqueLinkName } from '../../netns';
import { Stack } from '../../stack';
import { childSecondsFromTimes, ownCpuSeconds } from '../cpu';
import { GB, transferMetrics, type Job, type Sample } from '../jobs';
import { createBenchHttpServer } from './http-sink';

type TapJob = Extract<Job, { kind: 'tap' }>;

/** Addresses of the two links: usernet (TAP) and the kernel reference (veth). */
const TAP_NET = { server: '10.212.0.1', client: '10.212.0.2' } as const;
const VETH_NET = { server: '10.213.0.1', client: '10.213.0.2' } as const;
const PORT = 8080;

interface Served {
  ns: Netns;
  host: string;
  close(): Promise<void>;
}

async function serveUsernet(job: TapJob): Promise<Served> {
  const ns = await Netns.create('usernet-bench');
  const driver = TapDriver.open({ name: uniqueLinkName('unb'), mtu: job.mtu });
  try {
    await ns.moveLink(driver.name);
    await ns.configureLink(driver.name, { ipv4: `${TAP_NET.client}/24`, mtu: job.mtu });
  } catch (e) {
    await driver.close();
    await ns.destroy();
    throw e;
  }
  const stack = new Stack({ seed: process.pid });
  stack.addInterface(driver, { ipv4: `${TAP_NET.server}/24`, mtu: job.mtu });
  const httpServer = createBenchHttpServer();
  const server = stack.net.createServer((s) => httpServer.emit('connection', s));
  await new Promise<void>((r) => server.listen(PORT, TAP_NET.server, r));
  return {
    ns,
    host: TAP_NET.server,
    close: async () => {
      server.close();
      await stack.close();
      await ns.destroy();
    },
  };
}

async function serveKernel(job: TapJob): Promise<Served> {
  const ns = await Netns.create('usernet-bench');
  const outside = uniqueLinkName('unv');
  try {
    await ns.createVeth(outside, 'eth0');
    await ns.configureLink('eth0', { ipv4: `${VETH_NET.client}/24`, mtu: job.mtu });
    await configureHostLink(outside, `${VETH_NET.server}/24`, job.mtu);
  } catch (e) {
    await ns.destroy();
    throw e;
  }
  const httpServer = createBenchHttpServer();
  const server: hostNet.Server = hostNet.createServer((s) => httpServer.emit('connection', s));
  await new Promise<void>((r) => server.listen(PORT, VETH_NET.server, r));
  return {
    ns,
    host: VETH_NET.server,
    close: async () => {
      server.close();
      await ns.destroy();
    },
  };
}

/** Addresses and brings up `dev` in this process's own namespace (the veth pair's outside end). */
async function configureHostLink(dev: string, cidr: string, mtu: number): Promise<void> {
  await runOk(['ip', 'link', 'set', 'dev', dev, 'mtu', String(mtu)]);
  await runOk(['ip', 'addr', 'add', cidr, 'dev', dev]);
  await runOk(['ip', 'link', 'set', 'dev', dev, 'up']);
}

/** What curl's `-w` prints: total seconds, bytes down, bytes up, HTTP status. */
const CURL_FORMAT = 'CURL %{time_total} %{size_download} %{size_upload} %{http_code}\\n';

export async function tapTransfer(job: TapJob): Promise<Sample> {
  const served = job.server === 'usernet' ? await serveUsernet(job) : await serveKernel(job);
  let upload: string | null = null;
  try {
    const url = `http://${served.host}:${PORT}`;
    let command: string;
    if (job.direction === 'download') {
      command = `curl -sS --max-time 300 -o /dev/null -w '${CURL_FORMAT}' ${url}/bytes/${job.bytes}`;
    } else {
      // A sparse file: reading it costs curl almost nothing, so the figure is the network's.
      upload = path.join(os.tmpdir(), `usernet-bench-upload-${process.pid}`);
      fs.writeFileSync(upload, '');
      fs.truncateSync(upload, job.bytes);
      command = `curl -sS --max-time 300 -o /dev/null -w '${CURL_FORMAT}' -T ${upload} ${url}/upload`;
    }
    // The link needs a moment (ARP, the kernel's route) — one small request first.
    const warm = await served.ns.exec(['curl', '-sS', '--max-time', '10', '--retry', '5', '--retry-connrefused', '-o', '/dev/null', `${url}/bytes/1`], { timeoutMs: 20_000 });
    if (warm.code !== 0) throw new Error(`warm-up request failed: ${warm.stderr.trim()}`);
    const cpu0 = ownCpuSeconds();
    const r = await served.ns.exec(['bash', '-c', `${command}; s=$?; times; exit $s`], { timeoutMs: 320_000 });
    const serverCpu = ownCpuSeconds() - cpu0;
    if (r.code !== 0) throw new Error(`curl failed (${r.code}): ${r.stderr.trim()}`);
    const m = /CURL ([\d.]+) (\d+) (\d+) (\d+)/.exec(r.stdout);
    if (m === null) throw new Error(`no curl figures in ${JSON.stringify(r.stdout)}`);
    const [seconds, down, up, status] = [Number(m[1]), Number(m[2]), Number(m[3]), m[4]];
    const moved = job.direction === 'download' ? down : up;
    if (status !== '200' || moved !== job.bytes) throw new Error(`curl: HTTP ${status}, moved ${moved} of ${job.bytes} bytes`);
    const clientCpu = childSecondsFromTimes(r.stdout);
    const metrics = transferMetrics(moved, seconds, serverCpu);
    if (clientCpu !== null) metrics['client cpu s/GB'] = clientCpu / (moved / GB);
    return { metrics };
  } finally {
    if (upload !== null) fs.rmSync(upload, { force: true });
    await served.close();
    runAllCleanups();
  }
}
