/**
 * The stack input-path fuzzer inside `make test`: a bounded campaign (FUZZ_SEED /
 * FUZZ_STACK_ITERATIONS override it) with hostile frames between good ones into both ends of an
 * IPv4 and an IPv6 connection; afterwards the connections still carry data and close cleanly.
 */
import test from 'ava';
import { FuzzFailure, hex } from './campaign';
import { runStackCampaign } from './stack-campaign';
import { FuzzNet, patternByte } from './stack-net';
import { verdict, stackAddresses } from './forgery';
import { fixChecksums, layoutOf } from './layout';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261125);
const ITERATIONS = Number(process.env['FUZZ_STACK_ITERATIONS'] ?? 1500);

test('hostile frames between good ones: no exception, every byte once and in order, clean close, bounded memory', (t) => {
  try {
    const r = runStackCampaign({ seed: SEED, iterations: ITERATIONS });
    t.is(r.iterations, ITERATIONS);
    t.true(r.injected > ITERATIONS, `only ${r.injected} hostile frames`);
    t.true(r.bytesDelivered > 1_000_000, `only ${r.bytesDelivered} bytes delivered`);
    // The hostility reached deep: listeners (strangers' SYNs), control blocks, and every layer's checks.
    t.true((r.drops['engine:state:SYN-RECEIVED'] ?? 0) > 0, 'no hostile SYN reached a listener');
    t.true((r.drops['tcp:tcp-bad-option'] ?? 0) > 0 && (r.drops['ipv4:ipv4-bad-checksum'] ?? 0) > 0 && (r.drops['eth:eth-truncated'] ?? 0) > 0);
    t.log(`seed ${SEED}: ${r.injected} hostile frames, ${r.bytesDelivered} bytes, heap growth ${r.heapGrowthBytes} B, skipped ${JSON.stringify(r.skipped)}`);
  } catch (e) {
    if (!(e instanceof FuzzFailure)) throw e;
    t.fail(`${e.message}\nframe ${hex(e.input)}\nreplay: make fuzz SEED=${SEED} TARGET=stack ITERATIONS=${ITERATIONS}`);
  }
});

test('the checker sees a corrupted byte, and a forged in-window segment is recognised as such', (t) => {
  const n = new FuzzNet();
  const s = n.streams[0]!;
  t.is(patternByte(0, 5) === patternByte(0, 6), false);
  // Deliver a wrong byte as if the stack had: the stream checker must complain.
  const wrong = Uint8Array.of(patternByte(s.id, 0) ^ 1);
  (n as unknown as { event(side: string, e: unknown): void }).event('b', { kind: 'data', conn: s.receiver, chunk: wrong });
  t.regex(n.problems.join(), /byte 0 is/);
  // A data segment a sent to b, already delivered: as a duplicate it is old, so injectable.
  s.sender!.send(Uint8Array.of(patternByte(s.id, 0), patternByte(s.id, 1)));
  n.run(n.now + 1, undefined);
  const owned = stackAddresses(n.stacks);
  const data = n.recent.find((f) => {
    const l = layoutOf(f);
    return f[6] === n.ia.mac![0] && f[11] === n.ia.mac![5] && l.protocol === 6 && l.end - l.l4 > 32 + 2 - 1 && l.version === 4;
  });
  if (data === undefined) return t.fail('no data segment on the wire');
  t.is(verdict(data, n.b, owned), 'inject');
  // The same segment moved to RCV.NXT would be accepted as new bytes: a forgery, never injected.
  const l = layoutOf(data);
  const forged = Uint8Array.from(data);
  const rcvNxt = s.receiver!.rcvNxt;
  for (let i = 0; i < 4; i++) forged[l.l4 + 4 + i] = (rcvNxt >>> (24 - 8 * i)) & 0xff;
  fixChecksums(forged);
  t.is(verdict(forged, n.b, owned), 'forged-segment');
});
