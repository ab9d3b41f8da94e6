/**
 * A seeded sweep: many links (loss 0–10 %, jitter that reorders, small and large buffers), each
 * moving data both ways at once and closing; every byte must arrive exactly once, in order, and
 * both engines must end empty. A failure names its seed, which alone replays it.
 */
import test from 'ava';
import type { TcpConnection } from '../../../stack/tcp/connection';
import { isTcpError, type TcpEvent } from '../../../stack/tcp/events';
import { B, bytes, prng } from './harness';
import { Pair } from './pair';

function collected(events: TcpEvent[], conn: TcpConnection): number[] {
  const out: number[] = [];
  for (const e of events) if (e.kind === 'data' && e.conn === conn) for (const b of e.chunk) out.push(b);
  return out;
}

const SEEDS = Array.from({ length: 12 }, (_, i) => 100 + i);

for (const seed of SEEDS) {
  test(`seed ${seed}: data both ways arrives exactly once and both sides close`, (t) => {
    const r = prng(seed);
    const loss = (r() % 11) / 100;
    const jitter = r() % 6;
    const buf = [8192, 65536, 262144][r() % 3]!;
    const p = new Pair({ delayMs: 1 + (r() % 20), jitterMs: jitter, loss, seed }, {
      connection: { sendBufferSize: buf, receiveBufferSize: buf, noDelay: r() % 2 === 0, userTimeoutMs: 0, keepAlive: { enable: false, idleMs: 1, intervalMs: 1, count: 1 } },
      maxRetransmits: 30,
    });
    t.log(`loss ${loss} jitter ${jitter} buffer ${buf}`);
    const l = p.b.listen(B, 80);
    if (isTcpError(l)) return t.fail(l.error);
    const c = p.a.connect({ remote: B, remotePort: 80 }, 0);
    if (isTcpError(c)) return t.fail(c.error);
    const up = bytes(120_000, seed);
    const down = bytes(90_000, seed + 1);
    const st = { up: 0, down: 0 };
    let s: TcpConnection | undefined;
    const ok = p.run(() => {
      const acc = p.eventsB.find((e) => e.kind === 'accept');
      s = acc?.kind === 'accept' ? acc.conn : undefined;
      for (; st.up < up.length; ) {
        const n = c.send(up.subarray(st.up, st.up + 10_000));
        if (isTcpError(n) || n === 0) break;
        st.up += n;
      }
      if (st.up === up.length) c.shutdown();
      if (s !== undefined) {
        for (; st.down < down.length; ) {
          const n = s.send(down.subarray(st.down, st.down + 7_000));
          if (isTcpError(n) || n === 0) break;
          st.down += n;
        }
        if (st.down === down.length) s.shutdown();
      }
      return c.state === 'CLOSED' || (c.state === 'TIME-WAIT' && s?.state === 'CLOSED');
    }, 24 * 3600_000);
    t.true(ok, `seed ${seed}: stuck; client ${c.state}, server ${s?.state}`);
    t.deepEqual(collected(p.eventsB, s!), [...up], `seed ${seed}`);
    t.deepEqual(collected(p.eventsA, c), [...down], `seed ${seed}`);
    t.false(p.eventsA.some((e) => e.kind === 'error') || p.eventsB.some((e) => e.kind === 'error'), `seed ${seed}`);
    p.run(() => p.a.allConnections().length === 0 && p.b.allConnections().length === 0, 24 * 3600_000);
    t.is(p.a.allConnections().length + p.b.allConnections().length, 0);
  });
}
