/**
 * Two usernet stacks in one process, joined by a memory link: a `net` server on one, a client on
 * the other, every segment crossing usernet's own TCP. Run: npx ts-node examples/two-stacks.ts
 */
import { MemoryLink, Stack } from '../src/index';

export async function twoStacks(): Promise<string> {
  const [a, b] = MemoryLink.pair();
  const server = new Stack();
  const client = new Stack();
  server.addInterface(a, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' });
  client.addInterface(b, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });

  // stack.net is a drop-in for Node's `net`.
  const echo = server.net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(7, resolve));

  const reply = await new Promise<string>((resolve, reject) => {
    const socket = client.net.connect(7, '10.0.0.1', () => socket.end('hello over usernet'));
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text)).on('error', reject);
  });
  echo.close();
  await Promise.all([server.close(), client.close()]);
  return reply;
}

if (require.main === module) {
  twoStacks().then((r) => console.log(r), (e) => { console.error(e); process.exitCode = 1; });
}
