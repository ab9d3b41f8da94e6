/**
 * Where a connection the namespace opened goes on the host. As with slirp4netns and pasta, the
 * gateway address stands for the host itself (its loopback: 127.0.0.1 / ::1); every other
 * destination is reached as it is, through the host's own routing.
 */

import { IpAddress } from '../../stack/wire/address';

export interface GatewayMap {
  /** The gateway addresses the namespace sees (10.0.2.2, fd00:2::2 by default). */
  gateway4?: string;
  gateway6?: string;
}

/** The host address to connect to for a namespace connection addressed to `destination`. */
export function hostTarget(destination: string, map: GatewayMap): string {
  const dst = IpAddress.parse(destination);
  if (dst === null) return destination;
  const gw4 = map.gateway4 === undefined ? null : IpAddress.parse(map.gateway4);
  const gw6 = map.gateway6 === undefined ? null : IpAddress.parse(map.gateway6);
  if (gw4 !== null && dst.equals(gw4)) return '127.0.0.1';
  if (gw6 !== null && dst.equals(gw6)) return '::1';
  // An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is an IPv4 host.
  const text = dst.toString();
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}
