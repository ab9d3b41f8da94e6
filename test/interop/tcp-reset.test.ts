/**
 * Resets (RFC 9293 §3.5.2, §3.10.7.1) between usernet's engine and the Linux kernel over TAP:
 * connecting to a closed port fails with ECONNREFUSED both ways; an abortive close (SO_LINGER 0
 * in the kernel, `abort()` in usernet) reaches the other side as ECONNRESET. IPv4 and IPv6.
 * Needs root and /dev/net/tun; says `skipped:` and why otherwise.
 */

import test from 'ava';
import { skipUnlessTap } from '../helpers/netns';
import type { TestConn } from './tcp-adapter';
import { TAP_TEST_PLAN as P, setupTcp } from './tcp-setup';

const FAMILIES = [[4, P.usernet4, P.kernel4], [6, P.usernet6, P.kernel6]] as const;
const af = (family: 4 | 6): string => `socket.AF_INET${family === 6 ? '6' : ''}`;

test.serial('a closed port refuses: usernet → kernel and kernel → usernet (ECONNREFUSED)', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, sockets } = await setupTcp(t);
  for (const [family, usernet, kernel] of FAMILIES) {
    await t.throwsAsync(sockets.connect(kernel, 9), { message: /ECONNREFUSED/ }, `IPv${family}: usernet to a closed kernel port`);
    const script = [
      'import socket',
      `s = socket.socket(${af(family)}, socket.SOCK_STREAM)`,
      's.settimeout(5)',
      'try:',
      `    s.connect(('${usernet}', 9))`,
      "    print('connected')",
      'except ConnectionRefusedError:',
      "    print('refused')",
    ].join('\n');
    const r = await ns.exec(['python3', '-c', script]);
    t.is(r.stdout.trim(), 'refused', `IPv${family}: the kernel to a closed usernet port: ${r.stderr}`);
  }
});

test.serial('an abortive close resets the other side: kernel SO_LINGER 0 → usernet ECONNRESET; usernet abort() → kernel ECONNRESET', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const { ns, sockets } = await setupTcp(t);
  const accepted: TestConn[] = [];
  for (const [, usernet] of FAMILIES) {
    sockets.listen(usernet, 7900, (c) => {
      accepted.push(c);
      // The second message asks usernet to abort.
      c.keep = true;
      c.onData = () => {
        if (c.keptText().includes('abort')) c.conn.abort();
      };
    });
  }
  for (const [family, usernet] of FAMILIES) {
    // The kernel resets: SO_LINGER with a zero timeout makes close() send a RST.
    const lingerReset = [
      'import socket, struct, time',
      `s = socket.socket(${af(family)}, socket.SOCK_STREAM)`,
      `s.connect(('${usernet}', 7900))`,
      "s.sendall(b'hello')",
      'time.sleep(0.2)',
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
      's.close()',
    ].join('\n');
    const r1 = await ns.exec(['python3', '-c', lingerReset]);
    t.is(r1.code, 0, r1.stderr);
    const first = accepted.at(-1)!;
    t.is(await first.ended.promise, 'ECONNRESET', `IPv${family}: usernet saw the kernel's RST`);
    t.is(first.keptText(), 'hello');

    // usernet resets: the kernel's blocked recv fails with ECONNRESET.
    const waitReset = [
      'import socket',
      `s = socket.socket(${af(family)}, socket.SOCK_STREAM)`,
      's.settimeout(5)',
      `s.connect(('${usernet}', 7900))`,
      "s.sendall(b'please abort')",
      'try:',
      '    d = s.recv(100)',
      "    print('eof' if not d else 'data')",
      'except ConnectionResetError:',
      "    print('reset')",
    ].join('\n');
    const r2 = await ns.exec(['python3', '-c', waitReset]);
    t.is(r2.stdout.trim(), 'reset', `IPv${family}: the kernel saw usernet's RST: ${r2.stderr}`);
    t.is(accepted.at(-1)!.conn.state, 'CLOSED');
  }
});
