/**
 * `handOverBuffer`: a writer that gives a buffer up for good (the relay forwarding a host
 * socket's chunk) has it kept without a copy; every other write is copied, so a writer may reuse
 * its buffer once the write callback ran, as with Node's kernel sockets.
 */

import test from 'ava';
import { handOverBuffer } from '../../src/net/socket-write';
import { listening, twoStacks } from './helpers';

/** Writes `buf`, scribbles over it once the write callback ran, and returns what the peer read. */
async function writeThenScribble(handOver: boolean): Promise<string> {
  const topo = twoStacks();
  try {
    let received = '';
    const done = new Promise<void>((resolve) => {
      const server = topo.serverNet.createServer((s) => {
        s.setEncoding('latin1');
        s.on('data', (d: string) => (received += d));
        s.on('end', () => {
          server.close();
          resolve();
        });
      });
      void listening(server, 0).then((port) => {
        const c = topo.clientNet.connect(port, topo.serverHost);
        c.on('connect', () => {
          const buf = Buffer.from('original bytes');
          if (handOver) handOverBuffer(buf);
          c.write(buf, () => {
            buf.fill('x'.charCodeAt(0));
            c.end();
          });
        });
      });
    });
    await done;
    return received;
  } finally {
    await topo.close();
  }
}

test('a written buffer is copied: scribbling on it after the callback changes nothing the peer reads', async (t) => {
  t.is(await writeThenScribble(false), 'original bytes');
});

test('a handed-over buffer is kept as it is: the transport owns it, no copy is made', async (t) => {
  // Scribbling after handing over breaks the promise made; here it shows the bytes were not copied.
  t.is(await writeThenScribble(true), 'xxxxxxxxxxxxxx');
});
