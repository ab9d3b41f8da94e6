/**
 * Port forwarding into a namespace (`usernet netns -p [HOST_ADDR:]HOST_PORT:NS_PORT[/tcp]`): a
 * server on the host accepts connections and each is spliced onto a usernet connection to the
 * namespace's address and NS_PORT, so the namespace's server sees a peer at the gateway address.
 */

import createDebug from 'debug';
import { isIP } from 'net';
import { splice, type Splice } from './splice';
import { closeServer, listen, type NetApi, type RelayServer, type RelaySocket } from './types';

const log = createDebug('usernet:relay');

export interface ForwardSpec {
  /** Host address to listen on; default '0.0.0.0' (like docker, podman and slirp4netns). */
  hostAddress: string;
  hostPort: number;
  nsPort: number;
  protocol: 'tcp';
}

function port(text: string, what: string): number | string {
  if (!/^[0-9]{1,5}$/.test(text)) return `${what} '${text}' is not a port number`;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : `${what} ${n} is outside 1–65535`;
}

/**
 * Parses `HOST_PORT:NS_PORT`, `HOST_ADDR:HOST_PORT:NS_PORT`, `[V6ADDR]:HOST_PORT:NS_PORT` or a
 * single `PORT` (same on both sides), each optionally followed by `/tcp`. Returns the spec, or a
 * one-line reason it is wrong.
 */
export function parseForward(text: string): ForwardSpec | string {
  let rest = text;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto === 'udp') return `'${text}': only TCP ports can be forwarded`;
    if (proto !== 'tcp') return `'${text}': unknown protocol '${proto}'`;
    rest = rest.slice(0, slash);
  }
  let hostAddress = '0.0.0.0';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') return `'${text}': expected [IPV6]:HOST_PORT:NS_PORT`;
    hostAddress = rest.slice(1, close);
    if (isIP(hostAddress) !== 6) return `'${text}': '${hostAddress}' is not an IPv6 address`;
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (parts.length === 3 && hostAddress === '0.0.0.0') {
    hostAddress = parts.shift()!;
    if (isIP(hostAddress) === 0) return `'${text}': '${hostAddress}' is not an IP address`;
  }
  if (parts.length === 1) parts.push(parts[0]!);
  if (parts.length !== 2) return `'${text}': expected [HOST_ADDR:]HOST_PORT:NS_PORT[/tcp]`;
  const hostPort = port(parts[0]!, 'host port');
  if (typeof hostPort === 'string') return `'${text}': ${hostPort}`;
  const nsPort = port(parts[1]!, 'namespace port');
  if (typeof nsPort === 'string') return `'${text}': ${nsPort}`;
  return { hostAddress, hostPort, nsPort, protocol: 'tcp' };
}

export function formatForward(f: ForwardSpec): string {
  const a = f.hostAddress.includes(':') ? `[${f.hostAddress}]` : f.hostAddress;
  return `${a}:${f.hostPort} → namespace port ${f.nsPort}/tcp`;
}

export interface ForwarderOptions {
  spec: ForwardSpec;
  /** Where the host server runs (Node's `net`). */
  hostNet: NetApi;
  /** Where the namespace is reached (the stack's `net`). */
  innerNet: NetApi;
  /** The namespace's address to connect to (IPv4 unless the host address is IPv6). */
  target4: string;
  target6?: string;
}

/** One `-p` forward: listening on the host until `close()`. */
export class PortForwarder {
  private readonly splices = new Set<Splice>();
  private server: RelayServer | null = null;
  /** Connections forwarded so far. */
  accepted = 0;

  constructor(private readonly o: ForwarderOptions) {}

  get spec(): ForwardSpec {
    return this.o.spec;
  }

  /** Starts listening; rejects with the host's error (EADDRINUSE, EACCES …). */
  async start(): Promise<void> {
    const { spec, hostNet, innerNet } = this.o;
    const target = spec.hostAddress.includes(':') && this.o.target6 !== undefined ? this.o.target6 : this.o.target4;
    const server = hostNet.createServer({ allowHalfOpen: true }, (outer: RelaySocket) => {
      this.accepted++;
      outer.setNoDelay(true);
      const inner = innerNet.connect({ host: target, port: spec.nsPort, allowHalfOpen: true });
      const s = splice(outer, inner, `forward ${outer.remoteAddress}:${outer.remotePort}→${target}:${spec.nsPort}`);
      this.splices.add(s);
      void s.result.then(() => this.splices.delete(s));
    });
    await listen(server, { port: spec.hostPort, host: spec.hostAddress });
    this.server = server;
    log('forwarding %s', formatForward(spec));
  }

  /** Connections being forwarded now. */
  get active(): Splice[] {
    return [...this.splices];
  }

  /** Stops listening and resets forwarded connections. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    const all = [...this.splices];
    for (const s of all) s.reset();
    await Promise.all([server === null ? Promise.resolve() : closeServer(server), ...all.map((s) => s.result)]);
  }
}
