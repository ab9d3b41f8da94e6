/**
 * TCP through a bad link: `impair` (5 % loss, 5 % reordering, 5 % duplication, both directions)
 * sits between the TAP driver and usernet, and a python3 client in the namespace exchanges 4 MiB
 * each way with a usernet listener at the same time (IPv4, then IPv6). Both ends compare
 * SHA-256 and length, so every byte arrived exactly once, in order. Needs root and /dev/net/tun.
 * The seed is logged; USERNET_IMPAIR_SEED=N replays the same impairment decisions (the timing of
 * a real link still varies).
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import { skipUnlessTap } from '../helpers/netns';
import type { TestConn } from './tcp-adapter';
import { TAP_TEST_PLAN as P, logRate, setupTcp, tempPath } from './tcp-setup';

const SIZE = 4 * 1024 * 1024;
const UP = randomBytes(SIZE);
const UP_SHA = createHash('sha256').update(UP).digest('hex');
const DOWN = randomBytes(SIZE);
const SEED = Number(process.env.USERNET_IMPAIR_SEED ?? 20261125);

/**
 * A python3 client: sends the file from a thread while the main thread receives everything
 * until usernet's FIN, then prints `<bytes received> <sha256>`.
 */
function duplexClient(family: 4 | 6, addr: string, port: number, file: string): string {
  return [
    'import socket, hashlib, threading',
    `s = socket.socket(socket.AF_INET${family === 6 ? '6' : ''}, socket.SOCK_STREAM)`,
    's.settimeout(120)',
    `s.connect(('${addr}', ${port}))`,
    'def send():',
    `    with open('${file}', 'rb') as f: s.sendall(f.read())`,
    '    s.shutdown(socket.SHUT_WR)',
    'th = threading.Thread(target=send)',
    'th.start()',
    'h = hashlib.sha256()',
    'n = 0',
    'while True:',
    '    d = s.recv(1 << 20)',
    '    if not d: break',
    '    h.update(d)',
    '    n += len(d)',
    'th.join()',
    'print(n, h.hexdigest())',
  ].join('\n');
}

test.serial('4 MiB each way at once through 5% loss, reordering and duplication arrive exactly once (IPv4 and IPv6)', async (t) => {
  t.timeout(300_000);
  if (skipUnlessTap(t, ['python3'])) return;
  t.log(`impair seed ${SEED} (USERNET_IMPAIR_SEED)`);
  const { ns, sockets, impaired } = await setupTcp(t, { impair: { loss: 0.05, reorder: 0.05, duplicate: 0.05, seed: SEED } });
  const file = tempPath(t, 'up');
  fs.writeFileSync(file, UP);
  const served: TestConn[] = [];
  const failures: string[] = [];
  for (const addr of [P.usernet4, P.usernet6]) {
    sockets.listen(addr, 7500, (c) => {
      served.push(c);
      const work = async (): Promise<void> => {
        await c.write(DOWN);
        await c.peerFin.promise;
        await c.write(Buffer.from(`\n${c.bytesReceived} ${c.receivedSha()}\n`));
        c.shutdown();
        const err = await c.ended.promise;
        if (err !== null) failures.push(`ended with ${err}`);
      };
      work().catch((e: Error) => failures.push(e.message));
    });
  }
  for (const [family, addr] of [[4, P.usernet4], [6, P.usernet6]] as const) {
    const start = performance.now();
    const r = await ns.exec(['python3', '-c', duplexClient(family, addr, 7500, file)], { timeoutMs: 150_000 });
    const ms = performance.now() - start;
    t.is(r.code, 0, `IPv${family}: ${r.stderr}`);
    const line = Buffer.from(`\n${SIZE} ${UP_SHA}\n`);
    const expected = createHash('sha256').update(DOWN).update(line).digest('hex');
    // The kernel got DOWN then usernet's report of what it received: both directions checked.
    t.is(r.stdout.trim(), `${SIZE + line.length} ${expected}`, `IPv${family}: every byte once, in order, both ways`);
    logRate(t, `IPv${family} both ways through impair`, 2 * SIZE, ms);
    const s = served.at(-1)!.conn.stats();
    t.log(`  usernet: retransmits ${s.retransmits}, segments out ${s.segmentsOut}, in ${s.segmentsIn}, sack ${s.sack}`);
  }
  t.deepEqual(failures, []);
  const st = impaired!.stats;
  t.log(`impair send: ${JSON.stringify(st.send)}`);
  t.log(`impair receive: ${JSON.stringify(st.receive)}`);
  t.true(st.send.lost > 0 && st.receive.lost > 0 && st.send.duplicated > 0 && st.send.reordered > 0, 'the link did impair');
});
