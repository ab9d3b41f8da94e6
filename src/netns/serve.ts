/**
 * `usernet netns` as a library: a network namespace whose only interface is a TAP device served
 * by usernet, in the spirit of slirp4netns and pasta. usernet is the namespace's router: its
 * interface accepts TCP for any destination, the stack's deferred interception holds every
 * connection the namespace opens until a `HostRelay` has connected it on the host (the gateway
 * address is the host's loopback), then splices the two — or refuses it as the host refused.
 * Built-in services answer on the services address; `-p` forwards bring host connections in.
 * `close()` resets what is open and removes the TAP and the namespace.
 */

import createDebug from 'debug';
import * as hostNet from 'net';
import type { Stack } from '../stack';
import { UsernetRouter, type RouterAddresses } from './router';
import { spawn } from 'child_process';
import { TapDriver } from '../../drivers/tap';
import { capture } from '../../drivers/capture';
import type { LinkDriver } from '../../stack/link';
import { Netns, canUseNetns, uniqueLinkName } from './namespace';
import { onCleanup } from './cleanup';
import { PortForwarder, type ForwardSpec } from '../relay/forward';
import type { Service, ServiceSpec } from '../services';
import type { StatusSource } from '../services/status';
import { NamespaceUdp } from './udp-services';
import { NamespaceResolvConf } from './resolv-conf';
import type { DnsUpstream } from '../relay/dns';
import { SERVING_BUSY_POLL_US } from '../busy-poll';

const log = createDebug('usernet:netns');

/** slirp4netns's addressing, with pasta's large MTU so that bulk transfers are cheap. */
export const NETNS_DEFAULTS = {
  ipv4: '10.0.2.100/24',
  ipv6: 'fd00:2::100/64',
  gateway4: '10.0.2.2',
  gateway6: 'fd00:2::2',
  /** Where the built-in services answer (slirp4netns puts its DNS here). */
  services4: '10.0.2.3',
  services6: 'fd00:2::3',
  mtu: 65520,
  /** See `NamespaceOptions.busyPollMicros`. */
  busyPollMicros: SERVING_BUSY_POLL_US,
} as const;

export interface NamespaceOptions {
  /** Namespace name: created with exactly this name, or joined with `existing`. */
  name?: string;
  existing?: boolean;
  /** Address/prefix of the namespace's interface. */
  ipv4?: string;
  ipv6?: string;
  gateway4?: string;
  gateway6?: string;
  services4?: string;
  services6?: string;
  mtu?: number;
  /** Capture the TAP link to this pcap file. */
  pcap?: string;
  /**
   * Let the TAP carry checksum and segmentation offloads (virtio-net header: unsegmented TCP and
   * partial checksums both ways, as qemu's virtio-net). Default true; false: plain frames.
   */
  offloads?: boolean;
  services?: readonly ServiceSpec[];
  forwards?: readonly ForwardSpec[];
  /** Interface name inside the namespace; default `eth0` (the TAP is renamed once inside). */
  interfaceName?: string;
  /** Stack seed (ISNs, ports, MAC); default random. */
  seed?: number;
  /** Wraps the TAP link before the stack gets it (the demo's trace). */
  wrapLink?: (link: LinkDriver) => LinkDriver;
  /**
   * DNS on the services address, and the namespace's resolv.conf naming it (default true).
   * Queries go to `dnsUpstreams`, by default the host's resolvers (`/etc/resolv.conf`).
   */
  dns?: boolean;
  dnsUpstreams?: readonly DnsUpstream[];
  /**
   * Busy polling (src/busy-poll.ts): after traffic, the stack keeps polling for up to this many
   * microseconds before it sleeps. Default NETNS_DEFAULTS.busyPollMicros; 0 turns it off.
   */
  busyPollMicros?: number;
}

function addressOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

export class ServedNamespace {
  private closing: Promise<void> | null = null;
  private readonly children = new Set<number>();

  private constructor(
    readonly netns: Netns,
    readonly router: UsernetRouter,
    readonly tap: TapDriver,
    readonly interfaceName: string,
    readonly forwards: readonly PortForwarder[],
    readonly addresses: RouterAddresses,
    /** UDP relay and DNS forwarder. */
    readonly udp: NamespaceUdp,
    /** The namespace's `/etc/netns/NAME/resolv.conf`, when usernet wrote it. */
    readonly resolvConf: NamespaceResolvConf | null,
  ) {}

