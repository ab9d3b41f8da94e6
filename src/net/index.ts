/**
 * `stack.net`: a drop-in for Node 20's `net` module whose TCP sockets run on one usernet stack.
 * `createNet(runtime)` builds the module object for a stack; `Socket` and `Server` are classes of
 * their own per stack (bound to its TCP engine), everything not TCP/IP-specific (`isIP`,
 * `BlockList`, `SocketAddress`) is Node's own, and paths (Unix-domain sockets) go to the host.
 *
 * @example
 *   const net = stack.net;
 *   net.createServer((s) => s.pipe(s)).listen(7, () => net.connect(7, '127.0.0.1').end('hi'));
 */

import * as hostNet from 'net';
import { autoSelectDefaults, type ConnectOptions } from './connect';
import { NetContext, type NetRuntime } from './context';
import { Server, type ListenOptions, type ServerOptions } from './server';
import { Socket, type SocketConstructorOptions } from './socket';
import { normalizeArgs, validateBoolean, validateInt32 } from './validate';

export type { NetRuntime } from './context';
export type { ConnectOptions } from './connect';
export type { ListenOptions, ServerOptions } from './server';
export type { SocketConstructorOptions } from './socket';
export { Socket as BaseSocket } from './socket';
export { Server as BaseServer } from './server';

export interface NetModule {
  readonly Socket: typeof Socket;
  /** Node's legacy alias of Socket. */
  readonly Stream: typeof Socket;
  readonly Server: typeof Server;
  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server;
  connect(options: ConnectOptions & SocketConstructorOptions, connectionListener?: () => void): Socket;
  connect(port: number, host?: string, connectionListener?: () => void): Socket;
  connect(port: number, connectionListener?: () => void): Socket;
  connect(path: string, connectionListener?: () => void): Socket;
  createConnection: NetModule['connect'];
  readonly isIP: typeof hostNet.isIP;
  readonly isIPv4: typeof hostNet.isIPv4;
  readonly isIPv6: typeof hostNet.isIPv6;
  readonly BlockList: typeof hostNet.BlockList;
  readonly SocketAddress: typeof hostNet.SocketAddress;
  getDefaultAutoSelectFamily(): boolean;
  setDefaultAutoSelectFamily(value: boolean): void;
  getDefaultAutoSelectFamilyAttemptTimeout(): number;
  setDefaultAutoSelectFamilyAttemptTimeout(value: number): void;
  /** The per-stack state (router, liveness); for tests and tools. */
  readonly context: NetContext;
}

/**
 * Node's `net.Socket`, `net.Stream` and `net.Server` are functions that also work without `new`
 * (`net.Server()` in Node's own tests, and in older code). A class cannot be called, so the module
 * exports it behind a proxy whose call makes an instance; the proxy is also each instance's
 * `constructor`, as `socket.constructor === net.Socket` holds in Node.
 */
function callableClass<C extends new (...args: never[]) => object>(cls: C): C {
  const proxy = new Proxy(cls, {
    apply: (target, _thisArg, args: unknown[]) => Reflect.construct(target, args),
  });
  Object.defineProperty(cls.prototype, 'constructor', { value: proxy, writable: true, configurable: true, enumerable: false });
  return proxy;
}

/** Builds the `net` module for the stack `runtime` drives. */
export function createNet(runtime: NetRuntime): NetModule {
  const ctx = new NetContext(runtime);

  class StackSocket extends Socket {
    static override netContext: NetContext | null = ctx;
  }
  class StackServer extends Server {
    static override netContext: NetContext | null = ctx;
    static override SocketClass: typeof Socket = StackSocket;
  }
  Object.defineProperty(StackSocket, 'name', { value: 'Socket' });
  Object.defineProperty(StackServer, 'name', { value: 'Server' });
  const SocketClass = callableClass(StackSocket);
  const ServerClass = callableClass(StackServer);

  function createServer(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void): Server {
    return new StackServer(options as ServerOptions, connectionListener);
  }

  function connect(...args: unknown[]): Socket {
    const { options } = normalizeArgs(args);
    const socket = new StackSocket(options as SocketConstructorOptions);
    const timeout = (options as { timeout?: number }).timeout;
    if (timeout) socket.setTimeout(timeout);
    return (socket.connect as (...a: unknown[]) => Socket)(Socket.normalized(args));
  }

  return {
    Socket: SocketClass,
    Stream: SocketClass,
    Server: ServerClass,
    createServer: createServer as NetModule['createServer'],
    connect: connect as NetModule['connect'],
    createConnection: connect as NetModule['connect'],
    isIP: hostNet.isIP,
    isIPv4: hostNet.isIPv4,
    isIPv6: hostNet.isIPv6,
    BlockList: hostNet.BlockList,
    SocketAddress: hostNet.SocketAddress,
    getDefaultAutoSelectFamily: () => autoSelectDefaults.family,
    setDefaultAutoSelectFamily(value: boolean) {
      validateBoolean(value, 'value');
      autoSelectDefaults.family = value;
    },
    getDefaultAutoSelectFamilyAttemptTimeout: () => autoSelectDefaults.attemptTimeout,
    setDefaultAutoSelectFamilyAttemptTimeout(value: number) {
      validateInt32(value, 'value', 1);
      autoSelectDefaults.attemptTimeout = value < 10 ? 10 : value;
    },
    context: ctx,
  };
}

export type { ListenOptions as NetListenOptions };
