/**
 * Flow control (RFC 9293 §3.8.6) between usernet's engine and the Linux kernel over TAP: usernet
 * stops reading, advertises a zero window, answers the kernel's zero-window probes and reopens
 * the window when it reads again; and a kernel server that does not read (small SO_RCVBUF)
 * closes its window to usernet, whose persist timer probes it until it opens (§3.8.6.1). 8 MiB
 * each, SHA-256 checked. Needs root and /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import { skipUnlessTap } from '../helpers/netns';
import { TcpFlag } from '../../stack/wire/tcp';
import { pythonFileSender } from './python-peers';
import { TAP_TEST_PLAN as P, answerTo, logRate, probesFrom, setupTcp, sleep, startTcpdump, tempPath } from './tcp-setup';

const SIZE = 8 * 1024 * 1024;
const DATA = randomBytes(SIZE);
const DATA_SHA = createHash('sha256').update(DATA).digest('hex');

test.serial('usernet stops reading: zero window, the kernel probes it, reading again reopens it; every byte arrives', async (t) => {
  t.timeout(60_000);
  if (skipUnlessTap(t, ['python3', 'tcpdump'])) return;
  const { ns, dev, stack, sockets } = await setupTcp(t);
  const file = tempPath(t, 'data');
  fs.writeFileSync(file, DATA);
  let pauses = 0;
  sockets.listen(P.usernet4, 7700, (c) => {
    c.conn.readStop();
    // Closed for 700 ms (the buffer fills, the window closes, the kernel probes), then 100 ms
    // of reading, until the peer's FIN has been delivered.
    void (async () => {
      while (!c.peerFin.settled) {
        await sleep(700);
        c.conn.readStart();
        stack.wake();
        await sleep(100);
        if (!c.peerFin.settled) {
          c.conn.readStop();
          pauses++;
        }
      }
    })();
    void c.peerFin.promise.then(async () => {
      await c.write(Buffer.from(`${c.bytesReceived} ${c.receivedSha()}\n`));
      c.close();
    });
  });
  const dump = await startTcpdump(t, ns, dev);
  const start = performance.now();
  const r = await ns.exec(['python3', '-c', pythonFileSender({ family: 4, addr: P.usernet4, port: 7700, file, timeoutSecs: 30 })], { timeoutMs: 40_000 });
  const ms = performance.now() - start;
  const segs = await dump.stop();
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `${SIZE} ${DATA_SHA}\n`, 'usernet received every byte once, in order');
  logRate(t, `kernel → usernet with ${pauses} read pauses`, SIZE, ms);
  const fromUsernet = segs.filter((s) => s.src === P.usernet4 && (s.flags & TcpFlag.RST) === 0);
  const zeroWindows = fromUsernet.filter((s) => s.window === 0);
  t.true(zeroWindows.length > 0, 'usernet advertised a zero window');
  t.true(fromUsernet.at(-1)!.window > 0, 'and opened it again');
  const probes = probesFrom(segs, P.kernel4);
  t.true(probes.length > 0, 'the kernel probed the zero window');
  t.true(probes.every((p) => answerTo(segs, p) !== undefined), 'usernet answered every probe');
  t.log(`usernet sent ${zeroWindows.length} zero-window segments; the kernel sent ${probes.length} window probes, all answered`);
});

/** A python3 server with a small receive buffer that reads nothing for `pauseS` seconds. */
function slowReader(port: number, pauseS: number): string {
  return [
    'import socket, hashlib, time',
    's = socket.socket(socket.AF_INET, socket.SOCK_STREAM)',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)',
    `s.bind(('0.0.0.0', ${port}))`,
    's.listen(1)',
    "print('listening', flush=True)",
    'c, _ = s.accept()',
    `time.sleep(${pauseS})`,
    'h = hashlib.sha256()',
    'n = 0',
    'while True:',
    '    d = c.recv(1 << 20)',
    '    if not d: break',
    '    h.update(d)',
    '    n += len(d)',
    "c.sendall(f'{n} {h.hexdigest()}\\n'.encode())",
    'c.close()',
  ].join('\n');
}

test.serial("the kernel's window closes while it does not read; usernet's persist timer probes it until it opens", async (t) => {
  t.timeout(60_000);
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, stack, sockets } = await setupTcp(t);
  const server = ns.spawn(['python3', '-c', slowReader(7800, 1.5)]);
  await server.waitForOutput(/listening/);
  const start = performance.now();
  const c = await sockets.connect(P.kernel4, 7800);
  c.keep = true;
  await c.write(DATA);
  c.shutdown();
  await c.peerFin.promise;
  const ms = performance.now() - start;
  t.is(c.keptText(), `${SIZE} ${DATA_SHA}\n`, 'the kernel received every byte once, in order');
  const probes = stack.tcp.counter('window-probes');
  t.true(probes > 0, 'usernet probed the zero window');
  t.is(c.error, null);
  logRate(t, `usernet → kernel reading nothing for 1.5 s (${probes} window probes)`, SIZE, ms);
  const exit = await server.wait();
  t.is(exit.code, 0, exit.stderr);
  c.close();
});
