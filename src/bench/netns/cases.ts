/**
 * Row 6: serving a namespace. For each MTU (1500, slirp4netns' default, and 65520, pasta's and
 * `usernet netns`' default) and each tool, one repetition = a fresh namespace served by the
 * tool, then from inside it: iperf3 to the host (upload, then `-R` download), the 1-byte
 * ping-pong and the connection rate against servers on the host's loopback. CPU per GB is the
 * tool's own processes' (from /proc/PID/stat) while iperf3 runs, CPU per round trip theirs over
 * the timed round trips.
 */

import * as hostNet from 'net';
import * as path from 'path';
import { BackgroundProcess, hasCommand } from '../../netns';
import { procsCpuSeconds } from '../cpu';
import { GB, METRICS, MiB, SAMPLE_PREFIX, pingPongWarmup, type MetricSpec, type Sample } from '../jobs';
import { listen } from '../inproc/paths';
import { respondingServer } from '../inproc/connrate';
import type { BenchConfig, CasePlan, PathPlan } from '../plan';
import { PINGPONG_CPU, type NamespaceClientJob } from './client';
import { NAMESPACE_TOOLS, usernetNetnsWithoutBusyPoll, type NamespaceTool, type ServedNamespace } from './tools';
import { relayFloor } from './relay-floor';

const M = {
  upload: { key: 'up MiB/s', unit: 'iperf3 up MiB/s', higherIsBetter: true, digits: 0 },
  uploadCpu: { key: 'up cpu s/GB', unit: 'up CPU s/GB', higherIsBetter: false, digits: 2 },
  download: { key: 'down MiB/s', unit: 'iperf3 down MiB/s', higherIsBetter: true, digits: 0 },
  downloadCpu: { key: 'down cpu s/GB', unit: 'down CPU s/GB', higherIsBetter: false, digits: 2 },
  meanUs: METRICS.meanUs,
  p99Us: METRICS.p99Us,
  conn1: { key: 'conn/s 1', unit: 'conn/s (1 conc.)', higherIsBetter: true, digits: 0 },
  conn32: { key: 'conn/s 32', unit: 'conn/s (32 conc.)', higherIsBetter: true, digits: 0 },
  pingCpu: PINGPONG_CPU,
} as const satisfies Record<string, MetricSpec>;

const CLIENT = path.join(__dirname, 'client.js');

interface HostServers {
  echoPort: number;
  responderPort: number;
  iperfPort: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = hostNet.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** Echo (Nagle off) and request/response servers on 127.0.0.1, and an iperf3 server. */
async function startHostServers(): Promise<HostServers> {
  const echo = hostNet.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => undefined);
  });
  const responder = respondingServer(hostNet);
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => responder.listen(0, '127.0.0.1', r));
  const iperfPort = await freePort();
  // --forceflush: iperf3 buffers its "Server listening" line when stdout is a pipe.
  const iperf = new BackgroundProcess(['iperf3', '-s', '--forceflush', '-B', '127.0.0.1', '-p', String(iperfPort)]);
  try {
    await iperf.waitForOutput(/listening/i, 5000);
  } catch (e) {
    echo.close();
    responder.close();
    await iperf.stop('SIGKILL', 100);
    throw e;
  }
  return {
    echoPort: (echo.address() as hostNet.AddressInfo).port,
    responderPort: (responder.address() as hostNet.AddressInfo).port,
    iperfPort,
    close: async () => {
      echo.close();
      responder.close();
      await iperf.stop('SIGTERM', 1000);
    },
  };
}

interface IperfFigures {
  bytes: number;
  seconds: number;
}

