/**
 * Running commands for the namespace harness: one-shot commands with a timeout that resolve to
 * their exit status and output, and background processes stopped by PID.
 */

import { spawn, type ChildProcess } from 'child_process';
import { onCleanup } from './cleanup';

export interface RunResult {
  /** Exit code, or null when killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the command ran past its timeout and was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Kill (SIGKILL) after this many milliseconds; default 10000. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. */
  input?: string | Uint8Array;
}

/** Output kept per stream; beyond this the oldest text is discarded. */
const OUTPUT_LIMIT = 1 << 20;

function appendBounded(kept: string, chunk: string): string {
  const s = kept + chunk;
  return s.length > OUTPUT_LIMIT ? s.slice(s.length - OUTPUT_LIMIT) : s;
}

/** Runs `argv` (no shell). Rejects only when it cannot be started (e.g. ENOENT). */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) return reject(new TypeError('run: empty command'));
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout = appendBounded(stdout, c)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = appendBounded(stderr, c)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 10_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv.join(' ')}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Like `run`, but rejects with the command, exit status and stderr unless it exits 0. */
export async function runOk(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`;
    throw new Error(`${argv.join(' ')}: ${why}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** A process running in the background, stopped by PID (never by name). */
export class BackgroundProcess {
  readonly pid: number;
  private out = '';
  private err = '';
  private readonly exitPromise: Promise<RunResult>;
  private exitResult: RunResult | undefined;
  private readonly forget: (run: boolean) => void;

  constructor(readonly argv: readonly string[]) {
    const [file, ...args] = argv;
    if (file === undefined) throw new TypeError('spawn: empty command');
    const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    this.pid = child.pid;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (this.out = appendBounded(this.out, c)));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.err = appendBounded(this.err, c)));
    const pid = this.pid;
    this.forget = onCleanup(`process ${pid} (${argv.join(' ')})`, () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    });
    this.exitPromise = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.forget(false);
        this.exitResult = { code, signal, stdout: this.out, stderr: this.err, timedOut: false };
        resolve(this.exitResult);
      });
    });
  }

  get stdout(): string { return this.out; }
  get stderr(): string { return this.err; }
  /** True once the process has exited. */
  get exited(): boolean { return this.exitResult !== undefined; }

  /** Resolves when the process exits by itself. */
  wait(): Promise<RunResult> {
    return this.exitPromise;
  }

  /** Resolves once stdout or stderr matches `pattern`; rejects after `timeoutMs` or on exit. */
  async waitForOutput(pattern: RegExp, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.out) && !pattern.test(this.err)) {
      if (this.exited) throw new Error(`${this.argv.join(' ')} exited before printing ${pattern}: ${this.err.trim()}`);
      if (Date.now() > deadline) throw new Error(`${this.argv.join(' ')} did not print ${pattern} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves with the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<RunResult> {
    if (this.exited) return this.exitResult!;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, graceMs);
    const r = await this.exitPromise;
    clearTimeout(timer);
    return r;
  }
}
