/**
 * usernet's network layer against the Linux kernel over a TAP device in a namespace: ping and
 * ping -6 (also with 4000-byte payloads, so both sides fragment and reassemble), the kernel's
 * neighbour table showing usernet REACHABLE, DAD visible in a capture, and UDP to a closed port
 * answered with port unreachable. Needs root and /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from '../../src/stack';
import { capture } from '../../drivers/capture';
import { readPcapFile } from '../../drivers/pcap/read';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { parseIcmpv6 } from '../../stack/wire/icmpv6';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { formatIpv6 } from '../../stack/wire/address';
import { isDrop } from '../../stack/wire/drop';
import { TAP_TEST_PLAN as P, skipUnlessTap, tapInNamespace } from '../helpers/netns';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError } from '../../stack/tcp/events';

let counter = 0;

async function setup(t: Parameters<typeof tapInNamespace>[0], pcap?: string) {
  const env = await tapInNamespace(t);
  const stack = new Stack({ seed: process.pid });
  t.teardown(() => stack.close());
  const link = pcap === undefined ? env.driver : capture(env.driver, pcap);
  stack.addInterface(link, { ipv4: `${P.usernet4}/24`, ipv6: `${P.usernet6}/64`, mac: P.usernetMac });
  return { ...env, stack };
}

/** Waits until DAD is over for usernet's addresses (one RetransTimer plus slack). */
const afterDad = (): Promise<void> => new Promise((r) => setTimeout(r, 1300));

test.serial('ping and ping -6 from the namespace, also with 4000 bytes; the kernel sees usernet REACHABLE', async (t) => {
  if (skipUnlessTap(t, ['ping'])) return;
  const { ns, stack } = await setup(t);
  await afterDad();
  for (const argv of [
    ['ping', '-c', '2', '-i', '0.2', '-W', '2', P.usernet4],
    ['ping', '-c', '2', '-i', '0.2', '-W', '2', '-s', '4000', P.usernet4],
    ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', P.usernet6],
    ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', '-s', '4000', P.usernet6],
  ]) {
    const r = await ns.exec(argv);
    t.is(r.code, 0, `${argv.join(' ')}:\n${r.stdout}${r.stderr}`);
    t.regex(r.stdout, /2 received/);
  }
  const neigh4 = await ns.ip('neigh', 'show', P.usernet4);
  const neigh6 = await ns.ip('-6', 'neigh', 'show', P.usernet6);
  t.regex(neigh4, new RegExp(`${P.usernetMac}.*REACHABLE`), neigh4);
  t.regex(neigh6, new RegExp(`${P.usernetMac}.*REACHABLE`), neigh6);
  const c = stack.counters();
  t.true((c.counts.ipv4!.ReasmOKs ?? 0) >= 2);
  t.true((c.counts.ipv6!.ReasmOKs ?? 0) >= 2);
  t.true((c.counts.ipv4!.FragCreates ?? 0) >= 6, 'replies of 4000 bytes were fragmented');
});

test.serial('usernet pings the kernel (IPv4 and IPv6, 4000 bytes)', async (t) => {
  if (skipUnlessTap(t)) return;
  const { stack } = await setup(t);
  await afterDad();
  const r4 = await stack.ping(P.kernel4, { size: 4000, timeoutMs: 3000 });
  t.is(r4.data.length, 4000);
  const r6 = await stack.ping(P.kernel6, { size: 4000, timeoutMs: 3000 });
  t.is(r6.data.length, 4000);
});

test.serial('DAD is visible in a capture: a neighbour solicitation from :: for each address', async (t) => {
  if (skipUnlessTap(t)) return;
  const pcap = path.join(os.tmpdir(), `usernet-dad-${process.pid}-${counter++}.pcap`);
  t.teardown(() => fs.rmSync(pcap, { force: true }));
  const { stack } = await setup(t, pcap);
  await afterDad();
  await stack.close(); // flushes the capture
  const probes: string[] = [];
  for (const rec of readPcapFile(pcap).records) {
    const e = parseEthernet(rec.data);
    if (isDrop(e) || e.etherType !== EtherType.IPv6) continue;
    const ip = parseIpv6(e.payload);
    if (isDrop(ip) || ip.upperLayerProtocol !== IpProtocol.ICMPv6) continue;
    const m = parseIcmpv6(ip.upperLayerPayload);
    if (!isDrop(m) && m.kind === 'neighbor-solicitation' && formatIpv6(ip.src) === '::') probes.push(formatIpv6(m.target));
  }
  t.true(probes.includes(P.usernet6), probes.join(' '));
  t.true(probes.some((p) => p.startsWith('fe80::')), probes.join(' '));
});

test.serial('UDP to a closed usernet port gets ICMP port unreachable (ECONNREFUSED in the kernel)', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, stack } = await setup(t);
  await afterDad();
  const script = (family: string, addr: string): string =>
    `import socket\ns=socket.socket(socket.${family}, socket.SOCK_DGRAM)\ns.settimeout(3)\ns.connect(('${addr}', 9))\ns.send(b'x')\ntry:\n  s.recv(10)\n  print('data')\nexcept ConnectionRefusedError:\n  print('refused')\nexcept socket.timeout:\n  print('timeout')\n`;
  const r4 = await ns.exec(['python3', '-c', script('AF_INET', P.usernet4)]);
  t.is(r4.stdout.trim(), 'refused', r4.stderr);
  const r6 = await ns.exec(['python3', '-c', script('AF_INET6', P.usernet6)]);
  t.is(r6.stdout.trim(), 'refused', r6.stderr);
  // And a bound port answers.
  stack.bindUdp(7, (d) => stack.sendUdp({ src: d.dst, srcPort: 7, dst: d.src, dstPort: d.srcPort, payload: d.payload }));
  const echo = await ns.exec(['python3', '-c', script('AF_INET', P.usernet4).replace("9))", "7))")]);
  t.is(echo.stdout.trim(), 'data', echo.stderr);
  t.true((stack.counters().counts.udp!.NoPorts ?? 0) >= 2);
});

test.serial('TCP through the network layer: the kernel connects to a usernet listener (IPv4 and IPv6)', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, stack } = await setup(t);
  await afterDad();
  // An upper-casing echo server on the engine, driven by the runtime's event feed.
  const l4 = stack.tcp.listen(IpAddress.parse(P.usernet4)!, 7007);
  const l6 = stack.tcp.listen(IpAddress.parse(P.usernet6)!, 7007);
  t.false(isTcpError(l4) || isTcpError(l6));
  stack.runtime.onTcpEvents((events) => {
    for (const e of events) {
      if (e.kind === 'accept') e.conn.readStart();
      else if (e.kind === 'data') e.conn.send(Buffer.from(Buffer.from(e.chunk).toString().toUpperCase()));
      else if (e.kind === 'peer-fin') e.conn.close();
    }
    stack.wake();
  });
  const client = (family: string, addr: string): string =>
    `import socket\ns=socket.socket(socket.${family}, socket.SOCK_STREAM)\ns.settimeout(5)\ns.connect(('${addr}', 7007))\ns.sendall(b'hello usernet')\ns.shutdown(socket.SHUT_WR)\nbuf=b''\nwhile True:\n  d=s.recv(100)\n  if not d: break\n  buf+=d\nprint(buf.decode())\n`;
  for (const [family, addr] of [['AF_INET', P.usernet4], ['AF_INET6', P.usernet6]] as const) {
    const r = await ns.exec(['python3', '-c', client(family, addr)]);
    t.is(r.stdout.trim(), 'HELLO USERNET', r.stderr);
  }
});
