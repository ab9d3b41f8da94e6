/**
 * `usernet serve --tap NAME [--ipv4 CIDR] [--ipv6 CIDR] [--service KIND[:PORT] ...]`: the stack
 * on a TAP device (opened, or created when missing) with built-in services listening on every
 * address, until SIGINT/SIGTERM. The kernel side of the TAP is brought up; addressing it is the
 * user's (e.g. `ip addr add 10.0.3.1/24 dev NAME`).
 */

import { TapDriver } from '../../drivers/tap';
import { capture } from '../../drivers/capture';
import type { LinkDriver } from '../../stack/link';
import { Stack } from '../stack';
import { ALL_SERVICES, createService, parseServiceSpec, type Service, type ServiceSpec } from '../services';
import { formatConnectionTable, stackStatus } from '../services/status';
import { listen, closeServer, type NetApi, type RelayServer } from '../relay/types';
import { intOption, one, parseArgs, type OptionSpec } from './args';
import type { CommandIo } from './decode';
import { whileRunning } from './lifecycle';
import { POLL_WINDOW_LIMIT_US, SERVING_BUSY_POLL_US } from '../busy-poll';

export const SERVE_USAGE = `usage: usernet serve --tap NAME [options]

Runs usernet on TAP device NAME (created if missing, removed at exit if created) with built-in
services on every address: echo (7), discard (9), chargen (19), http (80, a page of the stack's
live connections and counters). The kernel side of NAME is brought up; address it yourself.

  --tap NAME              the TAP device (required)
  --ipv4 CIDR             usernet's address (default 10.0.3.2/24)
  --ipv6 CIDR             usernet's address (default fd00:3::2/64)
  --service KIND[:PORT]   run only these services (repeatable; default: all four)
  --mtu N                 link MTU (default 1500)
  --pcap FILE             capture the link to FILE
  --no-offloads           plain frames with complete checksums (no virtio-net header, no TSO)
  --busy-poll MICROS      after traffic, keep polling up to MICROS µs before sleeping (adapts
                          to the traffic; lower latency for CPU while it flows; 0 = off;
                          default ${SERVING_BUSY_POLL_US})
  --stats [SECONDS]       print an ss -ti-like table every SECONDS (default 2)`;

const SPECS: OptionSpec[] = [
  { name: 'tap', kind: 'value' },
  { name: 'ipv4', kind: 'value' },
  { name: 'ipv6', kind: 'value' },
  { name: 'service', kind: 'value', repeat: true },
  { name: 'mtu', kind: 'value' },
  { name: 'pcap', kind: 'value' },
  { name: 'no-offloads', kind: 'flag' },
  { name: 'busy-poll', kind: 'value' },
  { name: 'stats', kind: 'optional-number' },
  { name: 'help', short: 'h', kind: 'flag' },
];

export async function runServe(args: readonly string[], io: CommandIo): Promise<number> {
  const p = parseArgs(args, SPECS);
  const bad = (why: string): number => {
    io.err(`usernet serve: ${why}\n`);
    return 2;
  };
  if (typeof p === 'string') return bad(`${p} (usernet serve --help)`);
  if (p.options.has('help')) {
    io.out(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (p.positional.length > 0 || p.command.length > 0) return bad(`unexpected argument ${[...p.positional, ...p.command][0]}`);
  const tapName = one(p, 'tap');
  if (tapName === undefined || tapName === '') return bad('--tap NAME is required');
  const specs: ServiceSpec[] = [];
  for (const s of p.options.get('service') ?? []) {
    const spec = parseServiceSpec(s);
    if (typeof spec === 'string') return bad(`--service ${spec}`);
    specs.push(spec);
  }
  const mtu = intOption(p, 'mtu', 1280, 65535, 1500);
  if (typeof mtu === 'string') return bad(mtu);
  const busyPollMicros = intOption(p, 'busy-poll', 0, POLL_WINDOW_LIMIT_US, SERVING_BUSY_POLL_US);
  if (typeof busyPollMicros === 'string') return bad(busyPollMicros);
  const statsText = one(p, 'stats');
  const statsSeconds = statsText === undefined ? 0 : statsText === '' ? 2 : Number(statsText);

  return whileRunning(io, async (stopping) => {
    let tap: TapDriver;
    try {
      tap = TapDriver.open({ name: tapName, mtu, up: true, offloads: !p.options.has('no-offloads') });
    } catch (e) {
      io.err(`usernet serve: cannot open TAP ${tapName}: ${(e as Error).message}\n`);
      return 1;
    }
    const stack = new Stack({ seed: (Math.random() * 0x7fffffff) | 0, busyPollMicros });
    const services: Service[] = [];
    const servers: RelayServer[] = [];
    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => (closing ??= closeAll());
    const closeAll = async (): Promise<void> => {
      for (const c of stack.tcp.allConnections()) if (c.state !== 'TIME-WAIT' && c.state !== 'CLOSED') c.abort();
      stack.runtime.flush();
      await Promise.all(servers.map((s) => closeServer(s)));
      for (const s of services) s.close();
      await stack.close();
    };
    try {
      let link: LinkDriver = tap;
      const pcap = one(p, 'pcap');
      if (pcap !== undefined) link = capture(link, pcap);
      const v4 = one(p, 'ipv4') ?? '10.0.3.2/24';
      const v6 = one(p, 'ipv6') ?? 'fd00:3::2/64';
      // mld: report our groups (RFC 3810) so that an MLD-snooping bridge forwards NDP to the TAP.
      stack.addInterface(link, { name: tapName, ipv4: v4, ipv6: v6, mtu, mld: true });
      const status = stackStatus(stack);
      const net: NetApi = stack.net;
      for (const spec of specs.length > 0 ? specs : ALL_SERVICES) {
        const svc = createService(spec, status);
        services.push(svc);
        const server = net.createServer({ allowHalfOpen: true }, (s) => svc.handle(s));
        await listen(server, { port: spec.port, host: '::' });
        servers.push(server);
        io.err(`usernet: ${spec.kind} on port ${spec.port}\n`);
      }
      io.err(`usernet: serving on TAP ${tap.name} (${v4}, ${v6}), Ctrl-C to stop\n`);
    } catch (e) {
      await close();
      io.err(`usernet serve: ${(e as Error).message}\n`);
      return 1;
    }
    stopping.onSignal(() => undefined, close);
    const timer = statsSeconds > 0 ? setInterval(() => io.err(formatConnectionTable(stackStatus(stack).connections())), statsSeconds * 1000) : null;
    try {
      return await stopping.signalled;
    } finally {
      if (timer !== null) clearInterval(timer);
      await close();
    }
  });
}
