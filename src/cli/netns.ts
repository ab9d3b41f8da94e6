/**
 * `usernet netns [NAME] [options] [-- COMMAND ...]`: a network namespace served from user space
 * (`src/netns/serve.ts`). Progress and tables go to stderr; the command's own output is its own.
 * With a COMMAND the exit status is the command's; without, it runs until SIGINT/SIGTERM.
 */

import { ServedNamespace, NETNS_DEFAULTS } from '../netns/serve';
import { parseForward, formatForward, type ForwardSpec } from '../relay/forward';
import { parseDnsUpstream, type DnsUpstream } from '../relay/dns';
import { parseServiceSpec, type ServiceSpec } from '../services';
import { formatConnectionTable } from '../services/status';
import { intOption, one, parseArgs, type OptionSpec } from './args';
import type { CommandIo } from './decode';
import { whileRunning } from './lifecycle';
import { POLL_WINDOW_LIMIT_US } from '../busy-poll';

export const NETNS_USAGE = `usage: usernet netns [NAME] [options] [-- COMMAND ...]

Creates network namespace NAME (a fresh unique one without NAME; --existing joins NAME) whose
interface eth0 is a TAP device served by usernet, usernet being its router: every TCP connection
the namespace opens is terminated by usernet and relayed over a host socket, and so is every UDP
flow (the gateway address reaches the host's loopback). usernet answers DNS on ${NETNS_DEFAULTS.services4} /
${NETNS_DEFAULTS.services6}, forwarding to the host's resolvers, and writes the namespace's resolv.conf
(/etc/netns/NAME/resolv.conf, which ip netns exec mounts). With COMMAND, runs it inside and exits
with its status.

  --existing              join namespace NAME instead of creating it
  -p, --publish SPEC      forward host connections in: [HOST_ADDR:]HOST_PORT:NS_PORT[/tcp]
                          (repeatable; HOST_ADDR defaults to 0.0.0.0, [::1] for IPv6)
  --service KIND[:PORT]   run a built-in service on ${NETNS_DEFAULTS.services4} / ${NETNS_DEFAULTS.services6}
                          (echo, discard, chargen, http; repeatable)
  --ipv4 CIDR             namespace address (default ${NETNS_DEFAULTS.ipv4}, gateway ${NETNS_DEFAULTS.gateway4})
  --ipv6 CIDR             namespace address (default ${NETNS_DEFAULTS.ipv6}, gateway ${NETNS_DEFAULTS.gateway6})
  --gateway4 ADDR, --gateway6 ADDR   usernet's own addresses on the link
  --mtu N                 link MTU (default ${NETNS_DEFAULTS.mtu})
  --dns-upstream ADDR[:PORT]  forward DNS there instead of to the host's resolv.conf
                          ([V6ADDR]:PORT for IPv6; repeatable, tried in order)
  --no-dns                no DNS forwarder and no resolv.conf for the namespace
  --no-offloads           plain frames with complete checksums on the TAP (no virtio-net header,
                          no checksum or segmentation offload)
  --pcap FILE             capture the TAP link to FILE
  --busy-poll MICROS      after traffic, keep polling up to MICROS µs before sleeping (adapts
                          to the traffic; lower latency for CPU while it flows; 0 = off;
                          default ${NETNS_DEFAULTS.busyPollMicros})
  --stats [SECONDS]       print an ss -ti-like table of connections every SECONDS (default 2)
  -q, --quiet             no progress lines
Logs: DEBUG=usernet:* usernet netns ...`;

const SPECS: OptionSpec[] = [
  { name: 'existing', kind: 'flag' },
  { name: 'publish', short: 'p', kind: 'value', repeat: true },
  { name: 'service', kind: 'value', repeat: true },
  { name: 'ipv4', kind: 'value' },
  { name: 'ipv6', kind: 'value' },
  { name: 'gateway4', kind: 'value' },
  { name: 'gateway6', kind: 'value' },
  { name: 'mtu', kind: 'value' },
  { name: 'dns-upstream', kind: 'value', repeat: true },
  { name: 'no-dns', kind: 'flag' },
  { name: 'no-offloads', kind: 'flag' },
  { name: 'pcap', kind: 'value' },
  { name: 'busy-poll', kind: 'value' },
  { name: 'stats', kind: 'optional-number' },
  { name: 'quiet', short: 'q', kind: 'flag' },
  { name: 'help', short: 'h', kind: 'flag' },
];

