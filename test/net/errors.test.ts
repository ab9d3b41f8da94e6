/**
 * Misuse errors and system errors, checked against Node's own `net` as the oracle: the same call
 * must throw (or report) an error of the same class, `code` and message.
 */

import test from 'ava';
import * as hostNet from 'net';
import { constants } from 'os';
import { Stack } from '../../src/stack';
import {
  ERR_INVALID_ARG_TYPE,
  ERR_OUT_OF_RANGE,
  errnoException,
  exceptionWithHostPort,
  uvErrno,
  uvExceptionWithHostPort,
} from '../../src/net/errors';
import { validatePort } from '../../src/net/validate';
import { asNodeNet } from './helpers';

const stack = new Stack();
const net = asNodeNet(stack.net);
test.after.always(() => stack.close());

interface Caught {
  name: string;
  code: unknown;
  message: string;
}

function caught(fn: () => unknown): Caught | 'no error' {
  try {
    const r = fn() as { destroy?: () => void; close?: () => void } | undefined;
    r?.destroy?.();
    return 'no error';
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { name: err.name, code: err.code, message: err.message };
  }
}

type AnyNet = typeof hostNet;

const cases: Array<[string, (n: AnyNet) => unknown]> = [
  ['connect without arguments', (n) => n.connect(undefined as unknown as number)],
  ['connect with an empty options object', (n) => n.connect({} as never)],
  ['connect with a host but no port', (n) => n.connect({ host: '127.0.0.1' } as never)],
  ['Socket.connect without arguments', (n) => (new n.Socket().connect as () => unknown)()],
  ['connect port boolean', (n) => n.connect({ port: true as unknown as number })],
  ['connect port too big', (n) => n.connect({ port: 70000 })],
  ['connect port negative', (n) => n.connect({ port: -1 })],
  ['connect port blank string', (n) => n.connect({ port: ' ' as unknown as number })],
  ['connect port fractional', (n) => n.connect({ port: 80.5 })],
  ['connect port object', (n) => n.connect({ port: {} as unknown as number })],
  ['connect bad localAddress', (n) => n.connect({ port: 80, host: '127.0.0.1', localAddress: 'nope' })],
  ['connect localPort string', (n) => n.connect({ port: 80, host: '127.0.0.1', localPort: '12' as unknown as number })],
  ['connect lookup not a function', (n) => n.connect({ port: 80, host: 'example.invalid', lookup: 5 as unknown as never })],
  ['connect autoSelectFamily not boolean', (n) => n.connect({ port: 80, host: 'h', autoSelectFamily: 1 as unknown as boolean })],
  ['connect autoSelectFamilyAttemptTimeout 0', (n) => n.connect({ port: 80, host: 'h', autoSelectFamilyAttemptTimeout: 0 })],
  ['setTimeout negative', (n) => new n.Socket().setTimeout(-1)],
  ['setTimeout string', (n) => new n.Socket().setTimeout('5' as unknown as number)],
  ['setTimeout Infinity', (n) => new n.Socket().setTimeout(Infinity)],
  ['setTimeout bad callback', (n) => new n.Socket().setTimeout(5, 'x' as unknown as () => void)],
  ['listen options without port or path', (n) => n.createServer().listen({ foo: 1 } as never)],
  ['listen port 65536', (n) => n.createServer().listen(65536)],
  ['listen port -1', (n) => n.createServer().listen({ port: -1 })],
  ['listen port true', (n) => n.createServer().listen({ port: true as unknown as number })],
  ['createServer with a number', (n) => n.createServer(5 as never)],
  ['createServer highWaterMark string', (n) => n.createServer({ highWaterMark: 'x' as unknown as number })],
  ['createServer keepAliveInitialDelay string', (n) => n.createServer({ keepAliveInitialDelay: 'x' as unknown as number })],
  ['listen signal not a signal', (n) => n.createServer().listen({ port: 0, signal: {} as AbortSignal })],
];

for (const [name, call] of cases) {
  test(`same error as Node: ${name}`, (t) => {
    const expected = caught(() => call(hostNet));
    const actual = caught(() => call(net));
    t.not(expected, 'no error', 'the case must make Node throw');
    t.deepEqual(actual, expected);
  });
}

