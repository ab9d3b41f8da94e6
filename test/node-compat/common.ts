/**
 * A small stand-in for Node's `test/common` so that Node's `test-net-*` cases (STYLE.md: "Node's
 * `test-net-*` cases are the spec") can be ported as ava tests: `mustCall`, `mustCallAtLeast`,
 * `mustNotCall`, `mustSucceed`, `expectsError`, `platformTimeout`, `PORT` (0) and `onExit` (Node's
 * `process.on('exit')` checks).
 *
 * A Node test ends when its event loop drains; here a case ends once every `mustCall` has been
 * called as often as it must and the process has stayed quiet for a short settle time (so extra
 * calls and late `mustNotCall`s still show), or when the case times out. Then the `onExit` checks
 * run and every count is compared. Exceptions thrown inside wrapped callbacks are caught and fail
 * the case with their stack.
 *
 * `both(title, body)` registers the case twice: on `stack.net` of a fresh usernet `Stack` over its
 * loopback interface, and on Node's own `net` over 127.0.0.1 as the control.
 */

import test, { type ExecutionContext } from 'ava';
import * as assert from 'assert';
import * as hostNet from 'net';
import { Stack } from '../../src/stack';

/** What a case gets as `net`: Node's module type, whichever implementation runs. */
export type Net = typeof hostNet;

type Fn = (...args: never[]) => unknown;

interface Expectation {
  name: string;
  /** `exact` calls, or at least `min`. */
  exact?: number;
  min?: number;
  actual: number;
  stack: string;
}

/** Where a wrapped callback was created, for failure messages. */
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(3, 5);
  return lines.map((l) => l.trim()).join(' / ');
}

export class Common {
  /** Node's tests use `common.PORT`; any free port does here. */
  readonly PORT = 0;
  readonly localhostIPv4 = '127.0.0.1';
  readonly hasIPv6 = true;
  readonly failures: string[] = [];
  private readonly expectations: Expectation[] = [];
  private readonly exitChecks: Array<() => void> = [];

  /** Records an exception from a callback (or anywhere else in the case) as a failure. */
  fail(what: string, err?: unknown): void {
    const detail = err instanceof Error ? (err.stack ?? err.message) : err === undefined ? '' : String(err);
    this.failures.push(detail ? `${what}: ${detail}` : what);
  }

  /**
   * Runs `fn`, recording what it throws. Node's test would crash there; here the exception is
   * kept as a failure and not rethrown, so one failing case does not end the whole file.
   */
  private guarded<F extends Fn>(fn: F, where: string): F {
    const self = this;
    return function (this: unknown, ...args: Parameters<F>) {
      try {
        return fn.apply(this, args);
      } catch (err) {
        self.fail(`callback created at ${where} threw`, err);
        return undefined;
      }
    } as F;
  }

  /**
   * `fn` must be called exactly `exact` times (default once) before the case ends;
   * `mustCall(n)` is a no-op callback that must be called `n` times, as in Node.
   */
  mustCall(exact?: number): (...args: unknown[]) => void;
  mustCall<F extends Fn>(fn: F, exact?: number): F;
  mustCall<F extends Fn>(fnOrExact?: F | number, exactArg = 1): F {
    const fn = typeof fnOrExact === 'function' ? fnOrExact : undefined;
    const exact = typeof fnOrExact === 'number' ? fnOrExact : exactArg;
    const e: Expectation = { name: fn?.name || '<anonymous>', exact, actual: 0, stack: callSite() };
    this.expectations.push(e);
    const body = this.guarded((fn ?? (() => undefined)) as F, e.stack);
    return function (this: unknown, ...args: Parameters<F>) {
      e.actual++;
      return body.apply(this, args);
    } as F;
  }

  /** `fn` must be called at least `min` times. */
  mustCallAtLeast(min?: number): (...args: unknown[]) => void;
  mustCallAtLeast<F extends Fn>(fn: F, min?: number): F;
  mustCallAtLeast<F extends Fn>(fnOrMin?: F | number, minArg = 1): F {
    const fn = typeof fnOrMin === 'function' ? fnOrMin : undefined;
    const min = typeof fnOrMin === 'number' ? fnOrMin : minArg;
    const e: Expectation = { name: fn?.name || '<anonymous>', min, actual: 0, stack: callSite() };
    this.expectations.push(e);
    const body = this.guarded((fn ?? (() => undefined)) as F, e.stack);
    return function (this: unknown, ...args: Parameters<F>) {
      e.actual++;
      return body.apply(this, args);
    } as F;
  }

  /** A callback that fails the case if it is ever called. */
  mustNotCall(msg = 'function should not have been called'): (...args: unknown[]) => void {
    const where = callSite();
    return (...args: unknown[]) => {
      const shown = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(', ');
      this.fail(`${msg} (created at ${where}), called with (${shown})`);
    };
  }

