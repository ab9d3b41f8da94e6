/**
 * `usernet replay CAPTURE --as ADDRESS[:PORT]`: usernet plays one endpoint of a captured
 * conversation and its answers are compared with what that endpoint sent (`src/replay`).
 * Prints the report; exit status 0 on PASS, 1 on FAIL or an unreadable capture, 2 on bad usage.
 */

import { readCaptureFile } from '../../drivers/pcap/read';
import type { PcapFile } from '../../drivers/pcap/format';
import type { CommandIo } from './decode';
import {
  DEFAULT_TOLERANCES,
  expectationFor,
  formatEndpointSpec,
  formatReport,
  parseEndpointSpec,
  readExpectations,
  replayCapture,
  type Allowance,
  type EndpointSpec,
  type Tolerances,
} from '../replay/index';

export const REPLAY_USAGE = `usage: usernet replay CAPTURE --as ADDRESS[:PORT] [options]

usernet takes the place of the endpoint ADDRESS (optionally only its conversations on PORT;
an IPv6 address with a port goes in brackets: [fd00::2]:80). The other side's frames are fed
at their recorded times on a simulated clock, the endpoint's application is played from the
capture, and what usernet sends is compared by meaning with what the endpoint sent.
  --as ADDRESS[:PORT]   the endpoint usernet plays (required)
  --expect FILE         expectations (default: CAPTURE's .expect.json, when it has an entry
                        for this --as); --no-expect ignores them
  --speed N             compress recorded times N-fold (default 1)
  --settle MS           simulated time to run after the last frame (default 1000)
  --seed N              usernet's random seed (default 1)
  --time-tolerance MS   segment and message timing (default ${DEFAULT_TOLERANCES.timeMs})
  --ack-tolerance MS    acknowledgment delay (default ${DEFAULT_TOLERANCES.ackMs})
  --window-factor N     advertised window ratio (default ${DEFAULT_TOLERANCES.windowFactor})
  -v, --verbose         also list the differences within tolerance
Exit status: 0 PASS, 1 FAIL or unreadable input, 2 bad usage.`;

interface ReplayArgs {
  file: string;
  spec: EndpointSpec | null;
  asText: string;
  expect: string | null | false;
  speed: number;
  settleMs: number;
  seed: number;
  tolerances: Partial<Tolerances>;
  verbose: boolean;
}

const NUMERIC: Record<string, (a: ReplayArgs, n: number) => string | null> = {
  '--speed': (a, n) => (n > 0 ? ((a.speed = n), null) : 'must be positive'),
  '--settle': (a, n) => (n >= 0 ? ((a.settleMs = n), null) : 'must be 0 or more'),
  '--seed': (a, n) => (Number.isInteger(n) ? ((a.seed = n), null) : 'must be an integer'),
  '--time-tolerance': (a, n) => (n >= 0 ? ((a.tolerances.timeMs = n), null) : 'must be 0 or more'),
  '--ack-tolerance': (a, n) => (n >= 0 ? ((a.tolerances.ackMs = n), null) : 'must be 0 or more'),
  '--window-factor': (a, n) => (n >= 1 ? ((a.tolerances.windowFactor = n), null) : 'must be 1 or more'),
};

function parseArgs(args: readonly string[]): ReplayArgs | string {
  const a: ReplayArgs = { file: '', spec: null, asText: '', expect: null, speed: 1, settleMs: 1000, seed: 1, tolerances: {}, verbose: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string | undefined => args[++i];
    if (arg === '--as') {
      const v = value();
      if (v === undefined) return '--as needs ADDRESS[:PORT]';
      const spec = parseEndpointSpec(v);
      if (typeof spec === 'string') return `--as: ${spec}`;
      a.spec = spec;
      a.asText = v;
    } else if (arg === '--expect') {
      const v = value();
      if (v === undefined) return '--expect needs a FILE';
      a.expect = v;
    } else if (arg === '--no-expect') {
      a.expect = false;
    } else if (arg === '-v' || arg === '--verbose') {
      a.verbose = true;
    } else if (NUMERIC[arg] !== undefined) {
      const v = value();
      const n = Number(v);
      if (v === undefined || v.trim() === '' || !Number.isFinite(n)) return `${arg} needs a number`;
      const problem = NUMERIC[arg](a, n);
      if (problem !== null) return `${arg} ${problem}`;
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else if (a.file !== '') {
      return `one CAPTURE only (got ${a.file} and ${arg})`;
    } else {
      a.file = arg;
    }
  }
  if (a.file === '') return 'CAPTURE is missing';
  if (a.spec === null) return '--as ADDRESS[:PORT] is missing';
  return a;
}

/** Runs the command; returns the exit status. */
export function runReplay(args: readonly string[], io: CommandIo): number {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(`${REPLAY_USAGE}\n`);
    return 0;
  }
  const a = parseArgs(args);
  if (typeof a === 'string' || a.spec === null) {
    io.err(`usernet replay: ${typeof a === 'string' ? a : '--as ADDRESS[:PORT] is missing'}\n${REPLAY_USAGE}\n`);
    return 2;
  }
  const spec = a.spec;
  let capture: PcapFile;
  let allow: readonly Allowance[] = [];
  let findings: readonly Allowance[] = [];
  try {
    capture = readCaptureFile(a.file);
    if (typeof a.expect === 'string') {
      const entry = readExpectations(a.expect).find((r) => r.as === a.asText || r.as === formatEndpointSpec(spec));
      allow = entry?.allow ?? [];
      findings = entry?.findings ?? [];
    } else if (a.expect === null) {
      const entry = expectationFor(a.file, a.asText) ?? expectationFor(a.file, formatEndpointSpec(spec));
      allow = entry?.allow ?? [];
      findings = entry?.findings ?? [];
    }
  } catch (e) {
    io.err(`usernet replay: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const name = a.file.replace(/^.*\//, '');
  try {
    const report = replayCapture(capture, spec, { name, speed: a.speed, settleMs: a.settleMs, seed: a.seed, tolerances: a.tolerances, allow, findings });
    io.out(formatReport(report, a.verbose));
    return report.pass ? 0 : 1;
  } catch (e) {
    io.err(`usernet replay: ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
