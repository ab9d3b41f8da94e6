/**
 * The TAP driver against the Linux kernel, through a network namespace: ARP both ways, ping,
 * tcpdump and tshark seeing our frames, the device moving namespaces, and the harness's own
 * promises (commands, background processes, cleanup after failures and signals). Needs root and
 * /dev/net/tun; each test says `skipped:` and why when it cannot run.
 */

import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { threadId } from 'worker_threads';
import { capture } from '../../drivers/capture';
import { Drop } from '../../stack/wire/drop';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { ArpOp } from '../../stack/wire/arp';
import {
  BackgroundProcess,
  TAP_TEST_PLAN as P,
  hasCommand,
  linkExists,
  linkGone,
  listHarnessNamespaces,
  namespaceFor,
  run,
  skipUnlessTap,
  tapInNamespace,
  uniqueLinkName,
} from '../helpers/netns';
import { FrameCollector, arpOf, arpReply, arpRequest, ethernetFrame, ethernetOf, ipv4, mac } from './tap-frames';

const ROOT = path.resolve(__dirname, '../..');
const US_MAC = mac(P.usernetMac);
const namespacesSeen = new Set<string>();
const devicesSeen = new Set<string>();

async function setup(t: Parameters<typeof tapInNamespace>[0]) {
  const env = await tapInNamespace(t);
  namespacesSeen.add(env.ns.name);
  devicesSeen.add(env.dev);
  return env;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

test.serial('an ARP request written by the driver is answered by the kernel in the namespace', async (t) => {
  if (skipUnlessTap(t)) return;
  const { driver, ns, dev } = await setup(t);
  t.false(linkExists(dev), 'the device left our namespace');
  t.deepEqual(await ns.links(), ['lo', dev]);
  t.is(driver.name, dev, 'TUNGETIFF still answers after the move');
  t.is(hex(driver.kernelMac), P.kernelMac, 'the MAC set inside the namespace, read through the descriptor');

  const rx = new FrameCollector(driver);
  driver.send([arpRequest(US_MAC, ipv4(P.usernet4), ipv4(P.kernel4))]);
  t.is(driver.txFrames, 1);
  const reply = await rx.waitFor((f) => arpOf(f)?.op === ArpOp.Reply, 5000, 'ARP reply');
  const arp = arpOf(reply)!;
  t.is(arp.spa, ipv4(P.kernel4));
  t.is(hex(arp.sha), P.kernelMac);
  t.is(arp.tpa, ipv4(P.usernet4));
  t.is(hex(arp.tha), P.usernetMac);
  t.is(hex(ethernetOf(reply)!.dst), P.usernetMac);
  t.true(driver.rxFrames >= 1);
  t.true(driver.rxBatches >= 1);
  // The kernel learnt our address from the request.
  const neigh = await ns.ip('neigh', 'show', P.usernet4);
  t.regex(neigh, new RegExp(P.usernetMac));
});

test.serial('ping inside the namespace makes ARP requests reach the driver, then echo requests', async (t) => {
  if (skipUnlessTap(t, ['ping'])) return;
  const { driver, ns } = await setup(t);
  const rx = new FrameCollector(driver);
  const ping = ns.spawn(['ping', '-c', '3', '-i', '0.3', '-W', '1', P.usernet4]);
  const request = await rx.waitFor((f) => {
    const a = arpOf(f);
    return a !== null && a.op === ArpOp.Request && a.tpa === ipv4(P.usernet4);
  }, 5000, 'ARP request for usernet');
  const arp = arpOf(request)!;
  t.is(arp.spa, ipv4(P.kernel4));
  t.is(hex(arp.sha), P.kernelMac);
  // Answer it; the kernel then sends the ICMP echo request to our MAC.
  driver.send([arpReply(US_MAC, ipv4(P.usernet4), arp.sha, arp.spa)]);
  const echo = await rx.waitFor((f) => {
    const e = ethernetOf(f);
    if (e === null || e.etherType !== EtherType.IPv4) return false;
    const ip = parseIpv4(e.payload);
    return !(ip instanceof Drop) && ip.protocol === IpProtocol.ICMP && ip.dst === ipv4(P.usernet4) && ip.payload[0] === 8;
  }, 5000, 'ICMP echo request');
  t.is(hex(ethernetOf(echo)!.dst), P.usernetMac);
  await ping.stop();
});

test.serial('ping -6 inside the namespace makes neighbour solicitations reach the driver', async (t) => {
  if (skipUnlessTap(t, ['ping'])) return;
  const { driver, ns } = await setup(t);
  const rx = new FrameCollector(driver);
  const ping = ns.spawn(['ping', '-6', '-c', '3', '-i', '0.3', '-W', '1', P.usernet6]);
  const ns6 = await rx.waitFor((f) => {
    const e = ethernetOf(f);
    // IPv6, next header ICMPv6 (58), type 135 (Neighbor Solicitation, RFC 4861 §4.3).
    return e !== null && e.etherType === EtherType.IPv6 && e.payload[6] === 58 && e.payload[40] === 135;
  }, 5000, 'neighbour solicitation');
  t.is(hex(ethernetOf(ns6)!.src), P.kernelMac);
  await ping.stop();
});

test.serial('a frame written by the driver shows up in tcpdump inside the namespace', async (t) => {
  if (skipUnlessTap(t, ['tcpdump'])) return;
  const { driver, ns, dev } = await setup(t);
  driver.start(() => undefined);
  const dump = ns.spawn(['tcpdump', '-i', dev, '-n', '-e', '-l', '-c', '1', 'ether', 'proto', '0x88b5']);
  await dump.waitForOutput(/listening on/, 10_000);
  // EtherType 0x88b5 is IEEE 802 "local experimental": the kernel ignores it, tcpdump sees it.
  const marker = new TextEncoder().encode('usernet-tap-marker');
  driver.send([ethernetFrame(mac(P.kernelMac), US_MAC, 0x88b5, marker)]);
  const done = await Promise.race([dump.wait(), new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
  t.not(done, null, `tcpdump saw no frame: ${dump.stderr}`);
  t.regex(dump.stdout, new RegExp(`${P.usernetMac} > ${P.kernelMac}`));
  t.regex(dump.stdout, /0x88b5/);
  t.regex(dump.stdout, new RegExp(`length ${14 + marker.length}`));
});

test.serial('frames captured with capture() on a TAP link open in tshark', async (t) => {
  if (skipUnlessTap(t, ['tshark'])) return;
  const { driver } = await setup(t);
  const file = path.join(os.tmpdir(), `usernet-tap-${process.pid}-${threadId}-${Date.now()}.pcap`);
  t.teardown(() => fs.rmSync(file, { force: true }));
  const link = capture(driver, file);
  const rx: Uint8Array[] = [];
  link.start((frames) => rx.push(...frames.map((f) => f.slice())));
  link.send([arpRequest(US_MAC, ipv4(P.usernet4), ipv4(P.kernel4))]);
  const deadline = Date.now() + 5000;
  while (!rx.some((f) => arpOf(f)?.op === ArpOp.Reply) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await link.close();
  const r = await run(['tshark', '-r', file, '-T', 'fields', '-e', 'arp.opcode', '-e', 'arp.src.proto_ipv4', '-Y', 'arp'], { timeoutMs: 30_000 });
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n');
  t.true(rows.includes(`1\t${P.usernet4}`), `our request is in the capture: ${r.stdout}`);
  t.true(rows.includes(`2\t${P.kernel4}`), `the kernel's reply is in the capture: ${r.stdout}`);
});

test.serial('closing the driver releases the descriptor: the device disappears from the namespace', async (t) => {
  if (skipUnlessTap(t)) return;
  const { driver, ns, dev } = await setup(t);
  driver.start(() => undefined);
  t.true((await ns.links()).includes(dev));
  await driver.close();
  const deadline = Date.now() + 3000;
  while ((await ns.links()).includes(dev) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(await ns.links(), ['lo']);
});

test.serial('deleting the device under an open driver reports the error once and stops polling', async (t) => {
  if (skipUnlessTap(t)) return;
  const errors: NodeJS.ErrnoException[] = [];
  const { driver, ns, dev } = await tapInNamespace(t, { ipv4: `${P.kernel4}/24` }, { onError: (e) => errors.push(e) });
  namespacesSeen.add(ns.name);
  devicesSeen.add(dev);
  driver.start(() => undefined);
  await ns.ip('link', 'del', 'dev', dev);
  const deadline = Date.now() + 3000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(errors.length, 1, 'one error, then silence: the poll is stopped');
  t.is(errors[0]?.code, 'EBADFD');
  t.is(errors[0]?.syscall, 'read');
  await new Promise((r) => setTimeout(r, 200));
  t.is(errors.length, 1);
  t.notThrows(() => driver.send([new Uint8Array(60)]), 'sending to a vanished device does not throw');
  t.is(errors.length, 2, 'the failed write is reported too');
  t.true(driver.txDropped >= 1);
});

test.serial('a veth pair: one end here, one inside, and they talk', async (t) => {
  if (skipUnlessTap(t, ['ping'])) return;
  const ns = await namespaceFor(t);
  namespacesSeen.add(ns.name);
  const outside = uniqueLinkName('unv');
  devicesSeen.add(outside);
  await ns.createVeth(outside, 'veth0');
  t.teardown(() => run(['ip', 'link', 'del', outside]).then(() => undefined));
  t.true(linkExists(outside));
  await ns.configureLink('veth0', { ipv4: '10.212.0.2/24' });
  // The outside end goes into a second namespace so nothing is configured on the host.
  const other = await namespaceFor(t);
  namespacesSeen.add(other.name);
  await other.moveLink(outside);
  await other.configureLink(outside, { ipv4: '10.212.0.1/24' });
  const r = await other.exec(['ping', '-c', '1', '-W', '2', '10.212.0.2'], { timeoutMs: 5000 });
  t.is(r.code, 0, r.stdout + r.stderr);
});

test.serial('exec reports exit codes and output, and kills commands past their timeout', async (t) => {
  if (skipUnlessTap(t)) return;
  const ns = await namespaceFor(t);
  namespacesSeen.add(ns.name);
  const ok = await ns.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  t.like(ok, { code: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  const slow = await ns.exec(['sleep', '10'], { timeoutMs: 300 });
  t.true(slow.timedOut);
  t.is(slow.signal, 'SIGKILL');
  const links = await ns.exec(['ip', '-o', 'link']);
  t.regex(links.stdout, /lo:.*UP/);
  const sleeper = ns.spawn(['sleep', '30']);
  t.regex((await run(['ip', 'netns', 'pids', ns.name])).stdout, new RegExp(`\\b${sleeper.pid}\\b`));
  const end = await sleeper.stop();
  t.is(end.signal, 'SIGTERM');
});

/** A child node that sets up a namespace with a TAP and a background process, then misbehaves. */
async function misbehavingChild(mode: 'throw' | 'SIGTERM' | 'SIGINT') {
  const code = `
    const { Netns, uniqueLinkName } = require(${JSON.stringify(path.join(ROOT, 'src/netns'))});
    const { TapDriver } = require(${JSON.stringify(path.join(ROOT, 'drivers/tap'))});
    (async () => {
      const ns = await Netns.create();
      const d = TapDriver.open({ name: uniqueLinkName('unt') });
      d.start(() => {});
      await ns.moveLink(d.name);
      const sleeper = ns.spawn(['sleep', '60']);
      console.log(JSON.stringify({ ns: ns.name, dev: d.name, pid: sleeper.pid }));
      ${mode === 'throw' ? "throw new Error('deliberate failure');" : ''}
    })();`;
  const child = new BackgroundProcess([process.execPath, '-r', 'ts-node/register/transpile-only', '-e', code]);
  await child.waitForOutput(/"ns"/, 20_000);
  const made = JSON.parse(child.stdout.trim().split('\n')[0]!) as { ns: string; dev: string; pid: number };
  namespacesSeen.add(made.ns);
  devicesSeen.add(made.dev);
  if (mode !== 'throw') child.stop(mode, 5000).catch(() => undefined);
  const exit = await child.wait();
  return { made, exit };
}

/** Alive and not a zombie (a killed orphan may wait a moment to be reaped). */
function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !pidAlive(pid);
}

for (const mode of ['throw', 'SIGTERM', 'SIGINT'] as const) {
  test.serial(`a process that ${mode === 'throw' ? 'fails' : `gets ${mode}`} still removes its namespace, device and processes`, async (t) => {
    if (skipUnlessTap(t)) return;
    const { made, exit } = await misbehavingChild(mode);
    if (mode === 'throw') t.is(exit.code, 1, exit.stderr);
    else t.is(exit.signal, mode, 'the signal is re-raised after cleanup');
    t.false(listHarnessNamespaces().includes(made.ns), 'namespace removed');
    t.true(await linkGone(made.dev));
    t.true(await gone(made.pid), 'background process killed');
  });
}

test.after.always('no namespace or device made by these tests is left', async (t) => {
  if (!hasCommand('ip')) return t.pass();
  const left = listHarnessNamespaces().filter((n) => namespacesSeen.has(n));
  t.deepEqual(left, []);
  t.deepEqual([...devicesSeen].filter((d) => linkExists(d)), []);
  const ours = listHarnessNamespaces().filter((n) => n.startsWith(`usernet-${process.pid}-${threadId}-`));
  t.deepEqual(ours, []);
});
