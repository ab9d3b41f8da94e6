/**
 * UDP and DNS of `usernet netns` end to end: the compiled CLI (`dist/src/cli/main.js`, built by
 * `make test` or `npx tsc -p tsconfig.build.json`) as a child process, killed by PID; the kernel's
 * own UDP sockets, getent and curl inside the namespace; a UDP echo server, a small DNS server
 * (test/helpers/dns-server.ts, since the machine has no Internet) and an HTTP server on the host's
 * loopback. Needs root, /dev/net/tun and the tools; skips with a line saying why otherwise. Every
 * namespace is unique and removed, also when a test fails.
 */

import test from 'ava';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import { CliProcesses, type CliRun, cliSkipReason } from '../helpers/cli-process';
import { startDnsServer } from '../helpers/dns-server';

const skip = cliSkipReason(['curl', 'getent', 'python3']);
if (skip !== null) console.log(`netns-udp interop tests skipped: ${skip}`);
const maybe = skip === null ? test.serial : test.serial.skip;

const clis = new CliProcesses();
// A CLI killed by SIGKILL cannot remove its namespace nor its resolv.conf.
test.after.always(() => clis.cleanup((name) => fs.rmSync(`/etc/netns/${name}`, { recursive: true, force: true })));

function cli(args: string[]): CliRun {
  return clis.run(args);
}

async function udpEcho(type: 'udp4' | 'udp6'): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket(type);
  s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
  return { port: s.address().port, close: () => s.close() };
}

/** A UDP client inside the namespace: sends `text` to host:port and prints the answer (2 s timeout). */
function udpClient(host: string, port: number, text: string): string {
  const family = host.includes(':') ? 'AF_INET6' : 'AF_INET';
  return `python3 -c "import socket; s=socket.socket(socket.${family}, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(b'${text}', ('${host}', ${port})); print(s.recvfrom(100)[0].decode())"`;
}

maybe('UDP inside the namespace reaches a host UDP server through the gateway and back (IPv4, IPv6)', async (t) => {
  const e4 = await udpEcho('udp4');
  const e6 = await udpEcho('udp6');
  try {
    const r = cli(['netns', '-q', '--no-dns', '--', 'sh', '-c', `${udpClient('10.0.2.2', e4.port, 'four')} && ${udpClient('fd00:2::2', e6.port, 'six')}`]);
    const e = await r.exit;
    t.is(e.code, 0, r.err());
    t.is(r.out(), 'echo:four\necho:six\n');
  } finally {
    e4.close();
    e6.close();
  }
});

maybe('getent and curl resolve a name through usernet\'s DNS forwarder to the test DNS server; resolv.conf is written and removed', async (t) => {
  const dns = await startDnsServer({ 'usernet-test.example': '10.0.2.2' });
  const web = http.createServer((req, res) => res.end(`hello ${req.headers.host}\n`));
  await new Promise<void>((r) => web.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const port = (web.address() as net.AddressInfo).port;
  try {
    const script = [
      'grep ^nameserver /etc/resolv.conf',
      'getent hosts usernet-test.example',
      `curl -sS -m 10 http://usernet-test.example:${port}/`,
      'getent hosts nowhere.example || echo "nowhere: $?"',
    ].join(' && ');
    const r = cli(['netns', '--dns-upstream', `127.0.0.1:${dns.port}`, '--', 'sh', '-c', script]);
    const e = await r.exit;
    t.is(e.code, 0, r.err());
    t.is(r.out(), [
      'nameserver 10.0.2.3',
      'nameserver fd00:2::3',
      '10.0.2.2        usernet-test.example',
      `hello usernet-test.example:${port}`,
      'nowhere: 2',
      '',
    ].join('\n'));
    t.true(dns.queries.includes('A usernet-test.example'), dns.queries.join(', '));
    t.true(dns.queries.includes('A nowhere.example'));
    const file = /dns on .*; (\/etc\/netns\/\S+\/resolv\.conf)/.exec(r.err())?.[1];
    t.truthy(file, r.err());
    t.false(fs.existsSync(file!), 'removed at exit');
  } finally {
    web.close();
    await dns.close();
  }
});

maybe('DNS over TCP to the services address reaches the upstream too', async (t) => {
  const dns = await startDnsServer({ 'tcp.example': '192.0.2.7' });
  try {
    // A query over TCP (RFC 7766 framing) for tcp.example, type A, from a python client inside.
    const py = [
      'import socket, struct',
      'q = bytes.fromhex("abcd01000001000000000000") + b"\\x03tcp\\x07example\\x00\\x00\\x01\\x00\\x01"',
      's = socket.create_connection(("10.0.2.3", 53), 5)',
      's.sendall(struct.pack("!H", len(q)) + q)',
      'n = struct.unpack("!H", s.recv(2))[0]',
      'a = b""',
      'while len(a) < n: a += s.recv(n - len(a))',
      'print(".".join(str(x) for x in a[-4:]))',
    ].join('\n');
    const r = cli(['netns', '-q', '--dns-upstream', `127.0.0.1:${dns.port}`, '--', 'python3', '-c', py]);
    const e = await r.exit;
    t.is(e.code, 0, r.err());
    t.is(r.out(), '192.0.2.7\n');
    t.deepEqual(dns.queries, ['A tcp.example']);
  } finally {
    await dns.close();
  }
});

maybe('bad --dns-upstream values are refused with one line', async (t) => {
  for (const [arg, why] of [['example.test:53', /is not ADDR\[:PORT\]/], ['127.0.0.1:0', /port must be 1-65535/]] as const) {
    const r = cli(['netns', '--dns-upstream', arg, '--', 'true']);
    t.is((await r.exit).code, 2);
    t.regex(r.err(), why);
  }
  const both = cli(['netns', '--no-dns', '--dns-upstream', '127.0.0.1', '--', 'true']);
  t.is((await both.exit).code, 2);
  t.regex(both.err(), /exclude each other/);
});
