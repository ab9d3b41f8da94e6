/**
 * Keepalive (RFC 1122 §4.2.3.6) between usernet's engine and the Linux kernel over TAP, read
 * from tcpdump inside the namespace: the kernel's probes (python3 with SO_KEEPALIVE and a 1 s
 * TCP_KEEPIDLE/TCP_KEEPINTVL) are answered by usernet, so the idle connection survives; usernet's
 * probes (idle 300 ms, interval 200 ms, 3 probes) leave at those times with SEG.SEQ = SND.NXT − 1
 * and no data, the kernel answers them, and once usernet stops hearing the answers it sends its
 * probes at the interval, then a RST, and reports ETIMEDOUT. With Linux's default rate limit on
 * answers to out-of-window segments (tcp_invalid_ratelimit, 500 ms) every other 300 ms probe goes
 * unanswered, and usernet's schedule follows that. Needs root and /dev/net/tun.
 */

import test from 'ava';
import { skipUnlessTap } from '../helpers/netns';
import { TcpFlag } from '../../stack/wire/tcp';
import { TAP_TEST_PLAN as P, type SeenSegment, answerTo, probesFrom, setupTcp, sleep, startTcpdump } from './tcp-setup';

/**
 * How far a probe may be from its schedule: a timer never fires early, but one probe late by
 * event-loop delay makes the next gap short by as much; lateness under load (ava runs test files
 * in parallel on a small machine) gets more room.
 */
const EARLY_MS = 40;
const LATE_MS = 120;
const onTime = (gap: number, expected: number): boolean => gap >= expected - EARLY_MS && gap <= expected + LATE_MS;

const gaps = (ps: SeenSegment[]): number[] => ps.slice(1).map((p, i) => p.timeMs - ps[i]!.timeMs);

/** A python3 client with fast kernel keepalive: talks, idles `idle` seconds, talks again. */
function keepaliveClient(family: 4 | 6, addr: string, port: number, idle: number): string {
  return [
    'import socket, time',
    `s = socket.socket(socket.AF_INET${family === 6 ? '6' : ''}, socket.SOCK_STREAM)`,
    's.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)',
    's.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)',
    's.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)',
    's.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)',
    's.settimeout(10)',
    `s.connect(('${addr}', ${port}))`,
    "s.sendall(b'one')",
    'a = s.recv(100)',
    `time.sleep(${idle})`,
    "s.sendall(b'two')",
    'b = s.recv(100)',
    'print(a.decode(), b.decode())',
  ].join('\n');
}

test.serial("the kernel's keepalive probes are answered by usernet (IPv4 and IPv6)", async (t) => {
  if (skipUnlessTap(t, ['python3', 'tcpdump'])) return;
  const { ns, dev, sockets } = await setupTcp(t);
  for (const addr of [P.usernet4, P.usernet6]) {
    sockets.listen(addr, 7300, (c) => {
      c.onData = (chunk) => void c.write(Buffer.from(Buffer.from(chunk).toString().toUpperCase()));
      void c.peerFin.promise.then(() => c.close());
    });
  }
  const dump = await startTcpdump(t, ns, dev);
  // With TCP_KEEPCNT 2 and 1 s idle and interval, unanswered probes would kill the connection
  // after 3 s; the client idles 4.5 s.
  const runs = await Promise.all([
    ns.exec(['python3', '-c', keepaliveClient(4, P.usernet4, 7300, 4.5)]),
    ns.exec(['python3', '-c', keepaliveClient(6, P.usernet6, 7300, 4.5)]),
  ]);
  const segs = await dump.stop();
  for (const [i, [kernel, usernet]] of [[P.kernel4, P.usernet4], [P.kernel6, P.usernet6]].entries()) {
    t.is(runs[i]!.stdout.trim(), 'ONE TWO', `${kernel}: the connection survived the idle time: ${runs[i]!.stderr}`);
    const probes = probesFrom(segs, kernel);
    t.true(probes.length >= 3, `${kernel} sent ${probes.length} keepalive probes`);
    for (const p of probes) {
      const a = answerTo(segs, p);
      t.truthy(a, `probe at ${p.timeMs} answered`);
      if (a !== undefined) t.is(a.src, usernet);
    }
    for (const g of gaps(probes)) t.true(onTime(g, 1000), `kernel probes ${g.toFixed(0)} ms apart`);
    t.log(`${kernel}: ${probes.length} probes, gaps ${gaps(probes).map((g) => g.toFixed(0)).join(' ')} ms, all answered`);
  }
});

/** A python3 server that reads until EOF or reset, then says which. */
function quietServer(port: number): string {
  return [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_STREAM)',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `s.bind(('0.0.0.0', ${port}))`,
    's.listen(1)',
    "print('listening', flush=True)",
    'c, _ = s.accept()',
    'try:',
    '    while c.recv(100): pass',
    "    print('eof', flush=True)",
    'except ConnectionResetError:',
    "    print('reset', flush=True)",
  ].join('\n');
}

