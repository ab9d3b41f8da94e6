/**
 * Every error the net layer makes, shaped like Node's: system errors carry `code`, `errno` (the
 * negative number libuv and Node use, from `os.constants.errno`), `syscall`, `address`, `port`
 * and read like `connect ECONNREFUSED 10.0.0.2:80`; misuse gets Node's `ERR_*` codes and messages
 * (lib/internal/errors.js in Node 20 is the reference; tests compare against the real `net`).
 */

import { constants as osConstants } from 'os';
import { getSystemErrorMap, inspect } from 'util';

/** libuv's end-of-file status: `onread(UV_EOF)` is the peer's FIN. */
export const UV_EOF = -4095;

/** The errno names the TCP layer reports, and a few more the API needs. */
export type ErrnoName =
  | 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EPIPE'
  | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL' | 'ENOTCONN' | 'ECANCELED' | 'EBADF' | 'EAFNOSUPPORT';

/** The negative errno Node uses for `name` (`-111` for ECONNREFUSED on Linux). */
export function uvErrno(name: ErrnoName): number {
  const n = (osConstants.errno as Record<string, number | undefined>)[name];
  if (n === undefined) throw new Error(`unknown errno name ${name}`);
  return -n;
}

/** Name and libuv message of a negative errno (`[ 'ECONNREFUSED', 'connection refused' ]`). */
function describeErrno(errno: number): [string, string] {
  const known = getSystemErrorMap().get(errno);
  return known ?? [`Unknown system error ${errno}`, `Unknown system error ${errno}`];
}

export function errnoName(errno: number): string {
  return describeErrno(errno)[0];
}

/** A system error as Node builds it: `Error` plus these own properties. */
export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  address?: string;
  port?: number;
  localAddress?: string;
  localPort?: number;
}

/** Node's `errnoException`: message `read ECONNRESET`. */
export function errnoException(errno: number, syscall: string, original?: string): SystemError {
  const code = errnoName(errno);
  const message = original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`;
  const ex = new Error(message) as SystemError;
  ex.errno = errno;
  ex.code = code;
  ex.syscall = syscall;
  return ex;
}

/** Node's `exceptionWithHostPort`: message `connect ECONNREFUSED 10.0.0.2:80 - Local (…)`. */
export function exceptionWithHostPort(errno: number, syscall: string, address: string, port: number | undefined, additional?: string): SystemError {
  const code = errnoName(errno);
  let details = '';
  if (port && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  if (additional) details += ` - Local (${additional})`;
  const ex = new Error(`${syscall} ${code}${details}`) as SystemError;
  ex.errno = errno;
  ex.code = code;
  ex.syscall = syscall;
  ex.address = address;
  if (port) ex.port = port;
  return ex;
}

/** Node's `UVExceptionWithHostPort` (listen errors): `listen EADDRINUSE: address already in use :::80`. */
export function uvExceptionWithHostPort(errno: number, syscall: string, address: string | null, port: number): SystemError {
  const [code, uvmsg] = describeErrno(errno);
  let message = `${syscall} ${code}: ${uvmsg}`;
  if (address && port > 0) message += ` ${address}:${port}`;
  else if (address) message += ` ${address}`;
  const ex = new Error(message) as SystemError;
  ex.code = code;
  ex.errno = errno;
  ex.syscall = syscall;
  if (address) ex.address = address;
  if (port > 0) ex.port = port;
  return ex;
}

// ------------------------------------------------------------------ Node's ERR_* errors

export interface NodeError extends Error {
  code: string;
}

type ErrorBase = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor;

/**
 * An error like Node's internal ones: the base class's name, an own `code`, and a stack that
 * prints `TypeError [ERR_X]: message`. `toString()` gives `TypeError [ERR_X]: message` as in Node.
 */
function nodeError(Base: ErrorBase, code: string, message: string): NodeError {
  const err = new Base(message) as NodeError;
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(err, 'toString', {
    value(this: NodeError) {
      return `${this.name} [${code}]: ${this.message}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (err.stack !== undefined) err.stack = err.stack.replace(/^[A-Za-z]*Error/, `${err.name} [${code}]`);
  return err;
}

/** Node's `determineSpecificType`, which ends most argument errors. */
export function determineSpecificType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function' && value.name) return `function ${value.name}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) return `an instance of ${ctor.name}`;
    return inspect(value, { depth: -1 });
  }
  let inspected = inspect(value, { colors: false });
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return `type ${typeof value} (${inspected})`;
}

const K_TYPES = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];
const CLASS_NAME = /^([A-Z][a-z0-9]*)+$/;

