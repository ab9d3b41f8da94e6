/**
 * One script from text to verdict: parse, read the `--option=value` header, list every line the
 * runner cannot execute (by name, all at once, before running anything), run, and format the
 * outcome for people (`script.pkt:12: …`).
 */

import { readFileSync } from 'node:fs';
import type { Script } from './ast';
import { parseScript } from './parse';
import { DEFAULT_RUNNER_OPTIONS, type RunnerOptions, ScriptRunner, type ScriptOutcome } from './runner';

export type { ScriptOutcome } from './runner';

/** Calls the socket layer implements (anything else is reported as unsupported before running). */
export const SUPPORTED_SYSCALLS: readonly string[] = [
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect', 'write', 'send', 'read', 'recv',
  'shutdown', 'close', 'setsockopt', 'getsockopt', 'fcntl', 'poll',
];

export type ScriptResult =
  | ScriptOutcome
  | { status: 'syntax-error'; errors: Array<{ line: number; message: string }>; trace: string[] };

/** Applies the script's `--name=value` header; returns what it cannot honour. */
function applyHeader(script: Script, opts: RunnerOptions): Array<{ line: number; what: string }> {
  const bad: Array<{ line: number; what: string }> = [];
  for (const o of script.options) {
    const n = Number(o.value);
    const numeric = o.value !== '' && Number.isFinite(n) && n >= 0;
    switch (o.name) {
      case 'tolerance_usecs':
        if (numeric) opts.toleranceUs = n;
        else bad.push({ line: o.line, what: `--tolerance_usecs=${o.value} (not a number)` });
        break;
      case 'tolerance_percent':
        if (numeric) opts.tolerancePercent = n;
        else bad.push({ line: o.line, what: `--tolerance_percent=${o.value} (not a number)` });
        break;
      case 'tcp_ts_tick_usecs':
        if (numeric) opts.tsTickUs = n;
        else bad.push({ line: o.line, what: `--tcp_ts_tick_usecs=${o.value} (not a number)` });
        break;
      case 'mtu':
        if (numeric && n >= 576) opts.mtu = n;
        else bad.push({ line: o.line, what: `--mtu=${o.value}` });
        break;
      case 'ip_version':
        if (o.value !== 'ipv4') bad.push({ line: o.line, what: `--ip_version=${o.value} (IPv4 only)` });
        break;
      default:
        bad.push({ line: o.line, what: `option --${o.name}` });
    }
  }
  return bad;
}

/** Parses and runs `source`; `options` override the runner's defaults (the script header wins). */
export function runScriptText(source: string, options: Partial<RunnerOptions> = {}): ScriptResult {
  const { script, errors } = parseScript(source);
  if (errors.length > 0) return { status: 'syntax-error', errors, trace: [] };
  const opts: RunnerOptions = { ...DEFAULT_RUNNER_OPTIONS, ...options };
  const unsupported = applyHeader(script, opts);
  for (const ev of script.events) {
    if (ev.action.kind === 'unsupported') unsupported.push({ line: ev.line, what: ev.action.what });
    else if (ev.action.kind === 'syscall' && !SUPPORTED_SYSCALLS.includes(ev.action.call.name)) {
      unsupported.push({ line: ev.line, what: `system call ${ev.action.call.name}()` });
    }
  }
  if (unsupported.length > 0) return { status: 'unsupported', items: unsupported, trace: [] };
  return new ScriptRunner(opts).run(script);
}

export function runScriptFile(path: string, options: Partial<RunnerOptions> = {}): ScriptResult {
  return runScriptText(readFileSync(path, 'utf8'), options);
}

/** The verdict as people read it; with `verbose`, the trace of what happened first. */
export function formatResult(path: string, r: ScriptResult, verbose = false): string {
  const lines: string[] = verbose ? r.trace.map((t) => `  ${t}`) : [];
  switch (r.status) {
    case 'pass':
      lines.push(`${path}: pass (${r.events} events)`);
      break;
    case 'fail':
      lines.push(`${path}:${r.line}: ${r.message}`);
      break;
    case 'unsupported':
      for (const u of r.items) lines.push(`${path}:${u.line}: unsupported: ${u.what}`);
      lines.push(`${path}: not run to the end: ${r.items.length} unsupported item${r.items.length === 1 ? '' : 's'}`);
      break;
    case 'syntax-error':
      for (const e of r.errors) lines.push(`${path}:${e.line}: syntax error: ${e.message}`);
      break;
  }
  return `${lines.join('\n')}\n`;
}
