/**
 * Bulk TCP between usernet's engine and the Linux kernel over TAP in a namespace: `curl`
 * downloads 50 MiB from a minimal HTTP responder on usernet (IPv4 and IPv6) and the SHA-256
 * matches; usernet connects to a python3 server in the namespace and uploads 50 MiB (IPv4 and
 * IPv6), whose SHA-256 the server reports back; and a python3 client in the namespace sends 50
 * MiB to a usernet listener (IPv4 and IPv6), whose SHA-256 usernet reports back. Timings go to the test log. Needs root and
 * /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import { skipUnlessTap } from '../helpers/netns';
import { pythonFileSender, pythonHashingServerStart } from './python-peers';
import { serveHttp } from './tcp-responder';
import type { TestConn } from './tcp-adapter';
import { TAP_TEST_PLAN as P, logRate, setupTcp, tempPath } from './tcp-setup';

const SIZE = 50 * 1024 * 1024;
const BODY = randomBytes(SIZE);
const BODY_SHA = createHash('sha256').update(BODY).digest('hex');
/** Generous: a 50 MiB transfer should take a few seconds; beyond this something is wrong. */
const TRANSFER_TIMEOUT_MS = 120_000;

test.serial('curl downloads 50 MiB from an HTTP responder on usernet (IPv4 and IPv6), SHA-256 equal', async (t) => {
  t.timeout(4 * TRANSFER_TIMEOUT_MS);
  if (skipUnlessTap(t, ['curl', 'sha256sum', 'bash'])) return;
  const { ns, sockets } = await setupTcp(t);
  const responders = [serveHttp(sockets, P.usernet4, 8080, BODY), serveHttp(sockets, P.usernet6, 8080, BODY)];
  for (const [url, family, responder] of [
    [`http://${P.usernet4}:8080/big`, 'IPv4', responders[0]!],
    [`http://[${P.usernet6}]:8080/big`, 'IPv6', responders[1]!],
  ] as const) {
    const done = responder.nextDone();
    const start = performance.now();
    const r = await ns.exec(['bash', '-o', 'pipefail', '-c', `curl -sS --max-time ${TRANSFER_TIMEOUT_MS / 1000} ${url} | sha256sum`], {
      timeoutMs: TRANSFER_TIMEOUT_MS + 5000,
    });
    const ms = performance.now() - start;
    t.is(r.code, 0, `${family}: ${r.stderr}`);
    t.is(r.stdout.split(' ')[0], BODY_SHA, `${family}: the body curl received hashes the same`);
    logRate(t, `download ${family} (curl ← usernet)`, SIZE, ms);
    await done;
    t.deepEqual(responder.failures, [], `${family}: the responder saw no failure`);
  }
});

/** A python3 sink: accepts one connection, reads to EOF, answers `<bytes> <sha256>\n`, closes. */
function sinkScript(family: 4 | 6, port: number): string {
  return [
    ...pythonHashingServerStart(family, port, '1 << 20'),
    "c.sendall(f'{n} {h.hexdigest()}\\n'.encode())",
    'c.close()',
    "print(n, h.hexdigest(), flush=True)",
  ].join('\n');
}

test.serial('usernet uploads 50 MiB to a kernel server in the namespace (IPv4 and IPv6), SHA-256 equal', async (t) => {
  t.timeout(4 * TRANSFER_TIMEOUT_MS);
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, sockets } = await setupTcp(t);
  for (const [family, addr, port] of [[4, P.kernel4, 9004], [6, P.kernel6, 9006]] as const) {
    const sink = ns.spawn(['python3', '-c', sinkScript(family, port)]);
    await sink.waitForOutput(/listening/);
    const start = performance.now();
    const c = await sockets.connect(addr, port);
    c.keep = true;
    await c.write(BODY);
    c.shutdown();
    await c.peerFin.promise;
    const ms = performance.now() - start;
    t.is(c.keptText(), `${SIZE} ${BODY_SHA}\n`, `IPv${family}: the kernel received every byte once, in order`);
    t.is(c.conn.state, 'TIME-WAIT', 'we closed first, so we wait');
    t.is(c.conn.stats().bytesAcked, SIZE, 'every byte acknowledged');
    logRate(t, `upload IPv${family} (usernet → kernel)`, SIZE, ms);
    t.log(`  retransmits ${c.conn.stats().retransmits}, cwnd ${c.conn.stats().cwnd}, srtt ${c.conn.stats().srtt?.toFixed(2)} ms`);
    const exit = await sink.wait();
    t.is(exit.code, 0, exit.stderr);
    c.close();
  }
});

test.serial('the kernel sends 50 MiB to a usernet listener (IPv4 and IPv6), SHA-256 equal', async (t) => {
  t.timeout(4 * TRANSFER_TIMEOUT_MS);
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, sockets } = await setupTcp(t);
  const file = tempPath(t, 'body');
  fs.writeFileSync(file, BODY);
  const received: TestConn[] = [];
  for (const addr of [P.usernet4, P.usernet6]) {
    sockets.listen(addr, 9100, (c) => {
      received.push(c);
      void c.peerFin.promise.then(async () => {
        await c.write(Buffer.from(`${c.bytesReceived} ${c.receivedSha()}\n`));
        c.close();
      });
    });
  }
  for (const [family, addr] of [[4, P.usernet4], [6, P.usernet6]] as const) {
    const start = performance.now();
    const r = await ns.exec(['python3', '-c', pythonFileSender({ family, addr, port: 9100, file })], { timeoutMs: TRANSFER_TIMEOUT_MS });
    const ms = performance.now() - start;
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${SIZE} ${BODY_SHA}\n`, `IPv${family}: usernet received every byte once, in order`);
    logRate(t, `receive IPv${family} (kernel → usernet)`, SIZE, ms);
    const s = received.at(-1)!.conn.stats();
    t.log(`  usernet advertised ${s.rcvWnd} bytes (wscale ${s.rcvWscale}), segments in ${s.segmentsIn}`);
  }
});