function listWith(items: string[], prefix: string): string {
  if (items.length > 2) return `${prefix}${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
  return items.length === 2 ? `${prefix}${items[0]} or ${items[1]}` : '';
}

export function ERR_INVALID_ARG_TYPE(name: string, expected: string | string[], actual: unknown): NodeError {
  const list = Array.isArray(expected) ? expected : [expected];
  let msg = 'The ';
  if (name.endsWith(' argument')) msg += `${name} `;
  else msg += `"${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const v of list) {
    if (K_TYPES.includes(v)) types.push(v.toLowerCase());
    else if (CLASS_NAME.test(v)) instances.push(v);
    else other.push(v);
  }
  if (instances.length > 0) {
    const pos = types.indexOf('object');
    if (pos !== -1) {
      types.splice(pos, 1);
      instances.push('Object');
    }
  }
  if (types.length > 0) {
    msg += types.length > 1 ? listWith(types, 'one of type ') : `of type ${types[0]}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    msg += instances.length > 2 ? listWith(instances, 'an instance of ') : `an instance of ${instances[0]}${instances.length === 2 ? ` or ${instances[1]}` : ''}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 1) msg += listWith(other, 'one of ');
    else msg += `${other[0]!.toLowerCase() !== other[0] ? 'an ' : ''}${other[0]}`;
  }
  msg += `. Received ${determineSpecificType(actual)}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', msg);
}

export function ERR_INVALID_ARG_VALUE(name: string, value: unknown, reason = 'is invalid'): NodeError {
  let inspected = inspect(value);
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`;
  const type = name.includes('.') ? 'property' : 'argument';
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${inspected}`);
}

function addNumericalSeparator(val: string): string {
  let res = '';
  let i = val.length;
  const start = val[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${val.slice(i - 3, i)}${res}`;
  return `${val.slice(0, i)}${res}`;
}

export function ERR_OUT_OF_RANGE(name: string, range: string, input: unknown): NodeError {
  let received: string;
  if (typeof input === 'number' && Number.isInteger(input) && Math.abs(input) > 2 ** 32) received = addNumericalSeparator(String(input));
  else received = inspect(input);
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

export function ERR_SOCKET_BAD_PORT(name: string, port: unknown, allowZero = true): NodeError {
  return nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${determineSpecificType(port)}.`);
}

export function ERR_INVALID_IP_ADDRESS(ip: unknown): NodeError {
  return nodeError(TypeError, 'ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(ip)}`);
}

export function ERR_INVALID_ADDRESS_FAMILY(family: unknown, host: unknown, port: unknown): NodeError {
  return nodeError(RangeError, 'ERR_INVALID_ADDRESS_FAMILY', `Invalid address family: ${String(family)} ${String(host)}:${String(port)}`);
}

export function ERR_SERVER_ALREADY_LISTEN(): NodeError {
  return nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
}

export function ERR_SERVER_NOT_RUNNING(): NodeError {
  return nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.');
}

export function ERR_SOCKET_CLOSED(): NodeError {
  return nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed');
}

export function ERR_SOCKET_CLOSED_BEFORE_CONNECTION(): NodeError {
  return nodeError(Error, 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established');
}

export function ERR_SOCKET_CONNECTION_TIMEOUT(): NodeError {
  return nodeError(Error, 'ERR_SOCKET_CONNECTION_TIMEOUT', 'Socket connection timeout');
}

export function ERR_INVALID_HANDLE_TYPE(): NodeError {
  return nodeError(TypeError, 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent');
}

/** Node's ERR_MISSING_ARGS: each argument a name, or a list of alternatives joined with "or". */
export function ERR_MISSING_ARGS(...args: Array<string | string[]>): NodeError {
  const names = args.map((a) => (Array.isArray(a) ? a.map((n) => `"${n}"`).join(' or ') : `"${a}"`));
  let msg = 'The ';
  if (names.length === 1) msg += `${names[0]} argument`;
  else if (names.length === 2) msg += `${names[0]} and ${names[1]} arguments`;
  else msg += `${names.slice(0, -1).join(', ')}, and ${names[names.length - 1]} arguments`;
  return nodeError(TypeError, 'ERR_MISSING_ARGS', `${msg} must be specified`);
}

/** Not in Node: an option usernet cannot honour (a file descriptor from the host kernel). */
export function ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(feature: string): NodeError {
  return nodeError(TypeError, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', `The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`);
}

/** The error `write()` gives after the peer's FIN when `allowHalfOpen` is false (Node: code EPIPE). */
export function endedByPeerError(): Error & { code: string } {
  const err = new Error('This socket has been ended by the other party') as Error & { code: string };
  err.code = 'EPIPE';
  return err;
}

/** Node's `AbortError`, for `signal` options. */
export function abortError(cause: unknown): Error {
  const err = new Error('The operation was aborted', cause === undefined ? undefined : { cause }) as NodeError;
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}