  /**
   * Creates (or joins) the namespace, its TAP interface, the stack, services and forwards.
   * Rejects with a one-line reason (not root, namespace exists, port taken …), leaving nothing.
   */
  static async start(o: NamespaceOptions = {}): Promise<ServedNamespace> {
    const can = canUseNetns();
    if (!can.ok) throw new Error(`needs root, /dev/net/tun and iproute2 (${can.reason})`);
    const a = {
      ipv4: o.ipv4 ?? NETNS_DEFAULTS.ipv4,
      ipv6: o.ipv6 ?? NETNS_DEFAULTS.ipv6,
      gateway4: o.gateway4 ?? NETNS_DEFAULTS.gateway4,
      gateway6: o.gateway6 ?? NETNS_DEFAULTS.gateway6,
      services4: o.services4 ?? NETNS_DEFAULTS.services4,
      services6: o.services6 ?? NETNS_DEFAULTS.services6,
      mtu: o.mtu ?? NETNS_DEFAULTS.mtu,
    };
    const undo: Array<() => Promise<void>> = [];
    const unwind = async (): Promise<void> => {
      for (const u of undo.reverse()) await u().catch(() => undefined);
    };
    try {
      const netns = o.name === undefined ? await Netns.create() : o.existing ? await Netns.join(o.name) : await Netns.createNamed(o.name);
      undo.push(() => netns.destroy());
      const tapName = uniqueLinkName('unt');
      const tap = TapDriver.open({ name: tapName, mtu: a.mtu, offloads: o.offloads !== false });
      // Until the stack owns it, the TAP is closed here (its device vanishes with the descriptor).
      let tapOwned = false;
      undo.push(async () => {
        if (!tapOwned) await tap.close();
      });
      const dev = o.interfaceName ?? 'eth0';
      await netns.moveLink(tapName);
      if (dev !== tapName) await netns.ip('link', 'set', 'dev', tapName, 'name', dev);
      await netns.configureLink(dev, { ipv4: a.ipv4, ipv6: a.ipv6, mtu: a.mtu, nodad: true });
      await netns.ip('route', 'replace', 'default', 'via', a.gateway4, 'dev', dev);
      await netns.ip('-6', 'route', 'replace', 'default', 'via', a.gateway6, 'dev', dev);

      let link: LinkDriver = tap;
      if (o.pcap !== undefined) link = capture(link, o.pcap);
      if (o.wrapLink !== undefined) link = o.wrapLink(link);
      const seed = o.seed ?? ((Math.random() * 0x7fffffff) | 0);
      const router = UsernetRouter.create(link, a, o.services ?? [], seed, o.busyPollMicros ?? NETNS_DEFAULTS.busyPollMicros);
      tapOwned = true;
      undo.push(() => router.close());
      const udp = NamespaceUdp.attach(router.stack, { ...a, dnsUpstreams: o.dns === false ? null : o.dnsUpstreams });
      undo.push(async () => udp.close());
      // DNS over TCP on the services address: its port there is taken, not refused.
      if (udp.dns !== null) router.servicesTcp.set(53, (socket) => void (udp.handleTcp(socket) || socket.resetAndDestroy()));
      const resolvConf = udp.dns === null ? null : NamespaceResolvConf.write(netns.name, [a.services4, a.services6]);
      if (resolvConf !== null) undo.push(async () => resolvConf.remove());
      const forwards: PortForwarder[] = [];
      router.extraStatus = () => ({ 'forwards: accepted': forwards.reduce((n, f) => n + f.accepted, 0) });
      for (const spec of o.forwards ?? []) {
        const f = new PortForwarder({ spec, hostNet, innerNet: router.stack.net, target4: addressOf(a.ipv4), target6: addressOf(a.ipv6) });
        try {
          await f.start();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new Error(`-p ${spec.hostAddress}:${spec.hostPort}: ${code === 'EADDRINUSE' ? 'port taken on the host' : (e as Error).message}`);
        }
        forwards.push(f);
        undo.push(() => f.close());
      }
      const forwardStatus = router.extraStatus;
      router.extraStatus = () => ({ ...forwardStatus(), ...udp.status() });
      log('namespace %s: %s (%s, %s) via usernet %s/%s, mtu %d', netns.name, dev, a.ipv4, a.ipv6, a.gateway4, a.gateway6, a.mtu);
      return new ServedNamespace(netns, router, tap, dev, forwards, a, udp, resolvConf);
    } catch (e) {
      await unwind();
      throw e;
    }
  }

  get name(): string {
    return this.netns.name;
  }

  get stack(): Stack {
    return this.router.stack;
  }

  get services(): readonly Service[] {
    return this.router.services;
  }

  get status(): StatusSource {
    return this.router.status;
  }

  /**
   * Runs `argv` inside the namespace with this process's stdio; resolves with its exit status
   * (128 + signal number when killed by a signal, as a shell reports it).
   */
  run(argv: readonly string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.netns.name, ...argv], { stdio: 'inherit' });
      const pid = child.pid;
      if (pid === undefined) {
        child.once('error', (e) => reject(new Error(`cannot run ${argv.join(' ')}: ${e.message}`)));
        return;
      }
      this.children.add(pid);
      const forget = onCleanup(`process ${pid} (${argv.join(' ')})`, () => process.kill(pid, 'SIGKILL'));
      child.once('close', (code, signal) => {
        this.children.delete(pid);
        forget(false);
        resolve(code ?? 128 + (signal === null ? 0 : (hostSignals[signal] ?? 0)));
      });
    });
  }

  /**
   * Synchronous first part of a shutdown, safe inside a signal handler: every relayed and
   * forwarded connection is reset on both sides and the RSTs are flushed to the TAP at once.
   */
  resetConnectionsNow(): void {
    for (const f of this.forwards) for (const s of f.active) s.reset();
    this.router.resetConnectionsNow();
  }

  /** Resets connections, stops commands, removes the TAP and the namespace (if we created it). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.resetConnectionsNow();
      for (const pid of this.children) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      await Promise.all(this.forwards.map((f) => f.close()));
      this.udp.close();
      this.resolvConf?.remove();
      await this.router.close();
      await this.netns.destroy();
      log('namespace %s: closed', this.netns.name);
    })();
    return this.closing;
  }
}

const hostSignals: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };
