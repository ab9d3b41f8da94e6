/**
 * Network namespaces for tests and for `usernet netns`: create a uniquely named namespace, give
 * it a link (a TAP device moved in, or a veth pair), address and route it, run commands inside,
 * and remove everything afterwards, also when the process fails or is interrupted (cleanup.ts).
 * Everything goes through `ip` (iproute2); names never collide between processes or threads.
 */

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { threadId } from 'worker_threads';
import { onCleanup } from './cleanup';
import { BackgroundProcess, run, runOk, type RunOptions, type RunResult } from './run';

/** Interface names are at most IFNAMSIZ - 1 characters. */
export const IFNAMSIZ_MAX = 15;
/** Prefix of every namespace the harness creates; `removeStaleNamespaces` looks for it. */
export const NETNS_PREFIX = 'usernet';

let counter = 0;

function randomTag(chars: number): string {
  let s = '';
  while (s.length < chars) s += Math.floor(Math.random() * 36).toString(36);
  return s;
}

/**
 * A fresh interface name: `prefix` + pid + thread id + counter (base 36) + random, at most 15
 * characters, unique across processes and worker threads.
 */
export function uniqueLinkName(prefix = 'un'): string {
  const core = `${prefix}${process.pid.toString(36)}${threadId.toString(36)}${(counter++).toString(36)}`;
  const name = core + randomTag(Math.max(0, IFNAMSIZ_MAX - core.length));
  return name.slice(0, IFNAMSIZ_MAX);
}

/** Addresses and routes for the link inside a namespace (`Netns.configureLink`). */
export interface LinkPlan {
  /** IPv4 address with prefix length, e.g. `10.77.0.2/24`. */
  ipv4?: string;
  /** IPv6 address with prefix length, e.g. `fd00:77::2/64`. */
  ipv6?: string;
  /** Skip duplicate address detection for `ipv6` (usable at once). Default true. */
  nodad?: boolean;
  /** Default route for IPv4 via this address (usernet's side of the link). */
  gateway4?: string;
  /** Default route for IPv6 via this address. */
  gateway6?: string;
  mtu?: number;
  /** MAC of the link inside the namespace. */
  mac?: string;
}

/** True when this process may create namespaces and TAP devices: root, /dev/net/tun, `ip`. */
export function canUseNetns(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'not Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'not root' };
  if (!fs.existsSync('/dev/net/tun')) return { ok: false, reason: 'no /dev/net/tun' };
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'no ip command (iproute2)' };
  }
  return { ok: true };
}

/** True when `command` is found on PATH (used to skip tests needing tcpdump, tshark, ping …). */
export function hasCommand(command: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':');
  return dirs.some((d) => d !== '' && fs.existsSync(`${d}/${command}`));
}

/** A network namespace owned by this process. */
export class Netns {
  private readonly background = new Set<BackgroundProcess>();
  private readonly forget: (run: boolean) => void;
  private destroyed = false;

  /**
   * `owned`: created by us, so `destroy` deletes it (and kills what runs inside). A joined
   * namespace (`Netns.join`) is left as found; only our own background processes are stopped.
   */
  private constructor(readonly name: string, readonly owned = true) {
    this.forget = onCleanup(`netns ${name}`, () => this.destroySync());
  }

