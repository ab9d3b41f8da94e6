/**
 * Runs one job in a worker process (`worker.js`, compiled JavaScript) and returns its sample.
 * The worker gets a deadline; past it, it is killed by PID and the repetition counts as failed.
 */

import { spawn } from 'child_process';
import * as path from 'path';
import { SAMPLE_PREFIX, type Job, type Sample } from './jobs';

export interface WorkerOptions {
  /** Extra `node` flags (`--expose-gc`, `--cpu-prof` …). */
  nodeArgs?: readonly string[];
  timeoutMs: number;
}

export const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

export function runWorker(job: Job, o: WorkerOptions): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), WORKER_SCRIPT, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 3000).unref();
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(SAMPLE_PREFIX));
      if (line !== undefined && code === 0) {
        resolve(JSON.parse(line.slice(SAMPLE_PREFIX.length)) as Sample);
        return;
      }
      const why = timedOut ? `timed out after ${Math.round(o.timeoutMs / 1000)} s` : `exit ${code}`;
      const last = err.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ');
      reject(new Error(`${why}${last !== '' ? `: ${last}` : ''}`));
    });
  });
}
