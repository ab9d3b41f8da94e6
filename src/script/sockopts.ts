/**
 * setsockopt/getsockopt for scripts: the SOL_SOCKET and IPPROTO_TCP options usernet has (Linux's
 * names and units: seconds for keepalive, milliseconds for TCP_USER_TIMEOUT), mapped onto the
 * connection options of the TCP engine.
 */

import type { TcpEngine } from '../../stack/tcp/engine';
import type { Expr } from './ast';
import { fail, ok, type ScriptSocket, type SyscallOutcome } from './socket-state';
import { ERRNO, evaluate, exprText } from './symbols';

function sockoptKey(level: Expr | undefined, name: Expr | undefined): string | SyscallOutcome {
  if (level === undefined || name === undefined) return { kind: 'mismatch', message: 'setsockopt/getsockopt need a level and an option name' };
  const key = `${exprText(level)}:${exprText(name)}`;
  const known = ['SOL_SOCKET:SO_REUSEADDR', 'SOL_SOCKET:SO_KEEPALIVE', 'SOL_SOCKET:SO_RCVBUF', 'SOL_SOCKET:SO_SNDBUF', 'SOL_SOCKET:SO_ERROR', 'SOL_SOCKET:SO_LINGER',
    'IPPROTO_TCP:TCP_NODELAY', 'IPPROTO_TCP:TCP_KEEPIDLE', 'IPPROTO_TCP:TCP_KEEPINTVL', 'IPPROTO_TCP:TCP_KEEPCNT', 'IPPROTO_TCP:TCP_USER_TIMEOUT'];
  const k = key.replace(/^SOL_TCP:/, 'IPPROTO_TCP:');
  return known.includes(k) ? k : { kind: 'unsupported', what: `socket option ${exprText(level)}, ${exprText(name)}` };
}

/**
 * setsockopt(2): the value is kept for getsockopt and applied to the connection, or to the one
 * that connect or listen will make.
 */
export function setsockopt(s: ScriptSocket, args: Expr[], engine: TcpEngine): SyscallOutcome {
  const key = sockoptKey(args[1], args[2]);
  if (typeof key !== 'string') return key;
  if (s.listener !== undefined && key !== 'SOL_SOCKET:SO_REUSEADDR') {
    return { kind: 'unsupported', what: `${key.split(':')[1]} on a listening socket after listen() (usernet fixes accepted connections' options at listen)` };
  }
  const valueExpr = args[3];
  if (key === 'SOL_SOCKET:SO_LINGER') {
    const f = valueExpr?.kind === 'struct' ? valueExpr.fields : [];
    const onoff = f.find((x) => x.name === 'onoff')?.value;
    const linger = f.find((x) => x.name === 'linger')?.value;
    const on = onoff === undefined ? NaN : evaluate(onoff);
    const secs = linger === undefined ? NaN : evaluate(linger);
    if (on === 0) s.linger0 = false;
    else if (on === 1 && secs === 0) s.linger0 = true;
    else return { kind: 'unsupported', what: 'SO_LINGER other than {onoff=0} or {onoff=1, linger=0}' };
    return ok();
  }
  const v = valueExpr === undefined ? 'missing' : evaluate(valueExpr);
  if (typeof v === 'string') return { kind: 'mismatch', message: `setsockopt value: ${v}` };
  if (key === 'SOL_SOCKET:SO_ERROR') return fail('ENOPROTOOPT');
  const cs = s.state;
  const conn = cs?.conn;
  const ka = { ...(s.connOptions.keepAlive ?? conn?.opts.keepAlive ?? engine.options.connection.keepAlive) };
  switch (key) {
    case 'SOL_SOCKET:SO_REUSEADDR':
      break; // usernet's listeners behave as with SO_REUSEADDR already.
    case 'IPPROTO_TCP:TCP_NODELAY':
      s.connOptions.noDelay = v !== 0;
      conn?.setNoDelay(v !== 0);
      break;
    case 'SOL_SOCKET:SO_KEEPALIVE':
      ka.enable = v !== 0;
      break;
    case 'IPPROTO_TCP:TCP_KEEPIDLE':
      ka.idleMs = v * 1000;
      break;
    case 'IPPROTO_TCP:TCP_KEEPINTVL':
      ka.intervalMs = v * 1000;
      break;
    case 'IPPROTO_TCP:TCP_KEEPCNT':
      ka.count = v;
      break;
    case 'IPPROTO_TCP:TCP_USER_TIMEOUT':
      s.connOptions.userTimeoutMs = v;
      conn?.setUserTimeout(v);
      break;
    case 'SOL_SOCKET:SO_RCVBUF':
    case 'SOL_SOCKET:SO_SNDBUF':
      if (conn !== undefined || s.listener !== undefined) return { kind: 'unsupported', what: `${key.split(':')[1]} after listen/connect (usernet sizes buffers when the connection is made)` };
      // Deviation: Linux doubles the value (bookkeeping overhead); usernet uses it as given.
      if (key.endsWith('RCVBUF')) s.connOptions.receiveBufferSize = v;
      else s.connOptions.sendBufferSize = v;
      break;
  }
  if (key.includes('KEEP')) {
    s.connOptions.keepAlive = ka;
    if (conn !== undefined) conn.setKeepAlive(ka);
  }
  s.sockopts.set(key, v);
  return ok();
}

