/**
 * Host names for `connect`/`listen`: the default `lookup` maps `localhost` to the stack's
 * loopback interface (127.0.0.1 and ::1 exist on every stack) and hands other names to the host's
 * resolver (`dns.lookup`). A `lookup` option replaces it, with `dns.lookup`'s signature, as in Node.
 */

import * as dns from 'dns';
import { isIP } from 'net';

export interface LookupAddress {
  address: string;
  family: number;
}

export interface LookupOptions {
  family?: number;
  hints?: number;
  all?: boolean;
  verbatim?: boolean;
  order?: string;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** RFC 6761 §6.3: `localhost` and names under `.localhost` are the loopback addresses. */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** Loopback addresses for `family` (0: both, IPv4 first, so dual-stack listeners match either). */
function loopbackAddresses(family: number): LookupAddress[] {
  const v4 = { address: '127.0.0.1', family: 4 };
  const v6 = { address: '::1', family: 6 };
  if (family === 4) return [v4];
  if (family === 6) return [v6];
  return [v4, v6];
}

/** The net layer's default lookup (see the module comment). Always answers asynchronously. */
export const defaultLookup: LookupFunction = (hostname, options, callback) => {
  const family = options.family ?? 0;
  const literal = isIP(hostname);
  if (literal !== 0 || isLocalhostName(hostname)) {
    const list = literal !== 0 ? [{ address: hostname, family: literal }] : loopbackAddresses(family);
    process.nextTick(() => {
      if (options.all === true) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
    return;
  }
  const opts: dns.LookupOptions = { family: family === 4 || family === 6 ? family : 0, hints: options.hints ?? 0, all: options.all === true };
  if (options.verbatim !== undefined) opts.verbatim = options.verbatim;
  dns.lookup(hostname, opts, (err, address, fam) => {
    if (err) callback(err, options.all === true ? [] : '', undefined);
    else if (Array.isArray(address)) callback(null, address);
    else callback(null, address, fam);
  });
};

/** `family` option to a dns family: 'IPv4' → 4, 'IPv6' → 6, numbers as given, else 0 (Node's `socketToDnsFamily`). */
export function socketToDnsFamily(family: unknown): number {
  switch (family) {
    case 'IPv4':
      return 4;
    case 'IPv6':
      return 6;
    default:
      return typeof family === 'number' ? family : 0;
  }
}
