/**
 * Simulation sweeps in `make test`: a few hundred seeded random scenarios (stacks on a switch,
 * impairment, a simulated clock) must keep every invariant of src/sim/scenario.ts; the
 * loss × buffer-size table is kept as a snapshot (`npx ava test/sim/sweep.test.ts -u` after a
 * deliberate behaviour change, and review the diff of snapshots/sweep.test.ts.md).
 * SIM_SEEDS / SIM_FROM override the seed range.
 */
import test from 'ava';
import { Flow, patternByte, randomScenario, runScenario } from '../../src/sim';
import type { TcpConnection } from '../../stack/tcp/connection';
import { replayCommand } from './sweep-soak';
import { sweepTable } from './sweep-table';

const SEEDS = Number(process.env['SIM_SEEDS'] ?? 300);
const FROM = Number(process.env['SIM_FROM'] ?? 1);

test(`${SEEDS} random scenarios keep every invariant (both ends write)`, (t) => {
  const failures: string[] = [];
  let flows = 0;
  let failedWithError = 0;
  for (let seed = FROM; seed < FROM + SEEDS; seed++) {
    const r = runScenario(randomScenario(seed, { bidirectional: true }));
    flows += r.flows.length;
    failedWithError += r.flows.filter((f) => f.outcome === 'failed').length;
    if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations.join('; ')}\n  replay: ${replayCommand(seed, false)}`);
  }
  t.log(`${SEEDS} seeds, ${flows} flows, ${failedWithError} failed with an error loss explains`);
  t.deepEqual(failures, []);
});

// RFC 9293 §3.7.1: data segments leave room for the SACK blocks sent with them. Before that
// fix, reordering from jitter made SACK-carrying data segments exceed the MTU with DF set, and
// the same oversized segment was retried until ETIMEDOUT on a link that loses nothing.
test('both ends writing at once over a jittery, loss-free link: every flow completes', (t) => {
  const r = runScenario({ seed: 2, bufferSize: 4096, impair: { delay: 2, jitter: 5 }, flows: [{ bytes: 30_000, reverseBytes: 30_000 }] });
  t.deepEqual(r.violations, []);
  t.is(r.flows[0]!.outcome, 'complete');
});

test('clean links, every buffer size, both families: nothing is retransmitted', (t) => {
  for (const bufferSize of [1024, 2048, 4096, 16384, 65536]) {
    for (const family of [4, 6] as const) {
      const r = runScenario({ seed: bufferSize, family, bufferSize, latencyMs: 3, flows: [{ bytes: 100_000, reverseBytes: 100 }, { from: 1, to: 0, bytes: 33_333 }] });
      t.deepEqual(r.violations, [], `buffer ${bufferSize}, IPv${family}`);
    }
  }
});

test('loss × buffer size sweep (snapshot)', (t) => {
  const { table, violations } = sweepTable();
  t.log(`\n${table}`);
  t.deepEqual(violations, []);
  t.snapshot(table);
});

test('the same seed replays the same run; another seed does not', (t) => {
  const a = runScenario(randomScenario(42));
  const b = runScenario(randomScenario(42));
  const c = runScenario(randomScenario(43));
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
});

test('scenarios with three stacks and IPv6 flows run both ways on a clean link', (t) => {
  const r = runScenario({ seed: 9, stacks: 3, family: 6, flows: [{ from: 0, to: 2, bytes: 50_000, reverseBytes: 10 }, { from: 1, to: 0, bytes: 1, reverseBytes: 20_000 }] });
  t.deepEqual(r.violations, []);
  t.deepEqual(r.flows.map((f) => [f.outcome, f.delivered, f.deliveredBack]), [['complete', 50_000, 10], ['complete', 1, 20_000]]);
});

test('a heavy-loss flow fails with ETIMEDOUT, which is not a violation; a bad scenario is refused', (t) => {
  const r = runScenario({ seed: 1, impair: { loss: 0.6 }, flows: [{ bytes: 200_000 }] });
  t.deepEqual(r.violations, []);
  t.is(r.flows[0]!.outcome, 'failed');
  t.true(['ETIMEDOUT', 'EHOSTUNREACH'].includes(r.flows[0]!.error!));
  t.throws(() => runScenario({ seed: 1, stacks: 1, flows: [] }), { instanceOf: RangeError });
  t.throws(() => runScenario({ seed: 1, flows: [{ from: 0, to: 5, bytes: 1 }] }), { instanceOf: RangeError });
});

test('the flow checker reports a wrong byte, a second FIN, and events after closed', (t) => {
  const violations: string[] = [];
  const f = new Flow(0, 0, 1, 5000, 4, 0, (v) => violations.push(v));
  const conn = { readStart() {}, close() {}, shutdown() {} } as unknown as TcpConnection;
  f.server.conn = conn;
  f.onEvent(f.server, { kind: 'data', conn, chunk: Uint8Array.of(patternByte(0, 0), patternByte(0, 1) ^ 4) }, 0);
  t.regex(violations.join(), /byte 1 is/);
  f.onEvent(f.server, { kind: 'peer-fin', conn }, 0);
  t.regex(violations.join(), /FIN after 2 of 4 bytes/);
  f.onEvent(f.server, { kind: 'peer-fin', conn }, 0);
  t.regex(violations.join(), /a second 'peer-fin'/);
  f.onEvent(f.server, { kind: 'closed', conn }, 0);
  f.onEvent(f.server, { kind: 'data', conn, chunk: new Uint8Array(1) }, 0);
  t.regex(violations.join(), /event 'data' after 'closed'/);
});