  /**
   * Creates the namespace `name` exactly (for `usernet netns NAME`); rejects with
   * "namespace NAME exists" when it does. Removed on `destroy` like `create`'s.
   */
  static async createNamed(name: string): Promise<Netns> {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name === '.' || name === '..') throw new Error(`'${name}' is not a valid namespace name`);
    if (fs.existsSync(`/run/netns/${name}`) || fs.existsSync(`/var/run/netns/${name}`)) throw new Error(`namespace ${name} exists (use --existing to join it)`);
    await runOk(['ip', 'netns', 'add', name]);
    const ns = new Netns(name);
    try {
      await ns.ip('link', 'set', 'lo', 'up');
    } catch (err) {
      await ns.destroy();
      throw err;
    }
    return ns;
  }

  /** Joins the existing namespace `name` (`ip netns add` made it); `destroy` leaves it in place. */
  static async join(name: string): Promise<Netns> {
    const r = await run(['ip', '-n', name, 'link', 'show', 'lo']);
    if (r.code !== 0) throw new Error(`namespace ${name} does not exist`);
    return new Netns(name, false);
  }

  /** Creates `usernet-<pid>-<thread>-<counter>-<random>` (or with `prefix`), with `lo` up. */
  static async create(prefix = NETNS_PREFIX): Promise<Netns> {
    const name = `${prefix}-${process.pid}-${threadId}-${counter++}-${randomTag(6)}`;
    await runOk(['ip', 'netns', 'add', name]);
    const ns = new Netns(name);
    try {
      await ns.ip('link', 'set', 'lo', 'up');
    } catch (err) {
      await ns.destroy();
      throw err;
    }
    return ns;
  }

  /** Runs `ip -n NAME args…` and returns its stdout; rejects on a non-zero exit. */
  ip(...args: string[]): Promise<string> {
    return runOk(['ip', '-n', this.name, ...args]);
  }

  /** Runs `argv` inside the namespace; resolves with exit status and output (see `run`). */
  exec(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.name, ...argv], options);
  }

  /** Starts `argv` inside the namespace in the background; stopped by PID on `destroy`. */
  spawn(argv: readonly string[]): BackgroundProcess {
    if (this.destroyed) throw new Error(`netns ${this.name} is destroyed`);
    const p = new BackgroundProcess(['ip', 'netns', 'exec', this.name, ...argv]);
    this.background.add(p);
    void p.wait().then(() => this.background.delete(p));
    return p;
  }

  /** Moves device `dev` of the caller's namespace into this one (a TAP keeps its descriptor). */
  async moveLink(dev: string): Promise<void> {
    await runOk(['ip', 'link', 'set', 'dev', dev, 'netns', this.name]);
  }

  /**
   * Creates a veth pair: `outside` stays in the caller's namespace, `inside` lives here. Both
   * ends vanish when the namespace is destroyed.
   */
  async createVeth(outside: string, inside: string): Promise<void> {
    await runOk(['ip', 'link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', this.name]);
  }

  /** Addresses `dev` (already inside), brings it up and adds the default routes of `plan`. */
  async configureLink(dev: string, plan: LinkPlan): Promise<void> {
    if (plan.mtu !== undefined) await this.ip('link', 'set', 'dev', dev, 'mtu', String(plan.mtu));
    if (plan.mac !== undefined) await this.ip('link', 'set', 'dev', dev, 'address', plan.mac);
    if (plan.ipv4 !== undefined) await this.ip('addr', 'add', plan.ipv4, 'dev', dev);
    if (plan.ipv6 !== undefined) {
      await this.ip('addr', 'add', plan.ipv6, 'dev', dev, ...(plan.nodad === false ? [] : ['nodad']));
    }
    await this.ip('link', 'set', 'dev', dev, 'up');
    if (plan.gateway4 !== undefined) await this.ip('route', 'add', 'default', 'via', plan.gateway4, 'dev', dev);
    if (plan.gateway6 !== undefined) await this.ip('-6', 'route', 'add', 'default', 'via', plan.gateway6, 'dev', dev);
  }

  /** Names of the links inside (from `ip -o link`). */
  async links(): Promise<string[]> {
    const out = await this.ip('-o', 'link', 'show');
    return out.split('\n').flatMap((line) => {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      return m ? [m[1]!] : [];
    });
  }

  /** Stops background processes (SIGTERM, then SIGKILL) and deletes the namespace. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all([...this.background].map((p) => p.stop('SIGTERM', 1000)));
    this.forget(true);
  }

  /** The synchronous teardown used at exit and on signals. */
  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.background) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (!this.owned) return;
    // Processes started with `ip netns exec` by others than us would keep the namespace alive
    // after its name is gone; kill whatever still runs inside (only our own tests put them there).
    try {
      const pids = execFileSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' }).split(/\s+/);
      for (const pid of pids) if (/^\d+$/.test(pid)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Namespace already gone.
    }
    execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
  }
}

/** Namespaces named by this harness in this machine's `ip netns list`. */
export function listHarnessNamespaces(prefix = NETNS_PREFIX): string[] {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').flatMap((line) => {
    const name = line.split(' ')[0] ?? '';
    return name.startsWith(`${prefix}-`) ? [name] : [];
  });
}

/**
 * Deletes harness namespaces whose creating process is dead (left by a SIGKILLed run). Returns
 * their names. Namespaces of live processes, including this one, are left alone.
 */
export function removeStaleNamespaces(prefix = NETNS_PREFIX): string[] {
  const removed: string[] = [];
  for (const name of listHarnessNamespaces(prefix)) {
    const pid = Number(name.slice(prefix.length + 1).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      removed.push(name);
    } catch {
      // Someone else removed it first.
    }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a network device of this name exists in the caller's namespace. */
export function linkExists(dev: string): boolean {
  return fs.existsSync(`/sys/class/net/${dev}`);
}
