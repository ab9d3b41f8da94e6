/**
 * `usernet netns` end to end, as a user runs it: the compiled CLI (`dist/src/cli/main.js`, built
 * by `make test`) as a child process, killed by PID; the kernel's curl, nc and iperf3 inside the
 * namespace; servers on the host's loopback. Needs root, /dev/net/tun and the tools; skips with a
 * line saying why otherwise. Every namespace is unique and removed, also when a test fails.
 */

import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as net from 'net';
import * as http from 'http';
import { execFileSync } from 'child_process';
import { join } from 'path';
import { BackgroundProcess, Netns, uniqueLinkName } from '../../src/netns';
import { CLI, CliProcesses, type CliRun, cliSkipReason } from '../helpers/cli-process';
import { freeLoopbackPort } from '../helpers/netns';

const skip = cliSkipReason(['curl', 'nc', 'iperf3']);
if (skip !== null) console.log(`netns-cli interop tests skipped: ${skip}`);
const maybe = skip === null ? test.serial : test.serial.skip;

let counter = 0;
function nsName(): string {
  return `usernet-clitest-${process.pid}-${counter++}`;
}

const clis = new CliProcesses();
test.after.always(() => clis.cleanup());

function cli(args: string[]): CliRun {
  return clis.run(args);
}

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Namespaces a CLI child made (the harness names them `usernet-<pid>-…`). Other test files make
 * and remove namespaces concurrently, so leftovers are judged by the child's PID, not by counts.
 */
function namespacesOf(pid: number | undefined): string[] {
  return namespaces().filter((n) => pid !== undefined && n.startsWith(`usernet-${pid}-`));
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '');
}

