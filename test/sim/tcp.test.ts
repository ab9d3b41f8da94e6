/**
 * The public Stack (runtime + core + TCP engine) on a SimulatedClock: a bulk transfer over a
 * seeded lossy, reordering link arrives intact, and the same seed replays the same run.
 */
import test from 'ava';
import { Stack } from '../../src/stack';
import { MemoryLink } from '../../drivers/memory-link';
import { impair } from '../../drivers/impair';
import { SimulatedClock } from '../../drivers/scheduler';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError } from '../../stack/tcp/events';
import type { TcpConnection } from '../../stack/tcp/connection';

async function transfer(seed: number, family: 4 | 6, bytes: number): Promise<{ received: Uint8Array; at: number; counters: unknown }> {
  const clock = new SimulatedClock();
  const [la, lb] = MemoryLink.pair({ scheduler: clock, latencyMs: 5 });
  const a = new Stack({ seed: 1, scheduler: clock });
  const b = new Stack({ seed: 2, scheduler: clock });
  a.addInterface(impair(la, { loss: 0.02, reorder: 0.05, seed, scheduler: clock }), { ipv4: '10.1.0.1/24', ipv6: 'fd01::1/64' });
  b.addInterface(lb, { ipv4: '10.1.0.2/24', ipv6: 'fd01::2/64' });
  clock.advance(2000);
  const server = IpAddress.parse(family === 4 ? '10.1.0.2' : 'fd01::2')!;
  const l = b.tcp.listen(server, 9000);
  if (isTcpError(l)) throw new Error(l.error);
  const c = a.tcp.connect({ remote: server, remotePort: 9000 });
  if (isTcpError(c)) throw new Error(c.error);
  a.wake();
  const data = Uint8Array.from({ length: bytes }, (_, i) => (i * 31) & 0xff);
  let sent = 0;
  const chunks: Uint8Array[] = [];
  let got = 0;
  let doneAt = -1;
  let sconn: TcpConnection | null = null;
  for (let step = 0; step < 200_000 && doneAt < 0; step++) {
    clock.advance(1);
    for (const e of b.tcp.takeEvents()) {
      if (e.kind === 'accept') {
        sconn = e.conn;
        sconn.readStart();
      } else if (e.kind === 'data') {
        chunks.push(e.chunk);
        got += e.chunk.length;
        if (got === bytes) doneAt = clock.now();
      }
    }
    for (const e of a.tcp.takeEvents()) {
      if (e.kind === 'established' || e.kind === 'writable' || e.kind === 'drained') {
        while (sent < bytes) {
          const n = c.send(data.subarray(sent, Math.min(bytes, sent + 16384)));
          if (typeof n !== 'number' || n === 0) break;
          sent += n;
        }
        a.wake();
      }
    }
    if (sconn !== null) b.wake();
  }
  const received = new Uint8Array(got);
  let o = 0;
  for (const ch of chunks) {
    received.set(ch, o);
    o += ch.length;
  }
  const counters = { a: a.counters(), b: b.counters() };
  await Promise.all([a.close(), b.close()]);
  return { received, at: doneAt, counters };
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: 300 kB over a lossy link arrive intact, deterministically`, async (t) => {
    const r1 = await transfer(3, family, 300_000);
    t.is(r1.received.length, 300_000);
    t.true(r1.received.every((x, i) => x === ((i * 31) & 0xff)));
    t.log(`done at ${r1.at} ms simulated`);
    const r2 = await transfer(3, family, 300_000);
    t.is(r2.at, r1.at);
    t.deepEqual(r2.counters, r1.counters);
  });
}