async function iperf(served: ServedNamespace, port: number, seconds: number, reverse: boolean): Promise<IperfFigures> {
  const argv = ['iperf3', '-c', served.gateway, '-p', String(port), '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])];
  const r = await served.ns.exec(argv, { timeoutMs: seconds * 1000 + 30_000 });
  let doc: { end?: { sum_received?: { bytes?: number; seconds?: number } }; error?: string };
  try {
    doc = JSON.parse(r.stdout) as typeof doc;
  } catch {
    throw new Error(`iperf3${reverse ? ' -R' : ''}: exit ${r.code}: ${r.stderr.trim() || r.stdout.slice(0, 200)}`);
  }
  if (doc.error !== undefined) throw new Error(`iperf3${reverse ? ' -R' : ''}: ${doc.error}`);
  const sum = doc.end?.sum_received;
  if (sum?.bytes === undefined || sum.seconds === undefined || sum.seconds <= 0) throw new Error('iperf3: no received sum in its report');
  return { bytes: sum.bytes, seconds: sum.seconds };
}

async function nsClient(served: ServedNamespace, job: NamespaceClientJob, timeoutMs: number): Promise<Sample> {
  const r = await served.ns.exec([process.execPath, CLIENT, JSON.stringify(job)], { timeoutMs });
  const line = r.stdout.split('\n').find((l) => l.startsWith(SAMPLE_PREFIX));
  if (r.code !== 0 || line === undefined) throw new Error(`${job.kind} client: exit ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(line.slice(SAMPLE_PREFIX.length)) as Sample;
}

interface RowSizes {
  iperfSeconds: number;
  roundTrips: number;
  warmupSeconds: number;
  connRateSeconds: number;
}

/**
 * One repetition: iperf3 both ways on one instance of the tool, then ping-pong and connection
 * rate on a fresh one — each tool alike — so that the latency figures do not inherit what bulk
 * transfer left behind (for a JIT-compiled server: code optimised for 64 KiB segments that the
 * connection workload then deoptimises).
 */
async function oneRepetition(tool: NamespaceTool, mtu: number, sizes: RowSizes, profile: { dir: string; name: string } | undefined): Promise<Sample> {
  const host = await startHostServers();
  const metrics: Record<string, number> = {};
  const notes: string[] = [];
  try {
    await withTool(tool, mtu, profile && { ...profile, name: `${profile.name}-bulk` }, async (served) => {
      for (const [reverse, rate, cpu] of [[false, M.upload, M.uploadCpu], [true, M.download, M.downloadCpu]] as const) {
        const cpu0 = procsCpuSeconds(served.pids);
        const f = await iperf(served, host.iperfPort, sizes.iperfSeconds, reverse);
        const cpuSeconds = procsCpuSeconds(served.pids) - cpu0;
        metrics[rate.key] = f.bytes / MiB / f.seconds;
        metrics[cpu.key] = cpuSeconds / (f.bytes / GB);
      }
    });
    await withTool(tool, mtu, profile && { ...profile, name: `${profile.name}-latency` }, async (served) => {
      Object.assign(metrics, (await pingPongOn(served, host, sizes)).metrics);
      for (const [concurrency, spec] of [[1, M.conn1], [32, M.conn32]] as const) {
        const cr = await nsClient(served, { kind: 'connrate', host: served.gateway, port: host.responderPort, concurrency, seconds: sizes.connRateSeconds }, sizes.connRateSeconds * 1000 + 60_000);
        metrics[spec.key] = cr.metrics[METRICS.connPerSec.key] ?? NaN;
        for (const n of cr.notes ?? []) notes.push(`${concurrency} concurrent: ${n}`);
      }
    });
    return { metrics, notes };
  } finally {
    await host.close();
  }
}

function pingPongOn(served: ServedNamespace, host: HostServers, sizes: RowSizes): Promise<Sample> {
  const job: NamespaceClientJob = {
    kind: 'pingpong', host: served.gateway, port: host.echoPort, roundTrips: sizes.roundTrips, warmupSeconds: sizes.warmupSeconds, cpuPids: served.pids,
  };
  return nsClient(served, job, 120_000);
}

/**
 * usernet netns busy-polls by default (src/busy-poll.ts): the ping-pong without it, for the
 * latency and CPU that polling trades.
 */
async function withoutBusyPollNote(mtu: number, sizes: RowSizes): Promise<string> {
  const host = await startHostServers();
  try {
    let m: Record<string, number> = {};
    await withTool(usernetNetnsWithoutBusyPoll, mtu, undefined, async (served) => {
      m = (await pingPongOn(served, host, sizes)).metrics;
    });
    const f = (k: string): string => (m[k] ?? NaN).toFixed(1);
    return `without busy polling (--busy-poll 0): ping-pong mean ${f(M.meanUs.key)} µs, p99 ${f(M.p99Us.key)} µs, ${f(M.pingCpu.key)} CPU µs per round trip`;
  } finally {
    await host.close();
  }
}

/**
 * What the ping-pong costs through a Node process that relays between two kernel sockets and does
 * nothing else (relay-floor.ts): the least any Node relay, usernet included, adds on this machine.
 */
async function relayFloorNote(sizes: RowSizes): Promise<string> {
  const { direct, relayed } = await relayFloor(sizes.roundTrips, sizes.warmupSeconds);
  const f = (x: number): string => x.toFixed(1);
  return `floor for any Node relay — ping-pong through a Node process that only copies between two loopback sockets: mean ${f(relayed.mean)} µs, p99 ${f(relayed.p99)} µs (the client straight to the echo server: ${f(direct.mean)} / ${f(direct.p99)} µs)`;
}

async function withTool(tool: NamespaceTool, mtu: number, profile: { dir: string; name: string } | undefined, work: (served: ServedNamespace) => Promise<void>): Promise<void> {
  let served: ServedNamespace | undefined;
  try {
    served = await tool.start(mtu, profile);
    await work(served);
  } finally {
    await served?.stop();
  }
}

export async function netnsCases(c: BenchConfig): Promise<CasePlan[]> {
  if (!c.rows.has(6)) return [];
  const missing = ['iperf3'].filter((x) => !hasCommand(x));
  const sizes: RowSizes = {
    iperfSeconds: Math.max(1, Math.round(4 * Math.min(1, c.scale * 2))),
    roundTrips: Math.max(1000, Math.round(20_000 * c.scale)),
    warmupSeconds: pingPongWarmup(c.scale),
    connRateSeconds: Math.max(0.5, Math.min(3, c.connRateSeconds)),
  };
  return [1500, 65520].map((mtu): CasePlan => {
    const id = `r6-netns-mtu${mtu}`;
    const paths: PathPlan[] = NAMESPACE_TOOLS.map((tool) => {
      const why = tool.unavailable() ?? (missing.length > 0 ? `missing ${missing.join(', ')}` : undefined);
      return {
        name: tool.name === 'usernet' ? 'usernet' : tool.name,
        role: tool.name === 'usernet' ? 'usernet' : 'reference',
        ...(why !== undefined ? { skip: why } : {}),
        run: async (rep) => {
          const sample = await oneRepetition(tool, mtu, sizes,
            c.profile && rep === 0 && tool.name === 'usernet' ? { dir: c.profileDir, name: `${id}-usernet` } : undefined);
          if (tool.name === 'usernet' && rep === 0) (sample.notes ??= []).push(await withoutBusyPollNote(mtu, sizes));
          if (tool.name === 'usernet' && mtu === 1500 && rep === 0) (sample.notes ??= []).push(await relayFloorNote(sizes));
          return sample;
        },
      };
    });
    return {
      row: 6,
      id,
      title: `serving a namespace at MTU ${mtu}: iperf3 ${sizes.iperfSeconds} s each way, ping-pong ${sizes.roundTrips} round trips after ${sizes.warmupSeconds} s of warm-up, connection rate ${sizes.connRateSeconds} s, from inside to the host`,
      metrics: Object.values(M),
      reps: c.reps,
      paths,
    };
  });
}