async function hostHttp(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const s = http.createServer((req, res) => res.end(`host says hi to ${req.socket.remoteAddress}\n`));
  await new Promise<void>((r) => s.listen({ port: 0, host }, () => r()));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

maybe('curl inside fetches from a host server through the gateway, IPv4 and IPv6; the exit status is the command\'s', async (t) => {
  const h4 = await hostHttp('127.0.0.1');
  const h6 = await hostHttp('::1');
  try {
    const r = cli(['netns', '-q', '--', 'sh', '-c', `curl -sS -m 10 http://10.0.2.2:${h4.port}/ && curl -sS -m 10 "http://[fd00:2::2]:${h6.port}/" && exit 7`]);
    const e = await r.exit;
    t.is(e.code, 7, r.err());
    t.is(r.out(), 'host says hi to 127.0.0.1\nhost says hi to ::1\n');
  } finally {
    await h4.close();
    await h6.close();
  }
});

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen({ port: 0, host }, () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

maybe('a host port nobody listens on is refused quickly inside (curl exit 7, nc -z fails), IPv4 and IPv6', async (t) => {
  const p4 = await closedPort('127.0.0.1');
  const p6 = await closedPort('::1');
  // Each step prints its exit status; `time` is measured by the shell with date (ms).
  const script = [
    `s=$(date +%s%N)`,
    `curl -sS -m 20 http://10.0.2.2:${p4}/ >/dev/null 2>&1; echo "curl4=$?"`,
    `curl -sS -m 20 "http://[fd00:2::2]:${p6}/" >/dev/null 2>&1; echo "curl6=$?"`,
    `nc -z -w 20 10.0.2.2 ${p4}; echo "nc4=$?"`,
    `nc -z -w 20 fd00:2::2 ${p6}; echo "nc6=$?"`,
    `echo "ms=$(( ($(date +%s%N) - s) / 1000000 ))"`,
  ].join('\n');
  const r = cli(['netns', '-q', '--', 'sh', '-c', script]);
  const e = await r.exit;
  t.is(e.code, 0, r.err());
  const out = r.out();
  t.regex(out, /^curl4=7$/m, out);
  t.regex(out, /^curl6=7$/m, out);
  t.regex(out, /^nc4=1$/m, out);
  t.regex(out, /^nc6=1$/m, out);
  const ms = Number(/^ms=(\d+)$/m.exec(out)?.[1] ?? 'NaN');
  t.true(ms < 5000, `four refused connections took ${ms} ms (a retransmitted SYN would take ≥ 1 s each)`);
});

maybe('the services address refuses a port without a service (RST), and serves the echo port', async (t) => {
  const script = [
    `curl -sS -m 10 http://10.0.2.3:8081/ >/dev/null 2>&1; echo "curl=$?"`,
    `nc -z -w 10 10.0.2.3 4444; echo "nc=$?"`,
    `nc -z -w 10 fd00:2::3 4444; echo "nc6=$?"`,
    `printf ping | nc -N -w 10 10.0.2.3 7; echo; echo "echo=$?"`,
  ].join('\n');
  const r = cli(['netns', '-q', '--service', 'echo', '--', 'sh', '-c', script]);
  const e = await r.exit;
  t.is(e.code, 0, r.err());
  const out = r.out();
  t.regex(out, /^curl=7$/m, out);
  t.regex(out, /^nc=1$/m, out);
  t.regex(out, /^nc6=1$/m, out);
  t.regex(out, /^ping$/m, out);
});

maybe('--busy-poll: on by default (the status page shows the poller), 0 turns it off, bad values are usage errors', async (t) => {
  const page = "curl -sS -m 10 http://10.0.2.3/ | grep '^busy poll' || echo 'no busy poll'";
  const on = cli(['netns', '-q', '--service', 'http', '--', 'sh', '-c', page]);
  t.is((await on.exit).code, 0, on.err());
  t.regex(on.out(), /^busy poll: window µs: \d+$/m);
  t.regex(on.out(), /^busy poll: polls\/caught\/expired: \d+\/\d+\/\d+$/m);
  const off = cli(['netns', '-q', '--busy-poll', '0', '--service', 'http', '--', 'sh', '-c', page]);
  t.is((await off.exit).code, 0, off.err());
  t.is(off.out(), 'no busy poll\n');
  for (const [value, why] of [['5000', 'outside 0–1000'], ['fast', 'is not a number']]) {
    const bad = cli(['netns', '--busy-poll', value!, '--', 'true']);
    t.is((await bad.exit).code, 2);
    t.true(bad.err().startsWith(`usernet netns: --busy-poll `) && bad.err().includes(why!), bad.err());
    t.deepEqual(namespacesOf(bad.child.pid), []);
  }
});

maybe('-p lets the host reach a server started inside the namespace', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const hostPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const r = cli(['netns', '-q', '-p', `127.0.0.1:${hostPort}:8000`, '--', 'sh', '-c', "printf 'HTTP/1.0 200 OK\\r\\n\\r\\nfrom inside the namespace' | nc -N -l 8000"]);
  let body = '';
  const deadline = Date.now() + 20_000;
  while (!body.includes('from inside') && Date.now() < deadline) {
    body = await new Promise<string>((resolve) => {
      const s = net.connect({ port: hostPort, host: '127.0.0.1' });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', () => resolve(''));
      s.write('GET / HTTP/1.0\r\n\r\n');
    });
    if (!body.includes('from inside')) await new Promise((x) => setTimeout(x, 200));
  }
  t.regex(body, /from inside the namespace/);
  t.is((await r.exit).code, 0, r.err());
});

maybe('iperf3 from inside the namespace to a host iperf3 server completes through the relay', async (t) => {
  const port = await freeLoopbackPort();
  const server = new BackgroundProcess(['iperf3', '-s', '-1', '--forceflush', '-B', '127.0.0.1', '-p', String(port)]);
  try {
    await server.waitForOutput(/Server listening/, 5000);
    const r = cli(['netns', '-q', '--', 'iperf3', '-c', '10.0.2.2', '-p', String(port), '-t', '2', '-J']);
    const e = await r.exit;
    t.is(e.code, 0, r.err() + r.out().slice(-2000));
    const report = JSON.parse(r.out()) as { end: { sum_received: { bytes: number; bits_per_second: number } } };
    t.true(report.end.sum_received.bytes > 10_000_000, `only ${report.end.sum_received.bytes} bytes`);
    t.log(`iperf3 through usernet: ${(report.end.sum_received.bits_per_second / 1e9).toFixed(2)} Gbit/s`);
  } finally {
    await server.stop('SIGTERM', 1000);
  }
});

maybe('SIGTERM: open relayed connections are reset, namespace and TAP are removed, exit 143', async (t) => {
  const name = nsName();
  const errors: string[] = [];
  let connected = false;
  const hold = net.createServer({ allowHalfOpen: true }, (s) => {
    connected = true;
    s.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    s.resume();
  });
  await new Promise<void>((r) => hold.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const port = (hold.address() as net.AddressInfo).port;
  const r = cli(['netns', name, '--service', 'echo']);
  try {
    await waitFor(() => r.err().includes('ready:'), 'usernet netns to be ready');
    t.true(namespaces().includes(name));
    const links = execFileSync('ip', ['-n', name, '-o', 'link', 'show'], { encoding: 'utf8' });
    t.regex(links, /eth0/);
    const inside = new BackgroundProcess(['ip', 'netns', 'exec', name, 'nc', '10.0.2.2', String(port)]);
    await waitFor(() => connected, 'the relayed connection');
    process.kill(r.child.pid!, 'SIGTERM');
    const e = await r.exit;
    t.is(e.code, 143, r.err());
    await waitFor(() => errors.length > 0, 'the host side to see the reset', 5000);
    t.deepEqual(errors, ['ECONNRESET']);
    t.false(namespaces().includes(name));
    await inside.stop('SIGKILL', 100);
  } finally {
    await new Promise<void>((x) => hold.close(() => x()));
  }
});

maybe('errors are one clear line and a non-zero exit: namespace exists, host port taken', async (t) => {
  const name = nsName();
  execFileSync('ip', ['netns', 'add', name]);
  try {
    const r = cli(['netns', name, '--', 'true']);
    t.is((await r.exit).code, 1);
    t.is(r.err(), `usernet netns: namespace ${name} exists (use --existing to join it)\n`);
    // --existing joins it, and leaves it in place afterwards.
    const j = cli(['netns', name, '--existing', '-q', '--', 'ip', '-o', 'addr', 'show', 'dev', 'eth0']);
    t.is((await j.exit).code, 0, j.err());
    t.regex(j.out(), /10\.0\.2\.100\/24/);
    t.true(namespaces().includes(name));
  } finally {
    execFileSync('ip', ['netns', 'del', name]);
  }
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const port = (taken.address() as net.AddressInfo).port;
  const r = cli(['netns', '-p', `127.0.0.1:${port}:80`, '--', 'true']);
  t.is((await r.exit).code, 1);
  t.regex(r.err(), new RegExp(`^usernet netns: -p 127\\.0\\.0\\.1:${port}: port taken on the host\\n$`));
  t.deepEqual(namespacesOf(r.child.pid), []);
  await new Promise<void>((x) => taken.close(() => x()));
});

maybe('usernet demo tells the namespace story and leaves nothing behind', async (t) => {
  const r = cli(['demo']);
  const e = await r.exit;
  t.is(e.code, 0, r.out() + r.err());
  t.regex(r.out(), /hello from the host, you are 127\.0\.0\.1/);
  t.regex(r.out(), /hello, usernet/);
  t.notRegex(r.out(), /FAILED/);
  t.deepEqual(namespacesOf(r.child.pid), []);
});

maybe('--pcap captures the TAP link and --stats prints the connection table', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), `usernet-clitest-${process.pid}-`));
  const pcap = join(dir, 'ns.pcap');
  try {
    // A discard connection held open for a second, so that a table shows it.
    const r = cli(['netns', '-q', '--service', 'discard', '--pcap', pcap, '--stats', '0.2', '--', 'sh', '-c', 'sleep 1 | nc -N 10.0.2.3 9']);
    t.is((await r.exit).code, 0, r.err());
    t.regex(r.err(), /State\s+Recv-Q\s+Send-Q\s+Local Address:Port/);
    t.regex(r.err(), /ESTAB\s+0\s+0\s+10\.0\.2\.3:9\s+10\.0\.2\.100:\d+/);
    const decoded = execFileSync(process.execPath, [CLI, 'decode', pcap], { encoding: 'utf8' });
    t.regex(decoded, /10\.0\.2\.100\.\d+ > 10\.0\.2\.3\.9: Flags \[S\]/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

maybe('--no-offloads: the TAP carries plain frames, every TCP checksum in the capture is complete', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), `usernet-clitest-${process.pid}-`));
  try {
    const tcpLines = async (extra: string[]): Promise<string[]> => {
      const pcap = join(dir, `ns-${extra.length}.pcap`);
      const r = cli(['netns', '-q', ...extra, '--service', 'chargen', '--pcap', pcap, '--', 'sh', '-c', 'nc -d -w 1 10.0.2.3 19 | head -c 200000 > /dev/null']);
      t.is((await r.exit).code, 0, r.err());
      const decoded = execFileSync(process.execPath, [CLI, 'decode', pcap], { encoding: 'utf8' });
      return decoded.split('\n').filter((l) => /Flags \[/.test(l));
    };
    const plain = await tcpLines(['--no-offloads']);
    t.true(plain.length > 10, `${plain.length} TCP lines`);
    t.deepEqual(plain.filter((l) => !/cksum 0x[0-9a-f]+ \(correct\)/.test(l)), []);
    // With offloads (the default) checksums are left to the link, as on a NIC with offload: a
    // capture shows them "incorrect" (only the pseudo-header sum is in the field).
    const offloaded = await tcpLines([]);
    t.true(offloaded.some((l) => /\(incorrect\)/.test(l)), 'partial checksums in the default capture');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

maybe('usernet serve answers on a TAP device with echo and http (busy polling when asked); SIGTERM removes the device', async (t) => {
  const tap = uniqueLinkName('uns');
  const r = cli(['serve', '--tap', tap, '--service', 'echo', '--service', 'http', '--busy-poll', '100']);
  const ns = await Netns.create();
  try {
    await waitFor(() => r.err().includes('serving on TAP'), 'usernet serve to start');
    await ns.moveLink(tap);
    await ns.configureLink(tap, { ipv4: '10.0.3.1/24' });
    const echo = await ns.exec(['nc', '-N', '-w', '5', '10.0.3.2', '7'], { input: 'hello serve\n' });
    t.is(echo.stdout, 'hello serve\n', echo.stderr);
    const page = await ns.exec(['curl', '-sS', '-m', '5', 'http://10.0.3.2/']);
    t.regex(page.stdout, /usernet — connections/);
    t.regex(page.stdout, /^busy poll: polls\/caught\/expired: \d+\/\d+\/\d+$/m, 'busy polling as asked');
    process.kill(r.child.pid!, 'SIGTERM');
    t.is((await r.exit).code, 143, r.err());
    t.false((await ns.links()).includes(tap));
  } finally {
    await ns.destroy();
  }
});

maybe('-p with an IPv6 host address reaches the namespace over IPv6', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen({ port: 0, host: '::1' }, () => r()));
  const hostPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const r = cli(['netns', '-q', '-p', `[::1]:${hostPort}:7000`, '--', 'sh', '-c', 'echo "peer seen inside" | nc -N -l -6 7000']);
  let body = '';
  const deadline = Date.now() + 20_000;
  while (!body.includes('peer seen') && Date.now() < deadline) {
    body = await new Promise<string>((resolve) => {
      const s = net.connect({ port: hostPort, host: '::1' });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', () => resolve(''));
      s.end();
    });
    if (!body.includes('peer seen')) await new Promise((x) => setTimeout(x, 200));
  }
  t.is(body, 'peer seen inside\n');
  t.is((await r.exit).code, 0, r.err());
});