test.serial("usernet's keepalive probes leave at the configured idle time and interval; unanswered, they end in RST and ETIMEDOUT", async (t) => {
  if (skipUnlessTap(t, ['python3', 'tcpdump'])) return;
  const { ns, dev, sockets, gate } = await setupTcp(t);
  // Linux answers out-of-window segments such as keepalive probes at most once per
  // tcp_invalid_ratelimit (500 ms, RFC 5961 §10's rate limit), so with a 300 ms idle time every
  // other probe would go unanswered (usernet then probes again after the interval, correctly).
  // Lift the limit in this namespace, so every probe is answered and the schedule is plain.
  const sysctl = await ns.exec(['sysctl', '-q', '-w', 'net.ipv4.tcp_invalid_ratelimit=0']);
  t.is(sysctl.code, 0, sysctl.stderr);
  const server = ns.spawn(['python3', '-c', quietServer(7400)]);
  await server.waitForOutput(/listening/);
  const dump = await startTcpdump(t, ns, dev);
  const c = await sockets.connect(P.kernel4, 7400);
  await c.write(Buffer.from('hello'));
  await c.drained();
  const idleMs = 300;
  const intervalMs = 200;
  const count = 3;
  c.conn.setKeepAlive({ enable: true, idleMs, intervalMs, count });
  sockets.stack.wake();
  // Answered probes: each answer restarts the idle clock, so they come every idleMs.
  await sleep(1400);
  t.is(c.error, null);
  // From the next frame on (the answer to a probe), usernet hears nothing.
  gate.blockAfterNextReceive();
  const code = await c.ended.promise;
  t.is(code, 'ETIMEDOUT', 'unanswered probes end the connection with ETIMEDOUT');
  const exit = await server.wait();
  t.regex(exit.stdout, /^reset$/m, 'the kernel got the RST');
  const segs = await dump.stop();

  const probes = probesFrom(segs, P.usernet4);
  const answered = probes.filter((p) => answerTo(segs, p) !== undefined);
  t.log(`probes at ${probes.map((p) => `${(p.timeMs - probes[0]!.timeMs).toFixed(1)}${answerTo(segs, p) ? '+' : '-'}`).join(' ')} ms (+ answered)`);
  t.is(answered.length, probes.length, 'the kernel answered every probe');
  t.true(probes.length >= count + 3, `${probes.length} probes`);
  const g = gaps(probes);
  // The last `count` probes went unanswered as far as usernet knows: the first of them after
  // the idle time, the others at the interval.
  const idleGaps = g.slice(0, g.length - (count - 1));
  const intervalGaps = g.slice(g.length - (count - 1));
  for (const x of idleGaps) t.true(onTime(x, idleMs), `probes ${x.toFixed(1)} ms apart, idle ${idleMs}`);
  for (const x of intervalGaps) t.true(onTime(x, intervalMs), `probes ${x.toFixed(1)} ms apart, interval ${intervalMs}`);
  const rst = segs.find((s) => s.src === P.usernet4 && (s.flags & TcpFlag.RST) !== 0);
  t.truthy(rst, 'usernet sent a RST');
  if (rst !== undefined) {
    const after = rst.timeMs - probes.at(-1)!.timeMs;
    t.true(onTime(after, intervalMs), `RST ${after.toFixed(1)} ms after the last probe`);
  }
  const first = probes[0]!;
  const lastBefore = segs.filter((s) => s.src === P.kernel4 && s.timeMs < first.timeMs).at(-1)!;
  t.log(`first probe ${(first.timeMs - lastBefore.timeMs).toFixed(1)} ms after the kernel's last segment`);
  t.log(`probe gaps: idle ${idleGaps.map((x) => x.toFixed(1)).join(' ')} ms; interval ${intervalGaps.map((x) => x.toFixed(1)).join(' ')} ms`);
});

test.serial("with Linux's default rate limit on answers (one per 500 ms), usernet's 300 ms probes alternate answered and unanswered and the connection lives", async (t) => {
  if (skipUnlessTap(t, ['python3', 'tcpdump'])) return;
  const { ns, dev, sockets } = await setupTcp(t);
  const server = ns.spawn(['python3', '-c', quietServer(7401)]);
  await server.waitForOutput(/listening/);
  const dump = await startTcpdump(t, ns, dev);
  const c = await sockets.connect(P.kernel4, 7401);
  await c.write(Buffer.from('hello'));
  await c.drained();
  // Two unanswered probes in a row would end the connection.
  c.conn.setKeepAlive({ enable: true, idleMs: 300, intervalMs: 200, count: 2 });
  sockets.stack.wake();
  await sleep(2500);
  t.is(c.error, null, 'no keepalive timeout');
  t.is(c.conn.state, 'ESTABLISHED');
  c.conn.abort();
  sockets.stack.wake();
  const segs = await dump.stop();
  const probes = probesFrom(segs, P.usernet4);
  const answered = probes.map((p) => answerTo(segs, p) !== undefined);
  t.log(`probes at ${probes.map((p, i) => `${(p.timeMs - probes[0]!.timeMs).toFixed(0)}${answered[i] ? '+' : '-'}`).join(' ')} ms (+ answered)`);
  t.true(probes.length >= 6, `${probes.length} probes`);
  t.true(answered.includes(false), 'Linux left some probes unanswered (tcp_invalid_ratelimit)');
  t.false(answered.some((a, i) => !a && answered[i + 1] === false), 'never two unanswered in a row');
  // After an unanswered probe the next one follows at the interval; after an answer, at the idle time.
  for (let i = 1; i < probes.length; i++) {
    const gap = probes[i]!.timeMs - probes[i - 1]!.timeMs;
    t.true(onTime(gap, answered[i - 1] ? 300 : 200), `probe ${i} ${gap.toFixed(0)} ms after the previous (${answered[i - 1] ? 'answered' : 'unanswered'})`);
  }
});