test('listen twice: ERR_SERVER_ALREADY_LISTEN, as Node', async (t) => {
  const mk = (n: AnyNet): Caught | 'no error' => {
    const s = n.createServer().listen(0);
    const r = caught(() => s.listen(0));
    s.close();
    return r;
  };
  t.deepEqual(mk(net), mk(hostNet));
});

test('close() of a server that is not listening: callback gets ERR_SERVER_NOT_RUNNING, close still emitted', async (t) => {
  const run = (n: AnyNet): Promise<string[]> =>
    new Promise((resolve) => {
      const log: string[] = [];
      const s = n.createServer();
      s.on('close', () => log.push('close event'));
      s.close((err) => {
        log.push(`cb ${(err as Error & { code: string }).code}: ${err!.message}`);
        setImmediate(() => resolve(log));
      });
    });
  t.deepEqual(await run(net), await run(hostNet));
});

test('write after end: ERR_STREAM_WRITE_AFTER_END, as Node', async (t) => {
  const run = (n: AnyNet): Promise<string> =>
    new Promise((resolve) => {
      const s = new n.Socket();
      s.on('error', (e: Error & { code?: string }) => resolve(`${e.code}: ${e.message}`));
      s.end();
      s.write('x');
    });
  t.is(await run(net), await run(hostNet));
});

test('system errors: errno numbers from os.constants, Node message shapes', (t) => {
  t.is(uvErrno('ECONNREFUSED'), -constants.errno.ECONNREFUSED);
  const e = exceptionWithHostPort(uvErrno('ECONNREFUSED'), 'connect', '10.0.0.2', 80);
  t.is(e.message, 'connect ECONNREFUSED 10.0.0.2:80');
  t.like(e, { code: 'ECONNREFUSED', errno: -constants.errno.ECONNREFUSED, syscall: 'connect', address: '10.0.0.2', port: 80 });
  t.deepEqual(Object.keys(e), ['errno', 'code', 'syscall', 'address', 'port']);
  t.is(exceptionWithHostPort(uvErrno('EADDRINUSE'), 'connect', '::1', 80, '::1:5000').message, 'connect EADDRINUSE ::1:80 - Local (::1:5000)');
  const r = errnoException(uvErrno('ECONNRESET'), 'read');
  t.is(r.message, 'read ECONNRESET');
  t.like(r, { code: 'ECONNRESET', syscall: 'read', errno: -constants.errno.ECONNRESET });
  const l = uvExceptionWithHostPort(uvErrno('EADDRINUSE'), 'listen', '::', 8000);
  t.is(l.message, 'listen EADDRINUSE: address already in use :::8000');
  t.deepEqual(Object.keys(l), ['code', 'errno', 'syscall', 'address', 'port']);
});

test('ERR_* helpers format like Node for other shapes', (t) => {
  t.is(ERR_INVALID_ARG_TYPE('cb', 'Function', null).message, 'The "cb" argument must be of type function. Received null');
  t.is(ERR_INVALID_ARG_TYPE('x', ['string', 'Buffer', 'Uint8Array'], 5).message, 'The "x" argument must be of type string or an instance of Buffer or Uint8Array. Received type number (5)');
  t.is(ERR_INVALID_ARG_TYPE('x', 'number', new Map()).message, 'The "x" argument must be of type number. Received an instance of Map');
  t.is(ERR_OUT_OF_RANGE('n', '>= 1', 2 ** 40).message, 'The value of "n" is out of range. It must be >= 1. Received 1_099_511_627_776');
  const err = ERR_INVALID_ARG_TYPE('cb', 'Function', 1);
  t.true(err instanceof TypeError);
  t.is(String(err), 'TypeError [ERR_INVALID_ARG_TYPE]: The "cb" argument must be of type function. Received type number (1)');
});

test('validatePort accepts what Node accepts', (t) => {
  t.is(validatePort('80'), 80);
  t.is(validatePort(0), 0);
  t.is(validatePort('0x50'), 80);
  t.throws(() => validatePort(0, 'Port', false), { code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received type number (0).' });
});
