/**
 * The socket API a script calls, mapped onto usernet's TCP engine: a descriptor table, and
 * `socket`, `bind`, `listen`, `accept`, `connect`, `read`/`recv`, `write`/`send`, `shutdown`,
 * `close`, `setsockopt`/`getsockopt`, `fcntl` and `poll` with Linux's results and errno names.
 * Each call returns its result, `block` (with a retry) when a blocking socket must wait, or
 * `unsupported` naming what usernet or the runner cannot do. Received bytes wait in the engine
 * while nobody reads (reading is stopped), so the advertised window closes as on Linux.
 */

import { IpAddress } from '../../stack/wire/address';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpEngine } from '../../stack/tcp/engine';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';
import type { TcpConnectionOptions } from '../../stack/tcp/options';
import type { Expr } from './ast';
import { patternByte, patternBytes } from './packet';
import { ERRNO, evaluate, exprText, SYMBOLS } from './symbols';

/** packetdrill's addresses: usernet is 192.168.0.1, the scripted remote 192.0.2.1. */
export const LOCAL_IP = IpAddress.parse('192.168.0.1')!;
export const REMOTE_IP = IpAddress.parse('192.0.2.1')!;
/** packetdrill's default bind and connect port. */
export const SCRIPT_PORT = 8080;
/** The remote's port for passively opened connections (packetdrill picks an ephemeral one). */
export const REMOTE_PORT = 48123;

export type SyscallOutcome =
  | { kind: 'done'; ret: number; errno?: string }
  | { kind: 'block'; retry: () => SyscallOutcome; timeoutUs?: number; onTimeout?: () => SyscallOutcome }
  | { kind: 'mismatch'; message: string }
  | { kind: 'unsupported'; what: string };

/** What the socket layer needs from the runner. */
export interface SocketHost {
  readonly engine: TcpEngine;
  /** Drains engine events into the socket layer (after a user call). */
  collect(): void;
  /** The connection under test changed (new 4-tuple for inbound packets). */
  flowChanged(localPort: number, remotePort: number): void;
}

/** Per-connection state the kernel would keep in its socket. */
interface ConnState {
  conn: TcpConnection;
  /** Data taken from the engine and not yet read. */
  chunks: Uint8Array[];
  /** Stream offsets of the next byte read and the next byte written (for the pattern check). */
  readOffset: number;
  writeOffset: number;
  peerFin: boolean;
  /** SO_ERROR: set by a connection error, cleared when reported. */
  soError: string | undefined;
  dead: boolean;
  established: boolean;
  writeShut: boolean;
}

interface Socket {
  fd: number;
  nonBlocking: boolean;
  boundPort: number | undefined;
  listener: TcpListener | undefined;
  acceptQueue: ConnState[];
  state: ConnState | undefined;
  connOptions: Partial<TcpConnectionOptions>;
  /** getsockopt values of what was set. */
  sockopts: Map<string, number>;
  linger0: boolean;
}

const ok = (ret = 0): SyscallOutcome => ({ kind: 'done', ret });
const fail = (errno: string): SyscallOutcome => ({ kind: 'done', ret: -1, errno });

export class SocketTable {
  private readonly fds = new Map<number, Socket>();
  private readonly byConn = new Map<TcpConnection, ConnState>();
  private readonly byListener = new Map<TcpListener, Socket>();

  constructor(private readonly host: SocketHost) {}

  /** Engine events, in order (the runner calls this after every engine step). */
  onEvent(ev: TcpEvent): void {
    if (ev.kind === 'accept') {
      const s = this.byListener.get(ev.listener);
      const cs = this.track(ev.conn);
      cs.established = true;
      ev.conn.readStop();
      if (s !== undefined) s.acceptQueue.push(cs);
      return;
    }
    if (ev.kind === 'syn' || ev.kind === 'syn-expired') return; // no deferring listener here
    const cs = this.byConn.get(ev.conn);
    if (cs === undefined) return;
    switch (ev.kind) {
      case 'established':
        cs.established = true;
        break;
      case 'data':
        cs.chunks.push(ev.chunk);
        break;
      case 'peer-fin':
        cs.peerFin = true;
        break;
      case 'error':
        cs.soError = ev.code;
        cs.dead = true;
        break;
      case 'closed':
        cs.dead = true;
        break;
      default:
        break;
    }
  }

  private track(conn: TcpConnection): ConnState {
    const cs: ConnState = { conn, chunks: [], readOffset: 0, writeOffset: 0, peerFin: false, soError: undefined, dead: false, established: false, writeShut: false };
    this.byConn.set(conn, cs);
    return cs;
  }

