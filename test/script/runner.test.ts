/**
 * The script runner itself: parsing packetdrill syntax, and the failures it must report —
 * a wrong packet, an unexpected one, a late one, a wrong return value, unsupported lines — so
 * that a passing script means something. Also the `usernet script` command's exit status.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpFlag } from '../../stack/wire/tcp';
import { parseScript } from '../../src/script/parse';
import { formatResult, runScriptText } from '../../src/script/report';
import { main } from '../../src/cli/main';

const OPEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

test('parses times, packets, options and system calls', (t) => {
  const { script, errors } = parseScript(`--tolerance_usecs=10000
0.100 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+.1~+.2 > P. 1:1001(1000) ack 1 <nop,nop,TS val 100 ecr 700,sack 1:2 3:4>
* > F. 1001:1001(0) ack 1
0.5...0.7 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
`);
  t.deepEqual(errors, []);
  t.deepEqual(script.options, [{ line: 1, name: 'tolerance_usecs', value: '10000' }]);
  const [syn, synAck, data, fin, read] = script.events;
  t.deepEqual(syn!.time, { kind: 'absolute', us: 100_000 });
  t.like(syn!.action, { kind: 'packet', packet: { direction: 'inbound', flags: TcpFlag.SYN, start: 0, end: 0, len: 0, window: 32792 } });
  t.like(synAck!.action, { kind: 'packet', packet: { flags: TcpFlag.SYN | TcpFlag.ACK, ack: 1, options: 'any' } });
  t.deepEqual(data!.time, { kind: 'relative-range', us: 100_000, endUs: 200_000 });
  const opts = data!.action.kind === 'packet' ? data!.action.packet.options : undefined;
  t.deepEqual(opts, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'TS', val: 100, ecr: 700 }, { kind: 'sack', blocks: [[1, 2], [3, 4]] }]);
  t.deepEqual(fin!.time, { kind: 'any' });
  t.like(read!.action, { kind: 'syscall', call: { name: 'read', endUs: 700_000, errno: 'EAGAIN', result: { kind: 'int', value: -1 } } });
});

test('syntax errors name their line; inconsistent lengths and missing inbound windows are errors', (t) => {
  const { errors } = parseScript(`0 < S 0:0(0) win 100
+0 < . 1:11(5) ack 1 win 100
+0 < . 1:1(0) ack 1
+0 > Q 0:0(0)
`);
  t.deepEqual(errors.map((e) => e.line), [2, 3, 4]);
  t.regex(errors[0]!.message, /inconsistent segment/);
  t.regex(errors[1]!.message, /needs a window/);
  t.regex(errors[2]!.message, /unknown TCP flag 'Q'/);
});

test('a passing script passes', (t) => {
  t.is(runScriptText(OPEN).status, 'pass');
});

test('a wrong outbound packet fails with expected vs actual, naming the line', (t) => {
  const r = runScriptText(`${OPEN}+0 write(4, ..., 100) = 100
+0 > . 1:1(0) ack 1001 win 257
`);
  t.is(r.status, 'fail');
  const text = formatResult('x.pkt', r);
  t.regex(text, /^x\.pkt:9: expected: > \. 1:1\(0\) ack 1001 win 257 {2}actual: > P\. 1:101\(100\) ack 1 win 65535/);
});

test('a packet the script does not expect is an error', (t) => {
  const r = runScriptText(`${OPEN}+0 write(4, ..., 100) = 100
+.1 < . 1:1(0) ack 101 win 65535
`);
  t.is(r.status, 'fail');
  t.regex(formatResult('x.pkt', r), /x\.pkt:9: unexpected outbound packet before this line .*> P\. 1:101\(100\)/);
  const trailing = runScriptText(`${OPEN}+0 write(4, ..., 100) = 100\n`);
  t.regex(formatResult('x.pkt', trailing), /unexpected outbound packet after the last line/);
});

test('timing: a packet outside the tolerance fails; within 4 ms it passes; --tolerance_usecs widens it', (t) => {
  // usernet's delayed ACK is 40 ms.
  const base = `${OPEN}+.1 < . 1:101(100) ack 1 win 65535\n`;
  t.is(runScriptText(`${base}+.04 > . 1:1(0) ack 101 win 65435\n`).status, 'pass');
  t.is(runScriptText(`${base}+.043 > . 1:1(0) ack 101 win 65435\n`).status, 'pass');
  const late = runScriptText(`${base}+.05 > . 1:1(0) ack 101 win 65435\n`);
  t.is(late.status, 'fail');
  t.regex(formatResult('x.pkt', late), /timing error: expected .* at 0\.25 s but it was sent at 0\.24 s/);
  t.is(runScriptText(`--tolerance_usecs=20000\n${base}+.05 > . 1:1(0) ack 101 win 65435\n`).status, 'pass');
  t.is(runScriptText(`${base}+.03~+.05 > . 1:1(0) ack 101 win 65435\n`).status, 'pass');
  t.is(runScriptText(`${base}* > . 1:1(0) ack 101 win 65435\n`).status, 'pass');
});

test('an expected packet that never comes fails', (t) => {
  const r = runScriptText(`${OPEN}+1 > . 1:1(0) ack 1 win 65535\n`);
  t.is(r.status, 'fail');
  t.regex(formatResult('x.pkt', r), /usernet sent nothing/);
});

test('wrong return values and errno fail', (t) => {
  const r = runScriptText(`${OPEN}+0 read(4, ..., 100) = 5\n`);
  t.is(r.status, 'fail');
  t.regex(formatResult('x.pkt', r), /x\.pkt:8: read\(\) would block on a blocking socket/);
  const nb = runScriptText(`${OPEN}+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 100) = -1 EPIPE\n`);
  t.regex(formatResult('x.pkt', nb), /expected: read\(…\) = -1 EPIPE {2}actual: = -1 EAGAIN/);
});

test('blocking calls: start...end waits for the packet that completes it, and must return on time', (t) => {
  const listen = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.2 accept(3, ..., ...) = 4
+.1 < S 0:0(0) win 65535 <mss 1000>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
`;
  t.is(runScriptText(`${listen}+.1 < . 1:1(0) ack 1 win 65535\n`).status, 'pass');
  const late = runScriptText(`${listen}+.15 < . 1:1(0) ack 1 win 65535\n`);
  t.is(late.status, 'fail');
  t.regex(formatResult('x.pkt', late), /x\.pkt:4: blocking accept\(\) expected to return at 0\.2 s has not returned/);
  const read = runScriptText(`${OPEN}+0...0.2 read(4, ..., 1000) = 100\n+.2 < P. 1:101(100) ack 1 win 65535\n+.04 > . 1:1(0) ack 101 win 65435\n`);
  t.is(read.status, 'pass', formatResult('x.pkt', read, true));
});

test('unsupported lines are all reported by name before anything runs', (t) => {
  const r = runScriptText(`--ip_version=ipv6
0 \`sysctl -q net.ipv4.tcp_sack=0\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10
+0 < [ect0] S 0:0(0) win 100
+0 < icmp unreachable port_unreachable
+0 %{ print(tcpi_rto) }%
+0 > S 0:0(0) <mss 1460,FO abcd>
`);
  t.is(r.status, 'unsupported');
  const text = formatResult('x.pkt', r);
  for (const s of ['x.pkt:1: unsupported: --ip_version=ipv6', 'x.pkt:2: unsupported: shell command', 'x.pkt:4: unsupported: system call sendmsg()',
    'x.pkt:5: unsupported: IP marking [ect0]', 'x.pkt:6: unsupported: icmp packet', 'x.pkt:7: unsupported: Python code', "x.pkt:8: unsupported: TCP option 'FO'"]) {
    t.true(text.includes(s), `${s} missing from:\n${text}`);
  }
});

test('socket options usernet cannot honour are reported when reached', (t) => {
  const r = runScriptText(`${OPEN}+0 setsockopt(4, IPPROTO_TCP, TCP_CORK, [1], 4) = 0\n`);
  t.is(r.status, 'unsupported');
  t.regex(formatResult('x.pkt', r), /x\.pkt:8: unsupported: socket option IPPROTO_TCP, TCP_CORK/);
});

test('read() checks the bytes against what the peer sent', (t) => {
  // Two overlapping segments that disagree would be a reassembly question; here the runner only
  // sends consistent bytes, so a pass shows the engine delivered them in order.
  const r = runScriptText(`${OPEN}+.1 < . 101:201(100) ack 1 win 65535
+0 > . 1:1(0) ack 1 win 65535
+0 < . 1:101(100) ack 1 win 65535
+0 > . 1:1(0) ack 201 win 65335
+0 read(4, ..., 1000) = 200
`);
  t.is(r.status, 'pass', formatResult('x.pkt', r, true));
});

test('usernet script exits 0 on pass, 1 on failure, 2 on bad usage', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), `usernet-script-${process.pid}-`));
  try {
    const good = join(dir, 'good.pkt');
    const bad = join(dir, 'bad.pkt');
    writeFileSync(good, OPEN);
    writeFileSync(bad, `${OPEN}+0 > . 1:1(0) ack 1 win 1\n`);
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
    t.is(await main(['script', good], io), 0);
    t.is(await main(['script', bad], io), 1);
    t.is(await main(['script'], io), 2);
    t.is(await main(['script', join(dir, 'missing.pkt')], io), 1);
    t.regex(out.join(''), /bad\.pkt:8: expected:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
