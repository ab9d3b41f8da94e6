/**
 * The connect path of `Socket.connect` (lib/net.js `lookupAndConnect`, `internalConnect`,
 * `afterConnect`, and Happy Eyeballs per RFC 8305 as Node's `autoSelectFamily` does it): argument
 * checks with Node's errors, the host lookup with its `'lookup'` events, the optional bind to a
 * local address/port, and the TCP open on the stack.
 */

import { isIP } from 'net';
import {
  ERR_INVALID_ADDRESS_FAMILY,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_IP_ADDRESS,
  ERR_SOCKET_CONNECTION_TIMEOUT,
  exceptionWithHostPort,
  uvErrno,
} from './errors';
import type { ConnectReq, StreamHandle } from './handle';
import { defaultLookup, socketToDnsFamily, type LookupAddress, type LookupFunction } from './lookup';
import type { Socket } from './socket';
import { TcpHandle } from './tcp-handle';
import { validateBoolean, validateFunction, validateInt32, validateNumber, validatePort } from './validate';

export interface ConnectOptions {
  port?: number | string;
  host?: string;
  path?: string;
  localAddress?: string;
  localPort?: number;
  family?: number | string;
  hints?: number;
  lookup?: LookupFunction;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
  allowHalfOpen?: boolean;
  signal?: AbortSignal;
}

/** Node 20's defaults (`net.getDefaultAutoSelectFamily()`, `…AttemptTimeout()`). */
export const autoSelectDefaults = { family: true, attemptTimeout: 250 };

