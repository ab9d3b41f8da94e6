/**
 * Two usernet engines back to back over a simulated, seeded, lossy and reordering link: bulk
 * transfer arrives exactly once and in order, half-close works in both directions with data still
 * flowing the other way, and the connection closes cleanly through TIME-WAIT.
 */
import test from 'ava';
import type { TcpConnection } from '../../../stack/tcp/connection';
import { isTcpError } from '../../../stack/tcp/events';
import { A, B, bytes } from './harness';
import { Pair } from './pair';

function received(events: import('../../../stack/tcp/events').TcpEvent[], conn: TcpConnection): Uint8Array[] {
  return events.flatMap((e) => (e.kind === 'data' && e.conn === conn ? [e.chunk] : []));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Opens A → B:80 and returns both ends. */
function open(p: Pair): { client: TcpConnection; server: () => TcpConnection | undefined } {
  const l = p.b.listen(B, 80);
  if (isTcpError(l)) throw new Error(l.error);
  const c = p.a.connect({ remote: B, remotePort: 80 }, p.now);
  if (isTcpError(c)) throw new Error(c.error);
  const server = (): TcpConnection | undefined => {
    const ev = p.eventsB.find((e) => e.kind === 'accept');
    return ev?.kind === 'accept' ? ev.conn : undefined;
  };
  return { client: c, server };
}

/** Feeds `data` into `conn` as the send buffer allows, from inside the simulation loop. */
function pump(conn: TcpConnection, data: Uint8Array, state: { off: number }): void {
  while (state.off < data.length) {
    const r = conn.send(data.subarray(state.off, Math.min(data.length, state.off + 65536)));
    if (isTcpError(r) || r === 0) return;
    state.off += r;
  }
}

const cases = [
  { name: 'clean link', delayMs: 5, jitterMs: 0, loss: 0, seed: 1 },
  { name: '2% loss', delayMs: 5, jitterMs: 0, loss: 0.02, seed: 2 },
  { name: 'reordering (jitter 4 ms) and 1% loss', delayMs: 5, jitterMs: 4, loss: 0.01, seed: 3 },
  { name: '5% loss, heavy jitter', delayMs: 10, jitterMs: 8, loss: 0.05, seed: 4 },
];

for (const link of cases) {
  test(`1 MB A→B arrives exactly once, in order: ${link.name} (seed ${link.seed})`, (t) => {
    const p = new Pair(link);
    const { client, server } = open(p);
    const data = bytes(1 << 20, 3);
    for (let i = 0; i < data.length; i += 4099) data[i] = (i * 7) & 0xff;
    const st = { off: 0 };
    const ok = p.run(() => {
      pump(client, data, st);
      const s = server();
      if (s === undefined) return false;
      if (st.off === data.length) client.shutdown();
      return p.eventsB.some((e) => e.kind === 'peer-fin' && e.conn === s);
    }, 3_600_000);
    t.true(ok, `stalled at ${st.off} bytes; ${client.stats().state}`);
    const s = server()!;
    const got = concat(received(p.eventsB, s));
    t.is(got.length, data.length);
    t.true(equalBytes(got, data));
    t.is(s.stats().bytesReceived, data.length);
    t.log(`${link.name}: ${p.now.toFixed(0)} ms simulated, ${p.delivered} delivered, ${p.lost} lost, ` +
      `${client.stats().retransmits} retransmits, cwnd ${client.stats().cwnd}`);
    // Close the other direction too; both sides end (A through TIME-WAIT).
    s.shutdown();
    t.true(p.run(() => client.state === 'TIME-WAIT' && s.state === 'CLOSED', 3_600_000));
    t.true(p.run(() => client.state === 'CLOSED', 3_600_000));
    t.is(p.a.allConnections().length, 0);
    t.is(p.b.allConnections().length, 0);
  });
}

test('half-close in both directions with data still flowing the other way', (t) => {
  const p = new Pair({ delayMs: 3, jitterMs: 2, loss: 0.02, seed: 9 });
  const { client, server } = open(p);
  t.true(p.run(() => server() !== undefined));
  const s = server()!;
  // A sends a request and closes its sending side; B keeps streaming 200 KB back.
  client.send(bytes(1000));
  client.shutdown();
  const reply = bytes(200_000, 11);
  const st = { off: 0 };
  t.true(p.run(() => {
    pump(s, reply, st);
    return p.eventsB.some((e) => e.kind === 'peer-fin') && st.off === reply.length && client.state === 'FIN-WAIT-2';
  }));
  t.is(client.state, 'FIN-WAIT-2');
  t.is(s.state, 'CLOSE-WAIT');
  s.shutdown();
  t.true(p.run(() => p.eventsA.some((e) => e.kind === 'peer-fin')));
  t.true(equalBytes(concat(received(p.eventsA, client)), reply));
  t.true(equalBytes(concat(received(p.eventsB, s)), bytes(1000)));
  // And the mirror image: B half-closes first while A keeps sending.
  const q = new Pair({ delayMs: 3, jitterMs: 2, loss: 0.02, seed: 10 });
  const o = open(q);
  t.true(q.run(() => o.server() !== undefined));
  const s2 = o.server()!;
  s2.shutdown();
  t.true(q.run(() => q.eventsA.some((e) => e.kind === 'peer-fin')));
  const up = bytes(100_000, 5);
  const st2 = { off: 0 };
  t.true(q.run(() => {
    pump(o.client, up, st2);
    return concat(received(q.eventsB, s2)).length === up.length;
  }));
  t.true(equalBytes(concat(received(q.eventsB, s2)), up));
  o.client.shutdown();
  t.true(q.run(() => o.client.state === 'CLOSED' && s2.state === 'CLOSED', 3_600_000));
});

test('simultaneous open between two engines', (t) => {
  const p = new Pair({ delayMs: 5, jitterMs: 0, loss: 0, seed: 5 });
  const a = p.a.connect({ remote: B, remotePort: 6000, localPort: 7000 }, 0);
  const b = p.b.connect({ remote: A, remotePort: 7000, localPort: 6000 }, 0);
  if (isTcpError(a) || isTcpError(b)) return t.fail();
  t.true(p.run(() => a.state === 'ESTABLISHED' && b.state === 'ESTABLISHED', 10_000));
  a.shutdown();
  b.shutdown();
  t.true(p.run(() => a.state === 'TIME-WAIT' && b.state === 'TIME-WAIT', 10_000));
  t.is(p.a.counter('state:CLOSING'), 1);
});

test('a reader that stops reading throttles the sender through the window, without loss', (t) => {
  const p = new Pair({ delayMs: 2, jitterMs: 0, loss: 0, seed: 6 });
  const { client, server } = open(p);
  t.true(p.run(() => server() !== undefined));
  const s = server()!;
  s.readStop();
  const data = bytes(600_000, 1);
  const st = { off: 0 };
  p.run(() => {
    pump(client, data, st);
    return false;
  }, 5_000);
  // The receive buffer (256 KiB) is full and the sender is stalled, probing the zero window.
  t.is(s.stats().receiveQueued, 256 * 1024);
  t.true(st.off < data.length);
  s.readStart();
  t.true(p.run(() => {
    pump(client, data, st);
    return concat(received(p.eventsB, s)).length === data.length;
  }));
  t.true(equalBytes(concat(received(p.eventsB, s)), data));
});
