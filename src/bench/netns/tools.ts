/**
 * The three ways row 6 serves a namespace: `usernet netns` (usernet on a TAP device, relaying to
 * the host), and the references slirp4netns and pasta doing the same job. Each `start` makes a
 * fresh namespace served by the tool at the given MTU and says which address inside reaches the
 * host's loopback, and which processes do the serving (for their CPU time).
 */

import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { BackgroundProcess, Netns, canUseNetns, hasCommand } from '../../netns';

export interface ServedNamespace {
  ns: Netns;
  /** The address inside the namespace that reaches the host's 127.0.0.1. */
  gateway: string;
  /** Processes doing the tool's work (their CPU time is the tool's cost). */
  pids: number[];
  stop(): Promise<void>;
}

export interface NamespaceTool {
  name: 'usernet' | 'slirp4netns' | 'pasta';
  /** Why it cannot run here; undefined when it can. */
  unavailable(): string | undefined;
  start(mtu: number, profile?: { dir: string; name: string }): Promise<ServedNamespace>;
}

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True once `ns` has a default route (the tool configured its interface). */
async function hasDefaultRoute(ns: Netns): Promise<boolean> {
  try {
    return (await ns.ip('route', 'show', 'default')).includes('default');
  } catch {
    return false;
  }
}

function rootReason(): string | undefined {
  const can = canUseNetns();
  return can.ok ? undefined : `needs root and /dev/net/tun: ${can.reason}`;
}

async function startedIn(ns: Netns, p: BackgroundProcess, what: string): Promise<void> {
  try {
    await waitFor(async () => {
      if (p.exited) throw new Error(`${what} exited: ${p.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      return hasDefaultRoute(ns);
    }, `${what} configuring the namespace`);
  } catch (e) {
    await p.stop('SIGKILL', 100);
    await ns.destroy();
    throw e;
  }
}

export const slirp4netns: NamespaceTool = {
  name: 'slirp4netns',
  unavailable: () => rootReason() ?? (hasCommand('slirp4netns') ? undefined : 'slirp4netns is not installed (Debian package slirp4netns)'),
  async start(mtu) {
    const ns = await Netns.create('usernet-bench');
    const p = new BackgroundProcess(['slirp4netns', '--configure', `--mtu=${Math.min(mtu, 65521)}`, '--netns-type=path', `/run/netns/${ns.name}`, 'tap0']);
    await startedIn(ns, p, 'slirp4netns');
    return {
      ns,
      gateway: '10.0.2.2',
      pids: [p.pid],
      stop: async () => {
        await p.stop('SIGTERM', 1000);
        await ns.destroy();
      },
    };
  },
};

/** The host's IPv4 default gateway: pasta gives it to the namespace and maps it to the host. */
function hostGateway4(): string | undefined {
  try {
    const out = execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' });
    return /default via (\d+\.\d+\.\d+\.\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

export const pasta: NamespaceTool = {
  name: 'pasta',
  unavailable: () =>
    rootReason() ??
    (!hasCommand('pasta') ? 'pasta is not installed (Debian package passt)' : hostGateway4() === undefined ? 'the host has no IPv4 default route for pasta to copy' : undefined),
  async start(mtu) {
    const gateway = hostGateway4();
    if (gateway === undefined) throw new Error('no IPv4 default route on the host');
    const ns = await Netns.create('usernet-bench');
    // As root pasta drops to "nobody" unless told otherwise; it must still open the namespace.
    const p = new BackgroundProcess(['pasta', '-f', '-q', '--runas', '0:0', '--config-net', '-m', String(mtu),
      '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none', '--netns', ns.name]);
    await startedIn(ns, p, 'pasta');
    return {
      ns,
      gateway,
      pids: [p.pid],
      stop: async () => {
        await p.stop('SIGTERM', 1000);
        await ns.destroy();
      },
    };
  },
};

/** The compiled CLI next to this file's tree (dist/src/cli/main.js). */
export const CLI = path.join(__dirname, '..', '..', 'cli', 'main.js');

/** Whether the built CLI has the `netns` command (it lists its commands in `--help`). */
function cliHasNetns(): boolean {
  if (!fs.existsSync(CLI)) return false;
  try {
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 10_000 });
    return /^\s+netns\s/m.test(help);
  } catch {
    return false;
  }
}

/** `usernet netns` with its defaults, plus `extraArgs`. */
function usernetNetnsWith(extraArgs: readonly string[]): NamespaceTool {
  return {
    name: 'usernet',
    unavailable: () => rootReason() ?? (cliHasNetns() ? undefined : '`usernet netns` is not in this build yet (dist/src/cli/main.js has no netns command)'),
    start: (mtu, profile) => startUsernetNetns(mtu, profile, extraArgs),
  };
}

export const usernetNetns = usernetNetnsWith([]);
/** Without busy polling: what the note under row 6 compares the default with. */
export const usernetNetnsWithoutBusyPoll = usernetNetnsWith(['--busy-poll', '0']);

async function startUsernetNetns(mtu: number, profile: { dir: string; name: string } | undefined, extraArgs: readonly string[]): Promise<ServedNamespace> {
  const ns = await Netns.create('usernet-bench');
  const nodeArgs = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.name}.cpuprofile`];
  const p = new BackgroundProcess([process.execPath, ...nodeArgs, CLI, 'netns', ns.name, '--existing', '--mtu', String(mtu), ...extraArgs]);
  await startedIn(ns, p, 'usernet netns');
  return {
    ns,
    gateway: '10.0.2.2',
    pids: [p.pid],
    stop: async () => {
      // SIGTERM: a clean shutdown, which is also when --cpu-prof writes its profile.
      await p.stop('SIGTERM', 5000);
      await ns.destroy();
    },
  };
}

export const NAMESPACE_TOOLS: readonly NamespaceTool[] = [usernetNetns, slirp4netns, pasta];