  private newFd(): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  private sock(e: Expr | undefined): Socket | SyscallOutcome {
    const fd = e === undefined ? 'missing' : evaluate(e);
    if (typeof fd === 'string') return { kind: 'mismatch', message: `bad descriptor argument: ${fd}` };
    return this.fds.get(fd) ?? fail('EBADF');
  }

  /** Runs one call; `name` and `args` as written in the script. */
  call(name: string, args: Expr[]): SyscallOutcome {
    switch (name) {
      case 'socket':
        return this.socket(args);
      case 'bind':
        return this.withSock(args, (s) => this.bind(s, args[1]));
      case 'listen':
        return this.withSock(args, (s) => this.listen(s, args[1]));
      case 'accept':
      case 'accept4':
        return this.withSock(args, (s) => this.accept(s));
      case 'connect':
        return this.withSock(args, (s) => this.connect(s));
      case 'write':
      case 'send':
        return this.withSock(args, (s) => this.write(s, args[2], name === 'send' ? args[3] : undefined));
      case 'read':
      case 'recv':
        return this.withSock(args, (s) => this.read(s, args[2], name === 'recv' ? args[3] : undefined));
      case 'shutdown':
        return this.withSock(args, (s) => this.shutdown(s, args[1]));
      case 'close':
        return this.withSock(args, (s) => this.close(s));
      case 'setsockopt':
        return this.withSock(args, (s) => this.setsockopt(s, args));
      case 'getsockopt':
        return this.withSock(args, (s) => this.getsockopt(s, args));
      case 'fcntl':
        return this.withSock(args, (s) => this.fcntl(s, args));
      case 'poll':
        return this.poll(args);
      default:
        return { kind: 'unsupported', what: `system call ${name}()` };
    }
  }

  private withSock(args: Expr[], f: (s: Socket) => SyscallOutcome): SyscallOutcome {
    const s = this.sock(args[0]);
    return 'fd' in s ? f(s) : s;
  }

  private socket(args: Expr[]): SyscallOutcome {
    const [domain, type] = args;
    if (domain !== undefined && domain.kind !== 'ellipsis' && evaluate(domain) !== SYMBOLS.AF_INET) {
      return { kind: 'unsupported', what: `socket domain ${exprText(domain)} (IPv4 only)` };
    }
    if (type !== undefined && type.kind !== 'ellipsis' && evaluate(type) !== SYMBOLS.SOCK_STREAM) {
      return { kind: 'unsupported', what: `socket type ${exprText(type)} (TCP only)` };
    }
    const fd = this.newFd();
    this.fds.set(fd, { fd, nonBlocking: false, boundPort: undefined, listener: undefined, acceptQueue: [], state: undefined, connOptions: {}, sockopts: new Map(), linger0: false });
    return ok(fd);
  }

  private bind(s: Socket, addr: Expr | undefined): SyscallOutcome {
    if (s.boundPort !== undefined) return fail('EINVAL');
    let port = SCRIPT_PORT;
    if (addr !== undefined && addr.kind === 'struct') {
      const p = addr.fields.find((f) => f.name === 'sin_port')?.value;
      if (p !== undefined && p.kind === 'call' && p.name === 'htons' && p.args[0]?.kind === 'int') port = p.args[0].value;
    }
    s.boundPort = port;
    return ok();
  }

  private listen(s: Socket, backlogExpr: Expr | undefined): SyscallOutcome {
    if (s.state !== undefined) return fail('EINVAL');
    if (s.listener !== undefined) return ok();
    const backlog = backlogExpr === undefined ? 1 : evaluate(backlogExpr);
    if (typeof backlog === 'string') return { kind: 'mismatch', message: `listen backlog: ${backlog}` };
    const l = this.host.engine.listen(IpAddress.parse('0.0.0.0')!, s.boundPort ?? 0, { backlog: Math.max(1, backlog), connection: s.connOptions });
    if (isTcpError(l)) return fail(l.error);
    s.listener = l;
    s.boundPort = l.port;
    this.byListener.set(l, s);
    this.host.flowChanged(l.port, REMOTE_PORT);
    return ok();
  }

  private accept(s: Socket): SyscallOutcome {
    if (s.listener === undefined) return fail('EINVAL');
    const attempt = (): SyscallOutcome | undefined => {
      const cs = s.acceptQueue.shift();
      if (cs === undefined) return undefined;
      const fd = this.newFd();
      this.fds.set(fd, { fd, nonBlocking: false, boundPort: s.boundPort, listener: undefined, acceptQueue: [], state: cs, connOptions: { ...s.connOptions }, sockopts: new Map(s.sockopts), linger0: s.linger0 });
      return ok(fd);
    };
    return attempt() ?? this.wouldBlock(s, attempt);
  }

