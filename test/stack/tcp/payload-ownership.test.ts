/**
 * Who owns received payload bytes: a segment's payload is a view into the driver's frame, which
 * the engine copies before keeping — unless the link declared `framesOwnedByReceiver`, in which
 * case in-order data and out-of-order ranges are kept as views (stack/link.ts, input-text.ts).
 */
import test from 'ava';
import { Stack } from '../../../stack/stack';
import { IpAddress } from '../../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../../stack/tcp/events';
import type { TcpConnection } from '../../../stack/tcp/connection';
import { MemoryLink } from '../../../drivers/memory-link';
import { A, B, established, type Harness } from './harness';

function chunksOf(events: TcpEvent[]): Uint8Array[] {
  return events.flatMap((e) => (e.kind === 'data' ? [e.chunk] : []));
}

/** `n` bytes counting from `start`, in the middle of a larger "frame" (as a parsed payload is). */
function inFrame(n: number, start: number): { frame: Uint8Array; payload: Uint8Array } {
  const frame = new Uint8Array(54 + n + 4);
  const payload = frame.subarray(54, 54 + n);
  for (let i = 0; i < n; i++) payload[i] = (start + i) & 0xff;
  return { frame, payload };
}

function feed(h: Harness, seq: number, payload: Uint8Array, owned: boolean): void {
  h.engine.input(B, A, h.seg({ seq, payload }), h.now, owned);
  h.engine.poll(h.now);
  h.out();
}

for (const owned of [false, true]) {
  test(`in-order data from a link ${owned ? 'that gives frames away is kept as a view' : 'that owns its frames is copied'}`, (t) => {
    const h = established();
    const { frame, payload } = inFrame(100, 0);
    feed(h, h.peerNxt, payload, owned);
    const [chunk, ...rest] = chunksOf(h.events());
    t.is(rest.length, 0);
    t.deepEqual(Array.from(chunk!), Array.from(payload));
    t.is(chunk!.buffer === frame.buffer, owned);
    // A driver that owns its frames reuses them: the user's bytes must not change with it.
    frame.fill(0xee);
    t.is(chunk![0], owned ? 0xee : 0);
  });

  test(`out-of-order data from a link ${owned ? 'that gives frames away is held as a view' : 'that owns its frames is held as a copy'}; the hole fills in order`, (t) => {
    const h = established();
    const first = inFrame(100, 0);
    const second = inFrame(100, 100);
    feed(h, (h.peerNxt + 100) >>> 0, second.payload, owned);
    t.deepEqual(chunksOf(h.events()), []);
    if (!owned) second.frame.fill(0xee); // reused by the driver before the hole fills
    feed(h, h.peerNxt, first.payload, owned);
    const chunks = chunksOf(h.events());
    t.deepEqual(chunks.flatMap((c) => Array.from(c)), Array.from({ length: 200 }, (_, i) => i & 0xff));
    t.is(chunks[1]!.buffer === second.frame.buffer, owned);
  });
}

test('a segment input without saying otherwise is copied (the flag does not stick from an earlier owned one)', (t) => {
  const h = established();
  feed(h, h.peerNxt, inFrame(10, 0).payload, true);
  h.events();
  const { frame, payload } = inFrame(10, 10);
  h.engine.input(B, A, h.seg({ seq: (h.peerNxt + 10) >>> 0, payload }), h.now);
  const [chunk] = chunksOf(h.events());
  t.false(chunk!.buffer === frame.buffer);
});

for (const owned of [false, true]) {
  test(`Stack: an interface on a link ${owned ? 'with' : 'without'} framesOwnedByReceiver ${owned ? 'keeps' : 'copies'} the frame's TCP payload`, (t) => {
    const a = new Stack({ seed: 1 });
    const b = new Stack({ seed: 2 });
    const ia = a.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24' }, 0);
    const ib = b.addInterface({ mtu: 1500, linkType: 'ethernet', framesOwnedByReceiver: owned }, { ipv4: '10.0.0.2/24' }, 0);
    t.false(ia.framesOwnedByReceiver);
    t.is(ib.framesOwnedByReceiver, owned);
    const l = b.tcp.listen(IpAddress.parse('10.0.0.2')!, 80);
    if (isTcpError(l)) return t.fail(l.error);
    const c = a.tcp.connect({ remote: IpAddress.parse('10.0.0.2')!, remotePort: 80 }, 0);
    if (isTcpError(c)) return t.fail(c.error);
    const framesToB: Uint8Array[] = [];
    const eventsB: TcpEvent[] = [];
    const run = (now: number): void => {
      for (let i = 0; i < 20; i++) {
        a.poll(now);
        b.poll(now);
        for (const { frames } of a.drain()) {
          framesToB.push(...frames);
          b.input(ib, frames, now);
        }
        for (const { frames } of b.drain()) a.input(ia, frames, now);
        eventsB.push(...b.tcp.takeEvents());
      }
    };
    run(0);
    const accepted = eventsB.find((e): e is Extract<TcpEvent, { kind: 'accept' }> => e.kind === 'accept');
    t.truthy(accepted);
    (accepted!.conn as TcpConnection).readStart();
    framesToB.length = 0;
    c.send(new TextEncoder().encode('hello'));
    run(1);
    const [chunk] = chunksOf(eventsB);
    t.is(new TextDecoder().decode(chunk), 'hello');
    t.is(framesToB.some((f) => f.buffer === chunk!.buffer), owned);
  });
}

test('memory link endpoints declare their frames the receiver’s (they copy on send)', (t) => {
  const [x, y] = MemoryLink.pair();
  t.is(x.framesOwnedByReceiver, true);
  t.is(y.framesOwnedByReceiver, true);
});
