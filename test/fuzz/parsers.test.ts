/**
 * Parser fuzzing inside `make test`: a bounded campaign over every wire parser and the frame
 * decoder (FUZZ_SEED / FUZZ_ITERATIONS override the defaults), plus checks that the harness
 * itself can fail: a parser that throws, returns garbage, or does not round-trip is caught.
 */
import test from 'ava';
import { Xoshiro128 } from '../../drivers/prng';
import { drop, isDrop, type Drop } from '../../stack/wire/drop';
import { emitTcp, parseTcp, tcpHeaderLen, type TcpRepr } from '../../stack/wire/tcp';
import { pseudoHeaderSumV4 } from '../../stack/wire/checksum';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { FuzzFailure, hex, runParserCampaign } from './campaign';
import { fixtureCorpus } from './corpus';
import { layoutOf, fixChecksums } from './layout';
import { MUTATIONS, mutant, mutateOnce } from './mutate';
import { randomFrame } from './generate';
import { PARSER_TARGETS, guard, roundTrip, sameValue } from './parsers';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261125);
const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 4000);

test('every parser survives mutated fixture frames and structured-random frames', (t) => {
  try {
    const r = runParserCampaign({ seed: SEED, iterations: ITERATIONS });
    t.is(r.iterations, ITERATIONS);
    for (const [name, o] of Object.entries(r.outcomes)) {
      // The campaign must reach past each parser's first check, and also be refused by it.
      t.true(o.repr > 0, `${name} accepted nothing`);
      if (name !== 'decode') t.true(Object.keys(o.drops).length >= 2, `${name} dropped for fewer than two reasons`);
    }
    t.log(`seed ${SEED}: ${ITERATIONS} inputs × ${PARSER_TARGETS.length} targets`);
  } catch (e) {
    if (!(e instanceof FuzzFailure)) throw e;
    t.fail(`${e.message}\ninput ${hex(e.input)}\nreplay: make fuzz SEED=${SEED} TARGET=${e.target} ITERATIONS=${ITERATIONS}`);
  }
});

test('the same seed gives the same inputs; another seed, others', (t) => {
  const corpus = fixtureCorpus();
  const run = (seed: number): string => {
    const rng = new Xoshiro128(seed);
    return Array.from({ length: 50 }, () => hex(mutant(rng, corpus))).join('|');
  };
  t.is(run(7), run(7));
  t.not(run(7), run(8));
});

test('every mutation kind runs on every fixture frame without throwing', (t) => {
  const rng = new Xoshiro128(3);
  const corpus = fixtureCorpus();
  let changed = 0;
  for (const f of corpus) {
    for (const k of MUTATIONS) {
      const m = mutateOnce(rng, f, corpus, k);
      if (hex(m) !== hex(f)) changed++;
    }
  }
  t.true(changed > corpus.length * MUTATIONS.length * 0.8, `only ${changed} mutants differ from their seed`);
});

test('fixChecksums makes a mutated TCP segment verify again', (t) => {
  const rng = new Xoshiro128(5);
  const tcpFrames = fixtureCorpus().filter((f) => layoutOf(f).protocol === 6 && layoutOf(f).version === 4);
  t.true(tcpFrames.length > 0);
  const f = Uint8Array.from(tcpFrames[rng.nextInt(tcpFrames.length)]!);
  const l = layoutOf(f);
  f[l.l4 + 4]! ^= 0x10; // the sequence number
  const ip = parseIpv4(f.subarray(14));
  if (isDrop(ip)) return t.fail(ip.reason);
  const sum = pseudoHeaderSumV4(ip.src, ip.dst, 6, ip.payload.length);
  t.is((parseTcp(ip.payload, sum) as { reason?: string }).reason, 'tcp-bad-checksum');
  fixChecksums(f);
  t.false(isDrop(parseTcp(ip.payload, sum)));
});

test('structured-random frames parse at their own layer', (t) => {
  const rng = new Xoshiro128(11);
  const eth = PARSER_TARGETS.find((x) => x.name === 'ethernet')!;
  for (let i = 0; i < 300; i++) t.is(eth.run(randomFrame(rng)), 'repr');
});

test('the harness catches a parser that throws, returns garbage, or loses a field', (t) => {
  const seg = fixtureCorpus().map((f) => layoutOf(f)).findIndex((l) => l.protocol === 6);
  const frame = fixtureCorpus()[seg]!;
  const bytes = frame.subarray(layoutOf(frame).l4, layoutOf(frame).end);
  t.throws(() => guard('throws', frame, () => bytes[9999]!.toFixed()), { instanceOf: FuzzFailure, message: /exception escaped/ });
  t.throws(() => guard('garbage', frame, () => null), { instanceOf: FuzzFailure, message: /neither a repr nor a Drop/ });
  t.throws(() => guard('no-reason', frame, () => drop('')), { instanceOf: FuzzFailure, message: /without a reason/ });
  t.is(guard('ok', frame, () => drop('fine')), drop('fine'));
  const emit = (r: TcpRepr): Uint8Array => {
    const o = new Uint8Array(tcpHeaderLen(r) + r.payload.length);
    emitTcp(r, o, 0);
    return o;
  };
  const good = parseTcp(bytes);
  if (isDrop(good)) return t.fail(good.reason);
  t.notThrows(() => roundTrip('tcp', frame, good, emit, (b) => parseTcp(b)));
  // A parser that forgets the window field: parse(emit(parse(x))) no longer equals parse(x).
  const forgetful = (b: Uint8Array): TcpRepr | Drop => {
    const r = parseTcp(b);
    return isDrop(r) ? r : { ...r, window: 0 };
  };
  t.throws(() => roundTrip('tcp', frame, { ...good, window: 1234 }, emit, forgetful), { instanceOf: FuzzFailure, message: /window: 1234 vs 0/ });
  t.is(sameValue({ a: new Uint8Array([1, 2]) }, { a: new Uint8Array([1, 3]) }), 'repr.a[1]: 2 vs 3');
  t.is(sameValue({ a: 1, b: undefined }, { a: 1 }), null);
  t.not(sameValue({ a: 1 }, { a: 1, c: 2 }), null);
});
