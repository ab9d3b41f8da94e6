/**
 * The shim itself: a ported case must fail when a `mustCall` count is wrong, a `mustNotCall`
 * runs, a callback throws, an error does not match or an exit check fails — and pass otherwise.
 */

import test, { type ExecutionContext } from 'ava';
import * as hostNet from 'net';
import { type CaseBody, runCase } from './common';

interface Outcome {
  passed: boolean;
  failure: string;
}

/** Runs `body` through the shim with a recording stand-in for ava's `t`. */
async function outcome(body: CaseBody, timeoutMs = 200): Promise<Outcome> {
  const o: Outcome = { passed: false, failure: '' };
  const t = {
    pass: () => (o.passed = true),
    fail: (message: string) => (o.failure = message),
  } as unknown as ExecutionContext;
  await runCase(t, hostNet, body, { timeoutMs, settleMs: 20 });
  return o;
}

test('a case whose expectations hold passes', async (t) => {
  const o = await outcome((_net, common) => {
    const f = common.mustCall((x: number) => x + 1, 2);
    f(1);
    setTimeout(() => f(2), 5);
    common.mustCallAtLeast(() => undefined, 1)();
    common.mustSucceed((v: string) => t.is(v, 'ok'))(null, 'ok');
    common.expectsError({ code: 'EPIPE', message: /ended/ })(Object.assign(new Error('ended by peer'), { code: 'EPIPE' }));
    common.onExit(() => undefined);
  });
  t.true(o.passed, o.failure);
});

test('too few calls fail after the timeout', async (t) => {
  const o = await outcome((_net, common) => {
    common.mustCall(() => undefined, 2)();
  });
  t.false(o.passed);
  t.regex(o.failure, /timed out/);
  t.regex(o.failure, /expected 2 call\(s\), got 1/);
});

test('too many calls fail', async (t) => {
  const o = await outcome((_net, common) => {
    const f = common.mustCall();
    f();
    setTimeout(f, 5);
  });
  t.false(o.passed);
  t.regex(o.failure, /expected 1 call\(s\), got 2/);
});

test('a mustNotCall that runs fails, even after the expectations were met', async (t) => {
  const o = await outcome((_net, common) => {
    const never = common.mustNotCall('late');
    setTimeout(() => never('arg'), 5);
  });
  t.false(o.passed);
  t.regex(o.failure, /late .*called with \(arg\)/);
});

test('an exception inside a callback fails the case without crashing the file', async (t) => {
  const o = await outcome((_net, common) => {
    setTimeout(common.mustCall(() => {
      throw new Error('boom');
    }), 1);
  });
  t.false(o.passed);
  t.regex(o.failure, /threw: Error: boom/);
});

test('an error that does not match, and a failing exit check, fail', async (t) => {
  const wrongCode = await outcome((_net, common) => {
    common.expectsError({ code: 'ECONNRESET' })(Object.assign(new Error('x'), { code: 'EPIPE' }));
  });
  t.false(wrongCode.passed);
  t.regex(wrongCode.failure, /error\.code: EPIPE/);
  const exit = await outcome((_net, common) => {
    common.onExit(() => {
      throw new Error('counts differ');
    });
  });
  t.false(exit.passed);
  t.regex(exit.failure, /exit check: Error: counts differ/);
});

test('a case that throws synchronously fails', async (t) => {
  const o = await outcome(() => {
    throw new TypeError('bad port');
  });
  t.false(o.passed);
  t.regex(o.failure, /the case threw: TypeError: bad port/);
});
