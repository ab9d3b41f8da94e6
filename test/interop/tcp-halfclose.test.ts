/**
 * Half-close (RFC 9293 §3.6) between usernet's engine and the Linux kernel over TAP, both ways:
 * `nc -N` half-closes toward a usernet listener, which answers in CLOSE-WAIT with a digest of
 * what it got and 1 MiB more before its own FIN; and usernet half-closes toward a python3 server
 * in the namespace, then receives the server's 1 MiB answer in FIN-WAIT-2 and ends in TIME-WAIT.
 * IPv4 and IPv6. Needs root and /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import { skipUnlessTap } from '../helpers/netns';
import type { TcpState } from '../../stack/tcp/state';
import type { TcpConnection } from '../../stack/tcp/engine';
import { pythonHashingServerStart } from './python-peers';
import { TAP_TEST_PLAN as P, setupTcp, tempPath } from './tcp-setup';

const REQUEST = randomBytes(300 * 1024);
const REQUEST_SHA = createHash('sha256').update(REQUEST).digest('hex');
const REPLY = randomBytes(1024 * 1024);

const sha = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

test.serial('nc -N half-closes toward usernet; usernet keeps sending in CLOSE-WAIT, then closes (IPv4 and IPv6)', async (t) => {
  if (skipUnlessTap(t, ['nc', 'bash', 'sha256sum'])) return;
  const { ns, sockets } = await setupTcp(t);
  const file = tempPath(t, 'request');
  fs.writeFileSync(file, REQUEST);
  interface Served { stateAtFin: TcpState | undefined; ended: Promise<string | null>; conn: TcpConnection }
  const seen: Served[] = [];
  for (const addr of [P.usernet4, P.usernet6]) {
    sockets.listen(addr, 7100, (c) => {
      const rec: Served = { stateAtFin: undefined, ended: c.ended.promise, conn: c.conn };
      seen.push(rec);
      void c.peerFin.promise.then(async () => {
        rec.stateAtFin = c.conn.state;
        // The peer sent its FIN; our direction is still open: answer, then our own FIN.
        await c.write(Buffer.from(`${c.bytesReceived} ${c.receivedSha()}\n`));
        await c.write(REPLY);
        c.shutdown();
      });
    });
  }
  const line = Buffer.from(`${REQUEST.length} ${REQUEST_SHA}\n`);
  for (const [i, host] of [P.usernet4, P.usernet6].entries()) {
    const r = await ns.exec(['bash', '-o', 'pipefail', '-c', `nc -N -w 10 ${host} 7100 < ${file} | sha256sum`], { timeoutMs: 20_000 });
    t.is(r.code, 0, `${host}: ${r.stderr}`);
    t.is(r.stdout.split(' ')[0], sha(line, REPLY), `${host}: nc got the digest of its request and all of the reply`);
    const s = seen[i]!;
    t.is(await s.ended, null, 'the connection ended without error');
    t.is(s.stateAtFin, 'CLOSE-WAIT', 'the FIN from nc put usernet in CLOSE-WAIT');
    t.is(s.conn.state, 'CLOSED', 'LAST-ACK ended when the kernel acknowledged our FIN');
  }
});

/** A python3 server: reads to EOF, waits a little, answers 1 MiB and a digest line, closes. */
function halfCloseServer(family: 4 | 6, port: number, replyFile: string): string {
  return [
    ...pythonHashingServerStart(family, port, '65536', ['time']),
    // Let usernet sit in FIN-WAIT-2 (its FIN acknowledged) before the answer starts.
    'time.sleep(0.3)',
    `with open('${replyFile}', 'rb') as f: c.sendall(f.read())`,
    "c.sendall(f'{n} {h.hexdigest()}\\n'.encode())",
    'c.shutdown(socket.SHUT_WR)',
    'c.close()',
  ].join('\n');
}

test.serial('usernet half-closes toward a kernel server and receives its answer in FIN-WAIT-2 (IPv4 and IPv6)', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, sockets } = await setupTcp(t);
  const replyFile = tempPath(t, 'reply');
  fs.writeFileSync(replyFile, REPLY);
  for (const [family, addr, port] of [[4, P.kernel4, 7204], [6, P.kernel6, 7206]] as const) {
    const server = ns.spawn(['python3', '-c', halfCloseServer(family, port, replyFile)]);
    await server.waitForOutput(/listening/);
    const c = await sockets.connect(addr, port);
    c.keep = true;
    const statesAtData = new Set<TcpState>();
    c.onData = () => statesAtData.add(c.conn.state);
    await c.write(REQUEST);
    c.shutdown();
    t.is(c.conn.state, 'FIN-WAIT-1');
    await c.peerFin.promise;
    // Events are seen after the batch they came in, so the last data may show the FIN's effect.
    t.is([...statesAtData][0], 'FIN-WAIT-2', `IPv${family}: the answer arrived after our FIN was acknowledged`);
    t.true([...statesAtData].every((s) => s === 'FIN-WAIT-2' || s === 'TIME-WAIT'), [...statesAtData].join(' '));
    t.is(c.conn.state, 'TIME-WAIT');
    const got = Buffer.concat(c.kept);
    t.is(got.length, REPLY.length + 1 + `${REQUEST.length} ${REQUEST_SHA}`.length);
    t.true(got.subarray(0, REPLY.length).equals(REPLY), `IPv${family}: the 1 MiB answer arrived intact`);
    t.is(got.subarray(REPLY.length).toString(), `${REQUEST.length} ${REQUEST_SHA}\n`, `IPv${family}: the kernel got our request before our FIN`);
    const exit = await server.wait();
    t.is(exit.code, 0, exit.stderr);
    c.close();
  }
});
