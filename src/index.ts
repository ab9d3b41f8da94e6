/**
 * usernet's public entry: the pieces users compose. A `Stack` is one user-space network
 * namespace; drivers carry its frames (a TAP device, memory links, pcap replay); wrappers compose
 * over drivers (`impair`, `capture`); the wire-format modules parse and build every header.
 *
 * @example
 *   import { Stack, MemoryLink } from 'usernet';
 *   const [a, b] = MemoryLink.pair();
 *   const left = new Stack();
 *   left.addInterface(a, { ipv4: '10.0.0.1/24' });
 */

export { Stack, NetworkError, type StackOptions, type PingOptions } from './stack';
export { StackRuntime } from './runtime';
export * from '../drivers';
export * as wire from '../stack/wire';
export { Drop, drop, isDrop } from '../stack/wire/drop';
export { IpAddress } from '../stack/wire/address';
export type { LinkDriver, LinkOffloads, LinkType } from '../stack/link';
export { TcpEngine, TcpConnection, TcpListener, isTcpError } from '../stack/tcp/engine';
export type { TcpEvent, TcpConnectionStats, TcpEngineOptions, TcpConnectionOptions } from '../stack/tcp/engine';
export * as sim from './sim';
