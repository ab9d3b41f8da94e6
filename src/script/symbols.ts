/**
 * The Linux constants a packetdrill script names (`AF_INET`, `SO_KEEPALIVE`, `O_NONBLOCK`,
 * `POLLIN`, errno names …), with their Linux values, and the evaluation of constant
 * expressions (`O_RDWR|O_NONBLOCK`, `[ECONNREFUSED]`).
 */

import type { Expr } from './ast';

/** errno values on Linux (asm-generic/errno*.h), for the errors the runner can produce or expect. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1,
  EBADF: 9,
  EAGAIN: 11,
  EWOULDBLOCK: 11,
  EFAULT: 14,
  EINVAL: 22,
  EPIPE: 32,
  ENOTSOCK: 88,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
};

export const SYMBOLS: Readonly<Record<string, number>> = {
  ...ERRNO,
  AF_INET: 2,
  AF_INET6: 10,
  PF_INET: 2,
  PF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  IPPROTO_IP: 0,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  SOL_SOCKET: 1,
  SOL_TCP: 6,
  SO_REUSEADDR: 2,
  SO_ERROR: 4,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_LINGER: 13,
  SO_REUSEPORT: 15,
  TCP_NODELAY: 1,
  TCP_MAXSEG: 2,
  TCP_CORK: 3,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  TCP_USER_TIMEOUT: 18,
  F_GETFL: 3,
  F_SETFL: 4,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0x800,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  POLLRDNORM: 0x40,
  POLLRDHUP: 0x2000,
  MSG_PEEK: 0x2,
  MSG_DONTWAIT: 0x40,
};

/** The errno name for a value (the first name in `ERRNO` order). */
export function errnoName(value: number): string {
  for (const [name, v] of Object.entries(ERRNO)) if (v === value) return name;
  return String(value);
}

/** A constant expression's value; a string explains why it has none. */
export function evaluate(e: Expr): number | string {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'word': {
      const v = SYMBOLS[e.name];
      return v === undefined ? `unknown symbol ${e.name}` : v;
    }
    case 'or': {
      const l = evaluate(e.left);
      const r = evaluate(e.right);
      if (typeof l === 'string') return l;
      if (typeof r === 'string') return r;
      return l | r;
    }
    case 'array':
      return e.items.length === 1 ? evaluate(e.items[0]!) : 'expected a one-element array [N]';
    default:
      return `expected a number, found ${exprText(e)}`;
  }
}

/** The expression as a script would write it. */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis':
      return '...';
    case 'int':
      return String(e.value);
    case 'word':
      return e.name;
    case 'string':
      return JSON.stringify(e.value);
    case 'or':
      return `${exprText(e.left)}|${exprText(e.right)}`;
    case 'array':
      return `[${e.items.map(exprText).join(', ')}]`;
    case 'struct':
      return `{${e.fields.map((f) => (f.name === '...' ? '...' : `${f.name}=${exprText(f.value)}`)).join(', ')}}`;
    case 'call':
      return `${e.name}(${e.args.map(exprText).join(', ')})`;
  }
}
