/**
 * Every wire format, one namespace per module, so that names that repeat across layers stay
 * apart (`address.parseIpv4` parses text, `ipv4.parseIpv4` parses a packet):
 *
 *   import { tcp, ipv4, isDrop } from '../stack/wire';
 *   const r = tcp.parseTcp(bytes, sum);
 *
 * `drop.ts` is the exception: `Drop`, `drop` and `isDrop` are exported directly, since every
 * caller needs them.
 */

export { Drop, drop, isDrop } from './drop';
export * as checksum from './checksum';
export * as address from './address';
export * as payload from './payload';
export * as ipProtocol from './ip-protocol';
export * as ethernet from './ethernet';
export * as arp from './arp';
export * as ipv4 from './ipv4';
export * as ipv6 from './ipv6';
export * as ipv6Ext from './ipv6-ext';
export * as icmpv4 from './icmpv4';
export * as icmpv6 from './icmpv6';
export * as ndp from './ndp';
export * as ndpOptions from './ndp-options';
export * as tcp from './tcp';
export * as tcpOptions from './tcp-options';
export * as udp from './udp';
export * as mld from './mld';
