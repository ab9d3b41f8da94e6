/**
 * `make fuzz`: runs the fuzzers for as long as asked, seed after seed, and prints every failing
 * seed with the one command that replays it.
 *
 *   npx ts-node -T test/fuzz/run.ts [--target all|parsers|stack|<parser>] [--seed N]
 *                                    [--iterations N] [--seconds N]
 *
 * With --seed, that one seed runs (--iterations per campaign, default 20000 for parsers and
 * 2000 for the stack). Without it, seeds from a time-derived start run one after another until
 * --seconds pass (default 60), each with the per-seed iteration budget, so any failure replays
 * with `make fuzz SEED=… TARGET=… ITERATIONS=…`. Exit status 1 when anything failed.
 */

import { FuzzFailure, hex, runParserCampaign, selectTargets } from './campaign';
import { runStackCampaign } from './stack-campaign';
import { PARSER_TARGETS } from './parsers';

interface Args {
  target: string;
  seed: number | undefined;
  iterations: number | undefined;
  seconds: number;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { target: 'all', seed: undefined, iterations: undefined, seconds: 60 };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    const num = (): number => {
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n) || n < 0) throw new Error(`${k} needs a non-negative number, got ${String(v)}`);
      i++;
      return n;
    };
    if (k === '--target') {
      if (v === undefined) throw new Error('--target needs a name');
      a.target = v;
      i++;
    } else if (k === '--seed') a.seed = Math.trunc(num());
    else if (k === '--iterations') a.iterations = Math.trunc(num());
    else if (k === '--seconds') a.seconds = num();
    else throw new Error(`unknown argument ${k}`);
  }
  const names = ['all', 'parsers', 'stack', ...PARSER_TARGETS.map((t) => t.name)];
  if (!names.includes(a.target)) throw new Error(`unknown target "${a.target}" (one of ${names.join(', ')})`);
  return a;
}

const PARSER_ITERATIONS = 20_000;
const STACK_ITERATIONS = 2_000;

function replay(target: string, seed: number, iterations: number): string {
  return `make fuzz SEED=${seed} TARGET=${target} ITERATIONS=${iterations}`;
}

/** Runs one seed on the chosen targets; returns the failures as printable text. */
function runSeed(a: Args, seed: number, deadline: number | undefined): string[] {
  const failures: string[] = [];
  const parserTargets = a.target === 'all' || a.target === 'parsers' ? undefined : a.target === 'stack' ? null : [a.target];
  if (parserTargets !== null) {
    const iterations = a.iterations ?? PARSER_ITERATIONS;
    const name = a.target === 'all' ? 'parsers' : a.target;
    try {
      const r = runParserCampaign({ seed, iterations, ...(deadline !== undefined ? { deadline } : {}), ...(parserTargets ? { targets: parserTargets } : {}) });
      console.log(`seed ${seed} ${name}: ${r.iterations} inputs ok`);
    } catch (e) {
      failures.push(describe(e, replay(name, seed, iterations)));
    }
  }
  if (a.target === 'all' || a.target === 'stack') {
    const iterations = a.iterations ?? STACK_ITERATIONS;
    try {
      const r = runStackCampaign({ seed, iterations, ...(deadline !== undefined ? { deadline } : {}) });
      const heap = r.heapGrowthBytes === null ? 'heap not measured' : `heap ${(r.heapGrowthBytes / 1048576).toFixed(1)} MiB`;
      console.log(`seed ${seed} stack: ${r.iterations} rounds, ${r.injected} hostile frames, ${r.bytesDelivered} bytes delivered, ${heap}`);
    } catch (e) {
      failures.push(describe(e, replay('stack', seed, iterations)));
    }
  }
  return failures;
}

function describe(e: unknown, command: string): string {
  if (e instanceof FuzzFailure) return `FAIL ${e.message}\n  input ${hex(e.input)}\n  replay: ${command}`;
  return `FAIL ${e instanceof Error ? e.stack ?? e.message : String(e)}\n  replay: ${command}`;
}

function main(): number {
  const a = parseArgs(process.argv.slice(2).filter((x) => x !== ''));
  if (a.target !== 'all' && a.target !== 'parsers' && a.target !== 'stack') selectTargets([a.target]);
  const failures: string[] = [];
  if (a.seed !== undefined) {
    failures.push(...runSeed(a, a.seed, undefined));
  } else {
    const deadline = Date.now() + a.seconds * 1000;
    let seed = Date.now() % 1_000_000;
    console.log(`fuzzing ${a.target} for ${a.seconds} s from seed ${seed}`);
    while (Date.now() < deadline) failures.push(...runSeed(a, seed++, deadline));
  }
  for (const f of failures) console.error(f);
  console.log(failures.length === 0 ? 'fuzz: no failures' : `fuzz: ${failures.length} failure(s)`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = main();
