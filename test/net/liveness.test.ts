/**
 * The process stays alive while a referenced server or socket is open and exits when none is,
 * as with Node's own handles — checked in child processes (test/net/fixtures/liveness.ts).
 */

import test from 'ava';
import { spawn } from 'child_process';
import { join } from 'path';

const FIXTURE = join(__dirname, 'fixtures', 'liveness.ts');

interface Outcome {
  code: number | null;
  stdout: string;
  ms: number;
}

function run(mode: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE, mode], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // The fixture exits by itself within 3 s of starting in every mode; this only guards the test
    // (generously: compiling the fixture with ts-node on a loaded 2-core CI machine is slow).
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout: stdout.trim(), ms: Date.now() - started });
    });
  });
}

test('nothing open: the process exits', async (t) => {
  const r = await run('nothing');
  t.is(r.code, 0);
  t.is(r.stdout, 'idle');
});

test('a listening server keeps the process alive until it is closed', async (t) => {
  const r = await run('server-closed-later');
  t.is(r.code, 0, r.stdout);
  t.is(r.stdout, 'listening\nclosed');
});

test('an unref\'d server does not keep the process alive', async (t) => {
  const r = await run('server-unref');
  t.is(r.code, 0, r.stdout);
  t.is(r.stdout, 'listening');
});

test('a connection keeps the process alive until both ends are closed', async (t) => {
  const r = await run('connection-then-end');
  t.is(r.code, 0, r.stdout);
  t.is(r.stdout, 'client closed');
});

test('a connecting socket keeps the process alive; unref\'d it does not', async (t) => {
  const alive = await run('connecting-forever');
  t.is(alive.code, 3, alive.stdout);
  t.is(alive.stdout, 'still alive');
  const gone = await run('connecting-unref');
  t.is(gone.code, 0, gone.stdout);
  t.is(gone.stdout, 'unref');
});

test('a connected socket keeps the process alive while reading, not while paused (libuv\'s rule)', async (t) => {
  const reading = await run('connected-reading');
  t.is(reading.code, 3, reading.stdout);
  t.is(reading.stdout, 'reading\nstill alive');
  const paused = await run('connected-paused');
  t.is(paused.code, 0, paused.stdout);
  t.deepEqual(paused.stdout.split('\n').sort(), ['accepted', 'paused']);
});
