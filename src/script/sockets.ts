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
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpListener } from '../../stack/tcp/listener';
import type { Expr } from './ast';
import { patternByte, patternBytes } from './packet';
import { poll, revents } from './poll';
import { type ConnState, fail, ok, type ScriptSocket, type SocketHost, type SyscallOutcome, takeError } from './socket-state';
import { getsockopt, setsockopt } from './sockopts';
import { evaluate, exprText, SYMBOLS } from './symbols';

export type { SocketHost, SyscallOutcome } from './socket-state';

/** packetdrill's addresses: usernet is 192.168.0.1, the scripted remote 192.0.2.1. */
export const LOCAL_IP = IpAddress.parse('192.168.0.1')!;
export const REMOTE_IP = IpAddress.parse('192.0.2.1')!;
/** packetdrill's default bind and connect port. */
export const SCRIPT_PORT = 8080;
/** The remote's port for passively opened connections (packetdrill picks an ephemeral one). */
export const REMOTE_PORT = 48123;

export class SocketTable {
  private readonly fds = new Map<number, ScriptSocket>();
  private readonly byConn = new Map<TcpConnection, ConnState>();
  private readonly byListener = new Map<TcpListener, ScriptSocket>();

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

  private sock(e: Expr | undefined): ScriptSocket | SyscallOutcome {
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
        return this.withSock(args, (s) => setsockopt(s, args, this.host.engine));
      case 'getsockopt':
        return this.withSock(args, (s) => getsockopt(s, args, this.host.engine));
      case 'fcntl':
        return this.withSock(args, (s) => this.fcntl(s, args));
      case 'poll':
        return poll(args, (fd, events) => revents(this.fds.get(fd), events));
      default:
        return { kind: 'unsupported', what: `system call ${name}()` };
    }
  }

  private withSock(args: Expr[], f: (s: ScriptSocket) => SyscallOutcome): SyscallOutcome {
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

  private bind(s: ScriptSocket, addr: Expr | undefined): SyscallOutcome {
    if (s.boundPort !== undefined) return fail('EINVAL');
    let port = SCRIPT_PORT;
    if (addr !== undefined && addr.kind === 'struct') {
      const p = addr.fields.find((f) => f.name === 'sin_port')?.value;
      if (p !== undefined && p.kind === 'call' && p.name === 'htons' && p.args[0]?.kind === 'int') port = p.args[0].value;
    }
    s.boundPort = port;
    return ok();
  }

  private listen(s: ScriptSocket, backlogExpr: Expr | undefined): SyscallOutcome {
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

  private accept(s: ScriptSocket): SyscallOutcome {
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
  private wouldBlock(s: ScriptSocket, attempt: () => SyscallOutcome | undefined): SyscallOutcome {
    if (s.nonBlocking) return fail('EAGAIN');
    const retry = (): SyscallOutcome => attempt() ?? { kind: 'block', retry };
    return { kind: 'block', retry };
  }

  private connect(s: ScriptSocket): SyscallOutcome {
    if (s.listener !== undefined) return fail('EISCONN');
    const existing = s.state;
    if (existing !== undefined) {
      if (existing.established) return fail('EISCONN');
      if (existing.soError !== undefined) return takeError(existing);
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
      if (cs.soError !== undefined) return takeError(cs);
      return undefined;
    };
    const retry = (): SyscallOutcome => attempt() ?? { kind: 'block', retry };
    return { kind: 'block', retry };
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

  private write(s: ScriptSocket, lenExpr: Expr | undefined, flagsExpr: Expr | undefined): SyscallOutcome {
    const n = this.count(lenExpr, 'write length');
    if (typeof n !== 'number') return n;
    const flags = this.flagsArg(flagsExpr);
    if (typeof flags !== 'number') return flags;
    const cs = s.state;
    if (cs === undefined) return fail(s.listener !== undefined ? 'ENOTCONN' : 'EPIPE');
    let done = 0;
    const attempt = (): SyscallOutcome | undefined => {
      if (cs.soError !== undefined) return done > 0 ? ok(done) : takeError(cs);
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

  private read(s: ScriptSocket, lenExpr: Expr | undefined, flagsExpr: Expr | undefined): SyscallOutcome {
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
      if (cs.soError !== undefined) return takeError(cs);
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

  private shutdown(s: ScriptSocket, how: Expr | undefined): SyscallOutcome {
    const h = how === undefined ? 'missing' : evaluate(how);
    if (h !== SYMBOLS.SHUT_WR && h !== SYMBOLS.SHUT_RDWR) return { kind: 'unsupported', what: `shutdown(${how === undefined ? '' : exprText(how)}) (SHUT_WR and SHUT_RDWR only)` };
    const cs = s.state;
    if (cs === undefined || cs.dead) return fail('ENOTCONN');
    const r = cs.conn.shutdown();
    if (r !== undefined) return fail(r.error);
    cs.writeShut = true;
    return ok();
  }

  private close(s: ScriptSocket): SyscallOutcome {
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

  private fcntl(s: ScriptSocket, args: Expr[]): SyscallOutcome {
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
}
