/**
 * The compiled `usernet` CLI (`dist/src/cli/main.js`, built by `make test` or
 * `npx tsc -p tsconfig.build.json`) as a child process for end-to-end tests: output collected,
 * killed by PID after a minute, and every child still running killed at the end, with the
 * namespaces a killed CLI could not remove itself (`usernet-<its pid>-…`).
 */

import * as fs from 'fs';
import { spawn, execFileSync, type ChildProcess } from 'child_process';
import { join } from 'path';
import { canUseNetns, hasCommand, listHarnessNamespaces } from '../../src/netns';

export const CLI = join(__dirname, '../../dist/src/cli/main.js');

/** Why CLI tests cannot run here (no root or TUN, CLI not built, a tool missing), or null. */
export function cliSkipReason(commands: readonly string[]): string | null {
  const can = canUseNetns();
  const missing = commands.filter((c) => !hasCommand(c));
  if (!can.ok) return `not available (${can.reason})`;
  if (!fs.existsSync(CLI)) return `${CLI} is not built (make build)`;
  return missing.length > 0 ? `missing ${missing.join(', ')}` : null;
}

export interface CliRun {
  child: ChildProcess;
  out(): string;
  err(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const KILL_AFTER_MS = 60_000;

export class CliProcesses {
  private readonly children = new Set<ChildProcess>();
  private readonly startedPids: number[] = [];

  /** Starts `usernet <args>`; it is SIGKILLed if still running after a minute. */
  run(args: string[]): CliRun {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    if (child.pid !== undefined) this.startedPids.push(child.pid);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => {
      this.children.delete(child);
      resolve({ code, signal });
    }));
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), KILL_AFTER_MS);
    void exit.then(() => clearTimeout(timer));
    return { child, out: () => out, err: () => err, exit };
  }

  /**
   * For `test.after.always`: SIGKILLs the children still running, then deletes the namespaces
   * they made (a CLI killed by SIGKILL cannot), calling `alsoRemove(name)` for each first.
   */
  cleanup(alsoRemove?: (namespace: string) => void): void {
    for (const c of this.children) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    for (const name of listHarnessNamespaces()) {
      if (!this.startedPids.some((pid) => name.startsWith(`usernet-${pid}-`))) continue;
      execFileSync('ip', ['netns', 'del', name]);
      alsoRemove?.(name);
    }
  }
}