  /** EAGAIN on a non-blocking socket; otherwise wait until `attempt` has a result. */
  private wouldBlock(s: Socket, attempt: () => SyscallOutcome | undefined): SyscallOutcome {
    if (s.nonBlocking) return fail('EAGAIN');
    const retry = (): SyscallOutcome => attempt() ?? { kind: 'block', retry };
    return { kind: 'block', retry };
  }

  private connect(s: Socket): SyscallOutcome {
    if (s.listener !== undefined) return fail('EISCONN');
    const existing = s.state;
    if (existing !== undefined) {
      if (existing.established) return fail('EISCONN');
      if (existing.soError !== undefined) return this.takeError(existing);
      return fail('EALREADY');
    }
    const c = this.host.engine.connect({ remote: REMOTE_IP, remotePort: SCRIPT_PORT, localPort: s.boundPort ?? 0, options: s.connOptions });
    if (isTcpError(c)) return fail(c.error);
    c.readStop();
    const cs = this.track(c);
    s.state = cs;
    this.host.flowChanged(c.localPort, SCRIPT_PORT);
    if (s.nonBlocking) return fail('EINPROGRESS');
    const attempt = (): SyscallOutcome | undefined => {
      if (cs.established) return ok();
      if (cs.soError !== undefined) return this.takeError(cs);
      return undefined;
    };
    const retry = (): SyscallOutcome => attempt() ?? { kind: 'block', retry };
    return { kind: 'block', retry };
  }

  private takeError(cs: ConnState): SyscallOutcome {
    const e = cs.soError!;
    cs.soError = undefined;
    return fail(e);
  }

  private count(e: Expr | undefined, what: string): number | SyscallOutcome {
    const n = e === undefined ? 'missing' : evaluate(e);
    if (typeof n === 'string' || n < 0) return { kind: 'mismatch', message: `bad ${what}: ${typeof n === 'string' ? n : String(n)}` };
    return n;
  }

  private flagsArg(e: Expr | undefined): number | SyscallOutcome {
    if (e === undefined) return 0;
    const f = evaluate(e);
    if (typeof f === 'string') return { kind: 'mismatch', message: `bad flags: ${f}` };
    if (f !== 0) return { kind: 'unsupported', what: `send/recv flags ${exprText(e)}` };
    return 0;
  }

  private write(s: Socket, lenExpr: Expr | undefined, flagsExpr: Expr | undefined): SyscallOutcome {
    const n = this.count(lenExpr, 'write length');
    if (typeof n !== 'number') return n;
    const flags = this.flagsArg(flagsExpr);
    if (typeof flags !== 'number') return flags;
    const cs = s.state;
    if (cs === undefined) return fail(s.listener !== undefined ? 'ENOTCONN' : 'EPIPE');
    let done = 0;
    const attempt = (): SyscallOutcome | undefined => {
      if (cs.soError !== undefined) return done > 0 ? ok(done) : this.takeError(cs);
      if (cs.dead || cs.writeShut) return done > 0 ? ok(done) : fail('EPIPE');
      const data = patternBytes(cs.writeOffset, n - done);
      const r = cs.conn.send(data);
      if (isTcpError(r)) return done > 0 ? ok(done) : fail(r.error);
      cs.writeOffset += r;
      done += r;
      this.host.collect();
      if (done === n || (s.nonBlocking && done > 0)) return ok(done);
      return undefined;
    };
    return attempt() ?? this.wouldBlock(s, attempt);
  }

  private read(s: Socket, lenExpr: Expr | undefined, flagsExpr: Expr | undefined): SyscallOutcome {
    const n = this.count(lenExpr, 'read length');
    if (typeof n !== 'number') return n;
    const flags = this.flagsArg(flagsExpr);
    if (typeof flags !== 'number') return flags;
    const cs = s.state;
    if (cs === undefined) return fail('ENOTCONN');
    const attempt = (): SyscallOutcome | undefined => {
      if (cs.chunks.length === 0 && !cs.dead && (cs.conn.receiveQueued > 0 || cs.conn.peerFinPending)) {
        // Take what the engine holds; the window it advertises reopens by as much.
        cs.conn.readStart();
        this.host.collect();
        cs.conn.readStop();
      }
      const got = this.take(cs, n);
      if (typeof got === 'string') return { kind: 'mismatch', message: got };
      if (got > 0) return ok(got);
      if (cs.soError !== undefined) return this.takeError(cs);
      if (cs.peerFin || cs.dead) return ok(0);
      return undefined;
    };
    return attempt() ?? this.wouldBlock(s, attempt);
  }