/** getsockopt(2): checks the script's expected value against what was set, or the connection's. */
export function getsockopt(s: ScriptSocket, args: Expr[], engine: TcpEngine): SyscallOutcome {
  const key = sockoptKey(args[1], args[2]);
  if (typeof key !== 'string') return key;
  let actual: number;
  if (key === 'SOL_SOCKET:SO_ERROR') {
    const cs = s.state;
    const e = cs?.soError;
    if (cs !== undefined) cs.soError = undefined;
    actual = e === undefined ? 0 : ERRNO[e]!;
  } else {
    const o = s.state?.conn.opts;
    const fallback: Record<string, number> = {
      'IPPROTO_TCP:TCP_NODELAY': o?.noDelay ? 1 : 0,
      'SOL_SOCKET:SO_KEEPALIVE': o?.keepAlive.enable ? 1 : 0,
      'IPPROTO_TCP:TCP_KEEPIDLE': (o?.keepAlive.idleMs ?? engine.options.connection.keepAlive.idleMs) / 1000,
      'IPPROTO_TCP:TCP_KEEPINTVL': (o?.keepAlive.intervalMs ?? engine.options.connection.keepAlive.intervalMs) / 1000,
      'IPPROTO_TCP:TCP_KEEPCNT': o?.keepAlive.count ?? engine.options.connection.keepAlive.count,
      'IPPROTO_TCP:TCP_USER_TIMEOUT': o?.userTimeoutMs ?? 0,
      'SOL_SOCKET:SO_RCVBUF': o?.receiveBufferSize ?? engine.options.connection.receiveBufferSize,
      'SOL_SOCKET:SO_SNDBUF': o?.sendBufferSize ?? engine.options.connection.sendBufferSize,
      'SOL_SOCKET:SO_REUSEADDR': 0,
    };
    const v = s.sockopts.get(key) ?? fallback[key];
    if (v === undefined) return { kind: 'unsupported', what: `getsockopt ${key}` };
    actual = v;
  }
  const expected = args[3];
  if (expected !== undefined && expected.kind !== 'ellipsis') {
    const want = evaluate(expected);
    if (typeof want === 'string') return { kind: 'mismatch', message: `getsockopt value: ${want}` };
    if (want !== actual) return { kind: 'mismatch', message: `getsockopt ${key.split(':')[1]}: expected ${exprText(expected)} (${want}), actual ${actual}` };
  }
  return ok();
}