  /** A Node-style callback that must be called once, with no error. */
  mustSucceed<A extends unknown[]>(fn?: (...args: A) => void, exact = 1): (err: Error | null | undefined, ...args: A) => void {
    return this.mustCall((err: Error | null | undefined, ...args: A) => {
      assert.ifError(err);
      fn?.(...args);
    }, exact);
  }

  /**
   * A callback that must be called (once by default) with an error matching `expected` — each of
   * its properties compared strictly, a RegExp matched against the string property.
   */
  expectsError(expected: Record<string, unknown>, exact = 1): (err: unknown) => void {
    return this.mustCall((err: unknown) => {
      checkError(err, expected);
    }, exact);
  }

  /** Node scales timeouts on slow machines; this machine is shared, so a little slack. */
  platformTimeout(ms: number): number {
    return ms * 2;
  }

  /** A check Node's test would run in `process.on('exit')`: it runs once the case has settled. */
  onExit(fn: () => void): void {
    this.exitChecks.push(fn);
  }

  /** Every exact expectation met and every minimum reached. */
  satisfied(): boolean {
    return this.expectations.every((e) => (e.exact !== undefined ? e.actual >= e.exact : e.actual >= e.min!));
  }

  /** Runs the exit checks and returns every failure: wrong counts, thrown callbacks, unexpected calls. */
  finish(): string[] {
    for (const check of this.exitChecks) {
      try {
        check();
      } catch (err) {
        this.fail('exit check', err);
      }
    }
    for (const e of this.expectations) {
      if (e.exact !== undefined && e.actual !== e.exact) this.failures.push(`mustCall ${e.name} (${e.stack}): expected ${e.exact} call(s), got ${e.actual}`);
      if (e.min !== undefined && e.actual < e.min) this.failures.push(`mustCallAtLeast ${e.name} (${e.stack}): expected at least ${e.min} call(s), got ${e.actual}`);
    }
    return this.failures;
  }
}

/** Node's `assert.throws(fn, {…})` object form, for errors passed to callbacks. */
export function checkError(err: unknown, expected: Record<string, unknown>): void {
  assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
  const got = err as unknown as Record<string, unknown>;
  for (const [key, want] of Object.entries(expected)) {
    if (want instanceof RegExp) assert.match(String(got[key]), want, `error.${key}`);
    else assert.strictEqual(got[key], want, `error.${key}: ${String(got[key])} (message: ${err.message})`);
  }
}

export interface CaseOptions {
  /** How long the case may take to satisfy its `mustCall`s (default 5 s). */
  timeoutMs?: number;
  /** Quiet time after the last expectation is met, for late or extra calls (default 150 ms). */
  settleMs?: number;
  /** Run only on this implementation (the other has a reason written in README.md). */
  only?: 'usernet' | 'node';
}

/** A ported case: gets a `net` and the shim; may return a promise for work it awaits itself. */
export type CaseBody = (net: Net, common: Common) => void | Promise<void>;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs one case against `net` and fails `t` with every discrepancy. */
export async function runCase(t: ExecutionContext, net: Net, body: CaseBody, options: CaseOptions = {}): Promise<void> {
  const common = new Common();
  const timeoutMs = options.timeoutMs ?? 5000;
  const settleMs = options.settleMs ?? 150;
  const start = Date.now();
  try {
    await body(net, common);
  } catch (err) {
    common.fail('the case threw', err);
  }
  while (!common.satisfied() && Date.now() - start < timeoutMs) await sleep(10);
  const timedOut = !common.satisfied();
  await sleep(settleMs);
  const failures = common.finish();
  if (timedOut) failures.unshift(`timed out after ${timeoutMs} ms`);
  if (failures.length > 0) t.fail(failures.join('\n'));
  else t.pass();
}

/** Registers `title` twice: on usernet's loopback and on Node's own `net` (the control). */
export function both(title: string, body: CaseBody, options: CaseOptions = {}): void {
  if (options.only !== 'node') {
    test.serial(`${title} [usernet]`, async (t) => {
      const stack = new Stack();
      try {
        await runCase(t, stack.net as unknown as Net, body, options);
      } finally {
        await stack.close();
      }
    });
  }
  if (options.only !== 'usernet') {
    test.serial(`${title} [node]`, (t) => runCase(t, hostNet, body, options));
  }
}

/** The port a listening server got. */
export function portOf(server: hostNet.Server): number {
  return (server.address() as hostNet.AddressInfo).port;
}

/** `net.createConnection(port, cb)`: Node takes it, its typings do not list it. */
export function connectPort(net: Net, port: number, cb: () => void): hostNet.Socket {
  return (net.createConnection as unknown as (port: number, cb: () => void) => hostNet.Socket)(port, cb);
}