  /** Takes up to `n` received bytes, checking they are the bytes the script's peer sent. */
  private take(cs: ConnState, n: number): number | string {
    let got = 0;
    while (got < n && cs.chunks.length > 0) {
      const c = cs.chunks[0]!;
      const k = Math.min(c.length, n - got);
      for (let i = 0; i < k; i++) {
        if (c[i] !== patternByte(cs.readOffset + i)) {
          return `read: byte at stream offset ${cs.readOffset + i} differs from what the peer sent there (reassembly error)`;
        }
      }
      cs.readOffset += k;
      got += k;
      if (k === c.length) cs.chunks.shift();
      else cs.chunks[0] = c.subarray(k);
    }
    return got;
  }

  private shutdown(s: Socket, how: Expr | undefined): SyscallOutcome {
    const h = how === undefined ? 'missing' : evaluate(how);
    if (h !== SYMBOLS.SHUT_WR && h !== SYMBOLS.SHUT_RDWR) return { kind: 'unsupported', what: `shutdown(${how === undefined ? '' : exprText(how)}) (SHUT_WR and SHUT_RDWR only)` };
    const cs = s.state;
    if (cs === undefined || cs.dead) return fail('ENOTCONN');
    const r = cs.conn.shutdown();
    if (r !== undefined) return fail(r.error);
    cs.writeShut = true;
    return ok();
  }

  private close(s: Socket): SyscallOutcome {
    this.fds.delete(s.fd);
    if (s.listener !== undefined) {
      // Linux resets connections still waiting in the accept queue (inet_csk_listen_stop).
      for (const cs of s.acceptQueue) cs.conn.abort();
      s.listener.close();
      this.byListener.delete(s.listener);
    }
    const cs = s.state;
    if (cs !== undefined) {
      // RFC 1122 §4.2.2.13 (and SO_LINGER 0): unread data, or a zero linger, resets instead.
      if (s.linger0 || cs.chunks.length > 0) cs.conn.abort();
      else cs.conn.close();
    }
    return ok();
  }

  private sockoptKey(level: Expr | undefined, name: Expr | undefined): string | SyscallOutcome {
    if (level === undefined || name === undefined) return { kind: 'mismatch', message: 'setsockopt/getsockopt need a level and an option name' };
    const key = `${exprText(level)}:${exprText(name)}`;
    const known = ['SOL_SOCKET:SO_REUSEADDR', 'SOL_SOCKET:SO_KEEPALIVE', 'SOL_SOCKET:SO_RCVBUF', 'SOL_SOCKET:SO_SNDBUF', 'SOL_SOCKET:SO_ERROR', 'SOL_SOCKET:SO_LINGER',
      'IPPROTO_TCP:TCP_NODELAY', 'IPPROTO_TCP:TCP_KEEPIDLE', 'IPPROTO_TCP:TCP_KEEPINTVL', 'IPPROTO_TCP:TCP_KEEPCNT', 'IPPROTO_TCP:TCP_USER_TIMEOUT'];
    const k = key.replace(/^SOL_TCP:/, 'IPPROTO_TCP:');
    return known.includes(k) ? k : { kind: 'unsupported', what: `socket option ${exprText(level)}, ${exprText(name)}` };
  }

