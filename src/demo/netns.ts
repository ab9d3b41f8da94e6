/**
 * `usernet demo` with root and /dev/net/tun: a real namespace served by usernet
 * (`ServedNamespace`) with the built-in services; the kernel's own tools run inside (ping, curl,
 * nc) against the services and against a host server through the relay.
 */

import { ServedNamespace, NETNS_DEFAULTS } from '../netns/serve';
import { hasCommand } from '../netns/namespace';
import { ALL_SERVICES } from '../services';
import type { CommandIo } from '../cli/decode';
import { startHostServer } from './host-server';
import { TraceLink } from './trace';
import { printTable, printTrace, tellStory, type Step } from './story';

export async function netnsStory(io: CommandIo): Promise<number> {
  const a = NETNS_DEFAULTS;
  let trace: TraceLink | null = null;
  const host = await startHostServer();
  let ns: ServedNamespace;
  try {
    ns = await ServedNamespace.start({ services: ALL_SERVICES, wrapLink: (l) => (trace = new TraceLink(l, 7)) });
  } catch (e) {
    await host.close();
    throw e;
  }
  const inside = async (argv: string[], input?: string): Promise<string> => {
    if (!hasCommand(argv[0]!)) return `(${argv[0]} is not installed; skipped)`;
    const r = await ns.netns.exec(argv, { timeoutMs: 10_000, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  io.out(`usernet demo: namespace ${ns.name} (eth0 ${a.ipv4}, ${a.ipv6}) served by usernet (gateway ${a.gateway4}, services on ${a.services4})\n\n`);
  const steps: Step[] = [
    { title: `ping -c 2 ${a.gateway4}`, run: async () => (await inside(['ping', '-c', '2', '-i', '0.2', a.gateway4])).split('\n').filter((l) => /bytes from|packet loss/.test(l)).join('\n') },
    { title: `ping -6 -c 1 ${a.gateway6}`, run: async () => (await inside(['ping', '-6', '-c', '1', a.gateway6])).split('\n').filter((l) => /bytes from/.test(l)).join('\n') },
    { title: `echo hello | nc -N ${a.services4} 7 (echo service)`, run: () => inside(['nc', '-N', '-w', '5', a.services4, '7'], 'hello, usernet\n') },
    { title: `curl http://${a.services4}/ (usernet's own status page)`, run: async () => (await inside(['curl', '-sS', '-m', '5', `http://${a.services4}/`])).split('\n').slice(0, 6).join('\n') },
    { title: `curl http://${a.gateway4}:${host.port4}/ → relayed to the host's 127.0.0.1`, run: () => inside(['curl', '-sS', '-m', '5', `http://${a.gateway4}:${host.port4}/`]) },
  ];
  if (host.port6 !== null) {
    steps.push({ title: `curl http://[${a.gateway6}]:${host.port6}/ → relayed to the host's ::1`, run: () => inside(['curl', '-sS', '-m', '5', `http://[${a.gateway6}]:${host.port6}/`]) });
  }
  steps.push({ title: `curl 10 MB from http://${a.services4}/bytes/10000000`, run: () => inside(['curl', '-sS', '-m', '10', '-o', '/dev/null', '-w', '%{size_download} bytes at %{speed_download} bytes/s\n', `http://${a.services4}/bytes/10000000`]) });
  try {
    const failed = await tellStory(io, steps);
    if (trace !== null) printTrace(io, trace, 'the nc → echo connection (port 7)');
    printTable(io, ns.status);
    return failed === 0 ? 0 : 1;
  } finally {
    await ns.close();
    await host.close();
    io.out(`\nnamespace ${ns.name} and its TAP device removed\n`);
  }
}
