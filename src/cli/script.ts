/**
 * `usernet script FILE.pkt [-v] [--tolerance_usecs=N]`: runs one script in packetdrill's syntax
 * against usernet's TCP engine on a simulated clock; exit status 0 only when it passes.
 */

import type { CommandIo } from './decode';
import { formatResult, runScriptFile } from '../script/report';
import type { RunnerOptions } from '../script/runner';

export const SCRIPT_USAGE = `usage: usernet script FILE.pkt [-v|--verbose] [--tolerance_usecs=N] [--seed=N]

Runs FILE.pkt (packetdrill's script language) against usernet's TCP engine with a simulated
clock: usernet is 192.168.0.1, the scripted peer 192.0.2.1. Prints where the script fails, or
which of its lines are not supported. Exit status: 0 pass, 1 fail or unsupported, 2 bad usage.
  -v, --verbose        print what happened, event by event
  --tolerance_usecs=N  timing tolerance (default 4000, as packetdrill); the script header wins
  --seed=N             seed of the engine's random source (ISNs, timestamp offsets)`;

export function runScriptCommand(args: readonly string[], io: CommandIo): number {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(`${SCRIPT_USAGE}\n`);
    return 0;
  }
  let file = '';
  let verbose = false;
  const options: Partial<RunnerOptions> = {};
  for (const arg of args) {
    const m = /^--(tolerance_usecs|seed)=(\d+)$/.exec(arg);
    if (arg === '-v' || arg === '--verbose') verbose = true;
    else if (m !== null) {
      if (m[1] === 'seed') options.seed = Number(m[2]);
      else options.toleranceUs = Number(m[2]);
    } else if (arg.startsWith('-')) {
      io.err(`usernet script: unknown option ${arg}\n${SCRIPT_USAGE}\n`);
      return 2;
    } else if (file !== '') {
      io.err(`usernet script: one FILE only (got ${file} and ${arg})\n`);
      return 2;
    } else file = arg;
  }
  if (file === '') {
    io.err(`usernet script: FILE is missing\n${SCRIPT_USAGE}\n`);
    return 2;
  }
  let result;
  try {
    result = runScriptFile(file, options);
  } catch (e) {
    io.err(`usernet script: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const text = formatResult(file, result, verbose);
  if (result.status === 'pass') io.out(text);
  else io.err(text);
  return result.status === 'pass' ? 0 : 1;
}
