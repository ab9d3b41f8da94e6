/**
 * Test helper: two Stacks joined by an in-test "wire" (frames drained from one are input to the
 * other), run on a plain number as the clock. No drivers, so these tests exercise only `stack/`.
 */

import { Stack, type InterfaceOptions, type NetInterface } from '../../stack/stack';

export interface Pair {
  a: Stack;
  b: Stack;
  ia: NetInterface;
  ib: NetInterface;
  now: number;
  /** Frames seen on the wire, in order, with their direction. */
  wire: Array<{ from: 'a' | 'b'; frame: Uint8Array }>;
  /** Moves frames and fires timers until quiet or `untilMs` passes. */
  run(untilMs?: number): void;
}

export function pair(oa: InterfaceOptions, ob: InterfaceOptions, mtu = 1500): Pair {
  const a = new Stack({ seed: 1 });
  const b = new Stack({ seed: 2 });
  const link = { mtu, linkType: 'ethernet' as const };
  const p: Pair = {
    a,
    b,
    ia: a.addInterface(link, oa, 0),
    ib: b.addInterface(link, ob, 0),
    now: 0,
    wire: [],
    run(untilMs = p.now + 10_000) {
      for (let steps = 0; steps < 100_000; steps++) {
        a.poll(p.now);
        b.poll(p.now);
        let moved = false;
        for (const { frames } of a.drain()) {
          moved = true;
          for (const f of frames) p.wire.push({ from: 'a', frame: f });
          b.input(p.ib, frames, p.now);
        }
        for (const { frames } of b.drain()) {
          moved = true;
          for (const f of frames) p.wire.push({ from: 'b', frame: f });
          a.input(p.ia, frames, p.now);
        }
        if (moved) continue;
        const next = Math.min(a.nextDeadline(), b.nextDeadline());
        if (next > untilMs) {
          p.now = untilMs;
          return;
        }
        p.now = Math.max(p.now, next);
      }
      throw new Error('pair: still busy after 100000 steps');
    },
  };
  return p;
}