export async function runNetns(args: readonly string[], io: CommandIo): Promise<number> {
  const p = parseArgs(args, SPECS);
  const bad = (why: string): number => {
    io.err(`usernet netns: ${why}\n`);
    return 2;
  };
  if (typeof p === 'string') return bad(`${p} (usernet netns --help)`);
  if (p.options.has('help')) {
    io.out(`${NETNS_USAGE}\n`);
    return 0;
  }
  if (p.positional.length > 1) return bad(`one NAME only (got ${p.positional.join(' ')}); put the command after --`);
  const name = p.positional[0];
  if (p.options.has('existing') && name === undefined) return bad('--existing needs a NAME');
  const forwards: ForwardSpec[] = [];
  for (const f of p.options.get('publish') ?? []) {
    const spec = parseForward(f);
    if (typeof spec === 'string') return bad(`-p ${spec}`);
    forwards.push(spec);
  }
  const services: ServiceSpec[] = [];
  for (const s of p.options.get('service') ?? []) {
    const spec = parseServiceSpec(s);
    if (typeof spec === 'string') return bad(`--service ${spec}`);
    services.push(spec);
  }
  const dnsUpstreams: DnsUpstream[] = [];
  for (const u of p.options.get('dns-upstream') ?? []) {
    const up = parseDnsUpstream(u);
    if (typeof up === 'string') return bad(`--dns-upstream ${up}`);
    dnsUpstreams.push(up);
  }
  if (p.options.has('no-dns') && dnsUpstreams.length > 0) return bad('--no-dns and --dns-upstream exclude each other');
  const mtu = intOption(p, 'mtu', 1280, 65535, NETNS_DEFAULTS.mtu);
  if (typeof mtu === 'string') return bad(mtu);
  const busyPollMicros = intOption(p, 'busy-poll', 0, POLL_WINDOW_LIMIT_US, NETNS_DEFAULTS.busyPollMicros);
  if (typeof busyPollMicros === 'string') return bad(busyPollMicros);
  const statsText = one(p, 'stats');
  const statsSeconds = statsText === undefined ? 0 : statsText === '' ? 2 : Number(statsText);
  if (!(statsSeconds >= 0)) return bad(`--stats '${statsText}' is not a number of seconds`);
  const quiet = p.options.has('quiet');
  const progress = (s: string): void => {
    if (!quiet) io.err(`usernet: ${s}\n`);
  };

  return whileRunning(io, async (stopping) => {
    let ns: ServedNamespace;
    try {
      ns = await ServedNamespace.start({
        ...(name !== undefined ? { name } : {}),
        existing: p.options.has('existing'),
        ...optional('ipv4', one(p, 'ipv4')),
        ...optional('ipv6', one(p, 'ipv6')),
        ...optional('gateway4', one(p, 'gateway4')),
        ...optional('gateway6', one(p, 'gateway6')),
        ...optional('pcap', one(p, 'pcap')),
        mtu,
        busyPollMicros,
        offloads: !p.options.has('no-offloads'),
        services,
        forwards,
        dns: !p.options.has('no-dns'),
        ...(dnsUpstreams.length > 0 ? { dnsUpstreams } : {}),
      });
    } catch (e) {
      io.err(`usernet netns: ${(e as Error).message}\n`);
      return 1;
    }
    stopping.onSignal(() => ns.resetConnectionsNow(), () => ns.close());
    const a = ns.addresses;
    progress(`namespace ${ns.name}: ${ns.interfaceName} ${a.ipv4} ${a.ipv6}, mtu ${a.mtu}; gateway ${a.gateway4} / ${a.gateway6} = host loopback`);
    for (const s of ns.services) progress(`service ${s.kind} on ${a.services4}:${s.port} and [${a.services6}]:${s.port}`);
    for (const f of ns.forwards) progress(`forward ${formatForward(f.spec)}`);
    const dns = ns.udp.dns;
    if (dns !== null) {
      const ups = dns.upstreams.map((u) => (u.address.includes(':') ? `[${u.address}]:${u.port}` : `${u.address}:${u.port}`)).join(' ');
      progress(`dns on ${a.services4} and ${a.services6} → ${ups === '' ? 'no upstream (the host names no resolver)' : ups}${ns.resolvConf !== null ? `; ${ns.resolvConf.file}` : ''}`);
    }
    const timer = statsSeconds > 0
      ? setInterval(() => io.err(formatConnectionTable(ns.status.connections())), statsSeconds * 1000)
      : null;
    try {
      if (p.command.length > 0) {
        const status = await Promise.race([ns.run(p.command), stopping.signalled]);
        return status;
      }
      progress(`ready: ip netns exec ${ns.name} COMMAND (Ctrl-C to stop)`);
      return await stopping.signalled;
    } finally {
      if (timer !== null) clearInterval(timer);
      await ns.close();
      progress(`namespace ${ns.name} removed`);
    }
  });
}

function optional<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>);
}