  private setsockopt(s: Socket, args: Expr[]): SyscallOutcome {
    const key = this.sockoptKey(args[1], args[2]);
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
    const ka = { ...(s.connOptions.keepAlive ?? conn?.opts.keepAlive ?? this.host.engine.options.connection.keepAlive) };
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

  private getsockopt(s: Socket, args: Expr[]): SyscallOutcome {
    const key = this.sockoptKey(args[1], args[2]);
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
        'IPPROTO_TCP:TCP_KEEPIDLE': (o?.keepAlive.idleMs ?? this.host.engine.options.connection.keepAlive.idleMs) / 1000,
        'IPPROTO_TCP:TCP_KEEPINTVL': (o?.keepAlive.intervalMs ?? this.host.engine.options.connection.keepAlive.intervalMs) / 1000,
        'IPPROTO_TCP:TCP_KEEPCNT': o?.keepAlive.count ?? this.host.engine.options.connection.keepAlive.count,
        'IPPROTO_TCP:TCP_USER_TIMEOUT': o?.userTimeoutMs ?? 0,
        'SOL_SOCKET:SO_RCVBUF': o?.receiveBufferSize ?? this.host.engine.options.connection.receiveBufferSize,
        'SOL_SOCKET:SO_SNDBUF': o?.sendBufferSize ?? this.host.engine.options.connection.sendBufferSize,
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

  private fcntl(s: Socket, args: Expr[]): SyscallOutcome {
    const cmd = args[1] === undefined ? 'missing' : evaluate(args[1]);
    if (cmd === SYMBOLS.F_GETFL) return ok(SYMBOLS.O_RDWR! | (s.nonBlocking ? SYMBOLS.O_NONBLOCK! : 0));
    if (cmd === SYMBOLS.F_SETFL) {
      const flags = args[2] === undefined ? 'missing' : evaluate(args[2]);
      if (typeof flags === 'string') return { kind: 'mismatch', message: `fcntl flags: ${flags}` };
      s.nonBlocking = (flags & SYMBOLS.O_NONBLOCK!) !== 0;
      return ok();
    }
    return { kind: 'unsupported', what: `fcntl command ${args[1] === undefined ? '' : exprText(args[1])}` };
  }

  /** poll(2) readiness of one descriptor, as Linux's tcp_poll reports it. */
  private revents(fd: number, events: number): number {
    const s = this.fds.get(fd);
    if (s === undefined) return SYMBOLS.POLLNVAL!;
    let r = 0;
    if (s.listener !== undefined) return s.acceptQueue.length > 0 ? SYMBOLS.POLLIN! & events : 0;
    const cs = s.state;
    if (cs === undefined) return SYMBOLS.POLLOUT! | SYMBOLS.POLLHUP!;
    const readable = cs.chunks.length > 0 || cs.conn.stats().receiveQueued > 0;
    if (cs.soError !== undefined) r |= SYMBOLS.POLLERR!;
    if (cs.dead) r |= SYMBOLS.POLLHUP! | SYMBOLS.POLLIN! | SYMBOLS.POLLRDHUP!;
    if (readable || cs.peerFin) r |= SYMBOLS.POLLIN!;
    if (cs.peerFin) r |= SYMBOLS.POLLRDHUP!;
    if (cs.peerFin && cs.writeShut) r |= SYMBOLS.POLLHUP!;
    if ((cs.established && !cs.writeShut && cs.conn.writableLength > 0) || cs.dead) r |= SYMBOLS.POLLOUT!;
    return r & (events | SYMBOLS.POLLERR! | SYMBOLS.POLLHUP! | SYMBOLS.POLLNVAL!);
  }

  private poll(args: Expr[]): SyscallOutcome {
    const list = args[0];
    if (list === undefined || list.kind !== 'array') return { kind: 'mismatch', message: 'poll needs an array of {fd=…, events=…} structures' };
    const entries: Array<{ fd: number; events: number; revents: Expr | undefined }> = [];
    for (const item of list.items) {
      if (item.kind !== 'struct') return { kind: 'mismatch', message: `poll: ${exprText(item)} is not a pollfd structure` };
      const get = (n: string): Expr | undefined => item.fields.find((f) => f.name === n)?.value;
      const fd = evaluate(get('fd') ?? { kind: 'ellipsis' });
      const events = evaluate(get('events') ?? { kind: 'int', value: 0 });
      if (typeof fd === 'string' || typeof events === 'string') return { kind: 'mismatch', message: `poll: ${exprText(item)}: ${String(fd)} ${String(events)}` };
      entries.push({ fd, events, revents: get('revents') });
    }
    const timeout = args[2] === undefined ? 0 : evaluate(args[2]);
    if (typeof timeout === 'string') return { kind: 'mismatch', message: `poll timeout: ${timeout}` };
    const finish = (must: boolean): SyscallOutcome | undefined => {
      const got = entries.map((e) => this.revents(e.fd, e.events));
      const ready = got.filter((r) => r !== 0).length;
      if (ready === 0 && !must) return undefined;
      for (let i = 0; i < entries.length; i++) {
        const want = entries[i]!.revents;
        if (want === undefined) continue;
        const w = evaluate(want);
        if (w !== got[i]) return { kind: 'mismatch', message: `poll: fd ${entries[i]!.fd} revents expected ${exprText(want)}, actual ${reventsText(got[i]!)}` };
      }
      return ok(ready);
    };
    if (timeout === 0) return finish(true)!;
    const retry = (): SyscallOutcome => finish(false) ?? { kind: 'block', retry, onTimeout: () => finish(true)!, ...(timeout > 0 ? { timeoutUs: timeout * 1000 } : {}) };
    return retry();
  }
}

function reventsText(r: number): string {
  if (r === 0) return '0';
  const names = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDHUP'].filter((n) => (r & SYMBOLS[n]!) !== 0);
  return names.join('|');
}