/** Node's `lookupAndConnect`. Throws Node's argument errors synchronously. */
export function lookupAndConnect(self: Socket, options: ConnectOptions): void {
  const { localAddress, localPort } = options;
  const host = options.host || 'localhost';
  if (localAddress && !isIP(localAddress)) throw ERR_INVALID_IP_ADDRESS(localAddress);
  if (localPort) validateNumber(localPort, 'options.localPort');
  let port = 0;
  if (options.port !== undefined) {
    if (typeof options.port !== 'number' && typeof options.port !== 'string') throw ERR_INVALID_ARG_TYPE('options.port', ['number', 'string'], options.port);
    port = validatePort(options.port);
  }
  let autoSelectFamily = options.autoSelectFamily;
  if (autoSelectFamily !== undefined && autoSelectFamily !== null) validateBoolean(autoSelectFamily, 'options.autoSelectFamily');
  else autoSelectFamily = autoSelectDefaults.family;
  let attemptTimeout = options.autoSelectFamilyAttemptTimeout;
  if (attemptTimeout !== undefined && attemptTimeout !== null) {
    validateInt32(attemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
    if (attemptTimeout < 10) attemptTimeout = 10;
  } else {
    attemptTimeout = autoSelectDefaults.attemptTimeout;
  }
  const literal = isIP(host);
  if (literal !== 0) {
    process.nextTick(() => {
      if (self.connecting) internalConnect(self, host, port, literal as 4 | 6, localAddress, localPort);
    });
    return;
  }
  if (options.lookup !== undefined && options.lookup !== null) validateFunction(options.lookup, 'options.lookup');
  const lookup: LookupFunction = options.lookup ?? defaultLookup;
  const family = socketToDnsFamily(options.family);
  const dnsopts = { family, hints: options.hints || 0 };
  self._host = host;
  if (family !== 4 && family !== 6 && !localAddress && autoSelectFamily) {
    lookupAndConnectMultiple(self, lookup, host, port, dnsopts, localPort, attemptTimeout, options);
    return;
  }
  lookup(host, dnsopts, (err, ip, addressType) => {
    self.emit('lookup', err, ip, addressType, host);
    if (!self.connecting) return;
    if (err) process.nextTick(() => self.destroy(err));
    else if (typeof ip !== 'string' || !isIP(ip)) process.nextTick(() => self.destroy(ERR_INVALID_IP_ADDRESS(ip)));
    else if (addressType !== 4 && addressType !== 6) process.nextTick(() => self.destroy(ERR_INVALID_ADDRESS_FAMILY(addressType, options.host, options.port)));
    else {
      self._unrefTimer();
      internalConnect(self, ip, port, addressType, localAddress, localPort);
    }
  });
}

/** Node's `internalConnect`: optional bind, then the TCP open; errors destroy the socket. */
export function internalConnect(self: Socket, address: string, port: number, family: 4 | 6, localAddress?: string, localPort?: number): void {
  const handle = self._handle!;
  let local = localAddress;
  if (localAddress || localPort) {
    local = localAddress || (family === 4 ? '0.0.0.0' : '::');
    const err = handle.bind ? handle.bind(local, localPort ?? 0, family) : 0;
    if (err) {
      self.destroy(exceptionWithHostPort(err, 'bind', local, localPort));
      return;
    }
  }
  const req: ConnectReq = { address, port, oncomplete: (status) => afterConnect(self, handle, req, status) };
  if (local !== undefined) req.localAddress = local;
  if (localPort !== undefined) req.localPort = localPort;
  const err = handle.connect!(req, address, port, family);
  // usernet binds and connects in one engine call: a local port already taken is, as with the
  // kernel's bind(), the bind's error (Node: `bind EADDRINUSE 0.0.0.0:port`).
  if (err === uvErrno('EADDRINUSE') && localPort) {
    self.destroy(exceptionWithHostPort(err, 'bind', local!, localPort));
    return;
  }
  if (err) {
    const sockname = self._getsockname();
    const details = sockname.address !== undefined ? `${sockname.address}:${sockname.port}` : undefined;
    self.destroy(exceptionWithHostPort(err, 'connect', address, port, details));
  }
}

/** Node's `afterConnect`: 'connect' and 'ready', or the socket destroyed with the connect error. */
export function afterConnect(self: Socket, handle: StreamHandle, req: ConnectReq, status: number): void {
  if (self.destroyed || self._handle !== handle) return;
  if (status === 0) {
    self._afterConnect();
    return;
  }
  self.connecting = false;
  let details: string | undefined;
  if (req.localAddress && req.localPort) details = `${req.localAddress}:${req.localPort}`;
  const ex = exceptionWithHostPort(status, 'connect', req.address, req.port, details);
  if (details) {
    ex.localAddress = req.localAddress!;
    ex.localPort = req.localPort!;
  }
  self.destroy(ex);
}

/**
 * RFC 8305 in Node's shape: every address of the name, families alternating, tried one after
 * another with `attemptTimeout` each; the first to connect wins; when all fail the socket is
 * destroyed with an AggregateError whose `code` is the first error's.
 */
function lookupAndConnectMultiple(
  self: Socket,
  lookup: LookupFunction,
  host: string,
  port: number,
  dnsopts: { family: number; hints: number },
  localPort: number | undefined,
  attemptTimeout: number,
  options: ConnectOptions,
): void {
  lookup(host, { ...dnsopts, all: true }, (err, addresses) => {
    if (!self.connecting) return;
    if (err) {
      self.emit('lookup', err, undefined, undefined, host);
      process.nextTick(() => self.destroy(err));
      return;
    }
    const list: LookupAddress[] = Array.isArray(addresses) ? addresses : [{ address: addresses, family: 0 }];
    const valid: [LookupAddress[], LookupAddress[]] = [[], []];
    let order: Record<number, 0 | 1> | undefined;
    for (const a of list) {
      self.emit('lookup', null, a.address, a.family, host);
      if (!self.connecting) return;
      if (isIP(a.address) && (a.family === 4 || a.family === 6)) {
        order ??= a.family === 6 ? { 6: 0, 4: 1 } : { 4: 0, 6: 1 };
        const bucket = valid[order[a.family]!];
        if (!bucket.some((b) => b.address === a.address)) bucket.push(a);
      }
    }
    if (valid[0].length === 0 && valid[1].length === 0) {
      const first = list[0];
      const e = first === undefined || !isIP(first.address) ? ERR_INVALID_IP_ADDRESS(first?.address) : ERR_INVALID_ADDRESS_FAMILY(first.family, options.host, options.port);
      process.nextTick(() => self.destroy(e));
      return;
    }
    const toAttempt: LookupAddress[] = [];
    for (let i = 0; i < Math.max(valid[0].length, valid[1].length); i++) {
      if (i < valid[0].length) toAttempt.push(valid[0][i]!);
      if (i < valid[1].length) toAttempt.push(valid[1][i]!);
    }
    if (toAttempt.length === 1) {
      self._unrefTimer();
      internalConnect(self, toAttempt[0]!.address, port, toAttempt[0]!.family as 4 | 6, undefined, localPort);
      return;
    }
    self.autoSelectFamilyAttemptedAddresses = [];
    attemptNext(self, toAttempt, 0, port, localPort, attemptTimeout, []);
  });
}

declare module './socket' {
  interface Socket {
    /** Addresses tried by `autoSelectFamily`, as `address:port` (Node 20). */
    autoSelectFamilyAttemptedAddresses?: string[];
  }
}

function attemptNext(self: Socket, addresses: LookupAddress[], index: number, port: number, localPort: number | undefined, attemptTimeout: number, errors: Error[]): void {
  if (!self.connecting || self.destroyed) return;
  if (index === addresses.length) {
    if (errors.length === 0) {
      self.destroy(ERR_SOCKET_CONNECTION_TIMEOUT());
      return;
    }
    const agg = new AggregateError(errors, '') as AggregateError & { code?: string };
    agg.code = (errors[0] as Error & { code?: string }).code;
    self.destroy(agg);
    return;
  }
  const { address, family } = addresses[index]!;
  const ctx = (self.constructor as typeof Socket).netContext!;
  // The first attempt uses the handle `connect()` made; only later attempts get a new one and
  // reinitialise the socket (Node's kReinitializeHandle, which also undestroys the stream: a
  // new handle on the first attempt would forget an end() called while connecting).
  let handle: TcpHandle;
  if (index === 0 && self._handle instanceof TcpHandle) {
    handle = self._handle;
  } else {
    handle = new TcpHandle(ctx);
    self._handle?.close();
    self._handle = handle;
    self.initHandle();
  }
  self.autoSelectFamilyAttemptedAddresses!.push(`${address}:${port}`);
  let timer: NodeJS.Timeout | null = null;
  const req: ConnectReq = {
    address,
    port,
    oncomplete: (status) => {
      if (timer !== null) clearTimeout(timer);
      if (self._handle !== handle || self.destroyed) return;
      if (status === 0) {
        self._afterConnect();
        return;
      }
      errors.push(exceptionWithHostPort(status, 'connect', address, port));
      attemptNext(self, addresses, index + 1, port, localPort, attemptTimeout, errors);
    },
  };
  if (localPort) {
    const err = handle.bind(family === 4 ? '0.0.0.0' : '::', localPort, family as 4 | 6);
    if (err) {
      errors.push(exceptionWithHostPort(err, 'bind', family === 4 ? '0.0.0.0' : '::', localPort));
      attemptNext(self, addresses, index + 1, port, localPort, attemptTimeout, errors);
      return;
    }
  }
  const err = handle.connect(req, address, port, family as 4 | 6);
  if (err) {
    // As in internalConnect: a taken local port is the bind's error.
    if (err === uvErrno('EADDRINUSE') && localPort) errors.push(exceptionWithHostPort(err, 'bind', family === 4 ? '0.0.0.0' : '::', localPort));
    else errors.push(exceptionWithHostPort(err, 'connect', address, port));
    attemptNext(self, addresses, index + 1, port, localPort, attemptTimeout, errors);
    return;
  }
  if (index + 1 < addresses.length) {
    timer = setTimeout(() => {
      if (self._handle !== handle || !self.connecting) return;
      attemptNext(self, addresses, index + 1, port, localPort, attemptTimeout, errors);
    }, attemptTimeout);
    timer.unref();
  }
}
